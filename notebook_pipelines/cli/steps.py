"""What the ``runs`` commands read back from the instance: a run by (a prefix of) its id, and the
status and duration of each of its steps, derived from its stored events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import DagsterInvariantViolationError, DagsterRunNotFoundError
from ..events import ACTIVE_STATUSES, EventRecord, StepStatus, next_step_status
from ..storage.instance import DagsterInstance
from ..storage.runs import PipelineRun

#: Step statuses, as shown by ``runs show``.
SUCCESS = "SUCCESS"
FAILURE = "FAILURE"
SKIPPED = "SKIPPED"
RUNNING = "RUNNING"
RETRYING = "UP_FOR_RETRY"
NOT_RUN = "NOT_RUN"

#: how ``runs show`` names each step status (a canceled step failed; one in the debugger runs)
SHOWN_STATUS: dict[str, str] = {
    StepStatus.PENDING: NOT_RUN,
    StepStatus.RUNNING: RUNNING,
    StepStatus.IN_DEBUGGER: RUNNING,
    StepStatus.UP_FOR_RETRY: RETRYING,
    StepStatus.SUCCEEDED: SUCCESS,
    StepStatus.FAILED: FAILURE,
    StepStatus.SKIPPED: SKIPPED,
    StepStatus.CANCELED: FAILURE,
}

_MIN_PREFIX = 4


def find_run(instance: DagsterInstance, run_id: str) -> PipelineRun:
    """Run ``run_id``, or the one run whose id starts with it (at least 4 characters).

    Raises :class:`DagsterRunNotFoundError` (naming the id and the instance) when there is none,
    :class:`DagsterInvariantViolationError` when a prefix is shorter than 4 characters or
    ambiguous.
    """
    run = instance.get_run_by_id(run_id)
    if run is not None:
        return run
    if len(run_id) < _MIN_PREFIX:
        raise DagsterInvariantViolationError(
            f'Run id prefix "{run_id}" is too short: a prefix must have at least {_MIN_PREFIX} '
            "characters (`notebook-pipelines runs list` shows the runs' ids)."
        )
    matches = [r for r in instance.get_runs() if r.run_id.startswith(run_id)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        shown = ", ".join(r.run_id for r in matches[:5])
        raise DagsterInvariantViolationError(
            f'Run id prefix "{run_id}" matches {len(matches)} runs ({shown}'
            f"{', ...' if len(matches) > 5 else ''}); give more of the id."
        )
    raise DagsterRunNotFoundError(
        f'No run with id "{run_id}" in the instance at {instance.root_directory}. '
        "`notebook-pipelines runs list` lists the runs there (the instance is "
        "$NOTEBOOK_PIPELINES_HOME, default ~/.notebook_pipelines).",
        invalid_run_id=run_id,
    )


@dataclass
class StepSummary:
    """One step of a run: its status and timing as its events tell."""

    key: str
    status: str = NOT_RUN
    step_status: StepStatus = StepStatus.PENDING
    start: float | None = None
    end: float | None = None
    duration_ms: float | None = None
    attempts: int = 0

    @property
    def duration(self) -> float | None:
        """Seconds the step took (its own measure on success, else end minus start)."""
        if self.duration_ms is not None:
            return self.duration_ms / 1000
        if self.start is not None and self.end is not None:
            return self.end - self.start
        return None


def planned_step_keys(run: PipelineRun) -> list[str]:
    """The step keys of the run's stored plan, in plan order (all of them, not only selected)."""
    snapshot = run.execution_plan_snapshot
    if isinstance(snapshot, dict):
        deps = snapshot.get("step_deps")
        if isinstance(deps, dict):
            return list(deps)
    return []


def step_summaries(run: PipelineRun, records: Sequence[EventRecord]) -> list[StepSummary]:
    """The steps the run was to execute (in plan order) and any other step its events name."""
    planned = planned_step_keys(run)
    selected = list(run.step_keys_to_execute) if run.step_keys_to_execute else planned
    steps: dict[str, StepSummary] = {key: StepSummary(key) for key in selected}
    for record in records:
        event = record.dagster_event
        if event is None or event.step_key is None:
            continue
        step = steps.get(event.step_key)
        before = step.step_status if step is not None else StepStatus.PENDING
        status = next_step_status(before, event)
        if status is None:
            continue
        if step is None:
            step = steps[event.step_key] = StepSummary(event.step_key)
        step.step_status, step.status = status, SHOWN_STATUS[status]
        if status is StepStatus.RUNNING and before not in ACTIVE_STATUSES:  # an attempt begins
            step.attempts += 1
            if step.start is None:
                step.start = record.timestamp
        elif status is StepStatus.SUCCEEDED:
            step.end = record.timestamp
            step.duration_ms = event.step_success_data.duration_ms
        elif status in (StepStatus.FAILED, StepStatus.CANCELED):
            step.end = record.timestamp
    return list(steps.values())


def steps_to_retry(run: PipelineRun, records: Sequence[EventRecord]) -> list[str]:
    """``--from-failure``: the steps of ``run`` that did not succeed (failed, skipped, or never
    reached because the run stopped), in plan order."""
    return [s.key for s in step_summaries(run, records) if s.status != SUCCESS]
