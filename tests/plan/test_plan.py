"""The execution plan: step keys, composite flattening, input sources, dependencies, subset plans,
priorities, hooks and configured materializations."""

from __future__ import annotations

from typing import Any

import pytest

from notebook_pipelines import (
    DagsterExecutionStepNotFoundError,
    DagsterInvalidDefinitionError,
    InputDefinition,
    Int,
    List,
    Nothing,
    OutputDefinition,
    composite_solid,
    execute_pipeline,
    lambda_solid,
    pipeline,
    solid,
    success_hook,
)
from notebook_pipelines.definitions.environment import build_environment_config
from notebook_pipelines.events import StepKind, StepOutputHandle
from notebook_pipelines.plan.plan import ExecutionPlan
from notebook_pipelines.plan.steps import (
    FromConfig,
    FromDefaultValue,
    FromMultipleSources,
    FromStepOutput,
)


def build(
    pipeline_def: Any, run_config: dict[str, Any] | None = None, step_keys: Any = None
) -> ExecutionPlan:
    env = build_environment_config(pipeline_def, run_config, pipeline_def.get_mode_definition())
    return ExecutionPlan.build(pipeline_def, env, step_keys)


@lambda_solid(output_def=OutputDefinition(Int))
def one() -> int:
    return 1


@lambda_solid(input_defs=[InputDefinition("x", Int)], output_def=OutputDefinition(Int))
def inc(x: int) -> int:
    return x + 1


@lambda_solid(input_defs=[InputDefinition("xs", List[Int])], output_def=OutputDefinition(Int))
def total(xs: list[int]) -> int:
    return sum(xs)


@solid(
    input_defs=[
        InputDefinition("from_config", Int),
        InputDefinition("with_default", Int, default_value=7),
        InputDefinition("after", Nothing),
    ],
    output_defs=[OutputDefinition(Int)],
)
def sources(_: Any, from_config: int, with_default: int) -> int:
    return from_config + with_default


@pipeline
def linear() -> None:
    inc.alias("third")(inc.alias("second")(one()))


def test_step_keys_and_order() -> None:
    plan = build(linear)
    assert [s.key for s in plan.steps] == ["one.compute", "second.compute", "third.compute"]
    assert [s.key for s in plan.topological_steps()] == [s.key for s in plan.steps]
    step = plan.get_step_by_key("second.compute")
    assert step.solid_handle == "second"
    assert step.solid_name == "second"
    assert step.solid_def is inc
    assert step.kind is StepKind.COMPUTE
    assert [o.name for o in step.step_outputs] == ["result"]
    assert step.step_output_named("nope") is None
    assert plan.has_step("third.compute") and not plan.has_step("inc.compute")
    assert not plan.is_subset


def test_execution_deps() -> None:
    plan = build(linear)
    assert plan.execution_deps() == {
        "one.compute": set(),
        "second.compute": {"one.compute"},
        "third.compute": {"second.compute"},
    }


@pipeline
def fan() -> None:
    n = one()
    total([inc.alias("left")(n), inc.alias("right")(n), n])


def test_fan_in_source() -> None:
    plan = build(fan)
    step = plan.get_step_by_key("total.compute")
    (xs,) = step.step_inputs
    assert isinstance(xs.source, FromMultipleSources)
    assert [s.step_output_handle for s in xs.source.sources] == [
        StepOutputHandle("left.compute", "result"),
        StepOutputHandle("right.compute", "result"),
        StepOutputHandle("one.compute", "result"),
    ]
    assert step.upstream_step_keys == {"left.compute", "right.compute", "one.compute"}
    left = plan.get_step_by_key("left.compute").step_input_dict["x"]
    assert left.source == FromStepOutput(StepOutputHandle("one.compute"))
    assert left.upstream_handles == (StepOutputHandle("one.compute", "result"),)


@pipeline
def sourced() -> None:
    sources.alias("first")()
    sources.alias("second")(after=one())


