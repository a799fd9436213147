""":class:`PipelineDefinition`: explicit dependencies, the definition-time checks (names, unknown
solids/inputs/outputs with "did you mean", cycles, inputs with no source, resources), modes and
presets, subsets by the selection grammar, ``with_hooks`` and looking solids up by handle."""

from __future__ import annotations

import re
from typing import Any

import pytest

from notebook_pipelines import (
    DagsterInvalidDefinitionError,
    DagsterInvalidSubsetError,
    DagsterInvariantViolationError,
    DependencyDefinition,
    InputDefinition,
    Int,
    List,
    ModeDefinition,
    MultiDependencyDefinition,
    PipelineDefinition,
    PresetDefinition,
    ResourceDefinition,
    SolidInvocation,
    composite_solid,
    execute_pipeline,
    lambda_solid,
    pipeline,
    solid,
    success_hook,
)


@lambda_solid
def emit() -> int:
    return 1


@lambda_solid(input_defs=[InputDefinition("num", Int)])
def plus_one(num: int) -> int:
    return num + 1


@lambda_solid(input_defs=[InputDefinition("nums", List[Int])])
def summed(nums: list[int]) -> int:
    return sum(nums)


class Opaque:
    """A type with no loader: an unconnected input of this type can never get a value."""


@lambda_solid(input_defs=[InputDefinition("thing", Opaque)])
def consume(thing: Opaque) -> str:
    return type(thing).__name__


@lambda_solid
def make_opaque() -> Opaque:
    return Opaque()


def outputs(result: Any) -> dict[str, Any]:
    return {r.solid.name: r.output_value() for r in result.solid_result_list}


# --- explicit dependencies -------------------------------------------------------------------------


def test_dependency_definitions_wire_solids() -> None:
    chain = PipelineDefinition(
        [emit, plus_one],
        name="chain",
        dependencies={"plus_one": {"num": DependencyDefinition("emit")}},
    )
    assert chain.name == "chain"
    assert [s.name for s in chain.solids] == ["emit", "plus_one"]
    assert chain.graph.upstream() == {"emit": set(), "plus_one": {"emit"}}
    assert outputs(execute_pipeline(chain)) == {"emit": 1, "plus_one": 2}


def test_solids_are_ordered_topologically_whatever_the_listing_order() -> None:
    chain = PipelineDefinition(
        [plus_one, emit],
        name="reversed_listing",
        dependencies={"plus_one": {"num": DependencyDefinition("emit", "result")}},
    )
    assert [s.name for s in chain.solids] == ["emit", "plus_one"]


def test_multi_dependency_definition_fans_in_in_order() -> None:
    fan = PipelineDefinition(
        [emit, plus_one, summed],
        name="fan",
        dependencies={
            SolidInvocation("emit", "a"): {},
            SolidInvocation("emit", "b"): {},
            "plus_one": {"num": DependencyDefinition("a")},
            "summed": {
                "nums": MultiDependencyDefinition(
                    [
                        DependencyDefinition("plus_one"),
                        DependencyDefinition("a"),
                        DependencyDefinition("b"),
                    ]
                )
            },
        },
    )
    source = fan.graph.source_of("summed", "nums")
    assert source is not None and source.is_fan_in
    assert [(r.solid_name, r.output_name) for r in source.refs] == [
        ("plus_one", "result"),
        ("a", "result"),
        ("b", "result"),
    ]
    assert execute_pipeline(fan).result_for_solid("summed").output_value() == 4


def test_solid_invocation_gives_alias_tags_and_hooks() -> None:
    @success_hook
    def on_ok(context: Any) -> None:
        pass

    invoked = PipelineDefinition(
        [emit, plus_one],
        name="invoked",
        dependencies={
            SolidInvocation("emit", alias="source", tags={"k": "v"}, hook_defs={on_ok}): {},
            SolidInvocation("plus_one", alias="next"): {"num": DependencyDefinition("source")},
        },
    )
    assert sorted(s.name for s in invoked.solids) == ["next", "source"]
    source = invoked.solid_named("source")
    assert source.definition is emit
    assert source.tags == {"k": "v"}
    assert source.hook_defs == frozenset({on_ok})
    assert invoked.solid_named("next").hook_defs == frozenset()
    assert outputs(execute_pipeline(invoked)) == {"source": 1, "next": 2}


