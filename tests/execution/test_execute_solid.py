"""execute_solid, execute_solid_within_pipeline and execute_solids_within_pipeline."""

from __future__ import annotations

from typing import Any

import pytest

from notebook_pipelines import (
    CompositeSolidExecutionResult,
    DagsterInvalidConfigError,
    DagsterInvalidDefinitionError,
    DagsterInvalidSubsetError,
    DagsterInvariantViolationError,
    Field,
    InputDefinition,
    Int,
    ModeDefinition,
    OutputDefinition,
    PresetDefinition,
    SolidExecutionResult,
    String,
    composite_solid,
    execute_solid,
    execute_solid_within_pipeline,
    execute_solids_within_pipeline,
    lambda_solid,
    pipeline,
    resource,
    solid,
)
from notebook_pipelines.storage.instance import DagsterInstance


@solid(
    input_defs=[InputDefinition("a", Int), InputDefinition("b", Int)],
    output_defs=[OutputDefinition(Int)],
)
def add(_: Any, a: int, b: int) -> int:
    return a + b


@solid(
    config_schema={"factor": Field(Int, default_value=2)}, input_defs=[InputDefinition("x", Int)]
)
def scale(context: Any, x: int) -> int:
    return x * context.solid_config["factor"]


@resource(config_schema={"greeting": Field(String, default_value="hello")})
def greeter(init_context: Any) -> str:
    return init_context.resource_config["greeting"]


@solid(required_resource_keys={"greeter"}, input_defs=[InputDefinition("name", String)])
def greet(context: Any, name: str) -> str:
    return f"{context.resources.greeter}, {name}"


class OwnError(Exception):
    pass


@solid
def raising(_: Any) -> None:
    raise OwnError("from the solid")


# --- execute_solid -------------------------------------------------------------------------------------


def test_execute_solid_with_input_values() -> None:
    result = execute_solid(add, input_values={"a": 2, "b": 40})
    assert isinstance(result, SolidExecutionResult)
    assert result.success
    assert result.output_value() == 42
    assert result.handle == "add"
    inputs = result.compute_input_event_dict
    assert set(inputs) == {"a", "b"}


def test_execute_solid_with_run_config() -> None:
    assert execute_solid(scale, input_values={"x": 5}).output_value() == 10
    result = execute_solid(
        scale, input_values={"x": 5}, run_config={"solids": {"scale": {"config": {"factor": 7}}}}
    )
    assert result.output_value() == 35


def test_execute_solid_input_from_run_config() -> None:
    result = execute_solid(
        add, input_values={"a": 1}, run_config={"solids": {"add": {"inputs": {"b": 9}}}}
    )
    assert result.output_value() == 10


def test_execute_solid_with_mode_def_resources() -> None:
    mode = ModeDefinition(resource_defs={"greeter": greeter})
    assert execute_solid(greet, mode, input_values={"name": "Ada"}).output_value() == "hello, Ada"
    result = execute_solid(
        greet,
        mode_def=mode,
        input_values={"name": "Ada"},
        run_config={"resources": {"greeter": {"config": {"greeting": "hi"}}}},
    )
    assert result.output_value() == "hi, Ada"


def test_execute_solid_without_needed_resource_is_a_definition_error() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match='resource "greeter" is required by solid "greet"'
    ):
        execute_solid(greet, input_values={"name": "Ada"})


def test_execute_solid_with_tags() -> None:
    @solid
    def reads_tag(context: Any) -> str:
        return f"{context.get_tag('team')}/{context.has_tag('absent')}"

    assert execute_solid(reads_tag, tags={"team": "data"}).output_value() == "data/False"


def test_execute_solid_raises_the_users_error_by_default() -> None:
    with pytest.raises(OwnError, match="from the solid"):
        execute_solid(raising)
    result = execute_solid(raising, raise_on_error=False)
    assert not result.success
    assert result.failure_data.error.cls_name == "OwnError"


def test_execute_solid_input_named_like_the_solid() -> None:
    # the reference names its input stubs after the inputs, so this collided there
    @solid(input_defs=[InputDefinition("same", Int)])
    def same(_: Any, same: int) -> int:
        return same * 3

    assert execute_solid(same, input_values={"same": 4}).output_value() == 12


def test_execute_solid_unknown_input_is_an_error() -> None:
    with pytest.raises(DagsterInvalidDefinitionError, match='solid "add" has no input "c"'):
        execute_solid(add, input_values={"a": 1, "b": 2, "c": 3})


def test_execute_solid_missing_input_is_a_config_error() -> None:
    # "b" must then come from run config (solids.add.inputs.b), which is missing
    with pytest.raises(
        DagsterInvalidConfigError, match=r'Missing required config entry "solids" at the root\.'
    ):
        execute_solid(add, input_values={"a": 1})


