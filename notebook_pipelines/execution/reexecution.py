"""Re-execution: a run that executes some steps of its parent's plan first copies, from the parent
run, the outputs those steps need and no selected step produces (``OBJECT_STORE_OPERATION`` with op
``CP_OBJECT``). Outputs of steps that failed in the parent are never reused. Because copies are
recorded like writes, chains of re-executions (run1 → run2 → run3) find every output they need.

A required output the parent did not store is ``DagsterStepOutputNotFoundError`` (the run cannot
start); an optional one it did not yield is left out, and the steps reading it are skipped."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import DagsterInvariantViolationError, DagsterStepOutputNotFoundError
from ..events import DagsterEvent, DagsterEventType, StepOutputHandle
from ..plan.plan import ExecutionPlan
from ..storage.instance import DagsterInstance
from .contexts import PlanExecutionContext


def stored_outputs(instance: DagsterInstance, run_id: str) -> set[StepOutputHandle]:
    """The outputs run ``run_id`` stored (written or copied), minus those of its failed steps:
    what a re-execution of it can reuse."""
    stored: set[StepOutputHandle] = set()
    failed: set[str] = set()
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None:
            continue
        if event.event_type_value == DagsterEventType.STEP_FAILURE and event.step_key:
            failed.add(event.step_key)
        elif event.event_type_value == DagsterEventType.OBJECT_STORE_OPERATION:
            data = event.event_specific_data
            if data.op.value in ("SET_OBJECT", "CP_OBJECT") and data.step_output_handle is not None:
                stored.add(data.step_output_handle)
    return {h for h in stored if h.step_key not in failed}


def copy_parent_intermediates(
    plan_context: PlanExecutionContext, plan: ExecutionPlan
) -> Iterator[DagsterEvent]:
    """Copy what the selected steps need from the parent run; emit one event per copy."""
    parent_run_id = plan_context.pipeline_run.parent_run_id
    assert parent_run_id is not None
    storage = plan_context.intermediate_storage
    if not storage.is_persistent:
        raise DagsterInvariantViolationError(
            "Cannot re-execute a subset of steps with non-persistent intermediates: the parent "
            "run's outputs are gone. Run both runs with "
            "{'intermediate_storage': {'filesystem': {}}} and a persistent instance."
        )
    selected = set(plan.step_keys_to_execute)
    available = stored_outputs(plan_context.instance, parent_run_id)
    needed: dict[StepOutputHandle, object] = {}
    for step in plan.topological_steps():
        for step_input in step.step_inputs:
            for handle in step_input.upstream_handles:
                if handle.step_key not in selected:
                    needed.setdefault(handle, step_input.dagster_type)
    for handle, dagster_type in needed.items():
        step = plan.get_step_by_key(handle.step_key)
        if handle not in available:
            output = step.step_output_named(handle.output_name)
            if output is not None and not output.is_required:
                continue  # an optional output not yielded: the steps reading it are skipped
            raise DagsterStepOutputNotFoundError(
                f'Step output "{handle.output_name}" of step "{handle.step_key}" is needed but the '
                f"parent run {parent_run_id} did not store it (the step failed, was skipped or was "
                "not run). Include that step in the step selection.",
                step_key=handle.step_key,
                output_name=handle.output_name,
            )
        if storage.has_intermediate(handle):
            continue
        op = storage.copy_intermediate_from_run(dagster_type, parent_run_id, handle)
        from .step_events import step_event

        yield step_event(
            plan_context.for_step(step),
            DagsterEventType.OBJECT_STORE_OPERATION,
            op,
            f'Copied intermediate object for output "{handle.output_name}" of step '
            f'"{handle.step_key}" from run {parent_run_id} to {op.address}',
        )
