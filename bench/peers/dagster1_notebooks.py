"""A trivial notebook as a step on Dagster 1.x with dagstermill (run with bench/peers/.venv-dagster1).

One op made by `dagstermill.define_dagstermill_op` from bench/notebooks/trivial_dagstermill.ipynb
(`x = 1`, `dagstermill.yield_result(x + 1, "result")`; its parameters cell is empty: dagstermill
replaces that cell with its own), in a job run with
`execute_job(reconstructable(job), instance)` on the in-process executor (dagstermill refuses
`execute_in_process`: the kernel rebuilds the job, so it must be reconstructable) and a
`local_temp` instance: a fresh kernel per run, as dagstermill does. Usage: REPS. Prints one
JSON object: the seconds of each run (the first one included: it imports papermill) and of the
notebook step alone (STEP_START to STEP_SUCCESS).
"""

import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

warnings.simplefilter("ignore")  # dagstermill's beta and deprecation warnings, on every run

import dagster  # noqa: E402
import dagstermill  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "trivial_dagstermill.ipynb"

trivial = dagstermill.define_dagstermill_op(
    "trivial", str(NOTEBOOK), outs={"result": dagster.Out(int)}
)


@dagster.job(executor_def=dagster.in_process_executor)
def notebook_job() -> None:
    trivial()


def main() -> None:
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    runs, steps = [], []
    with tempfile.TemporaryDirectory() as home:
        instance = dagster.DagsterInstance.local_temp(home)
        job = dagster.reconstructable(notebook_job)
        for _ in range(reps):
            start = time.perf_counter()
            with dagster.execute_job(job, instance=instance) as result:
                runs.append(time.perf_counter() - start)
                assert result.success and result.output_for_node("trivial") == 2
                events = {
                    r.dagster_event.event_type_value: r.timestamp
                    for r in instance.all_logs(result.run_id)
                    if r.dagster_event is not None and r.dagster_event.step_key
                }
            steps.append(events["STEP_SUCCESS"] - events["STEP_START"])
    print(
        json.dumps(
            {
                "version": dagster.__version__,
                "dagstermill": dagstermill.__version__,
                "figures": {"notebook_op_run": runs, "notebook_op_step": steps},
                "cwd": os.getcwd(),
            }
        )
    )


if __name__ == "__main__":
    main()