def test_execute_solid_needs_a_solid() -> None:
    with pytest.raises(DagsterInvariantViolationError, match="takes a solid definition"):
        execute_solid(lambda: 1)  # type: ignore[arg-type]


@lambda_solid(input_defs=[InputDefinition("x", Int)], output_def=OutputDefinition(Int))
def plus_one(x: int) -> int:
    return x + 1


@composite_solid(input_defs=[InputDefinition("x", Int)], output_defs=[OutputDefinition(Int, "out")])
def plus_three(x: int) -> Any:
    return plus_one.alias("p3")(plus_one.alias("p2")(plus_one.alias("p1")(x)))


def test_execute_composite_solid() -> None:
    result = execute_solid(plus_three, input_values={"x": 10})
    assert isinstance(result, CompositeSolidExecutionResult)
    assert result.success
    assert result.output_value("out") == 13
    assert result.output_values == {"out": 13}
    assert result.output_value_for_solid("p1") == 11
    assert [r.handle for r in result.solid_result_list] == [
        "plus_three.p1",
        "plus_three.p2",
        "plus_three.p3",
    ]


# --- within a pipeline -----------------------------------------------------------------------------------


@solid(config_schema={"start": Int}, output_defs=[OutputDefinition(Int)])
def source(context: Any) -> int:
    return context.solid_config["start"]


@solid(config_schema={"suffix": String}, input_defs=[InputDefinition("x", Int)])
def label(context: Any, x: int) -> str:
    return f"{x}{context.solid_config['suffix']}"


@pipeline(
    mode_defs=[ModeDefinition("default"), ModeDefinition("other")],
    preset_defs=[
        PresetDefinition(
            "configured",
            {
                "solids": {
                    "scale": {"config": {"factor": 100}},
                    "label": {"config": {"suffix": "!"}},
                }
            },
            mode="other",
        )
    ],
)
def chain() -> None:
    label(scale(source()))


def test_execute_solid_within_pipeline_with_stubbed_input() -> None:
    result = execute_solid_within_pipeline(chain, "scale", inputs={"x": 21}, mode="default")
    assert isinstance(result, SolidExecutionResult)
    assert result.success
    assert result.output_value() == 42


def test_other_solids_config_is_ignored() -> None:
    # "source" requires config and "label" gets nonsense: neither runs, so neither matters
    result = execute_solid_within_pipeline(
        chain,
        "scale",
        inputs={"x": 3},
        run_config={
            "solids": {"scale": {"config": {"factor": 5}}, "label": {"config": {"oops": 1}}}
        },
        mode="default",
    )
    assert result.output_value() == 15


def test_execute_solids_within_pipeline() -> None:
    instance = DagsterInstance.ephemeral()
    results = execute_solids_within_pipeline(
        chain,
        {"scale", "label"},
        inputs={"scale": {"x": 4}},
        run_config={"solids": {"label": {"config": {"suffix": " items"}}}},
        mode="default",
        instance=instance,
    )
    assert list(results) == ["scale", "label"]
    assert results["scale"].output_value() == 8
    assert results["label"].output_value() == "8 items"
    (run,) = instance.get_runs()
    assert run.pipeline_name == "chain_stubbed"


def test_execute_solids_within_pipeline_with_preset() -> None:
    results = execute_solids_within_pipeline(
        chain, ["scale", "label"], inputs={"scale": {"x": 2}}, preset="configured"
    )
    assert results["label"].output_value() == "200!"


def test_execute_solids_within_pipeline_uses_real_upstream_when_selected() -> None:
    results = execute_solids_within_pipeline(
        chain,
        {"source", "scale"},
        run_config={"solids": {"source": {"config": {"start": 6}}}},
        mode="other",
    )
    assert results["source"].output_value() == 6
    assert results["scale"].output_value() == 12


def test_unknown_solid_is_an_error() -> None:
    # as the reference: DagsterInvalidSubsetError, with its sentence first
    with pytest.raises(DagsterInvalidSubsetError, match=r"^Pipeline chain has no solid named nope"):
        execute_solid_within_pipeline(chain, "nope", mode="default")


def test_inputs_for_unselected_solid_is_an_error() -> None:
    with pytest.raises(DagsterInvariantViolationError, match='Inputs were given for solid "label"'):
        execute_solids_within_pipeline(
            chain, {"scale"}, inputs={"scale": {"x": 1}, "label": {"x": 1}}, mode="default"
        )


def test_unknown_input_is_an_error() -> None:
    with pytest.raises(DagsterInvalidDefinitionError, match='Solid "scale" has no input "y"'):
        execute_solid_within_pipeline(chain, "scale", inputs={"y": 1}, mode="default")
