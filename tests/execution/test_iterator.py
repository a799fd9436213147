"""execute_pipeline_iterator: events come out as they happen, and stopping early is clean."""

from __future__ import annotations

from typing import Any

import pytest

from notebook_pipelines import (
    InputDefinition,
    Int,
    ModeDefinition,
    execute_pipeline,
    execute_pipeline_iterator,
    pipeline,
    resource,
    solid,
)
from notebook_pipelines.events import DagsterEvent
from notebook_pipelines.storage.instance import DagsterInstance
from notebook_pipelines.storage.runs import PipelineRunStatus

# what the consumer has seen so far, and what each solid saw of it when it ran
SEEN: list[DagsterEvent] = []
OBSERVED: dict[str, int] = {}
RAN: list[str] = []


@solid
def first(context: Any) -> int:
    OBSERVED[context.solid_handle] = len(SEEN)
    RAN.append(context.solid_handle)
    return 1


@solid(input_defs=[InputDefinition("x", Int)])
def second(context: Any, x: int) -> int:
    OBSERVED[context.solid_handle] = len(SEEN)
    RAN.append(context.solid_handle)
    return x + 1


@pipeline
def observed_pipeline() -> None:
    second.alias("third")(second(first()))


@pytest.fixture(autouse=True)
def _reset() -> None:
    SEEN.clear()
    OBSERVED.clear()
    RAN.clear()


def test_events_are_yielded_as_they_happen() -> None:
    for event in execute_pipeline_iterator(observed_pipeline):
        SEEN.append(event)
    kinds = [(e.event_type_value, e.solid_handle) for e in SEEN]
    # each solid ran right after the consumer received its last event before the compute
    # (STEP_START for a solid without inputs, its last STEP_INPUT otherwise)
    assert OBSERVED["first"] == kinds.index(("STEP_START", "first")) + 1
    assert OBSERVED["second"] == kinds.index(("STEP_INPUT", "second")) + 1
    assert OBSERVED["third"] == kinds.index(("STEP_INPUT", "third")) + 1
    assert OBSERVED["first"] < OBSERVED["second"] < OBSERVED["third"]
    assert kinds[-1][0] == "PIPELINE_SUCCESS"


def test_nothing_runs_before_the_first_event_is_asked_for() -> None:
    instance = DagsterInstance.ephemeral()
    iterator = execute_pipeline_iterator(observed_pipeline, instance=instance)
    (run,) = instance.get_runs()
    assert run.status == PipelineRunStatus.NOT_STARTED
    assert instance.all_logs(run.run_id) == []
    assert RAN == []
    first_event = next(iterator)
    assert first_event.event_type_value == "PIPELINE_START"
    assert RAN == []
    rest = list(iterator)
    assert RAN == ["first", "second", "third"]
    stored = [r.dagster_event for r in instance.all_logs(run.run_id) if r.dagster_event]
    assert stored == [first_event, *rest]
    finished = instance.get_run_by_id(run.run_id)
    assert finished is not None and finished.status == PipelineRunStatus.SUCCESS


def test_closing_early_keeps_the_events_so_far() -> None:
    instance = DagsterInstance.ephemeral()
    iterator = execute_pipeline_iterator(observed_pipeline, instance=instance)
    seen = []
    for event in iterator:
        seen.append(event)
        if event.event_type_value == "STEP_SUCCESS" and event.solid_handle == "first":
            break
    iterator.close()  # type: ignore[attr-defined]
    assert RAN == ["first"]
    (run,) = instance.get_runs()
    stored = [r.dagster_event for r in instance.all_logs(run.run_id) if r.dagster_event]
    assert stored[: len(seen)] == seen
    # the run is recorded as stopped: a PIPELINE_FAILURE is stored (but not yielded)
    assert [e.event_type_value for e in stored[len(seen) :]] == ["PIPELINE_FAILURE"]
    assert "stopped before it finished" in (stored[-1].message or "")
    finished = instance.get_run_by_id(run.run_id)
    assert finished is not None and finished.status == PipelineRunStatus.FAILURE
    # the instance still works for the next run
    again = execute_pipeline(observed_pipeline, instance=instance)
    assert again.success and again.output_for_solid("third") == 3


TORN_DOWN: list[str] = []


@resource
def tracked(_: Any) -> Any:
    yield "value"
    TORN_DOWN.append("tracked")


@solid(required_resource_keys={"tracked"})
def uses_tracked(context: Any) -> str:
    return context.resources.tracked


@pipeline(mode_defs=[ModeDefinition(resource_defs={"tracked": tracked})])
def resource_iter_pipeline() -> None:
    uses_tracked.alias("two")()
    uses_tracked.alias("one")()


def test_closing_early_still_tears_resources_down() -> None:
    TORN_DOWN.clear()
    instance = DagsterInstance.ephemeral()
    iterator = execute_pipeline_iterator(resource_iter_pipeline, instance=instance)
    for event in iterator:
        if event.event_type_value == "STEP_START":
            break
    iterator.close()  # type: ignore[attr-defined]
    assert TORN_DOWN == ["tracked"]
    (run,) = instance.get_runs()
    messages = [r.user_message for r in instance.all_logs(run.run_id)]
    assert any("Finished teardown of resources [tracked]" in m for m in messages)


def test_abandoned_iterator_is_harmless() -> None:
    instance = DagsterInstance.ephemeral()
    iterator = execute_pipeline_iterator(observed_pipeline, instance=instance)
    next(iterator)
    next(iterator)
    del iterator  # garbage-collected mid-run: no error, no warning (-W error would show one)
    (run,) = instance.get_runs()
    assert run.status == PipelineRunStatus.FAILURE