def test_a_definition_used_only_under_aliases_is_not_added_unaliased() -> None:
    aliased = PipelineDefinition(
        [emit], name="aliased", dependencies={SolidInvocation("emit", "first"): {}}
    )
    assert [s.name for s in aliased.solids] == ["first"]


def test_the_same_definition_listed_twice_is_fine() -> None:
    twice = PipelineDefinition([emit, emit], name="twice")
    assert [s.name for s in twice.solids] == ["emit"]


def test_two_definitions_with_one_name_inside_composites_are_refused() -> None:
    @lambda_solid
    def noop() -> None:
        pass

    @composite_solid(name="same")
    def first() -> None:
        noop()

    @composite_solid(name="same")
    def second() -> None:
        noop()

    @composite_solid
    def wrapper() -> None:
        second()

    @composite_solid
    def top() -> None:
        wrapper()
        first()

    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:
        PipelineDefinition([top], name="dupes")
    assert str(excinfo.value) == (
        'pipeline "dupes": two different solid definitions are named "same" (at solids '
        '"top.wrapper.same" and "top.same"); rename one of them.'
    )

    # the same definition used at several depths is fine
    @composite_solid
    def again() -> None:
        first()

    @composite_solid
    def both() -> None:
        again()
        first()

    assert PipelineDefinition([both], name="reuse").name == "reuse"


def test_default_name_is_dunder_pipeline() -> None:
    nameless = PipelineDefinition([emit])
    assert nameless.name == "__pipeline"
    assert nameless.display_name == "__pipeline"
    assert PipelineDefinition([emit], name="named").display_name == "named"


# --- definition-time errors -------------------------------------------------------------------------


def test_two_different_definitions_with_one_name_are_refused() -> None:
    @lambda_solid(name="emit")
    def impostor() -> int:
        return 2

    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:
        PipelineDefinition([emit, impostor], name="clash")
    assert 'pipeline "clash": two different solid definitions are named "emit"' in str(
        excinfo.value
    )


def test_two_invocations_with_one_alias_are_refused() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match='pipeline "dup_alias": two solids are named "x"'
    ):
        PipelineDefinition(
            [emit, plus_one],
            name="dup_alias",
            dependencies={SolidInvocation("emit", "x"): {}, SolidInvocation("plus_one", "x"): {}},
        )


def test_an_alias_colliding_with_an_unaliased_definition_is_refused() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match='an alias "emit" collides with the solid definition'
    ):
        PipelineDefinition(
            [emit, plus_one],
            name="collide",
            dependencies={SolidInvocation("plus_one", "emit"): {}},
        )


def test_an_unknown_solid_in_dependencies_suggests_a_name() -> None:
    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:
        PipelineDefinition(
            [emit, plus_one],
            name="typo",
            dependencies={"plus_onee": {"num": DependencyDefinition("emit")}},
        )
    message = str(excinfo.value)
    assert (
        'pipeline "typo": dependencies name solid "plus_onee", which is not in solid_defs'
        in message
    )
    assert 'did you mean "plus_one"?' in message


def test_depending_on_an_unknown_solid_suggests_a_name() -> None:
    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:
        PipelineDefinition(
            [emit, plus_one],
            name="typo",
            dependencies={"plus_one": {"num": DependencyDefinition("emitt")}},
        )
    message = str(excinfo.value)
    assert (
        'input "num" of solid "plus_one" depends on solid "emitt", which is not in the graph'
        in message
    )
    assert 'did you mean "emit"?' in message


def test_an_unknown_solid_with_nothing_close_has_no_suggestion() -> None:
    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:
        PipelineDefinition(
            [emit, plus_one],
            name="far",
            dependencies={"plus_one": {"num": DependencyDefinition("zzz")}},
        )
    assert "did you mean" not in str(excinfo.value)


