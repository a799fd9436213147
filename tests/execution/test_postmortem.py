"""Post-mortem of a failed step: ``load_step_inputs`` (from a run's filesystem intermediates, with
fan-in, config and default inputs) and ``debug_step`` / ``result.debug_step`` (the compute run again
here with the run's inputs and config, stopping where it raises), and their errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from notebook_pipelines import (
    DagsterInstance,
    DagsterInvariantViolationError,
    DagsterRunNotFoundError,
    Field,
    InputDefinition,
    Int,
    List,
    execute_pipeline,
    load_step_inputs,
    pipeline,
    solid,
)
from notebook_pipelines.execution import debug_io, postmortem
from tests.execution.test_debugger import Scripted

FS = {"intermediate_storage": {"filesystem": {}}}


@solid
def numbers(_context):
    return [1, 2, 3]


@solid
def ten(_context):
    return 10


@solid(
    input_defs=[
        InputDefinition("xs", List[Int]),
        InputDefinition("extra", Int),
        InputDefinition("scale", Int, default_value=2),
    ],
    config_schema={"k": Field(Int, default_value=1)},
)
def boom(context, xs, extra, scale):
    k = context.solid_config["k"]
    total = (sum(xs) + extra) * k * scale
    if total > 0:
        raise ValueError(f"total was {total}")
    return total


@solid(input_defs=[InputDefinition("parts", List[Int])])
def gather(_context, parts):
    return sum(parts)


@pipeline
def exploding():
    boom(numbers(), ten())
    gather([ten.alias("a")(), ten.alias("b")()])


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    prompter = Scripted([])
    debug_io.set_prompter(prompter)
    yield prompter
    debug_io.set_prompter(None)


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with DagsterInstance.local_temp() as temp:
        yield temp


def _failed_run(instance: DagsterInstance, k: int = 3) -> str:
    config = {**FS, "solids": {"boom": {"config": {"k": k}}}}
    result = execute_pipeline(exploding, run_config=config, instance=instance, raise_on_error=False)
    assert not result.success
    return result.run_id


def test_load_step_inputs_reads_the_runs_stored_inputs(instance: DagsterInstance) -> None:
    run_id = _failed_run(instance)
    inputs = load_step_inputs(run_id, "boom.compute", instance, exploding)
    assert inputs == {"xs": [1, 2, 3], "extra": 10, "scale": 2}
    assert load_step_inputs(run_id, "gather.compute", instance, exploding) == {"parts": [10, 10]}


def test_load_step_inputs_with_a_config_input(instance: DagsterInstance) -> None:
    config = {
        **FS,
        "solids": {"boom": {"inputs": {"scale": 4}}},
    }
    result = execute_pipeline(exploding, run_config=config, instance=instance, raise_on_error=False)
    inputs = load_step_inputs(result.run_id, "boom.compute", instance, exploding)
    assert inputs == {"xs": [1, 2, 3], "extra": 10, "scale": 4}


def test_load_step_inputs_errors(instance: DagsterInstance) -> None:
    with pytest.raises(DagsterRunNotFoundError, match='No run "nope"'):
        load_step_inputs("nope", "boom.compute", instance, exploding)
    run_id = _failed_run(instance)
    with pytest.raises(DagsterInvariantViolationError, match=r"pass it \(pipeline=\.\.\.\)"):
        load_step_inputs(run_id, "boom.compute", instance)
    postmortem.set_pipeline_finder(lambda name: exploding if name == "exploding" else None)
    try:
        assert load_step_inputs(run_id, "boom.compute", instance)["extra"] == 10
    finally:
        postmortem.set_pipeline_finder(None)
    in_memory = execute_pipeline(exploding, instance=instance, raise_on_error=False)
    with pytest.raises(DagsterInvariantViolationError, match="kept its outputs in memory"):
        load_step_inputs(in_memory.run_id, "boom.compute", instance, exploding)


def test_load_step_inputs_of_a_deleted_intermediate_says_where_it_looked(
    instance: DagsterInstance,
) -> None:
    run_id = _failed_run(instance)
    stored = [
        path
        for path in Path(instance.root_directory).rglob("result")
        if path.parent.name == "ten.compute" and run_id in path.parts
    ]
    assert len(stored) == 1
    stored[0].unlink()
    with pytest.raises(DagsterInvariantViolationError) as info:
        load_step_inputs(run_id, "boom.compute", instance, exploding)
    message = str(info.value)
    assert 'output "result" of step "ten.compute"' in message
    assert "the stored value was deleted" in message
    assert str(stored[0]) in message


def test_debug_step_stops_where_the_step_raises(
    instance: DagsterInstance, scripted: Scripted
) -> None:
    run_id = _failed_run(instance, k=3)
    stored = len(instance.all_logs(run_id))
    scripted.lines = ["p total", "p k, scale", "w", "q"]
    error = postmortem.debug_step(run_id, "boom.compute", instance, exploding)
    assert len(instance.all_logs(run_id)) == stored  # the re-run wrote nothing to the run
    assert isinstance(error, ValueError) and str(error) == "total was 96"
    text = scripted.text
    assert '-> raise ValueError(f"total was {total}")' in text
    assert "\n96\n" in text and "(3, 2)" in text
    assert "notebook_pipelines" not in text  # the stack shown starts in the solid
    assert scripted.prompts == ["[boom.compute] (Pdb) "] * 4


def test_result_debug_step_works_for_in_memory_runs(scripted: Scripted) -> None:
    result = execute_pipeline(
        exploding, run_config={"solids": {"boom": {"config": {"k": 5}}}}, raise_on_error=False
    )
    scripted.lines = ["p total", "c"]
    error = result.debug_step("boom.compute")
    assert isinstance(error, ValueError)
    assert "\n160\n" in scripted.text


def test_debug_step_of_a_step_that_succeeds_now(
    instance: DagsterInstance, scripted: Scripted
) -> None:
    result = execute_pipeline(exploding, run_config=FS, instance=instance, raise_on_error=False)
    assert postmortem.debug_step(result.run_id, "gather.compute", instance, exploding) is None
    assert 'Step "gather.compute" of run' in scripted.text
    assert "did not fail when run again here" in scripted.text
    assert scripted.prompts == []


def test_debug_step_fails_fast_when_no_one_can_answer(instance: DagsterInstance) -> None:
    debug_io.set_prompter(Scripted([], why="stdin is not a terminal"))
    try:
        run_id = _failed_run(instance)
        with pytest.raises(Exception, match="no one can answer the debugger"):
            postmortem.debug_step(run_id, "boom.compute", instance, exploding)
    finally:
        debug_io.set_prompter(None)
