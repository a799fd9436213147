"""execute_pipeline's parameters: mode and preset, tags, solid selection, raise_on_error, bad run
config, and what ends up in the instance."""

from __future__ import annotations

import traceback
from typing import Any

import pytest

from notebook_pipelines import (
    DagsterInvalidConfigError,
    DagsterInvalidSubsetError,
    DagsterInvariantViolationError,
    DagsterTypeCheckDidNotPass,
    Failure,
    Field,
    InputDefinition,
    Int,
    ModeDefinition,
    OutputDefinition,
    PresetDefinition,
    String,
    execute_pipeline,
    failure_hook,
    pipeline,
    resource,
    solid,
)
from notebook_pipelines.storage.instance import DagsterInstance
from notebook_pipelines.storage.runs import PipelineRunStatus

# --- a pipeline with two modes and presets: a -> b -> c -> d, plus a separate e ------------------


@solid(config_schema={"n": Int})
def a(context: Any) -> int:
    return context.solid_config["n"]


@solid(input_defs=[InputDefinition("x", Int)])
def b(_: Any, x: int) -> int:
    return x + 1


@solid(input_defs=[InputDefinition("x", Int)])
def c(_: Any, x: int) -> int:
    return x * 10


@solid(input_defs=[InputDefinition("x", Int)])
def d(_: Any, x: int) -> int:
    return x - 1


@solid(required_resource_keys={"word"}, output_defs=[OutputDefinition(String)])
def e(context: Any) -> str:
    return context.resources.word


@resource(config_schema={"text": Field(String, default_value="default")})
def word(init_context: Any) -> str:
    return init_context.resource_config["text"]


@resource
def loud_word(_: Any) -> str:
    return "LOUD"


A2 = {"solids": {"a": {"config": {"n": 2}}}}


@pipeline(
    mode_defs=[
        ModeDefinition("quiet", resource_defs={"word": word}),
        ModeDefinition("loud", resource_defs={"word": loud_word}),
    ],
    preset_defs=[
        PresetDefinition("loud_two", A2, mode="loud", tags={"who": "preset", "from_preset": "1"}),
        PresetDefinition("just_ab", {"solids": {"a": {"config": {"n": 5}}}}, ["a", "b"], "quiet"),
    ],
    tags={"who": "pipeline", "from_pipeline": "1"},
)
def moded() -> None:
    d(c(b(a())))
    e()


def values(result: Any) -> dict[str, Any]:
    return {r.handle: r.output_value() for r in result.solid_result_list if r.success}


# --- mode and preset -------------------------------------------------------------------------------


def test_mode_selects_resources() -> None:
    quiet = execute_pipeline(moded, A2, mode="quiet")
    loud = execute_pipeline(moded, A2, mode="loud")
    assert values(quiet) == {"a": 2, "b": 3, "c": 30, "d": 29, "e": "default"}
    assert loud.output_for_solid("e") == "LOUD"


def test_multi_mode_pipeline_without_mode_is_an_error() -> None:
    with pytest.raises(DagsterInvariantViolationError, match=r"several modes \(quiet, loud\)"):
        execute_pipeline(moded, A2)


def test_unknown_mode_is_an_error() -> None:
    with pytest.raises(
        DagsterInvariantViolationError, match='no mode "shouting"; its modes: quiet, loud'
    ):
        execute_pipeline(moded, A2, mode="shouting")


def test_mode_and_preset_are_exclusive() -> None:
    with pytest.raises(
        DagsterInvariantViolationError, match='only one of mode \\("loud"\\) and preset'
    ):
        execute_pipeline(moded, mode="loud", preset="loud_two")


def test_preset_supplies_run_config_and_mode() -> None:
    instance = DagsterInstance.ephemeral()
    result = execute_pipeline(moded, preset="loud_two", instance=instance)
    assert values(result) == {"a": 2, "b": 3, "c": 30, "d": 29, "e": "LOUD"}
    run = instance.get_run_by_id(result.run_id)
    assert run is not None and run.mode == "loud"
    assert run.run_config == A2


def test_preset_with_equal_run_config_is_allowed() -> None:
    result = execute_pipeline(moded, {"solids": {"a": {"config": {"n": 2}}}}, preset="loud_two")
    assert result.output_for_solid("d") == 29


def test_preset_with_different_run_config_is_an_error() -> None:
    with pytest.raises(
        DagsterInvariantViolationError, match='Preset "loud_two" sets the run config'
    ):
        execute_pipeline(moded, {"solids": {"a": {"config": {"n": 3}}}}, preset="loud_two")


def test_unknown_preset_is_an_error() -> None:
    with pytest.raises(
        DagsterInvariantViolationError, match='no preset "nope"; its presets: loud_two, just_ab'
    ):
        execute_pipeline(moded, preset="nope")


