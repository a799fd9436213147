"""ActiveExecution, the scheduling state: what is ready, what must be skipped, priority order,
retries waiting their time. Driven with real plans and real step events."""

from __future__ import annotations

import time
from typing import Any

import pytest

from notebook_pipelines import (
    DagsterInvariantViolationError,
    InputDefinition,
    Int,
    List,
    OutputDefinition,
    lambda_solid,
    pipeline,
    solid,
)
from notebook_pipelines.definitions.environment import build_environment_config
from notebook_pipelines.events import (
    DagsterEvent,
    StepOutputData,
    StepOutputHandle,
    StepRetryData,
    StepSuccessData,
)
from notebook_pipelines.plan.active import ActiveExecution
from notebook_pipelines.plan.plan import ExecutionPlan
from notebook_pipelines.plan.retries import Retries, RetryMode


def plan_of(pipeline_def: Any, step_keys: Any = None) -> ExecutionPlan:
    env = build_environment_config(pipeline_def, {}, pipeline_def.get_mode_definition())
    return ExecutionPlan.build(pipeline_def, env, step_keys)


def event(kind: str, key: str, data: Any = None) -> DagsterEvent:
    return DagsterEvent(kind, "p", key, key.rsplit(".", 1)[0], "COMPUTE", {}, data, kind)


def output(key: str, name: str = "result") -> DagsterEvent:
    return event("STEP_OUTPUT", key, StepOutputData(StepOutputHandle(key, name), None))


def succeed(active: ActiveExecution, key: str, outputs: tuple[str, ...] = ("result",)) -> None:
    for name in outputs:
        active.handle_event(output(key, name))
    active.handle_event(event("STEP_SUCCESS", key, StepSuccessData(1.0)))


def fail(active: ActiveExecution, key: str) -> None:
    active.handle_event(event("STEP_FAILURE", key))


def take(active: ActiveExecution) -> str:
    step = active.get_next_step()
    assert step is not None
    return step.key


def skipped_now(active: ActiveExecution) -> list[str]:
    return sorted(s.key for s in active.get_steps_to_skip())


@lambda_solid(output_def=OutputDefinition(Int))
def src() -> int:
    return 1


@lambda_solid(input_defs=[InputDefinition("x", Int)], output_def=OutputDefinition(Int))
def one_in(x: int) -> int:
    return x


@lambda_solid(input_defs=[InputDefinition("xs", List[Int])], output_def=OutputDefinition(Int))
def fan_in(xs: list[int]) -> int:
    return sum(xs)


@lambda_solid(
    input_defs=[InputDefinition("xs", List[Int]), InputDefinition("y", Int)],
    output_def=OutputDefinition(Int),
)
def fan_in_and_one(xs: list[int], y: int) -> int:
    return sum(xs) + y


@solid(
    output_defs=[OutputDefinition(Int, "always"), OutputDefinition(Int, "maybe", is_required=False)]
)
def optional_out(_: Any) -> Any:
    raise NotImplementedError


def active_for(plan: ExecutionPlan, mode: RetryMode = RetryMode.ENABLED) -> ActiveExecution:
    return ActiveExecution(plan, Retries(mode))


# --- skip rules ---------------------------------------------------------------------------------------------


@pipeline
def chain() -> None:
    one_in.alias("c")(one_in.alias("b")(src.alias("a")()))


def test_linear_progress() -> None:
    active = active_for(plan_of(chain))
    assert not active.is_complete
    assert take(active) == "a.compute"
    assert active.get_next_step() is None  # b waits for a
    assert active.in_flight == {"a.compute"}
    succeed(active, "a.compute")
    assert take(active) == "b.compute"
    succeed(active, "b.compute")
    assert take(active) == "c.compute"
    assert not active.is_complete
    succeed(active, "c.compute")
    assert active.is_complete
    assert active.succeeded == {"a.compute", "b.compute", "c.compute"}


def test_failure_skips_downstream_transitively() -> None:
    active = active_for(plan_of(chain))
    assert take(active) == "a.compute"
    fail(active, "a.compute")
    assert active.get_next_step() is None
    # the skip of b makes c skippable in turn, in the same call
    assert [s.key for s in active.get_steps_to_skip()] == ["b.compute", "c.compute"]
    assert skipped_now(active) == []
    assert active.is_complete
    assert active.failed == {"a.compute"}
    assert active.skipped == {"b.compute", "c.compute"}


@pipeline
def fans() -> None:
    a = src.alias("a")()
    b = src.alias("b")()
    fan_in.alias("fan")([a, b])
    fan_in_and_one.alias("mixed")([a, b], b)


def test_fan_in_with_a_failed_source_is_abandoned() -> None:
    # a failed source never produces a downstream value: not through a fan-in either
    active = active_for(plan_of(fans))
    assert take(active) == "a.compute"
    succeed(active, "a.compute")
    assert take(active) == "b.compute"
    fail(active, "b.compute")
    assert active.get_next_step() is None
    assert skipped_now(active) == ["fan.compute", "mixed.compute"]
    assert active.abandoned == {"fan.compute", "mixed.compute"}
    assert active.is_complete


