"""Re-execution: full and with step_selection, outputs copied from the parent (CP_OBJECT), chains of
runs, parent/root run ids, and the clear errors when the parent's outputs cannot be reused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from notebook_pipelines import (
    DagsterInvalidSubsetError,
    DagsterInvariantViolationError,
    DagsterRunNotFoundError,
    DagsterStepOutputNotFoundError,
    InputDefinition,
    Int,
    Output,
    OutputDefinition,
    execute_pipeline,
    pipeline,
    reexecute_pipeline,
    reexecute_pipeline_iterator,
    solid,
)
from notebook_pipelines.events import DagsterEvent
from notebook_pipelines.execution.results import PipelineExecutionResult
from notebook_pipelines.storage.instance import DagsterInstance
from notebook_pipelines.storage.runs import PipelineRunStatus

FS = {"intermediate_storage": {"filesystem": {}}}
BROKEN: set[str] = set()
CALLS: list[str] = []


@pytest.fixture(autouse=True)
def _reset() -> None:
    BROKEN.clear()
    CALLS.clear()


@pytest.fixture
def instance(tmp_path: Path) -> DagsterInstance:
    return DagsterInstance.ephemeral(tempdir=str(tmp_path))


def _maybe_break(name: str) -> None:
    CALLS.append(name)
    if name in BROKEN:
        raise ValueError(f"{name} is broken")


@solid(output_defs=[OutputDefinition(Int)])
def a(_: Any) -> int:
    _maybe_break("a")
    return 1


@solid(input_defs=[InputDefinition("x", Int)], output_defs=[OutputDefinition(Int)])
def b(_: Any, x: int) -> int:
    _maybe_break("b")
    return x + 1


@solid(input_defs=[InputDefinition("x", Int)], output_defs=[OutputDefinition(Int)])
def c(_: Any, x: int) -> int:
    _maybe_break("c")
    return x * 10


@solid(input_defs=[InputDefinition("x", Int)], output_defs=[OutputDefinition(Int)])
def d(_: Any, x: int) -> int:
    _maybe_break("d")
    return x + 5


@pipeline
def chain() -> None:
    d(c(b(a())))


def copies(result: PipelineExecutionResult) -> list[tuple[str | None, str]]:
    return [
        (e.step_key, e.event_specific_data.op.value)
        for e in result.event_list
        if e.event_type_value == "OBJECT_STORE_OPERATION"
        and e.event_specific_data.op.value == "CP_OBJECT"
    ]


def started(events: list[DagsterEvent]) -> list[str | None]:
    return [e.solid_handle for e in events if e.event_type_value == "STEP_START"]


def test_full_reexecution(instance: DagsterInstance) -> None:
    BROKEN.add("c")
    first = execute_pipeline(chain, FS, instance=instance, raise_on_error=False)
    assert not first.success
    BROKEN.clear()
    CALLS.clear()
    second = reexecute_pipeline(chain, first.run_id, FS, instance=instance)
    assert second.success
    assert CALLS == ["a", "b", "c", "d"]
    assert second.output_for_solid("d") == 25
    assert copies(second) == []
    run = instance.get_run_by_id(second.run_id)
    assert run is not None
    assert run.parent_run_id == first.run_id
    assert run.root_run_id == first.run_id
    assert run.tags["dagster/parent_run_id"] == first.run_id
    assert run.tags["dagster/root_run_id"] == first.run_id
    assert run.step_keys_to_execute is None
    assert run.status == PipelineRunStatus.SUCCESS


def test_full_reexecution_with_in_memory_storage(instance: DagsterInstance) -> None:
    first = execute_pipeline(chain, instance=instance)
    second = reexecute_pipeline(chain, first.run_id, instance=instance)
    assert second.success and second.output_for_solid("d") == 25


def test_step_selection_copies_what_it_needs(instance: DagsterInstance) -> None:
    BROKEN.add("c")
    first = execute_pipeline(chain, FS, instance=instance, raise_on_error=False)
    BROKEN.clear()
    CALLS.clear()
    second = reexecute_pipeline(
        chain, first.run_id, FS, step_selection=["c.compute*"], instance=instance
    )
    assert second.success
    assert CALLS == ["c", "d"]
    assert started(second.event_list) == ["c", "d"]
    assert copies(second) == [("b.compute", "CP_OBJECT")]
    copy = next(e for e in second.event_list if e.step_key == "b.compute")
    address = Path(copy.event_specific_data.address)
    assert address.is_file()
    assert second.run_id in str(address)
    assert copy.event_specific_data.step_output_handle.step_key == "b.compute"
    assert second.output_for_solid("c") == 20
    assert second.output_for_solid("d") == 25
    # solids that did not run in this run: "a" has no events (skipped, as the reference says
    # of a solid with none); "b" outside the selection has the copy of its output: not skipped
    assert second.result_for_solid("a").skipped
    assert not second.result_for_solid("b").skipped
    assert not second.result_for_solid("b").success
    assert second.result_for_solid("b").output_value() is None
    run = instance.get_run_by_id(second.run_id)
    assert run is not None
    assert run.step_keys_to_execute == ("c.compute", "d.compute")
    assert run.parent_run_id == run.root_run_id == first.run_id
    stored = [r.dagster_event for r in instance.all_logs(second.run_id) if r.dagster_event]
    assert stored == second.event_list


def test_step_keys_to_execute_is_an_alias(instance: DagsterInstance) -> None:
    first = execute_pipeline(chain, FS, instance=instance)
    CALLS.clear()
    second = reexecute_pipeline(
        chain, first.run_id, FS, step_keys_to_execute=["d.compute"], instance=instance
    )
    assert CALLS == ["d"]
    assert second.output_for_solid("d") == 25


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (["*b.compute"], ["a", "b"]),
        (["b.compute+"], ["b", "c"]),
        (["+d.compute"], ["c", "d"]),
        (["a.compute", "d.compute"], ["a", "d"]),
    ],
)
def test_step_selection_grammar(
    instance: DagsterInstance, selection: list[str], expected: list[str]
) -> None:
    first = execute_pipeline(chain, FS, instance=instance)
    CALLS.clear()
    second = reexecute_pipeline(
        chain, first.run_id, FS, step_selection=selection, instance=instance
    )
    assert second.success
    assert expected == CALLS


def test_unknown_step_in_selection(instance: DagsterInstance) -> None:
    first = execute_pipeline(chain, FS, instance=instance)
    with pytest.raises(DagsterInvalidSubsetError, match=r'"zz\.compute"'):
        reexecute_pipeline(
            chain, first.run_id, FS, step_selection=["zz.compute"], instance=instance
        )


def test_chain_of_reexecutions(instance: DagsterInstance) -> None:
    first = execute_pipeline(chain, FS, instance=instance)
    second = reexecute_pipeline(
        chain, first.run_id, FS, step_selection=["c.compute"], instance=instance
    )
    assert copies(second) == [("b.compute", "CP_OBJECT")]
    assert second.output_for_solid("c") == 20
    CALLS.clear()
    # run3 runs only d: it needs c's output, which run2 wrote
    third = reexecute_pipeline(
        chain, second.run_id, FS, step_selection=["d.compute"], instance=instance
    )
    assert CALLS == ["d"]
    assert copies(third) == [("c.compute", "CP_OBJECT")]
    assert third.output_for_solid("d") == 25
    # run4 from run2 needs b's output, which run2 only had as a copy (CP_OBJECT counts)
    CALLS.clear()
    fourth = reexecute_pipeline(
        chain, second.run_id, FS, step_selection=["c.compute"], instance=instance
    )
    assert CALLS == ["c"]
    assert copies(fourth) == [("b.compute", "CP_OBJECT")]
    runs = {r.run_id: r for r in instance.get_runs()}
    assert runs[third.run_id].parent_run_id == second.run_id
    assert runs[third.run_id].root_run_id == first.run_id
    assert runs[third.run_id].tags["dagster/root_run_id"] == first.run_id
    assert runs[third.run_id].tags["dagster/parent_run_id"] == second.run_id
    assert runs[fourth.run_id].parent_run_id == second.run_id
    assert runs[fourth.run_id].root_run_id == first.run_id


def test_outputs_of_failed_parent_steps_are_never_reused(instance: DagsterInstance) -> None:
    BROKEN.add("c")
    first = execute_pipeline(chain, FS, instance=instance, raise_on_error=False)
    with pytest.raises(DagsterStepOutputNotFoundError) as info:  # as the reference
        reexecute_pipeline(chain, first.run_id, FS, step_selection=["d.compute"], instance=instance)
    assert (info.value.step_key, info.value.output_name) == ("c.compute", "result")
    message = str(info.value)
    assert 'Step output "result" of step "c.compute" is needed' in message
    assert f"parent run {first.run_id} did not store it" in message
    assert "Include that step in the step selection" in message


@solid(output_defs=[OutputDefinition(Int, "early"), OutputDefinition(Int, "late")])
def half_done(_: Any) -> Iterator[Output]:
    yield Output(1, "early")
    _maybe_break("half_done")
    yield Output(2, "late")


@pipeline
def partial() -> None:
    early, late = half_done()
    b.alias("uses_early")(early)
    b.alias("uses_late")(late)


def test_output_written_by_a_step_that_then_failed_is_not_reused(instance: DagsterInstance) -> None:
    BROKEN.add("half_done")
    first = execute_pipeline(partial, FS, instance=instance, raise_on_error=False)
    # "early" was stored before the step failed
    ops = [
        e.event_specific_data.op.value
        for e in first.events_by_step_key["half_done.compute"]
        if e.event_type_value == "OBJECT_STORE_OPERATION"
    ]
    assert ops == ["SET_OBJECT"]
    # downstream of a failed step is skipped, even for an output it did produce
    assert first.result_for_solid("uses_early").skipped
    BROKEN.clear()
    with pytest.raises(
        DagsterStepOutputNotFoundError, match=r'Step output "early" of step "half_done\.compute"'
    ):
        reexecute_pipeline(
            partial, first.run_id, FS, step_selection=["uses_early.compute"], instance=instance
        )


def test_failed_reexecution_is_recorded(instance: DagsterInstance) -> None:
    BROKEN.add("c")
    first = execute_pipeline(chain, FS, instance=instance, raise_on_error=False)
    result = reexecute_pipeline(
        chain,
        first.run_id,
        FS,
        step_selection=["d.compute"],
        instance=instance,
        raise_on_error=False,
    )
    assert not result.success
    kinds = [e.event_type_value for e in result.event_list]
    assert kinds == ["PIPELINE_INIT_FAILURE"]
    run = instance.get_run_by_id(result.run_id)
    assert run is not None and run.status == PipelineRunStatus.FAILURE


def test_in_memory_storage_with_a_step_subset_is_a_clear_error(instance: DagsterInstance) -> None:
    first = execute_pipeline(chain, instance=instance)
    with pytest.raises(
        DagsterInvariantViolationError, match="non-persistent intermediates"
    ) as info:
        reexecute_pipeline(chain, first.run_id, step_selection=["d.compute"], instance=instance)
    assert "{'intermediate_storage': {'filesystem': {}}}" in str(info.value)


def test_reexecution_needs_the_instance() -> None:
    first = execute_pipeline(chain, FS)
    with pytest.raises(
        DagsterInvariantViolationError, match="needs the instance that holds the parent run"
    ):
        reexecute_pipeline(chain, first.run_id, FS)


def test_unknown_parent_run(instance: DagsterInstance) -> None:
    with pytest.raises(DagsterRunNotFoundError, match="No parent run with id nope") as info:
        reexecute_pipeline(chain, "nope", FS, instance=instance)
    assert info.value.invalid_run_id == "nope"


def test_reexecution_inherits_the_solid_selection(instance: DagsterInstance) -> None:
    first = execute_pipeline(chain, FS, solid_selection=["a", "b"], instance=instance)
    CALLS.clear()
    second = reexecute_pipeline(chain, first.run_id, FS, instance=instance)
    assert CALLS == ["a", "b"]
    assert [r.handle for r in second.solid_result_list] == ["a", "b"]
    run = instance.get_run_by_id(second.run_id)
    assert run is not None and run.solid_selection == ("a", "b")


def test_reexecute_pipeline_iterator(instance: DagsterInstance) -> None:
    first = execute_pipeline(chain, FS, instance=instance)
    events = list(
        reexecute_pipeline_iterator(
            chain, first.run_id, FS, step_selection=["d.compute"], instance=instance
        )
    )
    assert started(events) == ["d"]
    copy_events = [
        e
        for e in events
        if e.event_type_value == "OBJECT_STORE_OPERATION" and e.step_key == "c.compute"
    ]
    assert [e.event_specific_data.op.value for e in copy_events] == ["CP_OBJECT"]
    assert events[-1].event_type_value == "PIPELINE_SUCCESS"


# --- order ---------------------------------------------------------------------------------------------


@pipeline
def wide() -> None:
    a.alias("zz")()
    a.alias("aa")()
    b.alias("mm")(a.alias("bb")())


def test_a_reexecution_runs_in_the_order_of_its_selection(instance: DagsterInstance) -> None:
    first = execute_pipeline(wide, FS, instance=instance)
    assert started(first.event_list) == ["aa", "bb", "zz", "mm"]  # by level, then by key
    second = reexecute_pipeline(
        wide,
        first.run_id,
        FS,
        step_selection=["zz.compute", "mm.compute", "aa.compute"],
        instance=instance,
    )
    assert started(second.event_list) == ["zz", "mm", "aa"]
    run = instance.get_run_by_id(second.run_id)
    assert run is not None and run.step_keys_to_execute == (
        "zz.compute",
        "mm.compute",
        "aa.compute",
    )
    # bb, outside the selection, has the copy of its output for mm: not skipped (as the
    # reference); the result is of the pipeline it ran
    assert not second.result_for_solid("bb").skipped
    assert second.pipeline_def is wide