def test_an_unknown_input_lists_the_inputs() -> None:
    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:
        PipelineDefinition(
            [emit, plus_one],
            name="bad_input",
            dependencies={"plus_one": {"number": DependencyDefinition("emit")}},
        )
    assert (
        'pipeline "bad_input": solid "plus_one" has no input "number" (its inputs: [\'num\'])'
        in str(excinfo.value)
    )


def test_an_unknown_output_lists_the_outputs() -> None:
    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:
        PipelineDefinition(
            [emit, plus_one],
            name="bad_output",
            dependencies={"plus_one": {"num": DependencyDefinition("emit", "value")}},
        )
    message = str(excinfo.value)
    assert 'input "num" of solid "plus_one" depends on output "value" of solid "emit"' in message
    assert "(its outputs: ['result'])" in message


def test_a_cycle_is_named_along_its_edges() -> None:
    @lambda_solid(input_defs=[InputDefinition("x")])
    def a(x: Any) -> Any:
        return x

    @lambda_solid(input_defs=[InputDefinition("x")])
    def b(x: Any) -> Any:
        return x

    @lambda_solid(input_defs=[InputDefinition("x")])
    def c(x: Any) -> Any:
        return x

    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:
        PipelineDefinition(
            [a, b, c, emit],
            name="loop",
            dependencies={
                "a": {"x": DependencyDefinition("c")},
                "b": {"x": DependencyDefinition("a")},
                "c": {"x": DependencyDefinition("b")},
            },
        )
    message = str(excinfo.value)
    assert message.startswith('pipeline "loop": ')
    # data flows a -> b -> c -> a; the message follows the edges, starting anywhere on the cycle
    assert message.endswith("circular dependency between solids: a -> b -> c -> a.")
    assert "emit" not in message


def test_a_solid_depending_on_itself_is_a_cycle() -> None:
    @lambda_solid(input_defs=[InputDefinition("x")])
    def selfish(x: Any) -> Any:
        return x

    with pytest.raises(DagsterInvalidDefinitionError, match="selfish -> selfish"):
        PipelineDefinition(
            [selfish],
            name="self_loop",
            dependencies={"selfish": {"x": DependencyDefinition("selfish")}},
        )


def test_an_input_with_no_source_and_no_loader_is_refused() -> None:
    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:
        PipelineDefinition([consume], name="no_source")
    message = str(excinfo.value)
    # the reference's sentence first, then ours naming the pipeline and the type
    assert message.startswith(
        'Input "thing" in solid "consume" is not connected to the output of a previous solid and '
        "can not be loaded from configuration, creating an impossible to execute pipeline. "
        "Possible solutions are: "
    )
    assert 'pipeline "no_source": input "thing" of solid "consume" is not connected' in message
    assert "its type Opaque has no loader" in message


def test_an_input_with_no_source_inside_a_composite_names_its_handle() -> None:
    @composite_solid
    def wrapper() -> Any:
        return consume()

    with pytest.raises(
        DagsterInvalidDefinitionError,
        match=re.escape('input "thing" of solid "wrapper.consume" is not connected'),
    ):
        PipelineDefinition([wrapper], name="nested_no_source")


def test_an_unconnected_input_with_a_loader_or_default_is_fine() -> None:
    @lambda_solid(input_defs=[InputDefinition("thing", Opaque, default_value=Opaque())])
    def optional(thing: Any) -> str:
        return type(thing).__name__

    loaded = PipelineDefinition([plus_one, optional], name="loaded")
    result = execute_pipeline(loaded, run_config={"solids": {"plus_one": {"inputs": {"num": 41}}}})
    assert outputs(result) == {"plus_one": 42, "optional": "Opaque"}


def test_solid_defs_must_be_a_list_of_definitions() -> None:
    with pytest.raises(DagsterInvalidDefinitionError, match="solid_defs must be a list"):
        PipelineDefinition(emit, name="not_a_list")  # type: ignore[arg-type]

    def plain_function() -> None:
        pass

    with pytest.raises(DagsterInvalidDefinitionError, match="did you forget the @solid decorator"):
        PipelineDefinition([plain_function], name="undecorated")  # type: ignore[list-item]


