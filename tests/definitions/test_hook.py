"""``@success_hook``, ``@failure_hook`` and :class:`HookDefinition`: applying hooks to solids and
pipelines, what a hook receives, and the HOOK_* events (a hook never fails a run)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from notebook_pipelines import (
    DagsterInvalidDefinitionError,
    HookDefinition,
    ModeDefinition,
    ResourceDefinition,
    execute_pipeline,
    failure_hook,
    lambda_solid,
    pipeline,
    solid,
    success_hook,
)


@lambda_solid
def works() -> int:
    return 1


@lambda_solid
def fails() -> int:
    raise ValueError("boom")


def hook_events(result: Any) -> list[tuple[str, str]]:
    """(event type, step key) of every HOOK_* event, in order."""
    return [
        (e.event_type_value, e.step_key)
        for e in result.event_list
        if e.event_type_value.startswith("HOOK_")
    ]


def test_success_hook_decorator_forms() -> None:
    @success_hook
    def bare(context: Any) -> None:
        pass

    @success_hook(name="renamed", required_resource_keys={"slack"})
    def with_args(context: Any) -> None:
        pass

    @success_hook()
    def empty_parens(context: Any) -> None:
        pass

    assert isinstance(bare, HookDefinition)
    assert (bare.name, bare.required_resource_keys) == ("bare", frozenset())
    assert (with_args.name, with_args.required_resource_keys) == ("renamed", frozenset({"slack"}))
    assert empty_parens.name == "empty_parens"
    assert repr(bare) == "<HookDefinition bare>"


def test_a_success_hook_runs_after_success_and_is_skipped_after_failure() -> None:
    ran: list[str] = []

    @success_hook
    def on_success(context: Any) -> None:
        ran.append(context.solid.name)

    @pipeline
    def mixed() -> None:
        works.with_hooks({on_success})()
        fails.with_hooks({on_success})()

    result = execute_pipeline(mixed, raise_on_error=False)
    assert not result.success
    assert ran == ["works"]
    # independent solids run in step-key order, so compare without the order
    assert sorted(hook_events(result), key=lambda event: event[1]) == [
        ("HOOK_SKIPPED", "fails.compute"),
        ("HOOK_COMPLETED", "works.compute"),
    ]


def test_a_failure_hook_runs_after_failure_and_is_skipped_after_success() -> None:
    ran: list[str] = []

    @failure_hook
    def on_failure(context: Any) -> None:
        ran.append(context.solid.name)

    @pipeline
    def mixed() -> None:
        works.with_hooks({on_failure})()
        fails.with_hooks({on_failure})()

    result = execute_pipeline(mixed, raise_on_error=False)
    assert ran == ["fails"]
    # independent solids run in step-key order, so compare without the order
    assert sorted(hook_events(result), key=lambda event: event[1]) == [
        ("HOOK_COMPLETED", "fails.compute"),
        ("HOOK_SKIPPED", "works.compute"),
    ]


def test_a_hook_on_a_pipeline_runs_for_every_solid() -> None:
    ran: list[str] = []

    @success_hook
    def everywhere(context: Any) -> None:
        ran.append(context.solid.name)

    @everywhere
    @pipeline
    def decorated() -> None:
        works()
        works.alias("again")()

    @pipeline(hook_defs={everywhere})
    def by_argument() -> None:
        works()

    assert decorated.hook_defs == frozenset({everywhere})
    execute_pipeline(decorated)
    assert sorted(ran) == ["again", "works"]
    ran.clear()
    execute_pipeline(by_argument)
    assert ran == ["works"]


def test_a_hook_applied_to_a_solid_definition_gives_an_invocation() -> None:
    ran: list[str] = []

    @success_hook
    def once(context: Any) -> None:
        ran.append(context.solid.name)

    @pipeline
    def partly_hooked() -> None:
        once(works)()
        works.alias("plain")()

    assert partly_hooked.solid_named("works").hook_defs == frozenset({once})
    assert partly_hooked.solid_named("plain").hook_defs == frozenset()
    execute_pipeline(partly_hooked)
    assert ran == ["works"]


def test_a_raising_hook_is_hook_errored_and_the_run_still_succeeds() -> None:
    @success_hook
    def broken(context: Any) -> None:
        raise RuntimeError("hook trouble")

    @pipeline
    def guarded() -> None:
        works.with_hooks({broken})()

    result = execute_pipeline(guarded)
    assert result.success
    (event,) = [e for e in result.event_list if e.event_type_value == "HOOK_ERRORED"]
    assert event.step_key == "works.compute"
    assert (
        'Error in hook "broken" triggered for solid "works": RuntimeError: hook trouble'
        in event.message
    )


def test_the_hook_context_gives_the_solid_config_and_its_resources() -> None:
    seen: dict[str, Any] = {}

    @success_hook(required_resource_keys={"channel"})
    def report(context: Any) -> None:
        seen["solid"] = context.solid.name
        seen["config"] = context.solid_config
        seen["channel"] = context.resources.channel
        seen["mode"] = context.mode_def.name
        seen["run_id"] = context.run_id
        seen["hook"] = context.hook_def.name

    @solid(config_schema={"n": int})
    def configured_solid(context: Any) -> int:
        return 1

    @pipeline(
        mode_defs=[
            ModeDefinition(
                "m", resource_defs={"channel": ResourceDefinition.hardcoded_resource("#ops")}
            )
        ]
    )
    def reported() -> None:
        configured_solid.with_hooks({report})()

    result = execute_pipeline(
        reported, run_config={"solids": {"configured_solid": {"config": {"n": 5}}}}
    )
    assert seen == {
        "solid": "configured_solid",
        "config": {"n": 5},
        "channel": "#ops",
        "mode": "m",
        "run_id": result.run_id,
        "hook": "report",
    }


def test_a_hook_definition_with_its_own_condition() -> None:
    calls: list[list[str]] = []

    def only_on_retry(context: Any, events: Sequence[Any]) -> bool:
        kinds = [e.event_type_value for e in events]
        calls.append(kinds)
        return "STEP_UP_FOR_RETRY" in kinds

    custom = HookDefinition("custom", only_on_retry)

    @pipeline
    def p() -> None:
        works.with_hooks({custom})()

    result = execute_pipeline(p)
    # the hook function gets the step's whole event list; returning False means "skipped"
    assert hook_events(result) == [("HOOK_SKIPPED", "works.compute")]
    (kinds,) = calls
    assert kinds[0] == "STEP_START" and kinds[-1] == "STEP_SUCCESS" and "STEP_OUTPUT" in kinds


def test_hook_definitions_are_validated() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match="hook: the name 'bad name' is not valid"
    ):
        HookDefinition("bad name", lambda c, e: True)
    with pytest.raises(DagsterInvalidDefinitionError, match='Hook "h": hook_fn must be callable'):
        HookDefinition("h", "not callable")  # type: ignore[arg-type]


def test_a_hook_cannot_decorate_something_else() -> None:
    @success_hook
    def misplaced(context: Any) -> None:
        pass

    with pytest.raises(
        DagsterInvalidDefinitionError,
        match='Hook "misplaced" can decorate a pipeline or a solid, not 3',
    ):
        misplaced(3)


def test_with_hooks_takes_only_hooks() -> None:
    with pytest.raises(DagsterInvalidDefinitionError, match="with_hooks takes hook definitions"):
        works.with_hooks({print})


def test_with_hooks_accumulates_on_an_invocation() -> None:
    @success_hook
    def first(context: Any) -> None:
        pass

    @failure_hook
    def second(context: Any) -> None:
        pass

    @pipeline
    def stacked() -> None:
        works.with_hooks({first}).with_hooks(second)()

    assert stacked.solid_named("works").hook_defs == frozenset({first, second})
