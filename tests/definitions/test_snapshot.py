"""The pipeline snapshot stored with every run: structure as JSON-able data."""

from __future__ import annotations

import json

from notebook_pipelines import (
    DagsterInstance,
    composite_solid,
    execute_pipeline,
    lambda_solid,
    pipeline,
)
from notebook_pipelines.definitions.snapshot import pipeline_snapshot


@lambda_solid
def one() -> int:
    return 1


@lambda_solid
def add(a: int, b: int) -> int:
    return a + b


@composite_solid
def twice(x: int) -> int:
    return add(x, x)


@pipeline(tags={"team": "data"})
def snap():
    v = one()
    add.alias("sum")(v, twice(v))


def test_snapshot_lists_solids_types_and_sources_including_composites() -> None:
    snapshot = pipeline_snapshot(snap)
    json.dumps(snapshot)  # JSON-able
    assert snapshot["name"] == "snap" and snapshot["tags"] == {"team": "data"}
    by_name = {s["name"]: s for s in snapshot["solids"]}
    assert by_name["sum"]["definition"] == "add"
    assert by_name["sum"]["inputs"] == [
        {"name": "a", "type": "Int", "sources": [["one", "result"]]},
        {"name": "b", "type": "Int", "sources": [["twice", "result"]]},
    ]
    assert [s["name"] for s in by_name["twice"]["solids"]] == ["add"]
    assert by_name["one"]["outputs"] == [{"name": "result", "type": "Int", "is_required": True}]


def test_every_run_records_the_snapshot_and_the_plan() -> None:
    instance = DagsterInstance.ephemeral()
    result = execute_pipeline(snap, instance=instance)
    run = instance.get_run_by_id(result.run_id)
    assert run is not None
    assert run.pipeline_snapshot == pipeline_snapshot(snap)
    assert run.execution_plan_snapshot["step_deps"]["sum.compute"] == [
        "one.compute",
        "twice.add.compute",
    ]
