"""Running pipelines (layer 4): the run request (each call of the execution API resolved once, its
run config validated once: ``request.py``, made a run by ``prepared.py``), contexts, the user-code
boundary, one step, the scheduling loop, the run's lifecycle and the results."""