def test_preset_solid_selection() -> None:
    instance = DagsterInstance.ephemeral()
    result = execute_pipeline(moded, preset="just_ab", instance=instance)
    assert [r.handle for r in result.solid_result_list] == ["a", "b"]
    assert values(result) == {"a": 5, "b": 6}
    run = instance.get_run_by_id(result.run_id)
    assert run is not None and run.solid_selection == ("a", "b")
    assert run.solids_to_execute == frozenset({"a", "b"})
    # the same selection passed explicitly agrees with the preset
    again = execute_pipeline(moded, preset="just_ab", solid_selection=["a", "b"])
    assert values(again) == {"a": 5, "b": 6}


def test_preset_solid_selection_conflict_is_an_error() -> None:
    with pytest.raises(
        DagsterInvariantViolationError,
        match=r"selects solids \['a', 'b'\]; the solid_selection \['a'\]",
    ):
        execute_pipeline(moded, preset="just_ab", solid_selection=["a"])


# --- tags ------------------------------------------------------------------------------------------


def test_tag_precedence_explicit_over_preset_over_pipeline() -> None:
    instance = DagsterInstance.ephemeral()
    result = execute_pipeline(
        moded, preset="loud_two", tags={"who": "caller", "n": "3"}, instance=instance
    )
    run = instance.get_run_by_id(result.run_id)
    assert run is not None
    assert run.tags == {
        "who": "caller",
        "from_preset": "1",
        "from_pipeline": "1",
        "n": "3",
    }
    without_explicit = execute_pipeline(moded, preset="loud_two", instance=instance)
    run2 = instance.get_run_by_id(without_explicit.run_id)
    assert run2 is not None and run2.tags["who"] == "preset"
    no_preset = execute_pipeline(moded, A2, mode="quiet", instance=instance)
    run3 = instance.get_run_by_id(no_preset.run_id)
    assert run3 is not None and run3.tags == {"who": "pipeline", "from_pipeline": "1"}


def test_run_tags_are_logging_tags_of_every_step_event() -> None:
    result = execute_pipeline(moded, A2, mode="quiet", tags={"team": "data"})
    step_events = result.step_event_list
    assert len(step_events) > 10
    for event in step_events:
        assert event.logging_tags["team"] == "data"
        assert event.logging_tags["pipeline"] == "moded"
        assert event.logging_tags["step_key"] == event.step_key
        assert event.logging_tags["solid"] == event.solid_handle


def test_non_string_tag_key_is_an_error() -> None:
    with pytest.raises(DagsterInvariantViolationError, match="Run tags must be strings: tag 1 "):
        execute_pipeline(moded, A2, mode="quiet", tags={1: "x"})  # type: ignore[dict-item]


@pytest.mark.parametrize("value", [3, {"a": 1}, None])
def test_non_string_tag_value_is_refused_naming_the_tag(value: Any) -> None:
    # as the reference, which refuses them (a pipeline's own tags are JSON-encoded instead)
    with pytest.raises(DagsterInvariantViolationError) as info:
        execute_pipeline(moded, A2, mode="quiet", tags={"n": value})
    assert f"tag 'n' has the value {value!r} ({type(value).__name__})" in str(info.value)


def test_an_empty_solid_selection_is_the_whole_pipeline() -> None:
    result = execute_pipeline(moded, A2, mode="quiet", solid_selection=[])
    assert result.success
    full = execute_pipeline(moded, A2, mode="quiet")
    assert [r.handle for r in result.solid_result_list] == [
        r.handle for r in full.solid_result_list
    ]
    assert all(r.success for r in result.solid_result_list)


# --- solid selection ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (["a"], ["a"]),
        (["*c"], ["a", "b", "c"]),
        (["+b"], ["a", "b"]),
        (["a++"], ["a", "b", "c"]),
        (["a*"], ["a", "b", "c", "d"]),
        (["*a*"], ["a", "b", "c", "d"]),
        (["++d"], ["b", "c", "d"]),
        (["+d"], ["c", "d"]),
        (["a", "e"], ["a", "e"]),
        (["a+", " e "], ["a", "b", "e"]),
        (["*b", "*c"], ["a", "b", "c"]),
        (["*d", "e"], ["a", "b", "c", "d", "e"]),
    ],
)
def test_solid_selection_grammar(selection: list[str], expected: list[str]) -> None:
    # the first selected solid of the chain takes its input from config unless it is "a"
    root = next(s for s in ["a", "b", "c", "d"] if s in expected)
    config: dict[str, Any] = {"solids": {"a": {"config": {"n": 1}}}}
    if root != "a":
        config["solids"][root] = {"inputs": {"x": 100}}
    instance = DagsterInstance.ephemeral()
    result = execute_pipeline(
        moded, config, mode="quiet", solid_selection=selection, instance=instance
    )
    assert result.success
    assert [r.handle for r in result.solid_result_list] == expected
    started = [e.solid_handle for e in result.event_list if e.event_type_value == "STEP_START"]
    assert sorted(started) == expected  # the order (by level) is tested in tests/plan
    run = instance.get_run_by_id(result.run_id)
    assert run is not None
    assert run.solid_selection == tuple(selection)
    assert run.solids_to_execute == frozenset(expected)


