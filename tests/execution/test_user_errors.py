"""Errors in user code: wrapped with the step key and the original traceback kept, Failure with
metadata, type checks that fail or raise, and solids that break the output rules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from notebook_pipelines import (
    AssetMaterialization,
    DagsterInvalidDefinitionError,
    DagsterInvariantViolationError,
    DagsterStepOutputNotFoundError,
    DagsterType,
    DagsterTypeCheckDidNotPass,
    EventMetadataEntry,
    Failure,
    InputDefinition,
    Int,
    Nothing,
    Output,
    OutputDefinition,
    PipelineDefinition,
    TypeCheck,
    dagster_type_loader,
    dagster_type_materializer,
    execute_pipeline,
    execute_solid,
    solid,
)
from notebook_pipelines.execution.results import SolidExecutionResult
from notebook_pipelines.storage.instance import DagsterInstance


def run_one(solid_def: Any, **kwargs: Any) -> SolidExecutionResult:
    result = execute_solid(solid_def, raise_on_error=False, **kwargs)
    assert isinstance(result, SolidExecutionResult)
    return result


def failure_of(result: SolidExecutionResult) -> Any:
    assert not result.success
    assert result.failure_data is not None
    return result.failure_data.error


def failure_message(result: SolidExecutionResult) -> str:
    return str(result.compute_step_failure_event.message)


# --- user exceptions ---------------------------------------------------------------------------------


def _helper_that_raises(value: int) -> int:
    return {"a": 1}[str(value)]  # KeyError, two frames below the compute function


@solid
def deep_raise(_: Any) -> int:
    return _helper_that_raises(7)


def test_the_failure_is_the_users_exception_and_its_event_names_the_step() -> None:
    result = run_one(deep_raise)
    error = failure_of(result)
    # as the reference: the user's class and message, not the engine's wrapper
    assert error.cls_name == "KeyError"
    assert error.message == "KeyError: '7'\n"
    assert error.cause is None
    assert (
        failure_message(result) == "Execution of step \"deep_raise.compute\" failed: KeyError: '7'"
    )


def test_the_users_exception_keeps_its_own_cause() -> None:
    @solid
    def chained(_: Any) -> None:
        try:
            {}["missing"]
        except KeyError as exc:
            raise ValueError("lookup failed") from exc

    error = failure_of(run_one(chained))
    assert error.cls_name == "ValueError"
    assert error.cause.cls_name == "KeyError"


def test_original_traceback_is_kept() -> None:
    error = failure_of(run_one(deep_raise))
    stack = "".join(error.stack)
    assert "in deep_raise" in stack
    assert "return _helper_that_raises(7)" in stack
    assert "in _helper_that_raises" in stack
    assert 'return {"a": 1}[str(value)]' in stack
    assert str(Path(__file__)) in stack
    # the whole text, as shown to a user, has the raising line too
    assert 'return {"a": 1}[str(value)]' in error.to_string()


def test_step_failure_message_names_the_user_error() -> None:
    result = run_one(deep_raise)
    assert result.compute_step_failure_event.message == (
        "Execution of step \"deep_raise.compute\" failed: KeyError: '7'"
    )


def test_user_exception_reraised_as_itself() -> None:
    with pytest.raises(KeyError, match="'7'") as info:
        execute_solid(deep_raise)
    assert "_helper_that_raises" in str(info.traceback[-1].name)


# --- Failure ---------------------------------------------------------------------------------------


@solid
def fails_with_metadata(_: Any) -> None:
    raise Failure(
        description="the data is stale",
        metadata_entries=[
            EventMetadataEntry.text("2020-01-01", "last update"),
            EventMetadataEntry.int(3, "days old"),
        ],
    )


def test_failure_with_metadata_becomes_user_failure_data() -> None:
    result = run_one(fails_with_metadata)
    data = result.failure_data
    assert data.user_failure_data.label == "intentional-failure"
    assert data.user_failure_data.description == "the data is stale"
    assert data.user_failure_data.metadata_entries == (
        EventMetadataEntry.text("2020-01-01", "last update"),
        EventMetadataEntry.int(3, "days old"),
    )
    assert data.error.cls_name == "Failure"
    assert "the data is stale" in result.compute_step_failure_event.message


def test_failure_is_reraised_with_raise_on_error() -> None:
    with pytest.raises(Failure, match="the data is stale") as info:
        execute_solid(fails_with_metadata)
    assert len(info.value.metadata_entries) == 2


# --- type checks ---------------------------------------------------------------------------------------


def _small(_: Any, value: Any) -> TypeCheck:
    return TypeCheck(
        isinstance(value, int) and value < 10,
        description=f"{value} is not small",
        metadata_entries=[EventMetadataEntry.int(10, "limit")],
    )


Small = DagsterType(_small, name="Small")


@solid(input_defs=[InputDefinition("x", Small)], output_defs=[OutputDefinition(Small)])
def small_to_small(_: Any, x: int) -> int:
    return x * 5


def test_input_type_check_failure() -> None:
    result = run_one(small_to_small, input_values={"x": 12})
    error = failure_of(result)
    assert error.cls_name == "DagsterTypeCheckDidNotPass"
    assert error.message.startswith(
        'notebook_pipelines.errors.DagsterTypeCheckDidNotPass: Type check failed for step input "x" '
        'of step "small_to_small.compute" - expected type "Small". 12 is not small'
    )
    assert result.output_events_during_compute == []


def test_output_type_check_failure() -> None:
    result = run_one(small_to_small, input_values={"x": 3})
    error = failure_of(result)
    assert error.cls_name == "DagsterTypeCheckDidNotPass"
    assert 'step output "result" of step "small_to_small.compute"' in error.message
    assert "15 is not small" in error.message


def test_type_check_failure_raises_with_raise_on_error() -> None:
    with pytest.raises(DagsterTypeCheckDidNotPass) as info:
        execute_solid(small_to_small, input_values={"x": 3})
    assert info.value.dagster_type is Small
    assert info.value.metadata_entries == [EventMetadataEntry.int(10, "limit")]


def _crashing_check(_: Any, value: Any) -> bool:
    raise ZeroDivisionError("type check bug")


Crashing = DagsterType(_crashing_check, name="Crashing")


@solid(output_defs=[OutputDefinition(Crashing)])
def makes_crashing(_: Any) -> int:
    return 1


def test_type_check_that_raises_is_a_type_check_error() -> None:
    result = run_one(makes_crashing)
    error = failure_of(result)
    assert error.cls_name == "ZeroDivisionError"
    assert "raise ZeroDivisionError" in "".join(error.stack)
    # where it happened is in the event's message
    message = failure_message(result)
    assert 'type check of output "result" of step "makes_crashing.compute"' in message


@dagster_type_loader(Int)
def _exploding_loader(_: Any, value: int) -> int:
    raise OSError(f"cannot load {value}")


Loaded = DagsterType(lambda _, v: True, name="Loaded", loader=_exploding_loader)


@solid(input_defs=[InputDefinition("x", Loaded)])
def takes_loaded(_: Any, x: Any) -> Any:
    return x


def test_loader_error_is_wrapped() -> None:
    result = run_one(takes_loaded, run_config={"solids": {"takes_loaded": {"inputs": {"x": 5}}}})
    error = failure_of(result)
    assert error.cls_name == "OSError"
    assert error.message == "OSError: cannot load 5\n"
    message = failure_message(result)
    assert 'input "x" of step "takes_loaded.compute" from config' in message
    assert "OSError: cannot load 5" in message


@dagster_type_materializer(Int)
def _exploding_materializer(_: Any, config: int, value: Any) -> Any:
    raise RuntimeError(f"disk full at {config}")


Written = DagsterType(lambda _, v: True, name="Written", materializer=_exploding_materializer)


@solid(output_defs=[OutputDefinition(Written)])
def makes_written(_: Any) -> int:
    return 1


def test_materializer_error_is_wrapped() -> None:
    result = run_one(
        makes_written, run_config={"solids": {"makes_written": {"outputs": [{"result": 9}]}}}
    )
    error = failure_of(result)
    assert error.cls_name == "RuntimeError"
    message = failure_message(result)
    assert 'materializing output "result" of step "makes_written.compute"' in message
    assert "RuntimeError: disk full at 9" in message


# --- output rules ----------------------------------------------------------------------------------------


@solid(output_defs=[])
def returns_without_outputs(_: Any) -> int:
    return 5


def test_returning_a_value_from_a_solid_without_outputs() -> None:
    result = run_one(returns_without_outputs)
    error = failure_of(result)
    assert error.cls_name == "DagsterInvariantViolationError"
    assert (
        'Solid "returns_without_outputs" returned a value (int) but has no outputs' in error.message
    )
    with pytest.raises(DagsterInvariantViolationError, match="returned a value"):
        execute_solid(returns_without_outputs)


@solid(output_defs=[OutputDefinition(Int, "a"), OutputDefinition(Int, "b")])
def returns_with_two_outputs(_: Any) -> int:
    return 5


def test_returning_a_value_from_a_solid_with_several_outputs() -> None:
    error = failure_of(run_one(returns_with_two_outputs))
    assert "but has 2 outputs" in error.message


@solid
def returns_materialization(_: Any) -> Any:
    return AssetMaterialization(asset_key="x")


def test_returning_a_materialization_is_an_error() -> None:
    error = failure_of(run_one(returns_materialization))
    assert (
        "returned a AssetMaterialization; materializations and expectation results must be yielded"
        in error.message
    )


@solid(output_defs=[OutputDefinition(Int, "known")])
def yields_unknown(_: Any) -> Iterator[Output]:
    yield Output(1, "known")
    yield Output(2, "unknown")


def test_yielding_an_unknown_output() -> None:
    result = run_one(yields_unknown)
    error = failure_of(result)
    assert error.cls_name == "DagsterInvariantViolationError"
    assert (
        'Solid "yields_unknown" yielded an output "unknown" that it does not define'
        in error.message
    )
    assert "['known']" in error.message
    # the known output was produced before
    assert list(result.compute_output_event_dict) == ["known"]


@solid(output_defs=[OutputDefinition()])
def yields_twice(_: Any) -> Iterator[Output]:
    yield Output(1)
    yield Output(2)


def test_yielding_an_output_twice() -> None:
    error = failure_of(run_one(yields_twice))
    assert 'Solid "yields_twice" yielded output "result" more than once' in error.message


@solid(output_defs=[OutputDefinition()])
def yields_garbage(_: Any) -> Iterator[Any]:
    yield 42


def test_yielding_something_that_is_not_an_event() -> None:
    error = failure_of(run_one(yields_garbage))
    assert 'Solid "yields_garbage" yielded 42 (int)' in error.message


@solid(output_defs=[OutputDefinition(Int, "first"), OutputDefinition(Int, "second")])
def forgets_second(_: Any) -> Iterator[Output]:
    yield Output(1, "first")


def test_required_output_never_yielded() -> None:
    instance = DagsterInstance.ephemeral()
    result = execute_pipeline(
        PipelineDefinition([forgets_second], name="forgetful"),
        raise_on_error=False,
        instance=instance,
    )
    step = result.result_for_solid("forgets_second")
    error = step.failure_data.error
    assert error.cls_name == "DagsterStepOutputNotFoundError"
    assert 'Step "forgets_second.compute"' in error.message
    assert 'required output "second"' in error.message
    with pytest.raises(DagsterStepOutputNotFoundError) as info:
        execute_solid(forgets_second)
    assert info.value.step_key == "forgets_second.compute"
    assert info.value.output_name == "second"


@solid(output_defs=[OutputDefinition(Nothing)])
def nothing_out(_: Any) -> Iterator[Output]:
    return
    yield  # pragma: no cover


def test_nothing_output_is_emitted_implicitly() -> None:
    instance = DagsterInstance.ephemeral()
    result = execute_pipeline(PipelineDefinition([nothing_out], name="nothing"), instance=instance)
    step = result.result_for_solid("nothing_out")
    assert step.success
    assert list(step.compute_output_event_dict) == ["result"]
    logs = [r.user_message for r in instance.all_logs(result.run_id) if r.dagster_event is None]
    assert logs == ['Emitting implicit Nothing for output "result".']


@solid
def interrupted(_: Any) -> None:
    raise KeyboardInterrupt


def test_keyboard_interrupt_fails_the_step_and_is_reraised() -> None:
    instance = DagsterInstance.ephemeral()
    with pytest.raises(KeyboardInterrupt):
        execute_pipeline(
            PipelineDefinition([interrupted], name="interrupted_pipeline"),
            instance=instance,
            raise_on_error=False,
        )
    (run,) = instance.get_runs()
    kinds = [
        r.dagster_event.event_type_value for r in instance.all_logs(run.run_id) if r.dagster_event
    ]
    assert kinds[-2:] == ["STEP_FAILURE", "PIPELINE_FAILURE"]
    failure = instance.all_logs(run.run_id, of_type="STEP_FAILURE")[0]
    assert failure.dagster_event.message.endswith("interrupted")
    assert run.status.value == "CANCELED"


def test_generator_return_annotation_is_not_taken_as_the_output_type() -> None:
    try:

        @solid
        def annotated_generator(_: Any) -> Iterator[Output]:
            yield Output(1)

    except DagsterInvalidDefinitionError:
        return  # refused when defined, as the reference does
    result = execute_solid(annotated_generator, raise_on_error=False)
    assert result.success
    assert result.output_value() == 1
