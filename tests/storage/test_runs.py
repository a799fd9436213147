"""PipelineRun, RunsFilter and RunRecord on their own."""

from __future__ import annotations

import pytest

from notebook_pipelines.errors import DagsterInvariantViolationError
from notebook_pipelines.serdes import deserialize, serialize
from notebook_pipelines.storage.runs import (
    PipelineRun,
    PipelineRunsFilter,
    PipelineRunStatus,
    RunRecord,
    RunsFilter,
    make_new_run_id,
    status_for_event_type,
)


def test_defaults_and_normalisation() -> None:
    run = PipelineRun(
        "pipe",
        solid_selection=["a", "b"],  # type: ignore[arg-type]
        solids_to_execute={"a"},  # type: ignore[arg-type]
        step_keys_to_execute=["a.compute"],  # type: ignore[arg-type]
        status="STARTED",  # type: ignore[arg-type]
    )
    assert len(run.run_id) == 36  # a UUID
    assert run.run_config == {} and run.tags == {} and run.mode is None
    assert run.solid_selection == ("a", "b")
    assert run.solids_to_execute == frozenset({"a"})
    assert run.step_keys_to_execute == ("a.compute",)
    assert run.status is PipelineRunStatus.STARTED
    assert run.root_run_id is None and run.previous_run_id is None
    assert run.execution_plan_snapshot is None and run.pipeline_snapshot is None
    assert PipelineRun("pipe").run_id != PipelineRun("pipe").run_id
    assert make_new_run_id() != make_new_run_id()


def test_bad_names_are_refused() -> None:
    with pytest.raises(DagsterInvariantViolationError, match="pipeline_name"):
        PipelineRun("")
    with pytest.raises(DagsterInvariantViolationError, match="run_id"):
        PipelineRun("pipe", run_id="")
    with pytest.raises(ValueError):
        PipelineRun("pipe", status="RUNNING")  # type: ignore[arg-type]


def test_with_status_and_properties() -> None:
    run = PipelineRun("pipe", run_id="r1", parent_run_id="r0", root_run_id="r0")
    assert not run.is_finished
    success = run.with_status(PipelineRunStatus.SUCCESS)
    assert success.is_success and success.is_finished and not success.is_failure
    assert run.status is PipelineRunStatus.NOT_STARTED  # the original is unchanged
    failure = run.with_status("FAILURE")
    assert failure.is_failure and failure.is_finished
    canceled = run.with_status(PipelineRunStatus.CANCELED)
    assert canceled.is_canceled and canceled.is_finished
    assert run.previous_run_id == "r0"
    assert run.with_tags({"a": "1"}).tags == {"a": "1"}
    with pytest.raises(AttributeError):
        run.status = PipelineRunStatus.STARTED  # type: ignore[misc]


def test_runs_hash_by_id_and_compare_by_fields() -> None:
    run = PipelineRun("pipe", run_id="r1", tags={"a": "1"})
    assert {run: 1}[PipelineRun("pipe", run_id="r1", tags={"a": "1"})] == 1
    assert run != run.with_status(PipelineRunStatus.STARTED)


def test_serialises_round_trip() -> None:
    run = PipelineRun(
        "pipe",
        run_id="r1",
        run_config={"solids": {"a": {"config": [1, 2]}}},
        mode="default",
        solid_selection=("a*",),
        solids_to_execute=frozenset({"a", "b"}),
        step_keys_to_execute=("a.compute",),
        status=PipelineRunStatus.FAILURE,
        tags={"k": "v"},
        root_run_id="r0",
        parent_run_id="r0",
    )
    assert deserialize(serialize(run)) == run


def test_runs_filter() -> None:
    run = PipelineRun("pipe", run_id="r1", tags={"a": "1", "b": "2"})
    assert RunsFilter().matches(run)
    assert RunsFilter(run_ids="r1").matches(run)  # a single id is one id, not characters
    assert RunsFilter(run_ids=["r1"], pipeline_name="pipe", statuses="NOT_STARTED").matches(run)
    assert not RunsFilter(statuses=[PipelineRunStatus.SUCCESS]).matches(run)
    assert RunsFilter(tags={"a": "1"}).matches(run)
    assert not RunsFilter(tags={"a": "2"}).matches(run)
    assert PipelineRunsFilter is RunsFilter
    with pytest.raises(ValueError):
        RunsFilter(statuses=["NOPE"])
    with pytest.raises(DagsterInvariantViolationError, match="run_ids"):
        RunsFilter(run_ids=[1])  # type: ignore[list-item]


def test_run_record_duration_and_status_map() -> None:
    run = PipelineRun("pipe", run_id="r1")
    assert RunRecord(run, 1.0, 1.0).duration is None
    assert RunRecord(run, 1.0, 4.0, start_time=2.0, end_time=4.0).duration == 2.0
    assert status_for_event_type("PIPELINE_START") is PipelineRunStatus.STARTED
    assert status_for_event_type("PIPELINE_INIT_FAILURE") is PipelineRunStatus.FAILURE
    assert status_for_event_type("STEP_START") is None
