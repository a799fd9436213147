"""Running pipelines (layer 4): contexts, the user-code boundary, one step, the scheduling loop, the
run's lifecycle and the results."""
