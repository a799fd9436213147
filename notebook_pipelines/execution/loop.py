"""The one scheduling loop: take the next ready step by priority, run it, feed its events back into
the scheduling state, skip what cannot run, wait for retries. Executors differ only in how a step
is submitted; the in-process executor submits here directly.

Each step's stdout/stderr is captured into the instance's compute logs while the step computes
(:mod:`..storage.compute_logs`); whether to capture is decided once per run, and with an
ephemeral instance the loop does no capture work at all."""

from __future__ import annotations

from collections.abc import Iterator

from ..events import DagsterEvent
from ..plan.active import ActiveExecution
from ..plan.plan import ExecutionPlan
from ..plan.retries import Retries
from .contexts import PlanExecutionContext
from .step_runner import (
    SKIPPED_FOR_FAILURE,
    SKIPPED_FOR_UPSTREAM,
    run_step,
    skipped_step_events,
)


def inner_plan_execution_iterator(
    plan_context: PlanExecutionContext, plan: ExecutionPlan, retries: Retries
) -> Iterator[DagsterEvent]:
    """Run ``plan`` step by step in this process; yield every event as it is emitted."""
    active = ActiveExecution(plan, retries)
    # None when the instance is ephemeral: no capture, nothing more to do per step
    compute_logs = plan_context.instance.compute_log_manager.run_capture(plan_context.run_id)
    try:
        while not active.is_complete:
            yield from skip_events(plan_context, active)
            step = active.get_next_step()
            if step is None:
                active.sleep_until_ready()
                continue
            for event in run_step(plan_context.for_step(step), retries, compute_logs):
                active.handle_event(event)
                yield event
    finally:
        if compute_logs is not None:
            compute_logs.close()


def skip_events(
    plan_context: PlanExecutionContext, active: ActiveExecution
) -> Iterator[DagsterEvent]:
    """Emit ``STEP_SKIPPED`` (and ``HOOK_SKIPPED``) for every step that can no longer run."""
    for step in active.get_steps_to_skip():
        why = SKIPPED_FOR_FAILURE if step.key in active.abandoned else SKIPPED_FOR_UPSTREAM
        yield from skipped_step_events(plan_context.for_step(step), why)