def test_selected_solid_without_upstream_takes_input_from_config() -> None:
    result = execute_pipeline(
        moded, {"solids": {"c": {"inputs": {"x": 7}}}}, mode="quiet", solid_selection=["c+"]
    )
    assert values(result) == {"c": 70, "d": 69}


def test_config_of_unselected_solids_is_ignored() -> None:
    config = {
        "solids": {
            "a": {"config": {"n": "not even an int"}},
            "b": {"inputs": {"x": 41}},
            "d": {"config": "nonsense"},
        },
        "resources": {"word": {"config": {"text": "unused"}}},
    }
    result = execute_pipeline(moded, config, mode="quiet", solid_selection=["b"])
    assert values(result) == {"b": 42}


def test_config_of_selected_solids_is_still_validated() -> None:
    config = {"solids": {"a": {"config": {"n": "not an int"}}}}
    with pytest.raises(DagsterInvalidConfigError, match="root:solids:a:config:n"):
        execute_pipeline(moded, config, mode="quiet", solid_selection=["a"])


def test_unknown_solid_in_selection_names_the_clause() -> None:
    with pytest.raises(DagsterInvalidSubsetError, match='No solid matches "zz"'):
        execute_pipeline(moded, A2, mode="quiet", solid_selection=["a", "zz"])


@pytest.mark.parametrize("clause", ["a**", "**a", "+*a", "a*+", "a b", ""])
def test_malformed_clause_names_the_clause(clause: str) -> None:
    with pytest.raises(DagsterInvalidSubsetError) as info:
        execute_pipeline(moded, A2, mode="quiet", solid_selection=[clause])
    assert f'"{clause}"' in str(info.value)


def test_selection_as_a_string_is_an_error() -> None:
    with pytest.raises(DagsterInvalidSubsetError, match="must be a list of clauses"):
        execute_pipeline(moded, A2, mode="quiet", solid_selection="a")  # type: ignore[arg-type]


def test_selection_leaving_an_input_unfed_needs_its_config() -> None:
    with pytest.raises(DagsterInvalidConfigError, match=r'entry "b" at path root:solids'):
        execute_pipeline(moded, A2, mode="quiet", solid_selection=["b"])


# --- raise_on_error ---------------------------------------------------------------------------------


class OwnError(Exception):
    """A user's own exception type."""


RAISED: list[BaseException] = []


@solid
def raises_own(_: Any) -> None:
    error = OwnError("the user's own error")
    RAISED.append(error)
    raise error


@solid(input_defs=[InputDefinition("x", Int)])
def never_runs(_: Any, x: int) -> int:
    raise AssertionError("must not run")


@pipeline
def raising_pipeline() -> None:
    never_runs(raises_own())


def test_raise_on_error_reraises_the_users_exception_after_storing_the_failure() -> None:
    instance = DagsterInstance.ephemeral()
    RAISED.clear()
    with pytest.raises(OwnError, match="the user's own error") as info:
        execute_pipeline(raising_pipeline, instance=instance)
    assert info.value is RAISED[0]
    # the traceback still reaches the user's raising frame
    frames = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert "raises_own" in frames
    (run,) = instance.get_runs()
    kinds = [
        r.dagster_event.event_type_value for r in instance.all_logs(run.run_id) if r.dagster_event
    ]
    assert "STEP_FAILURE" in kinds
    failure = instance.all_logs(run.run_id, of_type="STEP_FAILURE")[0]
    assert failure.step_key == "raises_own.compute"
    assert (
        "OwnError: the user's own error"
        in failure.dagster_event.event_specific_data.error.to_string()
    )
    assert kinds[-1] == "PIPELINE_FAILURE"
    assert "never_runs.compute" not in {r.step_key for r in instance.all_logs(run.run_id)}
    assert run.status == PipelineRunStatus.FAILURE


@solid
def zz_fails_too(_: Any) -> None:
    raise KeyError("zz")


@solid
def ab_fails_first(_: Any) -> None:
    raise IndexError("ab")


