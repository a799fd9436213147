"""The benchmark workloads written against the Dagster 0.9 API ("pipelines and solids").

Used unchanged for notebook-pipelines and for Dagster 0.9.22: `api` is the module the names come
from (`notebook_pipelines` or `dagster`), which is the point of implementing the same API.
"""

from types import ModuleType
from typing import Any

from harness import (
    PERSISTENT_RUN_CONFIG,
    QUIET_RUN_CONFIG,
    PersistentOutcome,
    PersistentWorkload,
    persistent_home,
)


def build(api: ModuleType, kind: str, size: int) -> Any:
    """A chain of `size` solids, or a fan-out of `size` solids between a source and a fan-in.

    "pchain": the chain together with a persistent instance of its own,
    `api.DagsterInstance.local_temp(folder)` (SQLite run and event storage in that folder).
    """
    if kind == "pchain":
        home = persistent_home(size)
        instance = api.DagsterInstance.local_temp(home)
        return PersistentWorkload(build(api, "chain", size), instance, home)

    @api.solid
    def source(_context) -> int:
        return 0

    @api.solid
    def add_one(_context, x: int) -> int:
        return x + 1

    if kind == "chain":

        @api.pipeline(name=f"chain_{size}")
        def chain() -> None:
            value = source()
            for i in range(1, size):
                value = add_one.alias(f"add_one_{i}")(value)

        return chain

    @api.solid
    def branch(context, x: int) -> int:
        return x + int(context.solid.name.rsplit("_", 1)[1])

    @api.solid
    def gather(_context, values: list) -> int:
        return sum(values)

    @api.pipeline(name=f"fanout_{size}")
    def fanout() -> None:
        start = source()
        gather([branch.alias(f"branch_{i}")(start) for i in range(size)])

    return fanout


def run(api: ModuleType, pipeline: Any) -> Any:
    """One run with the console logger quiet: with the default (ephemeral, in-memory) instance, or
    for a "pchain" on its persistent instance with `intermediate_storage: {filesystem: {}}`."""
    if isinstance(pipeline, PersistentWorkload):
        result = api.execute_pipeline(
            pipeline.definition, run_config=PERSISTENT_RUN_CONFIG, instance=pipeline.instance
        )
        return PersistentOutcome(result, pipeline.home)
    return api.execute_pipeline(pipeline, run_config=QUIET_RUN_CONFIG)


def result_of(result: Any, kind: str, size: int) -> object:
    """The last solid's output, or None when the run failed."""
    if isinstance(result, PersistentOutcome):
        result = result.result
    if not result.success:
        return None
    if kind == "fanout":
        return result.output_for_solid("gather")
    return result.output_for_solid(f"add_one_{size - 1}" if size > 1 else "source")