def test_bad_dependency_structures_are_refused() -> None:
    with pytest.raises(DagsterInvalidDefinitionError, match="dependencies must be a dict"):
        PipelineDefinition([emit], name="p", dependencies=[1])  # type: ignore[arg-type]
    with pytest.raises(
        DagsterInvalidDefinitionError,
        match="dependency keys must be solid names or SolidInvocation",
    ):
        PipelineDefinition([emit], name="p", dependencies={emit: {}})  # type: ignore[dict-item]
    with pytest.raises(
        DagsterInvalidDefinitionError, match='the dependencies of solid "plus_one" must be a dict'
    ):
        PipelineDefinition(
            [emit, plus_one], name="p", dependencies={"plus_one": DependencyDefinition("emit")}
        )  # type: ignore[dict-item]
    with pytest.raises(
        DagsterInvalidDefinitionError,
        match="expected a DependencyDefinition or MultiDependencyDefinition",
    ):
        PipelineDefinition([emit, plus_one], name="p", dependencies={"plus_one": {"num": "emit"}})
    with pytest.raises(
        DagsterInvalidDefinitionError, match=r"DependencyDefinition\(solid, output\) takes names"
    ):
        DependencyDefinition(emit)  # type: ignore[arg-type]
    with pytest.raises(
        DagsterInvalidDefinitionError, match="MultiDependencyDefinition takes DependencyDefinitions"
    ):
        MultiDependencyDefinition(["emit"])  # type: ignore[list-item]


def test_an_invalid_pipeline_name_is_refused() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match="pipeline: the name 'my pipeline' is not valid"
    ):
        PipelineDefinition([emit], name="my pipeline")


# --- resources required at definition time ------------------------------------------------------------


def test_a_solid_needing_a_resource_the_mode_lacks_is_refused() -> None:
    @solid(required_resource_keys={"db"})
    def query(context: Any) -> None:
        pass

    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:

        @pipeline(
            mode_defs=[
                ModeDefinition("prod", resource_defs={"db": ResourceDefinition.none_resource()}),
                ModeDefinition("test"),
            ]
        )
        def queries() -> None:
            query()

    assert str(excinfo.value) == (
        'pipeline "queries": resource "db" is required by solid "query", but mode "test" does '
        "not provide it (its resources: none)."
    )


def test_a_nested_solid_needing_a_missing_resource_is_named_by_handle() -> None:
    @solid(required_resource_keys={"cache"})
    def cached(context: Any) -> None:
        pass

    @composite_solid
    def outer() -> None:
        cached()

    with pytest.raises(
        DagsterInvalidDefinitionError,
        match=re.escape('required by solid "outer.cached", but mode "default"'),
    ):
        PipelineDefinition([outer], name="nested_resource")


def test_a_hook_needing_a_missing_resource_is_refused() -> None:
    @success_hook(required_resource_keys={"slack"})
    def notify(context: Any) -> None:
        pass

    with pytest.raises(
        DagsterInvalidDefinitionError,
        match='resource "slack" is required by hook "notify" of solid "emit"',
    ):
        PipelineDefinition([emit], name="hooked", hook_defs={notify})


def test_a_resource_needing_a_missing_resource_is_refused() -> None:
    client = ResourceDefinition(
        lambda init: init.resources.credentials, required_resource_keys={"credentials"}
    )
    with pytest.raises(
        DagsterInvalidDefinitionError,
        match='resource "credentials" is required by resource "client"',
    ):
        PipelineDefinition(
            [emit], name="deps", mode_defs=[ModeDefinition(resource_defs={"client": client})]
        )


# --- modes and presets ---------------------------------------------------------------------------------


def two_mode_pipeline() -> PipelineDefinition:
    return PipelineDefinition(
        [emit],
        name="moded",
        mode_defs=[ModeDefinition("dev"), ModeDefinition("prod")],
        preset_defs=[PresetDefinition("quick", mode="dev"), PresetDefinition("full", mode="prod")],
    )


def test_a_pipeline_without_modes_has_the_default_mode() -> None:
    plain = PipelineDefinition([emit], name="plain")
    assert plain.available_modes == ["default"]
    assert plain.is_single_mode
    assert plain.get_mode_definition().name == "default"
    assert plain.get_mode_definition("default") is plain.mode_defs[0]
    assert plain.presets == []


