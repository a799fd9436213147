"""``@solid``, ``@lambda_solid`` and :class:`SolidDefinition`: inputs and outputs from annotations,
the return-value rules, and the errors for a badly decorated function."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest

from notebook_pipelines import (
    AssetMaterialization,
    DagsterInvalidConfigDefinitionError,
    DagsterInvalidDefinitionError,
    DagsterInvariantViolationError,
    DagsterStepOutputNotFoundError,
    ExpectationResult,
    Field,
    InputDefinition,
    Int,
    Nothing,
    Output,
    OutputDefinition,
    PipelineDefinition,
    SolidDefinition,
    String,
    execute_pipeline,
    execute_solid,
    lambda_solid,
    pipeline,
    solid,
)


def single_solid_pipeline(solid_def: SolidDefinition) -> PipelineDefinition:
    return PipelineDefinition([solid_def], name=f"run_{solid_def.name}")


# --- the decorators ----------------------------------------------------------------------------


def test_bare_solid_takes_name_and_description_from_the_function() -> None:
    @solid
    def greet(context: Any) -> str:
        """Say hello."""
        return "hello"

    assert isinstance(greet, SolidDefinition)
    assert greet.name == "greet"
    assert greet.description == "Say hello."
    assert greet.input_defs == []
    assert [(o.name, o.dagster_type.display_name) for o in greet.output_defs] == [
        ("result", "String")
    ]
    assert greet.required_resource_keys == frozenset()
    assert greet.config_schema is None


def test_solid_with_arguments_keeps_each_of_them() -> None:
    @solid(
        name="renamed",
        description="explicit",
        config_schema={"n": Int},
        required_resource_keys={"db", "cache"},
        tags={"team": "data", "priority": 3},
        version="v1",
    )
    def original(context: Any) -> None:
        """Docstring loses to the explicit description."""

    assert original.name == "renamed"
    assert original.description == "explicit"
    assert original.required_resource_keys == frozenset({"db", "cache"})
    # non-string tag values are kept as their JSON text, as the reference does
    assert original.tags == {"team": "data", "priority": "3"}
    assert original.version == "v1"
    assert original.config_schema is not None
    assert set(original.config_schema.config_type.fields) == {"n"}


def test_solid_with_empty_parentheses_is_the_same_as_bare() -> None:
    @solid()
    def noop(context: Any) -> None:
        pass

    assert noop.name == "noop"


@pytest.mark.parametrize("context_name", ["context", "_context", "_", "ctx"])
def test_the_context_parameter_may_have_the_usual_names(context_name: str) -> None:
    namespace: dict[str, Any] = {}
    exec(f"def fn({context_name}, x: int) -> int:\n    return x + 1", namespace)
    solid_def = solid(namespace["fn"])
    assert [d.name for d in solid_def.input_defs] == ["x"]
    assert execute_solid(solid_def, input_values={"x": 1}).output_value() == 2


def test_inputs_come_from_parameters_with_types_and_defaults() -> None:
    @solid
    def mix(context: Any, a: int, b: str = "dflt", c=None) -> str:  # type: ignore[no-untyped-def]
        return f"{a}{b}{c}"

    inputs = {d.name: d for d in mix.input_defs}
    assert list(inputs) == ["a", "b", "c"]
    assert inputs["a"].dagster_type.display_name == "Int"
    assert inputs["b"].dagster_type.display_name == "String"
    assert inputs["c"].dagster_type.display_name == "Any"
    assert not inputs["a"].has_default_value
    assert inputs["b"].default_value == "dflt"
    assert inputs["c"].has_default_value and inputs["c"].default_value is None
    assert mix.positional_inputs == ["a", "b", "c"]
    result = execute_solid(mix, input_values={"a": 4})
    assert result.output_value() == "4dfltNone"


def test_output_type_comes_from_the_return_annotation() -> None:
    @solid
    def typed(context: Any) -> int:
        return 1

    @solid
    def untyped(context: Any):  # type: ignore[no-untyped-def]
        return 1

    assert typed.output_defs[0].dagster_type.display_name == "Int"
    assert untyped.output_defs[0].name == "result"
    assert untyped.output_defs[0].dagster_type.display_name == "Any"


def test_return_annotation_none_gives_a_nothing_output() -> None:
    # Deviation pinned on purpose: the reference reads `-> None` as Any; here `type(None)` means
    # Nothing (types.py), so a solid annotated `-> None` exposes a Nothing output.
    @solid
    def side_effect(context: Any) -> None:
        pass

    assert side_effect.output_defs[0].dagster_type.is_nothing
    assert execute_solid(side_effect).success


def test_explicit_input_defs_win_over_annotations() -> None:
    @solid(input_defs=[InputDefinition("x", String)], output_defs=[OutputDefinition(String, "out")])
    def shout(context: Any, x: int) -> int:
        return x.upper()  # type: ignore[attr-defined,no-any-return]

    assert shout.input_defs[0].dagster_type.display_name == "String"
    assert [o.name for o in shout.output_defs] == ["out"]
    assert execute_solid(shout, input_values={"x": "hi"}).output_value("out") == "HI"


def test_a_parameter_with_a_default_may_be_left_out_of_input_defs() -> None:
    @solid(input_defs=[InputDefinition("x", Int)])
    def add(context: Any, x: int, y: int = 10) -> int:
        return x + y

    assert [d.name for d in add.input_defs] == ["x"]
    assert execute_solid(add, input_values={"x": 1}).output_value() == 11


def test_kwargs_parameter_accepts_any_input_defs() -> None:
    @solid(input_defs=[InputDefinition("a", Int), InputDefinition("b", Int)])
    def total(context: Any, **kwargs: int) -> int:
        return sum(kwargs.values())

    assert execute_solid(total, input_values={"a": 1, "b": 2}).output_value() == 3


def test_input_defs_that_do_not_match_parameters_name_the_solid_and_inputs() -> None:
    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:

        @solid(input_defs=[InputDefinition("x"), InputDefinition("ghost")])
        def mismatched(context: Any, x: Any, y: Any) -> None:
            pass

    message = str(excinfo.value)
    assert 'Solid "mismatched"' in message
    assert "parameters without an InputDefinition: ['y']" in message
    assert "InputDefinitions without a parameter: ['ghost']" in message


def test_a_nothing_input_needs_no_parameter_and_orders_the_solid() -> None:
    order: list[str] = []

    @solid
    def first(context: Any) -> None:
        order.append("first")

    @solid(input_defs=[InputDefinition("start", Nothing)])
    def after(context: Any) -> int:
        order.append("after")
        return 1

    @pipeline
    def ordered() -> None:
        after(first())

    assert [d.name for d in after.input_defs] == ["start"]
    result = execute_pipeline(ordered)
    assert result.success
    assert order == ["first", "after"]
    assert result.result_for_solid("after").output_value() == 1


def test_a_nothing_input_must_not_be_a_parameter() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match=r"Nothing inputs \['start'\] receive no value"
    ):

        @solid(input_defs=[InputDefinition("start", Nothing)])
        def after(context: Any, start: Any) -> None:
            pass


def test_solid_needs_the_context_as_first_parameter() -> None:
    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:

        @solid
        def no_context(x: int) -> int:
            return x

    message = str(excinfo.value)
    assert '@solid "no_context"' in message
    assert 'found "x"' in message
    assert "@lambda_solid" in message

    with pytest.raises(DagsterInvalidDefinitionError, match="found no parameters"):

        @solid
        def nothing_at_all() -> None:
            pass


def test_positional_only_and_star_args_are_refused() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match='parameter "x" cannot be positional-only'
    ):

        @solid
        def positional(context: Any, x: int, /) -> int:
            return x

    with pytest.raises(DagsterInvalidDefinitionError, match='parameter "rest" cannot be'):

        @solid
        def star(context: Any, *rest: int) -> int:
            return 0


def test_a_positional_only_context_is_fine() -> None:
    @solid
    def positional_context(context: Any, /, x: int) -> int:
        return x * 2

    assert execute_solid(positional_context, input_values={"x": 4}).output_value() == 8


def test_an_empty_name_falls_back_to_the_function_name() -> None:
    # as in the reference (`name or fn.__name__`)
    @solid(name="")
    def fallback(context: Any) -> None:
        pass

    assert fallback.name == "fallback"


def test_an_input_named_context_is_reserved() -> None:
    with pytest.raises(DagsterInvalidDefinitionError, match='Input name "context" is reserved'):

        @lambda_solid
        def takes_context(context: Any) -> Any:
            return context


@pytest.mark.parametrize("bad_name", ["has space", "dash-ed", "dot.ted", "ünï"])
def test_invalid_solid_names_are_refused(bad_name: str) -> None:
    with pytest.raises(DagsterInvalidDefinitionError, match="is not valid; names must match"):

        @solid(name=bad_name)
        def fine(context: Any) -> None:
            pass


def test_invalid_input_and_output_names_are_refused() -> None:
    with pytest.raises(DagsterInvalidDefinitionError, match="'a-b' is not valid"):
        InputDefinition("a-b")
    with pytest.raises(DagsterInvalidDefinitionError, match="'out put' is not valid"):
        OutputDefinition(Int, "out put")


def test_required_resource_keys_as_a_string_is_refused() -> None:
    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:

        @solid(required_resource_keys="db")  # type: ignore[arg-type]
        def uses_db(context: Any) -> None:
            pass

    assert 'Solid "uses_db"' in str(excinfo.value)
    assert '{"db"}' in str(excinfo.value)


def test_bad_tags_are_refused() -> None:
    with pytest.raises(DagsterInvalidDefinitionError, match="tags must be a dict"):

        @solid(tags="team")  # type: ignore[arg-type]
        def tagged(context: Any) -> None:
            pass

    with pytest.raises(
        DagsterInvalidDefinitionError, match='tag "obj" must be a string or JSON-able'
    ):

        @solid(tags={"obj": object()})
        def tagged_obj(context: Any) -> None:
            pass


def test_input_and_output_defs_must_be_lists() -> None:
    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:

        @solid(input_defs=InputDefinition("x"))  # type: ignore[arg-type]
        def one_input(context: Any, x: Any) -> None:
            pass

    assert 'Solid "one_input": input_defs must be a list' in str(excinfo.value)
    assert "write [InputDefinition('x', Any)]" in str(excinfo.value)

    with pytest.raises(
        DagsterInvalidDefinitionError, match='"one_output": output_defs must be a list'
    ):

        @solid(output_defs=OutputDefinition())  # type: ignore[arg-type]
        def one_output(context: Any) -> None:
            pass


def test_input_defs_must_be_input_definitions() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match="input_defs must be InputDefinition objects"
    ):
        SolidDefinition("s", ["x"], lambda c, i: (), [])  # type: ignore[list-item]
    with pytest.raises(DagsterInvalidDefinitionError, match="output_defs must be OutputDefinition"):
        SolidDefinition("s", [], lambda c, i: (), [Int])  # type: ignore[list-item]


def test_duplicate_input_or_output_names_are_refused() -> None:
    with pytest.raises(DagsterInvalidDefinitionError, match='solid "dup" has two inputs named "x"'):
        SolidDefinition("dup", [InputDefinition("x"), InputDefinition("x")], lambda c, i: (), [])
    with pytest.raises(
        DagsterInvalidDefinitionError, match='solid "dup" has two outputs named "o"'
    ):
        SolidDefinition(
            "dup", [], lambda c, i: (), [OutputDefinition(name="o"), OutputDefinition(name="o")]
        )


def test_a_bad_config_schema_is_a_config_definition_error() -> None:
    with pytest.raises(DagsterInvalidConfigDefinitionError) as excinfo:

        @solid(config_schema={"n": 3})
        def configured_badly(context: Any) -> None:
            pass

    assert 'solid "configured_badly" config_schema' in str(excinfo.value)


def test_decorating_something_that_is_not_a_function_is_refused() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match='Solid "named": expected a function, got 3'
    ):
        solid(name="named")(3)  # type: ignore[arg-type]


def test_compute_fn_must_be_callable() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match='Solid "s": compute_fn must be callable'
    ):
        SolidDefinition("s", [], "not callable", [])  # type: ignore[arg-type]


def test_a_bad_input_annotation_names_the_input() -> None:
    with pytest.raises(DagsterInvalidDefinitionError, match='input "x"'):

        @solid
        def weird(context: Any, x: 3) -> None:  # type: ignore[valid-type]
            pass


# --- return-value rules (they show at run time) --------------------------------------------------


def test_a_returned_value_becomes_the_single_output() -> None:
    @solid(output_defs=[OutputDefinition(Int, "total")])
    def count(context: Any) -> int:
        return 7

    result = execute_solid(count)
    assert result.output_value("total") == 7
    assert result.output_values == {"total": 7}


def test_a_returned_output_passes_through() -> None:
    @solid(output_defs=[OutputDefinition(Int, "named")])
    def explicit(context: Any) -> Output:
        return Output(5, "named")

    assert execute_solid(explicit).output_value("named") == 5


def test_a_generator_yields_outputs_materializations_and_expectations() -> None:
    @solid(output_defs=[OutputDefinition(Int, "a"), OutputDefinition(Int, "b")])
    def gen(context: Any) -> Iterator[Any]:
        yield AssetMaterialization(asset_key="table")
        yield ExpectationResult(success=True, label="positive")
        yield Output(1, "a")
        yield Output(2, "b")

    result = execute_solid(gen)
    assert result.output_values == {"a": 1, "b": 2}
    assert [m.label for m in result.materializations_during_compute] == ["table"]
    assert [e.label for e in result.expectation_results_during_compute] == ["positive"]


@pytest.mark.parametrize("returned", [AssetMaterialization("k"), ExpectationResult(True)])
def test_returning_a_materialization_or_expectation_is_an_error(returned: Any) -> None:
    @solid
    def returns_event(context: Any) -> Any:
        return returned

    with pytest.raises(DagsterInvariantViolationError) as excinfo:
        execute_pipeline(single_solid_pipeline(returns_event))
    # the message is the reference's sentence; ours follows as a note (shown in tracebacks)
    assert str(excinfo.value).startswith("Error in solid returns_event: If you are returning")
    if sys.version_info >= (3, 11):
        (note,) = excinfo.value.__notes__
        assert 'Solid "returns_event" returned a' in note
        assert "must be yielded" in note


def test_a_solid_without_outputs_may_only_return_none() -> None:
    @solid(output_defs=[])
    def quiet(context: Any) -> None:
        return None

    @solid(output_defs=[])
    def chatty(context: Any) -> int:
        return 5

    assert execute_solid(quiet).success
    with pytest.raises(
        DagsterInvariantViolationError,
        match=r'Solid "chatty" returned a value \(int\) but has no outputs',
    ):
        execute_pipeline(single_solid_pipeline(chatty))


def test_a_solid_with_several_outputs_must_not_return_a_value() -> None:
    @solid(output_defs=[OutputDefinition(Int, "x"), OutputDefinition(Int, "y")])
    def split(context: Any) -> int:
        return 1

    with pytest.raises(
        DagsterInvariantViolationError,
        match=r'Solid "split" returned a value \(int\) but has 2 outputs',
    ):
        execute_pipeline(single_solid_pipeline(split))


def test_a_solid_with_several_outputs_returning_none_misses_required_outputs() -> None:
    @solid(output_defs=[OutputDefinition(Int, "x"), OutputDefinition(Int, "y")])
    def lazy(context: Any) -> None:
        return None

    with pytest.raises(DagsterStepOutputNotFoundError, match='"x"'):
        execute_pipeline(single_solid_pipeline(lazy))


def test_an_optional_output_may_be_left_out_by_a_generator() -> None:
    @solid(
        output_defs=[
            OutputDefinition(Int, "always"),
            OutputDefinition(Int, "maybe", is_required=False),
        ]
    )
    def partial(context: Any) -> Iterator[Output]:
        yield Output(1, "always")

    result = execute_solid(partial)
    assert result.success
    assert result.output_value("always") == 1
    assert partial.output_dict["maybe"].optional


# --- lambda_solid --------------------------------------------------------------------------------


def test_lambda_solid_has_no_context_and_wraps_its_return_value() -> None:
    @lambda_solid
    def add(a: int, b: int = 2) -> int:
        """Add."""
        return a + b

    assert add.name == "add"
    assert add.description == "Add."
    assert [(d.name, d.dagster_type.display_name) for d in add.input_defs] == [
        ("a", "Int"),
        ("b", "Int"),
    ]
    assert add.output_defs[0].dagster_type.display_name == "Int"
    assert add.config_schema is None
    assert execute_solid(add, input_values={"a": 1}).output_value() == 3


def test_lambda_solid_with_arguments() -> None:
    @lambda_solid(
        name="upper",
        input_defs=[InputDefinition("text", String)],
        output_def=OutputDefinition(String, "shouted"),
    )
    def make_upper(text: str) -> str:
        return text.upper()

    assert make_upper.name == "upper"
    assert execute_solid(make_upper, input_values={"text": "a"}).output_value("shouted") == "A"


def test_lambda_solid_always_wraps_even_an_output_object() -> None:
    # the reference wraps whatever a lambda_solid returns; a returned Output is just a value
    @lambda_solid
    def returns_output() -> Any:
        return Output(3)

    assert isinstance(execute_solid(returns_output).output_value(), Output)


# --- SolidDefinition directly --------------------------------------------------------------------


def test_solid_definition_takes_a_compute_fn_of_context_and_inputs() -> None:
    def compute(context: Any, inputs: dict[str, Any]) -> Iterator[Output]:
        yield Output(inputs["x"] * context.solid_config["factor"], "scaled")

    scale = SolidDefinition(
        name="scale",
        input_defs=[InputDefinition("x", Int)],
        compute_fn=compute,
        output_defs=[OutputDefinition(Int, "scaled")],
        config_schema={"factor": Field(Int, default_value=3)},
    )
    assert not scale.is_composite
    assert scale.has_input("x") and not scale.has_input("y")
    assert scale.has_output("scaled")
    result = execute_solid(scale, input_values={"x": 2})
    assert result.output_value("scaled") == 6


def test_unknown_input_or_output_lookup_lists_what_exists() -> None:
    @solid
    def s(context: Any, a: int) -> int:
        return a

    with pytest.raises(
        DagsterInvalidDefinitionError,
        match=r"Solid \"s\" has no input \"b\"; its inputs are \['a'\]",
    ):
        s.input_def_named("b")
    with pytest.raises(
        DagsterInvalidDefinitionError, match=r"has no output \"x\"; its outputs are \['result'\]"
    ):
        s.output_def_named("x")


def test_input_definition_without_default_raises_on_access() -> None:
    input_def = InputDefinition("x", Int)
    with pytest.raises(DagsterInvalidDefinitionError, match='Input "x" has no default value'):
        _ = input_def.default_value


def test_a_nothing_input_cannot_have_a_default() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match='Input "go" of type Nothing cannot have a default'
    ):
        InputDefinition("go", Nothing, default_value=None)
