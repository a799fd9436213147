"""All 19 event types, each emitted by a real run where the reference emits it, with its data; and
every event of those runs survives serialisation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from notebook_pipelines import (
    AssetMaterialization,
    DagsterEventType,
    DagsterResourceFunctionError,
    DagsterType,
    EventMetadataEntry,
    ExpectationResult,
    InputDefinition,
    Int,
    ModeDefinition,
    Output,
    OutputDefinition,
    RetryRequested,
    TypeCheck,
    execute_pipeline,
    failure_hook,
    pipeline,
    resource,
    solid,
    success_hook,
)
from notebook_pipelines.events import (
    DagsterEvent,
    EventRecord,
    StepInputData,
    StepOutputHandle,
    TypeCheckData,
)
from notebook_pipelines.execution.results import PipelineExecutionResult
from notebook_pipelines.serdes import deserialize, serialize
from notebook_pipelines.storage.instance import DagsterInstance
from notebook_pipelines.storage.runs import PipelineRunStatus

SEEN_TYPES: set[str] = set()
ALL_EVENTS: list[DagsterEvent] = []


def run(
    pipeline_def: Any, run_config: dict[str, Any] | None = None, **kwargs: Any
) -> PipelineExecutionResult:
    kwargs.setdefault("raise_on_error", False)
    result = execute_pipeline(pipeline_def, run_config, **kwargs)
    SEEN_TYPES.update(e.event_type_value for e in result.event_list)
    ALL_EVENTS.extend(result.event_list)
    return result


def of_type(
    result: PipelineExecutionResult, kind: str, step_key: str | None = None
) -> list[DagsterEvent]:
    return [
        e
        for e in result.event_list
        if e.event_type_value == kind and (step_key is None or e.step_key == step_key)
    ]


# --- pipeline start / success / failure, engine events ----------------------------------------------


@solid
def emit_one(_: Any) -> int:
    return 1


@solid(input_defs=[InputDefinition("x", Int)])
def plus_one(_: Any, x: int) -> int:
    return x + 1


@pipeline
def simple() -> None:
    plus_one(emit_one())


def test_pipeline_start_success_and_engine_events() -> None:
    result = run(simple)
    kinds = [e.event_type_value for e in result.event_list]
    assert kinds[0] == "PIPELINE_START"
    assert kinds[-1] == "PIPELINE_SUCCESS"
    assert result.event_list[0].message == 'Started execution of pipeline "simple".'
    engine = of_type(result, "ENGINE_EVENT")
    assert engine[0].message.startswith("Executing steps in process (pid: ")
    assert engine[0].event_specific_data.marker_start == "in_process"
    assert engine[-1].event_specific_data.marker_end == "in_process"
    assert all(e.step_key is None for e in engine)


@solid
def explodes(_: Any) -> None:
    raise KeyError("missing")


@pipeline
def exploding() -> None:
    explodes()


def test_pipeline_failure() -> None:
    result = run(exploding)
    (failure,) = of_type(result, "PIPELINE_FAILURE")
    assert result.event_list[-1] is failure
    assert failure.message.startswith('Execution of pipeline "exploding" failed')
    (step_failure,) = of_type(result, "STEP_FAILURE", "explodes.compute")
    assert step_failure.event_specific_data.error.cls_name == "KeyError"  # the user's own
    assert step_failure.solid_handle == "explodes"
    assert step_failure.step_kind_value == "COMPUTE"


# --- resources: init and teardown engine events, init failure -----------------------------------------


@resource(config_schema={"base": Int})
def base_number(init_context: Any) -> Iterator[int]:
    yield init_context.resource_config["base"]


@resource
def broken(_: Any) -> None:
    raise ConnectionError("database is down")


@solid(required_resource_keys={"base_number"})
def uses_base(context: Any) -> int:
    return context.resources.base_number * 2


@pipeline(mode_defs=[ModeDefinition(resource_defs={"base_number": base_number})])
def with_resource() -> None:
    uses_base()


@solid(required_resource_keys={"broken"})
def uses_broken(context: Any) -> None:
    raise AssertionError("never reached")


@pipeline(mode_defs=[ModeDefinition(resource_defs={"broken": broken})])
def with_broken_resource() -> None:
    uses_broken()


def test_resource_init_and_teardown_are_engine_events() -> None:
    result = run(with_resource, {"resources": {"base_number": {"config": {"base": 21}}}})
    assert result.output_for_solid("uses_base") == 42
    messages = [e.message for e in of_type(result, "ENGINE_EVENT")]
    assert messages[0] == "Starting initialization of resources [base_number]."
    assert messages[1] == "Finished initialization of resources [base_number]."
    assert messages[-2] == "Starting teardown of resources [base_number]."
    assert messages[-1] == "Finished teardown of resources [base_number]."
    init = of_type(result, "ENGINE_EVENT")[1]
    (entry,) = init.event_specific_data.metadata_entries
    assert entry.label == "base_number" and entry.entry_data.text.endswith("ms")
    kinds = [e.event_type_value for e in result.event_list]
    # initialization before the run starts, teardown after it ends (as the reference does)
    assert kinds.index("PIPELINE_START") == 2
    assert kinds[-3:] == ["PIPELINE_SUCCESS", "ENGINE_EVENT", "ENGINE_EVENT"]


def test_pipeline_init_failure_on_a_raising_resource() -> None:
    instance = DagsterInstance.ephemeral()
    result = run(with_broken_resource, instance=instance)
    assert not result.success
    kinds = [e.event_type_value for e in result.event_list]
    assert "PIPELINE_START" not in kinds
    assert kinds[-1] == "PIPELINE_INIT_FAILURE"
    assert not any(k.startswith("STEP_") for k in kinds)
    (failure,) = of_type(result, "PIPELINE_INIT_FAILURE")
    error = failure.event_specific_data.error
    assert error.cls_name == "DagsterResourceFunctionError"
    assert 'resource "broken"' in error.message
    assert "ConnectionError: database is down" in error.to_string()
    assert "database is down" in failure.message
    run_record = instance.get_run_by_id(result.run_id)
    assert run_record is not None and run_record.status == PipelineRunStatus.FAILURE
    stored = [r.dagster_event for r in instance.all_logs(result.run_id) if r.dagster_event]
    assert stored == result.event_list


def test_pipeline_init_failure_raises_with_raise_on_error() -> None:
    instance = DagsterInstance.ephemeral()
    with pytest.raises(DagsterResourceFunctionError, match='resource "broken"') as info:
        execute_pipeline(with_broken_resource, instance=instance)
    assert isinstance(info.value.user_exception, ConnectionError)
    (run_record,) = instance.get_runs()
    stored = instance.all_logs(run_record.run_id, of_type=DagsterEventType.PIPELINE_INIT_FAILURE)
    assert len(stored) == 1


# --- inputs and outputs with type checks (also failing), object store operations -----------------------


def _even_check(_: Any, value: Any) -> TypeCheck:
    if isinstance(value, int) and value % 2 == 0:
        return TypeCheck(
            True, description="even", metadata_entries=[EventMetadataEntry.int(value, "value")]
        )
    return TypeCheck(
        False,
        description=f"{value!r} is not even",
        metadata_entries=[EventMetadataEntry.text(repr(value), "got")],
    )


Even = DagsterType(_even_check, name="Even")


@solid(config_schema=Int, output_defs=[OutputDefinition(Int)])
def number(context: Any) -> int:
    return context.solid_config


@solid(input_defs=[InputDefinition("value", Even)], output_defs=[OutputDefinition(Even)])
def halve_even(_: Any, value: int) -> int:
    return value // 2


@pipeline
def typed() -> None:
    halve_even(number())


def test_step_input_and_output_carry_type_check_data() -> None:
    result = run(typed, {"solids": {"number": {"config": 12}}})
    assert result.success
    (step_input,) = of_type(result, "STEP_INPUT", "halve_even.compute")
    data = step_input.event_specific_data
    assert data.input_name == "value"
    check = data.type_check_data
    assert (check.success, check.label, check.description) == (True, "value", "even")
    assert check.metadata_entries == (EventMetadataEntry.int(12, "value"),)
    (step_output,) = of_type(result, "STEP_OUTPUT", "halve_even.compute")
    assert step_output.event_specific_data.step_output_handle.output_name == "result"
    assert step_output.event_specific_data.type_check_data.success is True
    assert step_output.event_specific_data.type_check_data.description == "even"
    assert result.output_for_solid("halve_even") == 6


def test_step_input_is_emitted_when_its_type_check_fails() -> None:
    result = run(typed, {"solids": {"number": {"config": 7}}})
    kinds = [e.event_type_value for e in result.events_by_step_key["halve_even.compute"]]
    assert kinds == ["STEP_START", "OBJECT_STORE_OPERATION", "STEP_INPUT", "STEP_FAILURE"]
    (step_input,) = of_type(result, "STEP_INPUT", "halve_even.compute")
    check = step_input.event_specific_data.type_check_data
    assert (check.success, check.description) == (False, "7 is not even")
    assert check.metadata_entries == (EventMetadataEntry.text("7", "got"),)
    assert step_input.message == 'Got input "value" of type "Even". (Type check failed).'
    failure = result.result_for_solid("halve_even").failure_data
    assert failure.error.cls_name == "DagsterTypeCheckDidNotPass"
    assert 'step input "value" of step "halve_even.compute"' in failure.error.message


def test_step_output_is_emitted_when_its_type_check_fails() -> None:
    result = run(typed, {"solids": {"number": {"config": 6}}})  # 6 // 2 = 3 is odd
    kinds = [e.event_type_value for e in result.events_by_step_key["halve_even.compute"]]
    assert kinds == [
        "STEP_START",
        "OBJECT_STORE_OPERATION",
        "STEP_INPUT",
        "STEP_OUTPUT",
        "STEP_FAILURE",
    ]
    (step_output,) = of_type(result, "STEP_OUTPUT", "halve_even.compute")
    check = step_output.event_specific_data.type_check_data
    assert (check.success, check.label, check.description) == (False, "result", "3 is not even")
    failure = result.result_for_solid("halve_even").failure_data
    assert failure.error.cls_name == "DagsterTypeCheckDidNotPass"
    # the failed output was not stored
    assert result.result_for_solid("halve_even").output_value() is None


def test_object_store_operations_for_outputs_and_inputs() -> None:
    result = run(typed, {"solids": {"number": {"config": 4}}})
    (stored_op,) = of_type(result, "OBJECT_STORE_OPERATION", "number.compute")
    data = stored_op.event_specific_data
    assert data.op.value == "SET_OBJECT"
    assert data.value_name == "result"
    assert data.step_output_handle.step_key == "number.compute"
    assert data.address.endswith("intermediates/number.compute/result")
    (read_op,) = of_type(result, "OBJECT_STORE_OPERATION", "halve_even.compute")[:1]
    assert read_op.event_specific_data.op.value == "GET_OBJECT"
    assert read_op.event_specific_data.step_output_handle == data.step_output_handle
    assert read_op.message.startswith('Retrieved intermediate object for input "value"')


def test_filesystem_object_store_operations_point_at_files(tmp_path: Path) -> None:
    instance = DagsterInstance.ephemeral(tempdir=str(tmp_path))
    result = run(
        typed,
        {"solids": {"number": {"config": 4}}, "intermediate_storage": {"filesystem": {}}},
        instance=instance,
    )
    (stored_op,) = of_type(result, "OBJECT_STORE_OPERATION", "number.compute")
    path = Path(stored_op.event_specific_data.address)
    assert path.is_file()
    assert str(path).startswith(str(tmp_path))
    assert result.run_id in str(path)


# --- materializations and expectations ------------------------------------------------------------------


@solid(output_defs=[OutputDefinition(name="table")])
def writes(_: Any) -> Iterator[Any]:
    yield AssetMaterialization(
        asset_key=["db", "table"], metadata_entries=[EventMetadataEntry.path("/tmp/t", "where")]
    )
    yield ExpectationResult(success=False, label="complete", description="3 nulls")
    yield Output({"rows": [1, 2, 3]}, "table")


@pipeline
def writing() -> None:
    writes()


def test_yielded_materialization_and_expectation() -> None:
    result = run(writing)
    (materialization,) = of_type(result, "STEP_MATERIALIZATION")
    m = materialization.event_specific_data.materialization
    assert m.asset_key.path == ["db", "table"]  # a list, as the reference's
    assert materialization.message == 'Materialized value "db.table".'
    (expectation,) = of_type(result, "STEP_EXPECTATION_RESULT")
    x = expectation.event_specific_data.expectation_result
    assert (x.success, x.label, x.description) == (False, "complete", "3 nulls")
    assert expectation.message == "Expectation complete failed."
    assert result.success


def test_materialization_from_outputs_config(tmp_path: Path) -> None:
    json_path = tmp_path / "table.json"
    pickle_path = tmp_path / "table.pkl"
    result = run(
        writing,
        {
            "solids": {
                "writes": {
                    "outputs": [
                        {"table": {"json": {"path": str(json_path)}}},
                        {"table": {"pickle": {"path": str(pickle_path)}}},
                    ]
                }
            }
        },
    )
    assert result.success
    assert json.loads(json_path.read_text()) == {"rows": [1, 2, 3]}
    import pickle

    assert pickle.loads(pickle_path.read_bytes()) == {"rows": [1, 2, 3]}
    kinds = [e.event_type_value for e in result.events_by_step_key["writes.compute"]]
    # the yielded materialization, then output, storage and the two configured materializations
    assert kinds == [
        "STEP_START",
        "STEP_MATERIALIZATION",
        "STEP_EXPECTATION_RESULT",
        "STEP_OUTPUT",
        "OBJECT_STORE_OPERATION",
        "STEP_MATERIALIZATION",
        "STEP_MATERIALIZATION",
        "STEP_SUCCESS",
    ]
    configured = of_type(result, "STEP_MATERIALIZATION")[1:]
    texts = [str(e.event_specific_data.materialization) for e in configured]
    assert str(json_path) in texts[0]
    assert str(pickle_path) in texts[1]


# --- retries ---------------------------------------------------------------------------------------------

ATTEMPTS: list[int] = []


@solid
def retry_once(_: Any) -> str:
    ATTEMPTS.append(1)
    if len(ATTEMPTS) == 1:
        raise RetryRequested(max_retries=1, seconds_to_wait=0.001)
    return "ok"


@pipeline
def retrying() -> None:
    retry_once()


def test_step_up_for_retry_and_restarted() -> None:
    ATTEMPTS.clear()
    result = run(retrying)
    kinds = [e.event_type_value for e in result.events_by_step_key["retry_once.compute"]]
    assert kinds == [
        "STEP_START",
        "STEP_UP_FOR_RETRY",
        "STEP_RESTARTED",
        "STEP_OUTPUT",
        "OBJECT_STORE_OPERATION",
        "STEP_SUCCESS",
    ]
    (retry,) = of_type(result, "STEP_UP_FOR_RETRY")
    assert retry.event_specific_data.seconds_to_wait == 0.001
    assert retry.event_specific_data.error.cls_name == "RetryRequested"
    (restarted,) = of_type(result, "STEP_RESTARTED")
    assert "attempt # 2" in restarted.message
    assert result.success and result.output_for_solid("retry_once") == "ok"


# --- skipped steps and hooks ----------------------------------------------------------------------------


@solid(output_defs=[OutputDefinition(Int, "maybe", is_required=False)])
def yields_nothing(_: Any) -> Iterator[Output]:
    return
    yield  # pragma: no cover


@success_hook
def on_success(context: Any) -> None:
    context.log.info("on_success ran")


@failure_hook
def on_failure(_: Any) -> None:
    raise RuntimeError("hook broke")


@pipeline
def hooked() -> None:
    plus_one.with_hooks({on_success, on_failure})(yields_nothing())
    explodes.with_hooks({on_success, on_failure})()


def test_step_skipped_and_hook_events() -> None:
    result = run(hooked)
    (skipped,) = of_type(result, "STEP_SKIPPED")
    assert skipped.step_key == "plus_one.compute"
    assert "plus_one.compute" in skipped.message
    # a skipped step calls no hooks: each of them is HOOK_SKIPPED
    assert [e.event_type_value for e in result.events_by_step_key["plus_one.compute"]] == [
        "STEP_SKIPPED",
        "HOOK_SKIPPED",
        "HOOK_SKIPPED",
    ]
    hook_events = [(e.event_type_value, e.step_key) for e in result.event_list if e.is_hook_event]
    assert sorted(hook_events) == [
        ("HOOK_ERRORED", "explodes.compute"),
        ("HOOK_SKIPPED", "explodes.compute"),
        ("HOOK_SKIPPED", "plus_one.compute"),
        ("HOOK_SKIPPED", "plus_one.compute"),
    ]
    (errored,) = of_type(result, "HOOK_ERRORED")
    assert "RuntimeError: hook broke" in errored.message
    assert errored.event_specific_data.error.cls_name == "RuntimeError"


def test_hook_completed() -> None:
    result = run(simple.with_hooks({on_success}))
    completed = of_type(result, "HOOK_COMPLETED")
    assert [e.step_key for e in completed] == ["emit_one.compute", "plus_one.compute"]
    assert completed[0].message == 'Finished hook "on_success" triggered for solid "emit_one".'


# --- all of them, serialised --------------------------------------------------------------------------


def test_all_nineteen_event_types_were_emitted() -> None:
    # runs every scenario above again (in a fresh order-independent way) and checks the union
    SEEN_TYPES.clear()
    test_pipeline_start_success_and_engine_events()
    test_pipeline_failure()
    test_resource_init_and_teardown_are_engine_events()
    test_pipeline_init_failure_on_a_raising_resource()
    test_step_input_and_output_carry_type_check_data()
    test_yielded_materialization_and_expectation()
    test_step_up_for_retry_and_restarted()
    test_step_skipped_and_hook_events()
    test_hook_completed()
    assert len(DagsterEventType) == 19
    assert {t.value for t in DagsterEventType} == SEEN_TYPES


def test_every_event_round_trips_through_serdes() -> None:
    ALL_EVENTS.clear()
    test_all_nineteen_event_types_were_emitted()
    assert {e.event_type_value for e in ALL_EVENTS} == {t.value for t in DagsterEventType}
    for event in ALL_EVENTS:
        text = serialize(event)
        assert deserialize(text) == event, event
        record = EventRecord(
            "run", 1.5, 10, event.message or "", event.pipeline_name, event.step_key, event
        )
        assert deserialize(serialize(record)) == record


def test_event_data_read_like_the_references_namedtuples() -> None:
    result = run(exploding)
    (step_failure,) = of_type(result, "STEP_FAILURE", "explodes.compute")
    data = step_failure.event_specific_data
    error, user_failure_data = data  # unpacks in field order
    assert data[0] is error and user_failure_data is None and len(data) == 2
    assert data._asdict() == {"error": error, "user_failure_data": None}
    handle = StepOutputHandle("s.compute", "out")
    assert tuple(handle) == ("s.compute", "out") and handle[1] == "out"
    check = TypeCheckData(True, "x")
    assert StepInputData("x", check)[1].label == "x"