def test_modes_are_looked_up_by_name() -> None:
    moded = two_mode_pipeline()
    assert moded.available_modes == ["dev", "prod"]
    assert not moded.is_single_mode
    assert moded.has_mode_definition("prod") and not moded.has_mode_definition("default")
    assert moded.get_mode_definition("prod").name == "prod"


def test_no_mode_for_a_multi_mode_pipeline_lists_the_modes() -> None:
    with pytest.raises(
        DagsterInvariantViolationError, match=r'Pipeline "moded" has several modes \(dev, prod\)'
    ):
        two_mode_pipeline().get_mode_definition()


def test_an_unknown_mode_lists_the_modes() -> None:
    with pytest.raises(
        DagsterInvariantViolationError,
        match='Pipeline "moded" has no mode "staging"; its modes: dev, prod',
    ):
        two_mode_pipeline().get_mode_definition("staging")


def test_presets_are_looked_up_by_name() -> None:
    moded = two_mode_pipeline()
    assert moded.has_preset("quick") and not moded.has_preset("slow")
    assert moded.get_preset("full").mode == "prod"
    with pytest.raises(
        DagsterInvariantViolationError,
        match='Pipeline "moded" has no preset "slow"; its presets: quick, full',
    ):
        moded.get_preset("slow")
    with pytest.raises(DagsterInvariantViolationError, match="its presets: none"):
        PipelineDefinition([emit], name="bare").get_preset("any")


def test_duplicate_modes_or_presets_are_refused() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match='pipeline "p": two modes are named "dev"'
    ):
        PipelineDefinition(
            [emit], name="p", mode_defs=[ModeDefinition("dev"), ModeDefinition("dev")]
        )
    with pytest.raises(
        DagsterInvalidDefinitionError, match='pipeline "p": two presets are named "x"'
    ):
        PipelineDefinition(
            [emit], name="p", preset_defs=[PresetDefinition("x"), PresetDefinition("x")]
        )


def test_a_preset_naming_a_missing_mode_is_refused() -> None:
    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:
        PipelineDefinition(
            [emit],
            name="p",
            mode_defs=[ModeDefinition("prod")],
            preset_defs=[PresetDefinition("x")],
        )
    assert 'preset "x" uses mode "default", which the pipeline does not have (modes: prod)' in str(
        excinfo.value
    )


def test_modes_and_presets_must_be_lists_of_their_kind() -> None:
    with pytest.raises(DagsterInvalidDefinitionError, match="mode_defs must be a list"):
        PipelineDefinition([emit], name="p", mode_defs=ModeDefinition())  # type: ignore[arg-type]
    with pytest.raises(
        DagsterInvalidDefinitionError, match="mode_defs must hold ModeDefinition objects"
    ):
        PipelineDefinition([emit], name="p", mode_defs=["dev"])  # type: ignore[list-item]
    with pytest.raises(
        DagsterInvalidDefinitionError, match="preset_defs must hold PresetDefinition objects"
    ):
        PipelineDefinition([emit], name="p", preset_defs=[{"name": "x"}])  # type: ignore[list-item]


# --- subsets ----------------------------------------------------------------------------------------------


@lambda_solid(input_defs=[InputDefinition("num", Int)])
def double(num: int) -> int:
    return num * 2


@lambda_solid(input_defs=[InputDefinition("a", Int), InputDefinition("b", Int)])
def join(a: int, b: int) -> int:
    return a + b


@pipeline
def diamond() -> None:
    """emit -> plus_one -> join <- double <- emit_2; join -> last."""
    joined = join(plus_one(emit()), double(emit()))
    plus_one.alias("last")(joined)


def selected(clauses: list[str]) -> list[str]:
    return sorted(s.name for s in diamond.subset_for_execution(clauses).solids)


