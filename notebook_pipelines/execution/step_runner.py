"""One step as every executor runs it: the step's events (:func:`.step.execute_step`) with its
stdout/stderr captured into the compute logs, then its hooks. Hooks also run when the step re-raises
(``raise_on_error``), but not when the consumer closed the iterator (nothing may be yielded then).

A step that does not run — stopped by an upstream failure, or missing an input that was not
produced — gets :func:`skipped_step_events`: ``STEP_SKIPPED`` and ``HOOK_SKIPPED`` for each of its
hooks. In a re-execution a step also checks, before it starts, that the outputs it reads from the
parent run are in storage (an optional output the parent did not yield is not): the scheduler only
knows about the steps of this run.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..events import DagsterEvent, DagsterEventType, StepOutputHandle
from ..plan.active import AVAILABLE, NOT_PRODUCED, RUN, decide_step
from ..plan.retries import Retries
from ..storage.compute_logs import RunCapture
from .contexts import SystemComputeExecutionContext
from .hooks import run_hooks, skipped_hook_events
from .step import execute_step
from .step_events import step_event

#: why a step did not run, in its ``STEP_SKIPPED`` message
SKIPPED_FOR_FAILURE = "an upstream step failed, so an input it needs has no value"
SKIPPED_FOR_UPSTREAM = (
    "an input it needs was not produced (an optional output upstream of it was not yielded)"
)
SKIPPED_FOR_PARENT_RUN = "an input it needs is an optional output the parent run did not yield"


def run_step(
    step_context: SystemComputeExecutionContext,
    retries: Retries,
    compute_logs: RunCapture | None,
) -> Iterator[DagsterEvent]:
    """Yield the events of the step of ``step_context`` and then of its hooks."""
    plan = step_context.plan_context.execution_plan
    if plan.is_subset and not _inputs_in_storage(step_context):
        yield from skipped_step_events(step_context, SKIPPED_FOR_PARENT_RUN)
        return
    events = execute_step(step_context, retries)
    if compute_logs is not None:
        events = compute_logs.wrap(step_context.step_key, events)
    hook_defs = step_context.step.hook_defs
    step_events: list[DagsterEvent] = []
    closing = False
    try:
        for event in events:
            step_events.append(event)
            yield event
    except GeneratorExit:
        closing = True
        raise
    finally:
        if hook_defs and step_events and not closing:
            yield from run_hooks(step_context, step_events)


def skipped_step_events(ctx: SystemComputeExecutionContext, why: str) -> Iterator[DagsterEvent]:
    """``STEP_SKIPPED`` for the step of ``ctx`` (``why`` it did not run), then ``HOOK_SKIPPED`` for
    each of its hooks."""
    yield step_event(
        ctx,
        DagsterEventType.STEP_SKIPPED,
        None,
        f'Skipped execution of step "{ctx.step_key}": {why}.',
    )
    if ctx.step.hook_defs:
        yield from skipped_hook_events(ctx)


def _inputs_in_storage(ctx: SystemComputeExecutionContext) -> bool:
    """Whether the outputs this step reads from outside the run's steps are in storage (those of
    steps of this run the scheduler has checked already)."""
    plan = ctx.plan_context.execution_plan
    storage = ctx.intermediate_storage

    def state(handle: StepOutputHandle) -> str:
        if plan.executes(handle.step_key) or storage.has_intermediate(handle):
            return AVAILABLE
        return NOT_PRODUCED

    return decide_step(ctx.step, state) is RUN
