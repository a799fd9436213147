"""Executors (layer 5): how steps are submitted — in this process, in worker processes, on Dask."""