@pytest.mark.parametrize(
    ("clauses", "expected"),
    [
        (["join"], ["join"]),
        (["*join"], ["double", "emit", "emit_2", "join", "plus_one"]),
        (["+join"], ["double", "join", "plus_one"]),
        (["join+"], ["join", "last"]),
        (["emit*"], ["emit", "join", "last", "plus_one"]),
        (["emit++"], ["emit", "join", "plus_one"]),
        (["+plus_one+"], ["emit", "join", "plus_one"]),
        (["emit", "last"], ["emit", "last"]),
        (["  emit_2+  "], ["double", "emit_2"]),
        (["*last*"], ["double", "emit", "emit_2", "join", "last", "plus_one"]),
    ],
)
def test_subset_for_execution_follows_the_selection_grammar(
    clauses: list[str], expected: list[str]
) -> None:
    assert selected(clauses) == expected


def test_a_subset_is_a_pipeline_that_remembers_its_parent() -> None:
    subset = diamond.subset_for_execution(["plus_one*"])
    assert subset.is_subset_pipeline and not diamond.is_subset_pipeline
    assert subset.parent_pipeline_def is diamond
    assert subset.name == "diamond"
    assert subset.solid_selection == ["plus_one*"]
    assert subset.solids_to_execute == frozenset({"plus_one", "join", "last"})
    assert diamond.solids_to_execute is None
    # the subset keeps the wiring among the selected solids only
    assert subset.graph.upstream() == {"plus_one": set(), "join": {"plus_one"}, "last": {"join"}}


def test_subsetting_a_subset_selects_from_the_full_pipeline() -> None:
    subset = diamond.subset_for_execution(["emit"]).subset_for_execution(["double"])
    assert subset.parent_pipeline_def is diamond
    assert [s.name for s in subset.solids] == ["double"]


def test_no_selection_gives_the_pipeline_itself() -> None:
    assert diamond.subset_for_execution(None) is diamond
    assert diamond.get_pipeline_subset_def(None) is diamond


def test_get_pipeline_subset_def_takes_solid_names() -> None:
    subset = diamond.get_pipeline_subset_def({"emit", "plus_one"})
    assert subset.solids_to_execute == frozenset({"emit", "plus_one"})
    assert subset.solid_selection == ["emit", "plus_one"]
    with pytest.raises(
        DagsterInvalidSubsetError, match=r"Pipeline \"diamond\" has no solids named \['nope'\]"
    ):
        diamond.get_pipeline_subset_def({"emit", "nope"})


def test_a_clause_that_matches_nothing_is_named_with_a_suggestion() -> None:
    with pytest.raises(DagsterInvalidSubsetError) as excinfo:
        diamond.subset_for_execution(["emit", "*jion"])
    message = str(excinfo.value)
    assert 'No solid matches "jion" in the selection ["emit", "*jion"]' in message
    assert 'did you mean "join"?' in message


def test_a_clause_that_does_not_parse_is_named() -> None:
    with pytest.raises(
        DagsterInvalidSubsetError, match=r'Invalid solid selection clause "\*\*emit"'
    ):
        diamond.subset_for_execution(["**emit"])


def test_a_string_selection_is_refused() -> None:
    with pytest.raises(
        DagsterInvalidSubsetError, match="must be a list of clauses, not the string 'emit'"
    ):
        diamond.subset_for_execution("emit")  # type: ignore[arg-type]


def test_an_empty_selection_is_refused() -> None:
    with pytest.raises(DagsterInvalidSubsetError, match="selection is empty"):
        diamond.subset_for_execution([])


def test_a_subset_that_cuts_an_input_without_loader_names_it() -> None:
    full = PipelineDefinition(
        [make_opaque, consume],
        name="opaque",
        dependencies={"consume": {"thing": DependencyDefinition("make_opaque")}},
    )
    with pytest.raises(DagsterInvalidSubsetError) as excinfo:
        full.subset_for_execution(["consume"])
    message = str(excinfo.value)
    assert "The selection ['consume'] of pipeline \"opaque\" cannot run" in message
    assert 'input "thing" of solid "consume" is not connected' in message
    assert "It lost its upstream solid in this selection." in message


def test_a_subset_runs_only_its_solids_and_takes_cut_inputs_from_config() -> None:
    result = execute_pipeline(
        diamond,
        run_config={"solids": {"join": {"inputs": {"a": 10, "b": 5}}}},
        solid_selection=["join+"],
    )
    assert outputs(result) == {"join": 15, "last": 16}


