"""Graph building checks on dependencies: Nothing outputs in a fan-in."""

from __future__ import annotations

import pytest

from notebook_pipelines import (
    Any,
    DagsterInvalidDefinitionError,
    DependencyDefinition,
    InputDefinition,
    List,
    MultiDependencyDefinition,
    Nothing,
    OutputDefinition,
    PipelineDefinition,
    execute_pipeline,
    lambda_solid,
)


@lambda_solid
def emit_num() -> int:
    return 1


@lambda_solid(output_def=OutputDefinition(Nothing))
def emit_nothing() -> None:
    pass


@lambda_solid(input_defs=[InputDefinition("stuff", List[Any])])
def collect(stuff: list[object]) -> list[object]:
    return stuff


@lambda_solid(input_defs=[InputDefinition("stuff")])
def collect_any(stuff: object) -> object:
    return stuff


@lambda_solid(input_defs=[InputDefinition("after", Nothing)])
def last() -> str:
    return "done"


def _fan_in(target: object, name: str) -> PipelineDefinition:
    return PipelineDefinition(
        [emit_num, emit_nothing, target],  # type: ignore[list-item]
        name="fan",
        dependencies={
            name: {
                target.input_defs[0].name: MultiDependencyDefinition(  # type: ignore[attr-defined]
                    [DependencyDefinition("emit_num"), DependencyDefinition("emit_nothing")]
                )
            }
        },
    )


def test_a_nothing_output_in_a_fan_in_to_a_list_is_refused() -> None:
    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:
        _fan_in(collect, "collect")
    message = str(excinfo.value)
    # the reference's sentence first (its [X] notation for a list), then ours with the solids
    assert message.startswith(
        'Input "stuff" expects a value of type [Any] and output "result" returns type Nothing. '
        'pipeline "fan": input "stuff" of solid "collect" depends on output "result" of solid '
        '"emit_nothing", which is of type Nothing'
    )


def test_a_nothing_output_in_a_fan_in_to_any_is_refused() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError,
        match=r'^Input "stuff" expects a value of type Any and output "result" returns type Noth',
    ):
        _fan_in(collect_any, "collect_any")


def test_nothing_outputs_may_fan_in_to_a_nothing_input() -> None:
    result = execute_pipeline(_fan_in(last, "last"))
    assert result.success
    assert result.result_for_solid("last").output_value() == "done"


def test_a_single_dependency_on_a_nothing_output_stays_accepted() -> None:
    pipeline_def = PipelineDefinition(
        [emit_nothing, collect_any],
        name="single",
        dependencies={"collect_any": {"stuff": DependencyDefinition("emit_nothing")}},
    )
    assert pipeline_def.graph.source_of("collect_any", "stuff") is not None
