"""A papermill batch: ``examples/notebooks/sweep.ipynb`` over a grid of parameters, two at a time.

    python examples/notebook_batch.py

The grid (3 rates x 2 step counts) makes 6 parameter sets; the batch is one pipeline run (one
notebook solid per set, and a collector), here in two worker processes, each reusing a warm
kernel. The table lists each set's parameters, status, duration, yielded values and executed
notebook. The same from the command line:

    notebook-pipelines notebook batch examples/notebooks/sweep.ipynb \\
        --grid examples/notebooks/grid.yaml --parallel 2
"""

from notebook_pipelines import DagsterInstance, file_relative_path, run_notebook_batch

if __name__ == "__main__":  # worker processes import this file again: keep the run under here
    with DagsterInstance.get() as instance:
        result = run_notebook_batch(
            file_relative_path(__file__, "notebooks/sweep.ipynb"),
            {"rate": [0.05, 0.1, 0.2], "steps": [10, 20]},
            executor="multiprocess",
            max_concurrent=2,
            instance=instance,
        )
        print(result.table())
        print("success:", result.success, "run:", result.run_id)