def test_a_subset_keeps_modes_presets_tags_and_hooks() -> None:
    calls: list[str] = []

    @success_hook
    def record(context: Any) -> None:
        calls.append(context.solid.name)

    full = PipelineDefinition(
        [emit, plus_one],
        name="rich",
        dependencies={"plus_one": {"num": DependencyDefinition("emit")}},
        mode_defs=[ModeDefinition("only")],
        preset_defs=[PresetDefinition("p", mode="only")],
        tags={"team": "x"},
        hook_defs={record},
    )
    subset = full.subset_for_execution(["emit"])
    assert subset.available_modes == ["only"]
    assert subset.has_preset("p")
    assert subset.tags == {"team": "x"}
    assert subset.hook_defs == frozenset({record})
    assert execute_pipeline(subset).success
    assert calls == ["emit"]


# --- hooks ---------------------------------------------------------------------------------------------


def test_with_hooks_returns_a_copy_whose_every_solid_runs_the_hooks() -> None:
    calls: list[str] = []

    @success_hook
    def record(context: Any) -> None:
        calls.append(context.solid.name)

    hooked = diamond.with_hooks({record})
    assert hooked is not diamond
    assert hooked.hook_defs == frozenset({record})
    assert diamond.hook_defs == frozenset()
    assert all(record in s.hook_defs for s in hooked.solids)
    assert all(not s.hook_defs for s in diamond.solids)
    assert [s.name for s in hooked.solids] == [s.name for s in diamond.solids]
    assert execute_pipeline(hooked).success
    assert sorted(calls) == sorted(s.name for s in diamond.solids)


def test_with_hooks_refuses_something_that_is_not_a_hook() -> None:
    with pytest.raises(DagsterInvalidDefinitionError, match="with_hooks takes hook definitions"):
        diamond.with_hooks({print})  # type: ignore[arg-type]


# --- looking solids up ---------------------------------------------------------------------------------


@composite_solid
def inner_composite() -> Any:
    return plus_one(emit())


@composite_solid
def outer_composite() -> Any:
    return inner_composite()


@pipeline
def nested() -> None:
    outer_composite()


def test_get_solid_by_dotted_handle() -> None:
    assert nested.get_solid("outer_composite").definition is outer_composite
    assert nested.get_solid("outer_composite.inner_composite").definition is inner_composite
    assert nested.get_solid("outer_composite.inner_composite.plus_one").definition is plus_one


def test_get_solid_with_an_unknown_handle_names_it() -> None:
    with pytest.raises(
        DagsterInvariantViolationError,
        match=re.escape('Pipeline "nested" has no solid at handle "outer_composite.nope"'),
    ):
        nested.get_solid("outer_composite.nope")
    with pytest.raises(
        DagsterInvariantViolationError,
        match=re.escape(
            'Pipeline "nested" has no solid at handle "outer_composite.inner_composite.plus_one.deeper"'
        ),
    ):
        nested.get_solid("outer_composite.inner_composite.plus_one.deeper")
    with pytest.raises(
        DagsterInvariantViolationError,
        match=r"has no solid named \"nope\"; its solids: \['outer_composite'\]",
    ):
        nested.get_solid("nope")


def test_solid_named_and_has_solid_named_see_the_top_level_only() -> None:
    assert nested.has_solid_named("outer_composite")
    assert not nested.has_solid_named("plus_one")
    with pytest.raises(DagsterInvariantViolationError, match='no solid named "plus_one"'):
        nested.solid_named("plus_one")


def test_all_solid_defs_includes_nested_definitions() -> None:
    names = [d.name for d in nested.all_solid_defs]
    assert names == ["outer_composite", "inner_composite", "emit", "plus_one"]
    assert nested.solid_defs == nested.all_solid_defs


def test_pipeline_tags_are_validated() -> None:
    tagged = PipelineDefinition([emit], name="tagged", tags={"n": 1, "s": "x"})
    assert tagged.tags == {"n": "1", "s": "x"}
    with pytest.raises(
        DagsterInvalidDefinitionError, match='pipeline "bad_tags": tags must be a dict'
    ):
        PipelineDefinition([emit], name="bad_tags", tags=["x"])  # type: ignore[arg-type]
