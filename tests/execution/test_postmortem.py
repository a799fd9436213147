"""Post-mortem of a failed step: ``load_step_inputs`` (from a run's filesystem intermediates, with
fan-in, config and default inputs; also with no definition in the process, from what the run
stored) and ``debug_step`` / ``result.debug_step`` (the compute run again
here with the run's inputs and config, stopping where it raises), and their errors."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from notebook_pipelines import (
    DagsterExecutionStepNotFoundError,
    DagsterInstance,
    DagsterInvariantViolationError,
    DagsterRunNotFoundError,
    Field,
    InputDefinition,
    Int,
    List,
    OutputDefinition,
    execute_pipeline,
    load_step_inputs,
    pipeline,
    solid,
)
from notebook_pipelines.execution import debug_io, postmortem
from tests.execution.test_debugger import Scripted
from tests.storage.test_intermediates import JSON_TYPE

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


@pipeline
def other():
    ten()


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
    with pytest.raises(DagsterInvariantViolationError, match='not of the given pipeline "other"'):
        load_step_inputs(run_id, "boom.compute", instance, other)
    postmortem.set_pipeline_finder(lambda name, used: exploding if name == "exploding" else None)
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


# --- with no definition in this process: from what the run stored ------------------------------


@solid(output_defs=[OutputDefinition(JSON_TYPE)])
def as_json(_context):
    return {"a": 1}


@solid(
    input_defs=[InputDefinition("thing", JSON_TYPE), InputDefinition("when", default_value=(1, 2))]
)
def takes(_context, thing, when):
    raise ValueError("no")


@pipeline
def strategies():
    takes(as_json())


def _stored(instance: DagsterInstance, run_id: str) -> dict[str, Any]:
    run = instance.get_run_by_id(run_id)
    assert run is not None
    return dict(run.execution_plan_snapshot)


def test_the_run_stores_where_each_input_comes_from(instance: DagsterInstance) -> None:
    run_id = _failed_run(instance)
    snapshot = _stored(instance, run_id)
    assert snapshot["step_inputs"] == {
        "boom.compute": {
            "xs": {"from": [["numbers.compute", "result"]]},
            "extra": {"from": [["ten.compute", "result"]]},
            "scale": {"default": 2},
        },
        "gather.compute": {
            "parts": {"from": [["a.compute", "result"], ["b.compute", "result"]], "fan_in": True}
        },
    }
    assert snapshot["intermediate_storage"] == {"kind": "filesystem", "base_dir": None}
    assert json.loads(json.dumps(snapshot)) == snapshot


def test_load_step_inputs_without_the_definition(instance: DagsterInstance) -> None:
    run_id = _failed_run(instance)  # no pipeline given, no finder: what the run stored
    assert load_step_inputs(run_id, "boom.compute", instance) == {
        "xs": [1, 2, 3],
        "extra": 10,
        "scale": 2,
    }
    assert load_step_inputs(run_id, "gather.compute", instance) == {"parts": [10, 10]}
    assert load_step_inputs(run_id, "numbers.compute", instance) == {}
    with pytest.raises(DagsterExecutionStepNotFoundError, match=r'No step "nope\.compute"'):
        load_step_inputs(run_id, "nope.compute", instance)


def test_load_step_inputs_without_the_definition_from_a_base_dir(
    instance: DagsterInstance, tmp_path: Path
) -> None:
    config = {"intermediate_storage": {"filesystem": {"config": {"base_dir": str(tmp_path)}}}}
    result = execute_pipeline(exploding, run_config=config, instance=instance, raise_on_error=False)
    stored = _stored(instance, result.run_id)["intermediate_storage"]
    assert stored == {"kind": "filesystem", "base_dir": str(tmp_path)}
    assert (tmp_path / result.run_id / "intermediates" / "ten.compute" / "result").exists()
    inputs = load_step_inputs(result.run_id, "boom.compute", instance)
    assert inputs == {"xs": [1, 2, 3], "extra": 10, "scale": 2}


def test_load_step_inputs_in_a_fresh_process(instance: DagsterInstance) -> None:
    run_id = _failed_run(instance)
    script = (
        "import sys\n"
        "from notebook_pipelines import DagsterInstance, load_step_inputs\n"
        "instance = DagsterInstance.local_temp(sys.argv[1])\n"
        "print(load_step_inputs(sys.argv[2], 'boom.compute', instance))\n"
        "assert 'tests.execution.test_postmortem' not in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, instance.root_directory, run_id],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "{'xs': [1, 2, 3], 'extra': 10, 'scale': 2}"


def test_a_config_input_needs_the_definition(instance: DagsterInstance) -> None:
    config = {**FS, "solids": {"boom": {"inputs": {"scale": 4}}}}
    result = execute_pipeline(exploding, run_config=config, instance=instance, raise_on_error=False)
    with pytest.raises(DagsterInvariantViolationError) as info:
        load_step_inputs(result.run_id, "boom.compute", instance)
    message = str(info.value)
    assert 'inputs of step "boom.compute"' in message
    assert 'without the definition of pipeline "exploding"' in message
    assert 'input "scale" comes from the run config (root:solids:boom:inputs:scale)' in message
    assert "needs its type's loader" in message
    assert 'input "xs"' not in message
    assert "Run the cells that define its solids and the pipeline first" in message
    # the other steps need nothing of it
    assert load_step_inputs(result.run_id, "gather.compute", instance) == {"parts": [10, 10]}


def test_a_custom_serialization_strategy_and_a_non_json_default_need_the_definition(
    instance: DagsterInstance,
) -> None:
    result = execute_pipeline(strategies, run_config=FS, instance=instance, raise_on_error=False)
    entries = _stored(instance, result.run_id)["step_inputs"]["takes.compute"]
    assert entries == {
        "thing": {"from": [["as_json.compute", "result"]], "strategy": ["json", "JsonThing"]},
        "when": {"default_type": "tuple"},
    }
    with pytest.raises(DagsterInvariantViolationError) as info:
        load_step_inputs(result.run_id, "takes.compute", instance)
    message = str(info.value)
    assert (
        'input "thing" is output "result" of step "as_json.compute", stored with the '
        'serialization strategy "json" of type "JsonThing"'
    ) in message
    assert 'input "when" takes its default value, a tuple, which is kept in the definition' in (
        message
    )
    assert load_step_inputs(result.run_id, "takes.compute", instance, strategies) == {
        "thing": {"a": 1},
        "when": (1, 2),
    }


def test_an_in_memory_run_without_the_definition(instance: DagsterInstance) -> None:
    result = execute_pipeline(exploding, instance=instance, raise_on_error=False)
    assert _stored(instance, result.run_id)["intermediate_storage"] == {"kind": "in_memory"}
    with pytest.raises(DagsterInvariantViolationError) as info:
        load_step_inputs(result.run_id, "boom.compute", instance)
    message = str(info.value)
    assert f'Run "{result.run_id}" kept its values in memory' in message
    assert "they are gone once that process ends (after a kernel restart too)" in message
    assert load_step_inputs(result.run_id, "numbers.compute", instance) == {}


def test_an_older_run_without_the_stored_inputs(instance: DagsterInstance) -> None:
    run_id = _failed_run(instance)
    old = instance.create_run(
        "exploding",
        run_config=FS,
        execution_plan_snapshot={"step_deps": _stored(instance, run_id)["step_deps"]},
    )
    with pytest.raises(DagsterInvariantViolationError) as info:
        load_step_inputs(old.run_id, "boom.compute", instance)
    message = str(info.value)
    assert 'Cannot find the definition of pipeline "exploding" in this process' in message
    assert "Run the cells that define its solids and the pipeline first" in message


def _overwrite(instance: DagsterInstance, run_id: str, step_key: str, data: bytes) -> None:
    path = Path(instance.intermediates_directory(run_id)) / step_key / "result"
    assert path.exists()
    path.write_bytes(data)


def test_a_stored_value_of_a_missing_notebook_class_names_it(instance: DagsterInstance) -> None:
    run_id = _failed_run(instance)
    # a pickle referring to __main__.Point (a class of a notebook, pickled by reference)
    _overwrite(instance, run_id, "ten.compute", b"\x80\x04c__main__\nPoint\n)\x81.")
    with pytest.raises(DagsterInvariantViolationError) as info:
        load_step_inputs(run_id, "boom.compute", instance)
    assert 'output "result" of step "ten.compute" is a Point' in str(info.value)
    assert "run the cell defining Point first" in str(info.value)
    _overwrite(instance, run_id, "ten.compute", b"\x80\x04c__np_cell_0123abcd\nPoint\n)\x81.")
    with pytest.raises(DagsterInvariantViolationError) as info:
        load_step_inputs(run_id, "boom.compute", instance)
    assert 'refers to module "__np_cell_0123abcd"' in str(info.value)
    assert "the module of a %%solid cell: run that cell first" in str(info.value)


def test_debug_step_without_the_definition_says_load_step_inputs_works(
    instance: DagsterInstance,
) -> None:
    run_id = _failed_run(instance)
    with pytest.raises(DagsterInvariantViolationError) as info:
        postmortem.debug_step(run_id, "boom.compute", instance)
    message = str(info.value)
    assert message.startswith("debug_step needs the solid's code")
    assert "run the cells that define its solids and the pipeline" in message
    assert f'load_step_inputs("{run_id}", "boom.compute") works without them' in message
