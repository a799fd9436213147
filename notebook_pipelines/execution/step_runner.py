"""One step as every executor runs it: the step's events (:func:`.step.execute_step`) with its
stdout/stderr captured into the compute logs, then its hooks. Hooks also run when the step re-raises
(``raise_on_error``), but not when the consumer closed the iterator (nothing may be yielded then)."""

from __future__ import annotations

from collections.abc import Iterator

from ..events import DagsterEvent
from ..plan.retries import Retries
from ..storage.compute_logs import RunCapture
from .contexts import SystemComputeExecutionContext
from .hooks import run_hooks
from .step import execute_step


def run_step(
    step_context: SystemComputeExecutionContext,
    retries: Retries,
    compute_logs: RunCapture | None,
) -> Iterator[DagsterEvent]:
    """Yield the events of the step of ``step_context`` and then of its hooks."""
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
