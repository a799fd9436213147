"""The engine workloads on Dagster 1.x (run with bench/peers/.venv-dagster1).

The same shapes as bench/solids_workloads.py in today's vocabulary: @op, @job and
`job.execute_in_process()` (its in-process path, with an ephemeral instance). Prints one JSON object.
"""

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dagster
import harness


def build(kind: str, size: int) -> Any:
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
    return job.execute_in_process(run_config=harness.QUIET_RUN_CONFIG)


def result_of(result: Any, kind: str, size: int) -> object:
    if not result.success:
        return None
    if kind == "fanout":
        return result.output_for_node("gather")
    return result.output_for_node(f"add_one_{size - 1}" if size > 1 else "source")


if __name__ == "__main__":
    harness.peer_main("dagster", dagster.__version__, build, run, result_of)
