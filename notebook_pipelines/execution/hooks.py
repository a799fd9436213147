"""Running a step's hooks after it finishes. A hook never fails the run: its exception becomes
``HOOK_ERRORED``; a hook whose condition did not match is ``HOOK_SKIPPED``, and so is every hook of
a step that did not run."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import serializable_error_info_from_exc_info
from ..events import DagsterEvent, DagsterEventType, HookErroredData
from .contexts import SystemComputeExecutionContext
from .init_contexts import HookContext
from .step_events import step_event


def run_hooks(
    ctx: SystemComputeExecutionContext, step_events: Sequence[DagsterEvent]
) -> Iterator[DagsterEvent]:
    """Run every hook of the step of ``ctx`` on its events; yield the hook events."""
    handle = ctx.solid_handle
    for hook_def in sorted(ctx.step.hook_defs, key=lambda h: h.name):
        resources = ctx.plan_context.scoped_resources(
            hook_def.required_resource_keys, f'hook "{hook_def.name}"'
        )
        try:
            ran = hook_def.hook_fn(HookContext(ctx, hook_def, resources), list(step_events))
        except Exception as exc:
            yield step_event(
                ctx,
                DagsterEventType.HOOK_ERRORED,
                HookErroredData(serializable_error_info_from_exc_info()),
                f'Error in hook "{hook_def.name}" triggered for solid "{handle}": '
                f"{type(exc).__name__}: {exc}",
            )
            continue
        if ran is False:
            yield _hook_skipped(ctx, hook_def)
        else:
            yield step_event(
                ctx,
                DagsterEventType.HOOK_COMPLETED,
                None,
                f'Finished hook "{hook_def.name}" triggered for solid "{handle}".',
            )


def skipped_hook_events(ctx: SystemComputeExecutionContext) -> Iterator[DagsterEvent]:
    """``HOOK_SKIPPED`` for every hook of a step that did not run (none of them is called)."""
    for hook_def in sorted(ctx.step.hook_defs, key=lambda h: h.name):
        yield _hook_skipped(ctx, hook_def)


def _hook_skipped(ctx: SystemComputeExecutionContext, hook_def: Any) -> DagsterEvent:
    return step_event(
        ctx,
        DagsterEventType.HOOK_SKIPPED,
        None,
        f'Skipped hook "{hook_def.name}": its condition did not match the execution of solid '
        f'"{ctx.solid_handle}".',
    )