def test_fan_in_with_no_successful_source_is_skipped() -> None:
    active = active_for(plan_of(fans))
    fail(active, take(active))
    fail(active, take(active))
    assert active.get_next_step() is None
    assert skipped_now(active) == ["fan.compute", "mixed.compute"]
    assert active.is_complete


def test_a_failure_two_levels_up_abandons_a_fan_in() -> None:
    @pipeline
    def fan_after_failure() -> None:
        a = src.alias("a")()
        fan_in.alias("fan")([one_in.alias("after_a")(a), src.alias("b")()])

    active = active_for(plan_of(fan_after_failure))
    order = []
    while not active.is_complete:
        for step in active.get_steps_to_skip():
            order.append(("skip", step.key))
        step = active.get_next_step()
        if step is None:
            continue
        order.append(("run", step.key))
        if step.key == "a.compute":
            fail(active, step.key)
        else:
            succeed(active, step.key)
    assert order == [
        ("run", "a.compute"),
        ("skip", "after_a.compute"),
        ("run", "b.compute"),
        ("skip", "fan.compute"),
    ]
    assert active.abandoned == {"after_a.compute", "fan.compute"}


def test_fan_in_leaves_out_optional_outputs_not_yielded() -> None:
    @pipeline
    def fan_of_optionals() -> None:
        always, maybe = optional_out()
        skipped = one_in.alias("on_maybe")(maybe)
        fan_in.alias("fan")([always, maybe, skipped])
        fan_in.alias("none_yielded")([maybe])

    active = active_for(plan_of(fan_of_optionals))
    succeed(active, take(active), outputs=("always",))
    # on_maybe is skipped (not abandoned): the fan-in runs with what was produced
    assert skipped_now(active) == ["none_yielded.compute", "on_maybe.compute"]
    assert active.abandoned == set()
    assert take(active) == "fan.compute"
    succeed(active, "fan.compute")
    assert active.is_complete


@pipeline
def optional() -> None:
    always, maybe = optional_out()
    one_in.alias("on_always")(always)
    one_in.alias("after_maybe")(one_in.alias("on_maybe")(maybe))


def test_optional_output_not_yielded_skips_its_consumers() -> None:
    active = active_for(plan_of(optional))
    assert take(active) == "optional_out.compute"
    succeed(active, "optional_out.compute", outputs=("always",))
    assert take(active) == "on_always.compute"
    assert skipped_now(active) == ["after_maybe.compute", "on_maybe.compute"]
    assert not active.is_complete  # on_always is still in flight
    succeed(active, "on_always.compute")
    assert active.is_complete


def test_optional_output_yielded_runs_its_consumers() -> None:
    active = active_for(plan_of(optional))
    succeed(active, take(active), outputs=("always", "maybe"))
    assert sorted([take(active), take(active)]) == ["on_always.compute", "on_maybe.compute"]


def test_subset_plan_takes_outside_outputs_from_storage() -> None:
    active = active_for(plan_of(chain, ["b.compute", "c.compute"]))
    assert take(active) == "b.compute"  # a is not in the plan: its output is assumed stored
    succeed(active, "b.compute")
    assert take(active) == "c.compute"
    succeed(active, "c.compute")
    assert active.is_complete


def test_finishing_a_step_that_never_started_is_an_error() -> None:
    active = active_for(plan_of(chain))
    with pytest.raises(
        DagsterInvariantViolationError, match=r'Step "a\.compute" finished without being started'
    ):
        active.handle_event(event("STEP_SUCCESS", "a.compute", StepSuccessData(1.0)))


def test_events_of_other_steps_are_ignored() -> None:
    active = active_for(plan_of(chain))
    active.handle_event(event("STEP_SUCCESS", "elsewhere.compute"))
    active.handle_event(DagsterEvent("PIPELINE_START", "p"))
    assert take(active) == "a.compute"


# --- priority ------------------------------------------------------------------------------------------


@pipeline
def prioritized() -> None:
    src.alias("p0_first")()
    src.alias("low").tag({"dagster/priority": "-1"})()
    src.alias("high").tag({"dagster/priority": "3"})()
    src.alias("p0_second")()
    src.alias("mid").tag({"dagster/priority": "1"})()
    src.alias("p0_third").tag({"dagster/priority": "0"})()


def test_priority_order_is_stable() -> None:
    active = active_for(plan_of(prioritized))
    order = []
    while (step := active.get_next_step()) is not None:
        order.append(step.solid_handle)
        succeed(active, step.key)
    assert order == ["high", "mid", "p0_first", "p0_second", "p0_third", "low"]
    assert active.is_complete


