"""The result objects: every property of SolidExecutionResult in the reference, composite results
through output mappings, and pipeline results."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from notebook_pipelines import (
    AssetMaterialization,
    CompositeSolidExecutionResult,
    DagsterInvariantViolationError,
    ExpectationResult,
    InputDefinition,
    Int,
    ModeDefinition,
    Output,
    OutputDefinition,
    PipelineExecutionResult,
    SolidExecutionResult,
    composite_solid,
    execute_pipeline,
    pipeline,
    resource,
    solid,
)
from notebook_pipelines.storage.instance import DagsterInstance


@solid(
    config_schema={"a": Int, "b": Int},
    output_defs=[OutputDefinition(Int, "a"), OutputDefinition(Int, "b")],
)
def pair(context: Any) -> Iterator[Output]:
    yield Output(context.solid_config["a"], "a")
    yield Output(context.solid_config["b"], "b")


@solid(
    input_defs=[InputDefinition("a", Int), InputDefinition("b", Int)],
    output_defs=[
        OutputDefinition(Int, "sum"),
        OutputDefinition(Int, "product"),
        OutputDefinition(Int, "extra", is_required=False),
    ],
)
def arith(_: Any, a: int, b: int) -> Iterator[Any]:
    yield AssetMaterialization(asset_key="arith_asset", description="computed")
    yield ExpectationResult(success=a > 0, label="a_positive")
    yield Output(a + b, "sum")
    yield ExpectationResult(success=b > 0, label="b_positive")
    yield Output(a * b, "product")


@solid(input_defs=[InputDefinition("x", Int)], output_defs=[OutputDefinition(Int)])
def inc(_: Any, x: int) -> int:
    return x + 1


@solid(input_defs=[InputDefinition("x", Int)], output_defs=[OutputDefinition(Int)])
def checked(_: Any, x: int) -> int:
    if x > 100:
        raise ValueError(f"too big: {x}")
    return x


@pipeline
def arithmetic() -> None:
    a, b = pair()
    total, product, extra = arith(a, b)
    inc.alias("after_sum")(total)
    inc.alias("after_extra")(extra)
    inc.alias("after_checked")(checked(product))


def config(a: int, b: int) -> dict[str, Any]:
    return {"solids": {"pair": {"config": {"a": a, "b": b}}}}


@pytest.fixture(scope="module")
def good() -> PipelineExecutionResult:
    return execute_pipeline(arithmetic, config(3, 4))


@pytest.fixture(scope="module")
def bad() -> PipelineExecutionResult:
    # product 30 * 5 = 150 makes "checked" fail
    return execute_pipeline(arithmetic, config(30, 5), raise_on_error=False)


def leaf(result: Any, handle: str) -> SolidExecutionResult:
    found = result.result_for_handle(handle)
    assert isinstance(found, SolidExecutionResult)
    return found


# --- SolidExecutionResult ----------------------------------------------------------------------------


def test_success_and_skipped(good: PipelineExecutionResult, bad: PipelineExecutionResult) -> None:
    assert good.success
    assert all(
        r.success and not r.skipped for r in good.solid_result_list if r.handle != "after_extra"
    )
    assert leaf(good, "after_extra").skipped and not leaf(good, "after_extra").success
    assert not bad.success
    checked_result = leaf(bad, "checked")
    assert not checked_result.success and not checked_result.skipped
    assert leaf(bad, "after_checked").skipped


def test_compute_step_events(good: PipelineExecutionResult) -> None:
    events = leaf(good, "arith").compute_step_events
    assert [e.event_type_value for e in events] == [
        "STEP_START",
        "OBJECT_STORE_OPERATION",  # every input is loaded before any is checked
        "OBJECT_STORE_OPERATION",
        "STEP_INPUT",
        "STEP_INPUT",
        "STEP_MATERIALIZATION",
        "STEP_EXPECTATION_RESULT",
        "STEP_OUTPUT",
        "OBJECT_STORE_OPERATION",
        "STEP_EXPECTATION_RESULT",
        "STEP_OUTPUT",
        "OBJECT_STORE_OPERATION",
        "STEP_SUCCESS",
    ]
    assert all(e.step_key == "arith.compute" for e in events)
    assert events == good.events_by_step_key["arith.compute"]


def test_input_events(good: PipelineExecutionResult) -> None:
    arith_result = leaf(good, "arith")
    inputs = arith_result.input_events_during_compute
    assert [e.event_specific_data.input_name for e in inputs] == ["a", "b"]
    assert set(arith_result.compute_input_event_dict) == {"a", "b"}
    assert arith_result.compute_input_event_dict["b"] is inputs[1]
    assert leaf(good, "pair").compute_input_event_dict == {}


def test_output_events(good: PipelineExecutionResult) -> None:
    arith_result = leaf(good, "arith")
    outputs = arith_result.output_events_during_compute
    assert [e.event_specific_data.output_name for e in outputs] == ["sum", "product"]
    assert list(arith_result.compute_output_event_dict) == ["sum", "product"]
    assert arith_result.compute_output_events_dict == arith_result.compute_output_event_dict
    assert arith_result.get_output_event_for_compute("product") is outputs[1]
    assert leaf(good, "after_sum").get_output_event_for_compute().step_key == "after_sum.compute"
    with pytest.raises(
        DagsterInvariantViolationError, match='no STEP_OUTPUT event for output "extra"'
    ):
        arith_result.get_output_event_for_compute("extra")


def test_materializations_and_expectations(good: PipelineExecutionResult) -> None:
    arith_result = leaf(good, "arith")
    (event,) = arith_result.materialization_events_during_compute
    assert event.event_type_value == "STEP_MATERIALIZATION"
    assert arith_result.materializations_during_compute == [
        AssetMaterialization(asset_key="arith_asset", description="computed")
    ]
    events = arith_result.expectation_events_during_compute
    assert [e.event_type_value for e in events] == ["STEP_EXPECTATION_RESULT"] * 2
    assert arith_result.expectation_results_during_compute == [
        ExpectationResult(success=True, label="a_positive"),
        ExpectationResult(success=True, label="b_positive"),
    ]
    assert leaf(good, "pair").materializations_during_compute == []


def test_step_success_event(good: PipelineExecutionResult, bad: PipelineExecutionResult) -> None:
    success = leaf(good, "arith").get_step_success_event()
    assert success.event_type_value == "STEP_SUCCESS"
    assert success.event_specific_data.duration_ms >= 0
    with pytest.raises(
        DagsterInvariantViolationError, match=r'"checked\.compute" has no STEP_SUCCESS'
    ):
        leaf(bad, "checked").get_step_success_event()


def test_failure_event_and_data(
    good: PipelineExecutionResult, bad: PipelineExecutionResult
) -> None:
    checked_result = leaf(bad, "checked")
    failure = checked_result.compute_step_failure_event
    assert failure.event_type_value == "STEP_FAILURE"
    assert checked_result.failure_data is failure.event_specific_data
    assert "ValueError: too big: 150" in checked_result.failure_data.error.to_string()
    assert leaf(good, "checked").failure_data is None
    assert leaf(bad, "after_checked").failure_data is None
    with pytest.raises(DagsterInvariantViolationError, match=r'"checked\.compute" did not fail'):
        leaf(good, "checked").compute_step_failure_event  # noqa: B018


def test_output_value_and_values(good: PipelineExecutionResult) -> None:
    arith_result = leaf(good, "arith")
    assert arith_result.output_value("sum") == 7
    assert arith_result.output_value("product") == 12
    assert arith_result.output_values == {"sum": 7, "product": 12}
    assert leaf(good, "after_sum").output_value() == 8
    assert leaf(good, "after_checked").output_value() == 13
    assert leaf(good, "pair").output_values == {"a": 3, "b": 4}


def test_optional_output_not_yielded_is_none(good: PipelineExecutionResult) -> None:
    # the reference raises here ("Did not find result extra"); an optional output that was not
    # yielded has no value, which we report as None
    assert leaf(good, "arith").output_value("extra") is None
    assert "extra" not in (leaf(good, "arith").output_values or {})


def test_output_value_is_none_when_not_succeeded(bad: PipelineExecutionResult) -> None:
    assert leaf(bad, "checked").output_value() is None
    assert leaf(bad, "checked").output_values is None
    assert leaf(bad, "after_checked").output_value() is None
    assert leaf(bad, "after_checked").output_values is None
    # upstream values are still there
    assert leaf(bad, "arith").output_value("product") == 150
    assert bad.output_for_solid("checked") is None


def test_undefined_output_name_raises(
    good: PipelineExecutionResult, bad: PipelineExecutionResult
) -> None:
    with pytest.raises(
        DagsterInvariantViolationError,
        match=r'no output "nope"; its outputs: \[\'sum\', \'product\', \'extra\'\]',
    ):
        leaf(good, "arith").output_value("nope")
    with pytest.raises(DagsterInvariantViolationError, match='no output "nope"'):
        leaf(bad, "checked").output_value("nope")  # also when it did not succeed


def test_never_run_solid_is_skipped() -> None:
    @resource
    def broken(_: Any) -> None:
        raise RuntimeError("no")

    @solid(required_resource_keys={"broken"})
    def needs_broken(_: Any) -> int:
        return 1

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"broken": broken})])
    def never_runs() -> None:
        needs_broken()

    result = execute_pipeline(never_runs, raise_on_error=False)
    never = leaf(result, "needs_broken")
    assert never.compute_step_events == []
    assert never.skipped
    assert not never.success
    assert never.output_value() is None
    assert never.failure_data is None


# --- PipelineExecutionResult -------------------------------------------------------------------------


def test_pipeline_result_basics(good: PipelineExecutionResult) -> None:
    instance_runs = good.run_id
    assert isinstance(instance_runs, str) and len(instance_runs) == 36
    assert good.pipeline_def is arithmetic
    kinds = [e.event_type_value for e in good.event_list]
    assert kinds[0] == "PIPELINE_START" and kinds[-1] == "PIPELINE_SUCCESS"
    assert all(e.step_key is not None for e in good.step_event_list)
    # the steps' compute events: not the engine's or hooks' (as the reference)
    assert good.step_event_list == [e for e in good.event_list if e.is_step_event]
    assert not any(e.is_engine_event or e.is_hook_event for e in good.step_event_list)
    # the run's own events are kept under None
    assert good.events_by_step_key[None][0].event_type_value == "PIPELINE_START"
    assert set(good.events_by_step_key) == {
        None,
        "pair.compute",
        "arith.compute",
        "after_sum.compute",
        "after_extra.compute",
        "checked.compute",
        "after_checked.compute",
    }
    assert [r.handle for r in good.solid_result_list] == [
        "pair",
        "arith",
        "after_sum",
        "after_extra",
        "checked",
        "after_checked",
    ]
    assert good.output_for_solid("arith", "product") == 12
    assert good.output_for_solid("after_sum") == 8


def test_result_for_unknown_solid_raises(good: PipelineExecutionResult) -> None:
    with pytest.raises(DagsterInvariantViolationError, match='There is no solid "nope"'):
        good.result_for_solid("nope")
    with pytest.raises(DagsterInvariantViolationError, match='"arith" is not a composite'):
        good.result_for_handle("arith.inner")


def test_output_values_are_readable_from_filesystem_storage(tmp_path: Path) -> None:
    instance = DagsterInstance.ephemeral(tempdir=str(tmp_path))
    result = execute_pipeline(
        arithmetic,
        {**config(2, 5), "intermediate_storage": {"filesystem": {}}},
        instance=instance,
    )
    assert leaf(result, "arith").output_values == {"sum": 7, "product": 10}
    assert result.output_for_solid("after_checked") == 11


# --- composites --------------------------------------------------------------------------------------


@composite_solid(
    input_defs=[InputDefinition("x", Int)], output_defs=[OutputDefinition(Int, "plus_two")]
)
def add_two(x: int) -> Any:
    return inc.alias("second")(inc.alias("first")(x))


@composite_solid(
    input_defs=[InputDefinition("x", Int)],
    output_defs=[OutputDefinition(Int, "four"), OutputDefinition(Int, "checked")],
)
def add_four(x: int) -> Any:
    four = add_two.alias("again")(add_two(x))
    return {"four": four, "checked": checked(four)}


@solid(config_schema=Int, output_defs=[OutputDefinition(Int)])
def emit(context: Any) -> int:
    return context.solid_config


@pipeline
def nested() -> None:
    four, _ = add_four(emit())
    inc.alias("after")(four)


def test_composite_results_and_output_mapping() -> None:
    result = execute_pipeline(nested, {"solids": {"emit": {"config": 10}}})
    outer = result.result_for_solid("add_four")
    assert isinstance(outer, CompositeSolidExecutionResult)
    assert outer.success and not outer.skipped
    assert outer.output_value("four") == 14
    assert outer.output_value("checked") == 14
    assert outer.output_values == {"four": 14, "checked": 14}
    inner = outer.result_for_solid("add_two")
    assert isinstance(inner, CompositeSolidExecutionResult)
    assert inner.output_value("plus_two") == 12
    assert outer.output_value_for_solid("checked") == 14
    assert outer.output_values_for_solid("again") == {"plus_two": 14}
    assert outer.output_value_for_handle("again.first") == 13
    assert outer.output_values_for_handle("add_two.second") == {"result": 12}
    assert result.output_for_solid("after") == 15
    assert result.output_for_solid("add_four.again.second") == 14
    # events of a composite are those of its inner steps
    assert {e.step_key for e in outer.event_list} == {
        "add_four.add_two.first.compute",
        "add_four.add_two.second.compute",
        "add_four.again.first.compute",
        "add_four.again.second.compute",
        "add_four.checked.compute",
    }
    assert [r.handle for r in outer.solid_result_list] == [
        "add_four.add_two",
        "add_four.again",
        "add_four.checked",
    ]


def test_result_for_handle_nested() -> None:
    result = execute_pipeline(nested, {"solids": {"emit": {"config": 1}}})
    deep = result.result_for_handle("add_four.again.first")
    assert isinstance(deep, SolidExecutionResult)
    assert deep.handle == "add_four.again.first"
    assert deep.step_key == "add_four.again.first.compute"
    assert deep.output_value() == 4
    assert deep is not None and deep.success
    assert result.result_for_handle("add_four").result_for_handle("again.first").output_value() == 4  # type: ignore[union-attr]
    with pytest.raises(DagsterInvariantViolationError, match='no solid "nope"'):
        result.result_for_handle("add_four.nope")


def test_composite_with_failing_inner_solid() -> None:
    result = execute_pipeline(nested, {"solids": {"emit": {"config": 99}}}, raise_on_error=False)
    outer = result.result_for_solid("add_four")
    assert isinstance(outer, CompositeSolidExecutionResult)
    assert not outer.success
    assert outer.output_value("four") == 103  # its own inner solids succeeded
    assert outer.output_value("checked") is None
    assert outer.output_values is None
    # "after" only needs the "four" output, which was produced
    assert result.output_for_solid("after") == 104
    assert result.result_for_handle("add_four.checked").failure_data is not None  # type: ignore[union-attr]


def test_composite_undefined_output_raises() -> None:
    result = execute_pipeline(nested, {"solids": {"emit": {"config": 1}}})
    outer = result.result_for_solid("add_four")
    with pytest.raises(
        DagsterInvariantViolationError,
        match=r'"add_four" has no output "nope"; its outputs: \[\'four\', \'checked\'\]',
    ):
        outer.output_value("nope")