def test_config_default_and_nothing_sources() -> None:
    plan = build(
        sourced,
        {
            "solids": {
                "first": {"inputs": {"from_config": 3}},
                "second": {"inputs": {"from_config": 4, "with_default": 9}},
            }
        },
    )
    first = plan.get_step_by_key("first.compute").step_input_dict
    assert first["from_config"].source == FromConfig(3, "first")
    assert first["with_default"].source == FromDefaultValue(7)
    assert first["after"].source is None  # an unconnected Nothing input
    assert first["after"].upstream_handles == ()
    second = plan.get_step_by_key("second.compute").step_input_dict
    assert second["with_default"].source == FromConfig(9, "second")
    assert second["after"].source == FromStepOutput(StepOutputHandle("one.compute"))
    assert plan.execution_deps()["second.compute"] == {"one.compute"}
    result = execute_pipeline(
        sourced,
        {
            "solids": {
                "first": {"inputs": {"from_config": 3}},
                "second": {"inputs": {"from_config": 4, "with_default": 9}},
            }
        },
    )
    assert result.output_for_solid("first") == 10
    assert result.output_for_solid("second") == 13


# --- composites -----------------------------------------------------------------------------------------


@composite_solid(input_defs=[InputDefinition("x", Int)], output_defs=[OutputDefinition(Int, "out")])
def inner(x: int) -> Any:
    return inc.alias("b")(inc.alias("a")(x))


@composite_solid(input_defs=[InputDefinition("x", Int)], output_defs=[OutputDefinition(Int, "out")])
def outer(x: int) -> Any:
    return inner.alias("deep")(inner(x))


@pipeline
def composed() -> None:
    inc.alias("after")(outer(one()))


def test_composites_are_flattened() -> None:
    plan = build(composed)
    assert [s.key for s in plan.steps] == [
        "one.compute",
        "outer.inner.a.compute",
        "outer.inner.b.compute",
        "outer.deep.a.compute",
        "outer.deep.b.compute",
        "after.compute",
    ]
    assert plan.get_step_by_key("outer.deep.b.compute").solid_handle == "outer.deep.b"


def test_sources_follow_input_and_output_mappings() -> None:
    plan = build(composed)
    first_inner = plan.get_step_by_key("outer.inner.a.compute").step_input_dict["x"]
    assert first_inner.source == FromStepOutput(StepOutputHandle("one.compute"))
    second_composite = plan.get_step_by_key("outer.deep.a.compute").step_input_dict["x"]
    assert second_composite.source == FromStepOutput(StepOutputHandle("outer.inner.b.compute"))
    after = plan.get_step_by_key("after.compute").step_input_dict["x"]
    assert after.source == FromStepOutput(StepOutputHandle("outer.deep.b.compute"))
    assert plan.execution_deps()["after.compute"] == {"outer.deep.b.compute"}
    assert execute_pipeline(composed).output_for_solid("after") == 6


def test_composite_input_from_config() -> None:
    @pipeline
    def config_fed() -> None:
        outer()

    plan = build(config_fed, {"solids": {"outer": {"inputs": {"x": 10}}}})
    source = plan.get_step_by_key("outer.inner.a.compute").step_input_dict["x"].source
    assert source == FromConfig(10, "outer")
    assert (
        execute_pipeline(config_fed, {"solids": {"outer": {"inputs": {"x": 10}}}}).output_for_solid(
            "outer", "out"
        )
        == 14
    )


# --- subsets ---------------------------------------------------------------------------------------------


def test_subset_plan() -> None:
    plan = build(linear, step_keys=["third.compute", "second.compute"])
    assert plan.is_subset
    assert plan.step_keys_to_execute == ["second.compute", "third.compute"]  # plan order
    assert [s.key for s in plan.topological_steps()] == ["second.compute", "third.compute"]
    assert len(plan.steps) == 3  # the full plan is still there
    assert plan.execution_deps()["second.compute"] == {"one.compute"}
    full = build(linear)
    subset = full.build_subset_plan(["one.compute"])
    assert subset.step_keys_to_execute == ["one.compute"]
    assert not full.is_subset


