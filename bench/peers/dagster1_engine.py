"""The engine workloads on Dagster 1.x (run with bench/peers/.venv-dagster1).

The same shapes as bench/solids_workloads.py in today's vocabulary: @op, @job and
`job.execute_in_process()` (its in-process path, with an ephemeral instance). Prints one JSON object.

"pchain" (persistent): `job.execute_in_process(instance=DagsterInstance.local_temp(folder),
resources={"io_manager": FilesystemIOManager()})`. The io manager has to be given: a job's default
io manager is the filesystem one, but `execute_in_process` swaps that default for `mem_io_manager`
whatever the instance (dagster/_core/definitions/job_definition.py, `_swap_default_io_man`), so
without it the "persistent" run would keep its intermediates in memory. FilesystemIOManager()
pickles each output under the instance's `storage/` folder, as the default io manager does
(`fs_io_manager`, the same thing, warns on every run that it is superseded).
harness.check_intermediates verifies the files are there after each run
(`storage/<run_id>/<op>/result`).
"""

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dagster
import harness


def build(kind: str, size: int) -> Any:
    if kind == "pchain":
        home = harness.persistent_home(size)
        instance = dagster.DagsterInstance.local_temp(home)
        return harness.PersistentWorkload(build("chain", size), instance, home)

    @dagster.op
    def source() -> int:
        return 0

    @dagster.op
    def add_one(x: int) -> int:
        return x + 1

    if kind == "chain":

        @dagster.job(name=f"chain_{size}")
        def chain() -> None:
            value = source()
            for i in range(1, size):
                value = add_one.alias(f"add_one_{i}")(value)

        return chain

    @dagster.op
    def branch(context: dagster.OpExecutionContext, x: int) -> int:
        return x + int(context.op.name.rsplit("_", 1)[1])

    @dagster.op
    def gather(values: list) -> int:
        return sum(values)

    @dagster.job(name=f"fanout_{size}")
    def fanout() -> None:
        start = source()
        gather([branch.alias(f"branch_{i}")(start) for i in range(size)])

    return fanout


def run(job: Any) -> Any:
    if isinstance(job, harness.PersistentWorkload):
        result = job.definition.execute_in_process(
            run_config=harness.QUIET_RUN_CONFIG,
            instance=job.instance,
            resources={"io_manager": dagster.FilesystemIOManager()},
        )
        return harness.PersistentOutcome(result, job.home)
    return job.execute_in_process(run_config=harness.QUIET_RUN_CONFIG)


def result_of(result: Any, kind: str, size: int) -> object:
    if isinstance(result, harness.PersistentOutcome):
        result = result.result
    if not result.success:
        return None
    if kind == "fanout":
        return result.output_for_node("gather")
    return result.output_for_node(f"add_one_{size - 1}" if size > 1 else "source")


if __name__ == "__main__":
    harness.peer_main("dagster", dagster.__version__, build, run, result_of)
