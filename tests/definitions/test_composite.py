"""Composite solids: input and output mappings, config mappings (``config_fn``), nesting, and the
errors for mappings that cannot work."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from notebook_pipelines import (
    CompositeSolidDefinition,
    ConfigMapping,
    DagsterConfigMappingFunctionError,
    DagsterInvalidConfigError,
    DagsterInvalidDefinitionError,
    DependencyDefinition,
    Field,
    InputDefinition,
    InputMapping,
    Int,
    ModeDefinition,
    Output,
    OutputDefinition,
    PipelineDefinition,
    ResourceDefinition,
    String,
    composite_solid,
    execute_pipeline,
    execute_solid,
    lambda_solid,
    pipeline,
    solid,
)


@lambda_solid
def one() -> int:
    return 1


@lambda_solid(input_defs=[InputDefinition("num", Int)])
def inc(num: int) -> int:
    return num + 1


@lambda_solid(input_defs=[InputDefinition("num", Int)])
def double(num: int) -> int:
    return num * 2


@solid(config_schema={"factor": Int}, input_defs=[InputDefinition("num", Int)])
def scale(context: Any, num: int) -> int:
    return num * context.solid_config["factor"]


@solid(output_defs=[OutputDefinition(Int, "low"), OutputDefinition(Int, "high")])
def split(context: Any) -> Iterator[Output]:
    yield Output(1, "low")
    yield Output(100, "high")


def run(pipeline_def: PipelineDefinition, run_config: dict[str, Any] | None = None) -> Any:
    result = execute_pipeline(pipeline_def, run_config=run_config)
    assert result.success
    return result


# --- mappings ----------------------------------------------------------------------------------


def test_inputs_and_output_are_mapped_through_the_body() -> None:
    @composite_solid(input_defs=[InputDefinition("start", Int)])
    def inc_then_double(start: Any) -> Any:
        return double(inc(start))

    assert inc_then_double.is_composite
    assert [(d.name, d.dagster_type.display_name) for d in inc_then_double.input_defs] == [
        ("start", "Int")
    ]
    assert [
        (m.definition.name, m.solid_name, m.input_name) for m in inc_then_double.input_mappings
    ] == [("start", "inc", "num")]
    assert [
        (m.definition.name, m.solid_name, m.output_name) for m in inc_then_double.output_mappings
    ] == [("result", "double", "result")]
    # an output mapped from a solid takes that solid's output type
    assert inc_then_double.output_defs[0].dagster_type.display_name == "Int"

    @pipeline
    def uses_composite() -> None:
        inc_then_double(one())

    result = run(uses_composite)
    assert result.result_for_solid("inc_then_double").output_value() == 4
    assert result.result_for_handle("inc_then_double.inc").output_value() == 2
    step_keys = [e.step_key for e in result.event_list if e.event_type_value == "STEP_SUCCESS"]
    assert step_keys == [
        "one.compute",
        "inc_then_double.inc.compute",
        "inc_then_double.double.compute",
    ]


def test_body_parameters_without_input_defs_become_any_inputs() -> None:
    @composite_solid
    def passthrough(value: Any) -> Any:
        return inc(value)

    assert [(d.name, d.dagster_type.display_name) for d in passthrough.input_defs] == [
        ("value", "Any")
    ]
    assert passthrough.positional_inputs == ["value"]


def test_one_composite_input_may_feed_several_inner_inputs() -> None:
    @lambda_solid(input_defs=[InputDefinition("a", Int), InputDefinition("b", Int)])
    def add(a: int, b: int) -> int:
        return a + b

    @composite_solid(input_defs=[InputDefinition("x", Int)])
    def twice(x: Any) -> Any:
        return add(inc(x), double(x))

    assert [d.name for d in twice.input_defs] == ["x"]
    assert sorted((m.solid_name, m.input_name) for m in twice.input_mappings) == [
        ("double", "num"),
        ("inc", "num"),
    ]

    @pipeline
    def p() -> None:
        twice(one())

    assert run(p).result_for_solid("twice").output_value() == 4


def test_several_outputs_from_a_dict() -> None:
    @composite_solid(
        output_defs=[OutputDefinition(Int, "bumped"), OutputDefinition(Int, "doubled")]
    )
    def both(n: Any) -> Any:
        return {"bumped": inc(n), "doubled": double(n)}

    @pipeline
    def p() -> None:
        both(one())

    result = run(p).result_for_solid("both")
    assert result.output_values == {"bumped": 2, "doubled": 2}
    assert result.output_value("doubled") == 2


def test_several_outputs_without_output_defs_take_the_dict_keys() -> None:
    @composite_solid
    def both(n: Any) -> Any:
        return {"first": inc(n), "second": double(inc(n))}

    assert [(d.name, d.dagster_type.display_name) for d in both.output_defs] == [
        ("first", "Int"),
        ("second", "Int"),
    ]


def test_returning_a_multi_output_solid_maps_each_output() -> None:
    @composite_solid
    def wrapped_split() -> Any:
        return split()

    assert [d.name for d in wrapped_split.output_defs] == ["low", "high"]

    @pipeline
    def p() -> None:
        low, high = wrapped_split()
        inc.alias("after_low")(low)
        inc.alias("after_high")(high)

    result = run(p)
    assert result.result_for_solid("after_low").output_value() == 2
    assert result.result_for_solid("after_high").output_value() == 101


def test_a_single_output_def_renames_the_returned_output() -> None:
    @composite_solid(output_defs=[OutputDefinition(Int, "final")])
    def renamed(n: Any) -> Any:
        return inc(n)

    assert [(m.definition.name, m.solid_name) for m in renamed.output_mappings] == [
        ("final", "inc")
    ]


def test_a_body_returning_nothing_has_no_outputs() -> None:
    @composite_solid
    def silent(n: Any) -> None:
        inc(n)

    assert silent.output_defs == []


def test_composite_inputs_can_come_from_run_config() -> None:
    @composite_solid(input_defs=[InputDefinition("start", Int)])
    def bump(start: Any) -> Any:
        return inc(start)

    @pipeline
    def p() -> None:
        bump()

    result = run(p, {"solids": {"bump": {"inputs": {"start": 9}}}})
    assert result.result_for_solid("bump").output_value() == 10


def test_explicit_composite_solid_definition() -> None:
    explicit = CompositeSolidDefinition(
        name="explicit",
        solid_defs=[inc, double],
        input_mappings=[InputDefinition("n", Int).mapping_to("inc", "num")],
        output_mappings=[OutputDefinition(Int, "out").mapping_from("double")],
        dependencies={"double": {"num": DependencyDefinition("inc")}},
        description="by hand",
    )
    assert explicit.description == "by hand"
    assert [d.name for d in explicit.input_defs] == ["n"]
    assert [d.name for d in explicit.output_defs] == ["out"]
    assert explicit.input_mapping_for("inc", "num") == InputMapping(
        explicit.input_defs[0], "inc", "num"
    )
    assert explicit.input_mapping_for("double", "num") is None
    assert explicit.output_mapping_for("out").solid_name == "double"
    assert [s.name for s in explicit.solids] == ["inc", "double"]

    p = PipelineDefinition(
        [one, explicit], name="p", dependencies={"explicit": {"n": DependencyDefinition("one")}}
    )
    assert run(p).result_for_solid("explicit").output_value("out") == 4


# --- bad mappings ----------------------------------------------------------------------------------


def test_an_unused_composite_input_is_refused() -> None:
    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:

        @composite_solid(input_defs=[InputDefinition("used"), InputDefinition("unused")])
        def leaky(used: Any, unused: Any) -> Any:
            return inc(used)

    message = str(excinfo.value)
    assert "composite solid \"leaky\": input(s) ['unused'] are not passed to any solid" in message


def test_input_defs_must_match_the_body_parameters() -> None:
    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:

        @composite_solid(input_defs=[InputDefinition("a")])
        def mismatch(b: Any) -> Any:
            return inc(b)

    assert (
        "composite solid \"mismatch\": input_defs ['a'] do not match the function's parameters ['b']"
        in str(excinfo.value)
    )


def test_a_body_returning_a_plain_value_is_refused() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError,
        match='composite solid "plain": the body must return a solid\'s output',
    ):

        @composite_solid
        def plain() -> Any:
            one()
            return 5


def test_a_returned_dict_entry_must_be_a_solid_output() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match='returned output "bad" is not the output of a solid'
    ):

        @composite_solid
        def half() -> Any:
            return {"good": one(), "bad": 3}


def test_output_defs_must_match_the_returned_outputs() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError,
        match=r"returned outputs \['x', 'y'\] do not match output_defs \['x', 'z'\]",
    ):

        @composite_solid(output_defs=[OutputDefinition(Int, "x"), OutputDefinition(Int, "z")])
        def mismatch() -> Any:
            return {"x": one(), "y": inc(one())}

    with pytest.raises(
        DagsterInvalidDefinitionError, match="output_defs are declared but the body returns nothing"
    ):

        @composite_solid(output_defs=[OutputDefinition(Int)])
        def nothing_returned() -> None:
            one()


def test_input_mapping_to_an_unknown_solid_or_input() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError,
        match='input "n" maps to solid "nope", which is not in the composite',
    ):
        CompositeSolidDefinition(
            "c", [inc], input_mappings=[InputDefinition("n").mapping_to("nope", "num")]
        )
    with pytest.raises(
        DagsterInvalidDefinitionError,
        match='input "n" maps to input "number" of solid "inc", which has no such input',
    ):
        CompositeSolidDefinition(
            "c", [inc], input_mappings=[InputDefinition("n").mapping_to("inc", "number")]
        )


def test_an_inner_input_both_mapped_and_connected_is_refused() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError,
        match='input "num" of solid "inc" is both mapped from the composite and fed by another solid',
    ):
        CompositeSolidDefinition(
            "c",
            [one, inc],
            input_mappings=[InputDefinition("n").mapping_to("inc", "num")],
            dependencies={"inc": {"num": DependencyDefinition("one")}},
        )


def test_output_mapping_from_an_unknown_solid_or_output() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError,
        match='output "out" maps from output "result" of solid "ghost", which does not exist',
    ):
        CompositeSolidDefinition(
            "c", [one], output_mappings=[OutputDefinition(name="out").mapping_from("ghost")]
        )
    with pytest.raises(
        DagsterInvalidDefinitionError,
        match='output "out" maps from output "value" of solid "one", which does not exist',
    ):
        CompositeSolidDefinition(
            "c", [one], output_mappings=[OutputDefinition(name="out").mapping_from("one", "value")]
        )


def test_two_output_mappings_with_one_name_are_refused() -> None:
    with pytest.raises(DagsterInvalidDefinitionError, match='two output mappings are named "out"'):
        CompositeSolidDefinition(
            "c",
            [one, inc],
            output_mappings=[
                OutputDefinition(name="out").mapping_from("one"),
                OutputDefinition(name="out").mapping_from("inc"),
            ],
            dependencies={"inc": {"num": DependencyDefinition("one")}},
        )


def test_mappings_must_be_mapping_objects() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match="input_mappings must be InputMapping objects"
    ):
        CompositeSolidDefinition("c", [inc], input_mappings=[InputDefinition("n")])  # type: ignore[list-item]
    with pytest.raises(
        DagsterInvalidDefinitionError, match="output_mappings must be OutputMapping objects"
    ):
        CompositeSolidDefinition("c", [one], output_mappings=[OutputDefinition()])  # type: ignore[list-item]
    with pytest.raises(
        DagsterInvalidDefinitionError, match="config_mapping must be a ConfigMapping"
    ):
        CompositeSolidDefinition("c", [one], config_mapping=lambda cfg: cfg)  # type: ignore[arg-type]


def test_a_cycle_inside_a_composite_names_the_composite() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError,
        match='composite solid "loop": circular dependency between solids: inc -> double -> inc',
    ):
        CompositeSolidDefinition(
            "loop",
            [inc, double],
            dependencies={
                "inc": {"num": DependencyDefinition("double")},
                "double": {"num": DependencyDefinition("inc")},
            },
        )


def test_an_unknown_output_mapping_lookup_is_an_error() -> None:
    @composite_solid
    def wrapper() -> Any:
        return one()

    with pytest.raises(
        DagsterInvalidDefinitionError, match='Composite solid "wrapper" has no output "other"'
    ):
        wrapper.output_mapping_for("other")


# --- config mapping ----------------------------------------------------------------------------------


@composite_solid(
    config_schema={"times": Int, "label": Field(String, default_value="dflt")},
    config_fn=lambda cfg: {"scale": {"config": {"factor": cfg["times"] * 10}}},
)
def scaled_one() -> Any:
    return scale(one())


def test_config_fn_maps_composite_config_to_inner_solids() -> None:
    assert scaled_one.has_config_mapping
    assert scaled_one.config_schema is scaled_one.config_mapping.config_schema
    assert set(scaled_one.config_schema.config_type.fields) == {"times", "label"}

    @pipeline
    def p() -> None:
        scaled_one()

    result = run(p, {"solids": {"scaled_one": {"config": {"times": 3}}}})
    assert result.result_for_solid("scaled_one").output_value() == 30


def test_config_fn_receives_the_validated_config_with_defaults() -> None:
    seen: list[Any] = []

    def remember(cfg: Any) -> Any:
        seen.append(dict(cfg))
        return {"scale": {"config": {"factor": 1}}}

    @composite_solid(config_schema={"times": Field(Int, default_value=2)}, config_fn=remember)
    def defaults() -> Any:
        return scale(one())

    @pipeline
    def p() -> None:
        defaults()

    run(p)
    assert seen == [{"times": 2}]


def test_a_composite_with_a_config_mapping_hides_its_solids_config() -> None:
    @pipeline
    def p() -> None:
        scaled_one()

    with pytest.raises(DagsterInvalidConfigError) as excinfo:
        execute_pipeline(
            p,
            run_config={"solids": {"scaled_one": {"solids": {"scale": {"config": {"factor": 1}}}}}},
        )
    paths = [e.path_str for e in excinfo.value.errors]
    assert paths == ["root:solids:scaled_one", "root:solids:scaled_one"]
    messages = " ".join(e.message for e in excinfo.value.errors)
    assert 'Missing required config entry "config"' in messages
    assert 'unexpected config entry "solids"' in messages


def test_config_schema_and_config_fn_go_together() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError,
        match='composite solid "half": config_schema and config_fn go together',
    ):

        @composite_solid(config_schema={"x": Int})
        def half() -> Any:
            return one()

    with pytest.raises(DagsterInvalidDefinitionError, match="config_fn must be callable"):
        ConfigMapping(config_fn="not callable")  # type: ignore[arg-type]


def test_a_raising_config_fn_is_a_mapping_function_error_naming_the_handle() -> None:
    @composite_solid(config_schema={"x": Int}, config_fn=lambda cfg: 1 // 0)
    def broken() -> Any:
        return scale(one())

    @pipeline
    def p() -> None:
        broken.alias("aliased")()

    with pytest.raises(DagsterConfigMappingFunctionError) as excinfo:
        execute_pipeline(p, run_config={"solids": {"aliased": {"config": {"x": 1}}}})
    assert (
        'The config mapping function of composite solid "aliased" raised ZeroDivisionError'
        in str(excinfo.value)
    )
    assert isinstance(excinfo.value.user_exception, ZeroDivisionError)


def test_a_config_fn_producing_bad_config_reports_the_inner_path() -> None:
    @composite_solid(
        config_schema={"x": Int},
        config_fn=lambda cfg: {"scale": {"config": {"factor": "many"}}, "stray": {}},
    )
    def wrong() -> Any:
        return scale(one())

    @pipeline
    def p() -> None:
        wrong()

    with pytest.raises(DagsterInvalidConfigError) as excinfo:
        execute_pipeline(p, run_config={"solids": {"wrong": {"config": {"x": 1}}}})
    assert (
        'The config mapping of composite solid "wrong" produced invalid config for its solids'
        in str(excinfo.value)
    )
    assert sorted(e.path_str for e in excinfo.value.errors) == [
        "root:solids:wrong:solids",
        "root:solids:wrong:solids:scale:config:factor",
    ]


# --- nesting -------------------------------------------------------------------------------------------


def test_nested_composites_flatten_into_dotted_step_keys_and_nested_config() -> None:
    @composite_solid
    def middle(n: Any) -> Any:
        return scale(n)

    @composite_solid
    def outer(n: Any) -> Any:
        return inc(middle(n))

    @pipeline
    def p() -> None:
        outer(one())

    config = {
        "solids": {
            "outer": {"solids": {"middle": {"solids": {"scale": {"config": {"factor": 7}}}}}}
        }
    }
    result = run(p, config)
    assert result.result_for_solid("outer").output_value() == 8
    assert result.result_for_handle("outer.middle.scale").output_value() == 7
    step_keys = [e.step_key for e in result.event_list if e.event_type_value == "STEP_SUCCESS"]
    assert step_keys == ["one.compute", "outer.middle.scale.compute", "outer.inc.compute"]
    assert [d.name for d in outer.iterate_solid_defs()] == ["outer", "middle", "scale", "inc"]


def test_config_mappings_at_two_levels_compose() -> None:
    @composite_solid(
        config_schema={"inner_times": Int},
        config_fn=lambda cfg: {"scale": {"config": {"factor": cfg["inner_times"]}}},
    )
    def inner() -> Any:
        return scale(one())

    @composite_solid(
        config_schema={"times": Int},
        config_fn=lambda cfg: {"inner": {"config": {"inner_times": cfg["times"] + 1}}},
    )
    def outer() -> Any:
        return inner()

    @pipeline
    def p() -> None:
        outer()

    result = run(p, {"solids": {"outer": {"config": {"times": 4}}}})
    assert result.result_for_handle("outer.inner.scale").output_value() == 5


def test_a_nested_config_mapping_error_reports_the_full_path() -> None:
    @composite_solid(
        config_schema={"x": Int}, config_fn=lambda cfg: {"scale": {"config": {"factor": "x"}}}
    )
    def inner() -> Any:
        return scale(one())

    @composite_solid
    def outer() -> Any:
        return inner()

    @pipeline
    def p() -> None:
        outer()

    with pytest.raises(DagsterInvalidConfigError) as excinfo:
        execute_pipeline(
            p, run_config={"solids": {"outer": {"solids": {"inner": {"config": {"x": 1}}}}}}
        )
    assert [e.path_str for e in excinfo.value.errors] == [
        "root:solids:outer:solids:inner:solids:scale:config:factor"
    ]


def test_a_composite_used_twice_gets_distinct_handles() -> None:
    @composite_solid
    def bump(n: Any) -> Any:
        return inc(n)

    @pipeline
    def p() -> None:
        bump(bump(one()))

    result = run(p)
    assert [s.name for s in p.solids] == ["one", "bump", "bump_2"]
    assert result.result_for_handle("bump_2.inc").output_value() == 3


def test_required_resource_keys_are_the_union_of_the_inner_solids() -> None:
    @solid(required_resource_keys={"db"})
    def reads(context: Any) -> int:
        return 1

    @solid(required_resource_keys={"cache"}, input_defs=[InputDefinition("n", Int)])
    def writes(context: Any, n: int) -> int:
        return n

    @composite_solid
    def io() -> Any:
        return writes(reads())

    assert io.required_resource_keys == frozenset({"db", "cache"})

    @pipeline(
        mode_defs=[
            ModeDefinition(
                resource_defs={
                    "db": ResourceDefinition.none_resource(),
                    "cache": ResourceDefinition.none_resource(),
                }
            )
        ]
    )
    def p() -> None:
        io()

    assert run(p).result_for_solid("io").output_value() == 1


# --- inner default values -----------------------------------------------------------------------


@lambda_solid(input_defs=[InputDefinition("x", Int, default_value=1337)])
def x_with_default(x: int) -> int:
    return x


@lambda_solid(input_defs=[InputDefinition("x", Int)])
def x_without_default(x: int) -> int:
    return x


def test_a_composite_input_whose_inner_input_has_a_default_needs_no_config() -> None:
    @composite_solid(input_defs=[InputDefinition("y", Int)])
    def wrap(y: Any) -> Any:
        return x_with_default(y)

    assert wrap.input_defaults_inside("y")
    assert execute_solid(wrap).output_value() == 1337
    # config still wins over the inner default
    given = {"solids": {"wrap": {"inputs": {"y": 5}}}}
    assert execute_solid(wrap, run_config=given).output_value() == 5


def test_a_default_in_the_middle_of_nested_composites_is_used() -> None:
    @composite_solid(input_defs=[InputDefinition("y", Int, default_value=42)])
    def wrap(y: Any) -> Any:
        return x_without_default(y)

    @composite_solid(input_defs=[InputDefinition("z", Int)])
    def outer(z: Any) -> Any:
        return wrap(z)

    assert outer.input_defaults_inside("z")
    assert execute_solid(outer).output_value() == 42


def test_every_inner_input_fed_must_have_a_default_for_the_input_to_be_optional() -> None:
    @composite_solid(input_defs=[InputDefinition("y", Int)])
    def both(y: Any) -> Any:
        x_with_default(y)
        return x_without_default(y)

    assert not both.input_defaults_inside("y")
    with pytest.raises(DagsterInvalidConfigError, match='entry "solids" at the root'):
        execute_solid(both)
    given = {"solids": {"both": {"inputs": {"y": 5}}}}
    assert execute_solid(both, run_config=given).output_value() == 5