def test_subset_with_unknown_step() -> None:
    with pytest.raises(
        DagsterExecutionStepNotFoundError, match=r"has no steps \['nope.compute'\]"
    ) as info:
        build(linear, step_keys=["one.compute", "nope.compute"])
    assert info.value.step_keys == ["nope.compute"]
    with pytest.raises(DagsterExecutionStepNotFoundError, match=r'No step "x\.compute"'):
        build(linear).get_step_by_key("x.compute")


# --- priorities, hooks, materializations ------------------------------------------------------------------


@lambda_solid(output_def=OutputDefinition(Int))
def tagged_def() -> int:
    return 0


@composite_solid(output_defs=[OutputDefinition(Int, "out")])
def tagged_composite() -> Any:
    return inc.alias("inside")(tagged_def.alias("inside_source")())


def test_priority_tags() -> None:
    @pipeline
    def prioritized() -> None:
        tagged_def.alias("none")()
        tagged_def.alias("five").tag({"dagster/priority": "5"})()
        tagged_def.alias("negative").tag({"dagster/priority": "-2"})()
        tagged_def.alias("as_int").tag({"dagster/priority": 3})()
        tagged_composite.tag({"dagster/priority": "4"})()

    plan = build(prioritized)
    priorities = {s.key: s.priority for s in plan.steps}
    assert priorities == {
        "none.compute": 0,
        "five.compute": 5,
        "negative.compute": -2,
        "as_int.compute": 3,
        "tagged_composite.inside_source.compute": 4,  # inherited from the composite's tags
        "tagged_composite.inside.compute": 4,
    }
    assert plan.get_step_by_key("five.compute").tags["dagster/priority"] == "5"


def test_bad_priority_value() -> None:
    @pipeline
    def badly_prioritized() -> None:
        tagged_def.alias("bad").tag({"dagster/priority": "high"})()

    with pytest.raises(
        DagsterInvalidDefinitionError,
        match='Solid "bad": tag "dagster/priority" must be an integer, got "high"',
    ):
        build(badly_prioritized)
    with pytest.raises(DagsterInvalidDefinitionError, match="must be an integer"):
        execute_pipeline(badly_prioritized)


@success_hook
def noted(_: Any) -> None:
    pass


def test_hooks_are_attached_to_steps() -> None:
    @pipeline
    def hooked() -> None:
        inc.with_hooks({noted})(one())
        tagged_composite.with_hooks({noted})()

    plan = build(hooked)
    assert plan.get_step_by_key("one.compute").hook_defs == frozenset()
    assert plan.get_step_by_key("inc.compute").hook_defs == {noted}
    assert plan.get_step_by_key("tagged_composite.inside.compute").hook_defs == {noted}
    everywhere = build(linear.with_hooks({noted}))
    assert all(s.hook_defs == {noted} for s in everywhere.steps)


def test_outputs_config_is_attached_to_step_outputs(tmp_path: Any) -> None:
    path = str(tmp_path / "x.json")

    @pipeline
    def materialized() -> None:
        outer(one())

    plan = build(
        materialized, {"solids": {"outer": {"outputs": [{"out": {"json": {"path": path}}}]}}}
    )
    last = plan.get_step_by_key("outer.deep.b.compute").step_output_dict["result"]
    assert last.materializations == ({"json": {"path": path}},)
    assert (
        plan.get_step_by_key("outer.inner.b.compute").step_output_dict["result"].materializations
        == ()
    )
    result = execute_pipeline(
        materialized, {"solids": {"outer": {"outputs": [{"out": {"json": {"path": path}}}]}}}
    )
    assert (tmp_path / "x.json").read_text() == "5"
    materializations = result.result_for_handle("outer.deep.b").materializations_during_compute  # type: ignore[union-attr]
    assert len(materializations) == 1