def test_get_steps_to_execute_with_limit() -> None:
    active = active_for(plan_of(prioritized))
    first = active.get_steps_to_execute(2)
    assert [s.solid_handle for s in first] == ["high", "mid"]
    assert active.in_flight == {"high.compute", "mid.compute"}
    rest = active.get_steps_to_execute()
    assert [s.solid_handle for s in rest] == ["p0_first", "p0_second", "p0_third", "low"]
    assert active.get_steps_to_execute(3) == []


def test_priority_applies_when_steps_become_ready() -> None:
    @pipeline
    def late_priority() -> None:
        a = src.alias("a")()
        one_in.alias("plain")(a)
        one_in.alias("urgent").tag({"dagster/priority": "9"})(a)
        src.alias("independent")()

    active = active_for(plan_of(late_priority))
    assert take(active) == "a.compute"
    succeed(active, "a.compute")
    # urgent first; then the two of priority 0 in the order they became ready
    assert [take(active), take(active), take(active)] == [
        "urgent.compute",
        "independent.compute",
        "plain.compute",
    ]


def test_steps_run_level_by_level_by_key() -> None:
    @pipeline
    def levels() -> None:
        z = src.alias("z")()
        one_in.alias("c_deep")(one_in.alias("b_deep")(src.alias("y")()))
        one_in.alias("a_after_z")(z)
        src.alias("m").tag({"dagster/priority": "-1"})()

    plan = plan_of(levels)
    assert plan.step_keys_to_execute == [
        "m.compute",
        "y.compute",
        "z.compute",
        "a_after_z.compute",
        "b_deep.compute",
        "c_deep.compute",
    ]
    active = active_for(plan)
    order = []
    while (step := active.get_next_step()) is not None:
        order.append(step.solid_handle)
        succeed(active, step.key)
    # priority sorts first (m, negative, last); steps freed later queue behind those waiting
    assert order == ["y", "z", "b_deep", "a_after_z", "c_deep", "m"]


def test_a_subset_runs_in_the_order_of_the_selection() -> None:
    @pipeline
    def independent() -> None:
        src.alias("zz")()
        src.alias("aa")()
        one_in.alias("mm")(src.alias("bb")())

    plan = plan_of(independent, ["mm.compute", "zz.compute", "aa.compute"])
    assert plan.step_keys_to_execute == ["mm.compute", "zz.compute", "aa.compute"]
    plan = plan_of(independent, ["mm.compute", "zz.compute", "bb.compute"])
    assert plan.step_keys_to_execute == ["zz.compute", "bb.compute", "mm.compute"]


# --- retries ----------------------------------------------------------------------------------------------


def test_retry_waits_for_seconds_to_wait() -> None:
    retries = Retries(RetryMode.ENABLED)
    active = ActiveExecution(plan_of(chain), retries)
    assert take(active) == "a.compute"
    active.handle_event(event("STEP_UP_FOR_RETRY", "a.compute", StepRetryData(None, 0.2)))
    assert retries.get_attempt_count("a.compute") == 1
    assert active.in_flight == set()
    assert not active.is_complete
    assert active.get_next_step() is None  # not due yet
    wait = active.seconds_until_retry()
    assert wait is not None and 0.1 < wait <= 0.2
    start = time.monotonic()
    active.sleep_until_ready()
    assert time.monotonic() - start >= 0.1
    assert take(active) == "a.compute"
    succeed(active, "a.compute")
    assert active.seconds_until_retry() is None
    assert take(active) == "b.compute"


def test_retry_without_wait_is_ready_at_once() -> None:
    retries = Retries(RetryMode.ENABLED)
    active = ActiveExecution(plan_of(chain), retries)
    take(active)
    active.mark_up_for_retry("a.compute")
    active.sleep_until_ready()  # returns at once
    assert take(active) == "a.compute"
    active.mark_up_for_retry("a.compute")
    assert retries.get_attempt_count("a.compute") == 2


def test_retry_keeps_priority_among_ready_steps() -> None:
    active = active_for(plan_of(prioritized))
    assert take(active) == "high.compute"
    active.mark_up_for_retry("high.compute", 0)
    assert take(active) == "high.compute"


def test_interrupt_forgets_queued_steps() -> None:
    active = active_for(plan_of(prioritized))
    active.get_steps_to_execute(2)
    assert active.mark_interrupted() == ["high.compute", "mid.compute"]
    assert active.get_next_step() is None
    assert active.unfinished_step_keys() == ["high.compute", "mid.compute"]


def test_retries_config() -> None:
    assert Retries.from_config(None).enabled
    assert Retries.from_config({"enabled": {}}).enabled
    disabled = Retries.from_config({"disabled": {}})
    assert disabled.disabled and not disabled.enabled
    enabled = Retries(RetryMode.ENABLED, {"a.compute": 1})
    inner = enabled.for_inner_plan()
    assert inner.deferred
    assert inner.get_attempt_count("a.compute") == 1
    assert disabled.for_inner_plan().disabled
    assert enabled.to_config() == {"enabled": {}}