@pipeline
def two_failures() -> None:
    zz_fails_too()
    ab_fails_first()


def test_raise_on_error_raises_the_first_failure_in_the_references_order() -> None:
    # steps of one level run by key: ab_fails_first before zz_fails_too (plan order is zz, ab)
    with pytest.raises(IndexError, match="ab"):
        execute_pipeline(two_failures)


def test_a_subset_result_has_its_pipeline_def() -> None:
    result = execute_pipeline(
        raising_pipeline, solid_selection=["raises_own"], raise_on_error=False
    )
    assert result.pipeline_def.name == "raising_pipeline"
    assert result.pipeline_def.solid_selection == ["raises_own"]


def test_raise_on_error_false_returns_the_failure() -> None:
    instance = DagsterInstance.ephemeral()
    result = execute_pipeline(raising_pipeline, raise_on_error=False, instance=instance)
    assert not result.success
    assert result.result_for_solid("raises_own").failure_data.error.cls_name == "OwnError"
    assert result.result_for_solid("never_runs").skipped


HOOKED: list[str] = []


@failure_hook
def alert(context: Any) -> None:
    HOOKED.append(context.solid.name)


@pipeline
def alerting_pipeline() -> None:
    raises_own.with_hooks({alert})()


def test_failure_hooks_run_before_the_error_is_reraised() -> None:
    # the reference skips hooks when it re-raises; a failure hook is most needed then
    HOOKED.clear()
    instance = DagsterInstance.ephemeral()
    with pytest.raises(OwnError):
        execute_pipeline(alerting_pipeline, instance=instance)
    assert HOOKED == ["raises_own"]
    (run,) = instance.get_runs()
    kinds = [
        r.dagster_event.event_type_value for r in instance.all_logs(run.run_id) if r.dagster_event
    ]
    assert kinds[-3:] == ["STEP_FAILURE", "HOOK_COMPLETED", "PIPELINE_FAILURE"]


@solid
def fails_on_purpose(_: Any) -> None:
    raise Failure("intentional", metadata_entries=[])


@solid(output_defs=[OutputDefinition(Int)])
def returns_text(_: Any) -> str:
    return "text"


def test_raise_on_error_reraises_failure_and_type_check_errors() -> None:
    with pytest.raises(Failure, match="intentional"):
        execute_pipeline(pipeline(name="failing")(lambda: fails_on_purpose()))
    with pytest.raises(
        DagsterTypeCheckDidNotPass, match=r'step output "result" of step "returns_text\.compute"'
    ):
        execute_pipeline(pipeline(name="mistyped")(lambda: returns_text()))


# --- run config errors ---------------------------------------------------------------------------------


def test_bad_run_config_lists_every_error_and_stores_no_run() -> None:
    instance = DagsterInstance.ephemeral()
    config = {
        "solids": {"a": {"config": {"n": "two"}}, "zzz": {}},
        "resources": {"word": {"config": {"text": 5}}},
    }
    with pytest.raises(DagsterInvalidConfigError) as info:
        execute_pipeline(moded, config, mode="quiet", instance=instance)
    message = str(info.value)
    assert len(info.value.errors) == 3, message
    for path in ("root:solids:a:config:n", "root:solids", "root:resources:word:config:text"):
        assert f"at {path}:" in message
    assert "zzz" in message
    assert instance.get_runs() == []


def test_run_config_must_be_a_dict() -> None:
    with pytest.raises(DagsterInvariantViolationError, match="run_config must be a dict, got list"):
        execute_pipeline(moded, [], mode="quiet")  # type: ignore[arg-type]


def test_not_a_pipeline_is_an_error() -> None:
    def plain() -> None: ...

    with pytest.raises(
        DagsterInvariantViolationError, match="did you forget the @pipeline decorator"
    ):
        execute_pipeline(plain)
    with pytest.raises(DagsterInvariantViolationError, match="Expected a pipeline"):
        execute_pipeline(42)


def test_without_instance_each_run_gets_its_own_ephemeral_instance() -> None:
    first = execute_pipeline(moded, A2, mode="quiet")
    second = execute_pipeline(moded, A2, mode="quiet")
    assert first.run_id != second.run_id
    assert first.output_for_solid("d") == second.output_for_solid("d") == 29


def test_runs_share_an_instance_given_to_them() -> None:
    instance = DagsterInstance.ephemeral()
    first = execute_pipeline(moded, A2, mode="quiet", instance=instance)
    second = execute_pipeline(moded, A2, mode="loud", instance=instance)
    assert {r.run_id for r in instance.get_runs()} == {first.run_id, second.run_id}
    assert all(r.status == PipelineRunStatus.SUCCESS for r in instance.get_runs())
