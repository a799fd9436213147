"""Making a step's events: each is built, emitted (stored and logged) and returned for yielding."""

from __future__ import annotations

from typing import Any

from ..events import EVENT_TYPE_VALUE, DagsterEvent, DagsterEventType
from .contexts import SystemComputeExecutionContext


def step_event(
    ctx: SystemComputeExecutionContext, kind: DagsterEventType, data: Any, message: str
) -> DagsterEvent:
    """Emit a step event of type ``kind`` for the step of ``ctx`` (the event stores its value, the
    plain string)."""
    return ctx.emit(
        DagsterEvent(
            EVENT_TYPE_VALUE[kind],
            ctx.pipeline_name,
            ctx.step_key,
            ctx.solid_handle,
            "COMPUTE",
            ctx.logging_tags,
            data,
            message,
            ctx.plan_context.pid,
        )
    )


def format_duration(ms: float) -> str:
    """``0.12ms``, ``15ms``, ``2.5s``, ``3m 5s``."""
    if ms < 1:
        return f"{ms:.2f}ms"
    if ms < 1000:
        return f"{ms:.0f}ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m {seconds}s"
