"""What the run widget knows of a run, folded from its event records (no widget, no I/O).

:class:`RunModel` keeps each step's status, start, duration, error and records, the run's status,
and which steps changed since :meth:`RunModel.take_changes` was last called — the widget sends only
those (a delta), so a 1000-step run never resends the whole graph.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

from ..events import (
    ACTIVE_STATUSES,
    DONE_STATUSES,
    PIPELINE_EVENTS,
    DagsterEventType,
    DebuggerEventData,
    EventRecord,
    StepStatus,
    next_step_status,
)
from ..storage.runs import PipelineRunStatus, status_for_event_type

#: the events that end a run
RUN_END = PIPELINE_EVENTS - {DagsterEventType.PIPELINE_START}
#: the statuses a step is shown as canceled from when its run ends without success
_CUT_SHORT = ACTIVE_STATUSES | {StepStatus.UP_FOR_RETRY}


#: events of a step sent along with its state (the latest), and characters of each
SUMMARY_EVENTS = 8
SUMMARY_CHARS = 200
#: characters of a step's error sent along with its state
ERROR_CHARS = 4000


class StepState:
    """What the widget knows of one step. :meth:`as_dict` is what the front end gets: enough to
    show the step while the kernel is busy running (its latest events, its error, the tail of its
    captured output), when the front end cannot ask the kernel for more."""

    __slots__ = (
        "duration_ms",
        "error",
        "handle",
        "records",
        "start",
        "status",
        "stderr",
        "stdout",
        "summary",
    )

    def __init__(self, handle: str):
        self.handle = handle
        self.status = StepStatus.PENDING
        self.start: float | None = None
        self.duration_ms: float | None = None
        self.error: str | None = None
        self.records: list[EventRecord] = []
        self.summary: deque[str] = deque(maxlen=SUMMARY_EVENTS)
        self.stdout = ""
        self.stderr = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": self.status.value,
            "handle": self.handle,
            "start": self.start,
            "duration_ms": self.duration_ms,
            "events": list(self.summary),
        }
        if self.error:
            out["error"] = self.error[:ERROR_CHARS]
        if self.stdout:
            out["stdout"] = self.stdout
        if self.stderr:
            out["stderr"] = self.stderr
        return out


class RunModel:
    """One run's state, folded from its records in order."""

    def __init__(self) -> None:
        self.steps: dict[str, StepState] = {}
        self.status = "NOT_STARTED"
        self.started_at: float | None = None
        self.last_at: float | None = None
        self.ended = False
        self._dirty: set[str] = set()
        self._planned: set[str] = set()

    def plan(self, step_keys: Iterable[str]) -> None:
        """Show ``step_keys`` as pending before they produce any event; once a plan is known,
        events of other steps (a re-execution copying its parent's outputs) add no step."""
        for key in step_keys:
            self._planned.add(key)
            self.step(key, None)

    def step(self, key: str, handle: str | None) -> StepState:
        state = self.steps.get(key)
        if state is None:
            state = self.steps[key] = StepState(handle or key.rsplit(".", 1)[0])
            self._dirty.add(key)
        elif handle:
            state.handle = handle
        return state

    def apply(self, record: EventRecord) -> bool:
        """Fold ``record`` in; True when it ends the run."""
        if self.started_at is None:
            self.started_at = record.timestamp
        self.last_at = record.timestamp
        event = record.dagster_event
        type_value = event.event_type_value if event is not None else None
        run_status = status_for_event_type(type_value) if type_value is not None else None
        if run_status is not None:
            if type_value == DagsterEventType.PIPELINE_START:
                self.started_at = record.timestamp
            self.status = run_status.value
        step_key = record.step_key or (event.step_key if event is not None else None)
        if step_key is not None and (not self._planned or step_key in self._planned):
            self._apply_step(step_key, record)
        if type_value in RUN_END:
            self.ended = True
            return True
        return False

    def _apply_step(self, step_key: str, record: EventRecord) -> None:
        event = record.dagster_event
        state = self.step(step_key, event.solid_handle if event is not None else None)
        state.records.append(record)
        kind = event.event_type_value if event is not None else "LOG"
        message = (event.message if event is not None else None) or record.user_message or ""
        state.summary.append(f"{kind}: {message}"[:SUMMARY_CHARS])
        if state.status in ACTIVE_STATUSES:
            self._dirty.add(step_key)  # a running step's log lines show as they come
        if event is None:
            return
        status = next_step_status(state.status, event)
        if status is None:
            return
        state.status = status
        self._dirty.add(step_key)
        data = event.event_specific_data
        if type(data) is DebuggerEventData:
            return  # entering / leaving the debugger: the step keeps its start
        if status is StepStatus.RUNNING:
            state.start = record.timestamp
            state.duration_ms = None
            state.error = None
        elif state.start is not None:
            state.duration_ms = round((record.timestamp - state.start) * 1000.0, 3)
        if status is StepStatus.SUCCEEDED and getattr(data, "duration_ms", None) is not None:
            state.duration_ms = round(float(data.duration_ms), 3)
        error = getattr(data, "error", None)
        if error is not None:
            state.error = error.to_string()

    def end(self, run_status: str) -> None:
        """The run is over with ``run_status`` (e.g. CANCELED after Ctrl-C): steps still running
        are shown as canceled."""
        self.status = run_status
        self.ended = True
        for key, state in self.steps.items():
            if state.status in _CUT_SHORT and run_status != PipelineRunStatus.SUCCESS:
                state.status = StepStatus.CANCELED
                if state.start is not None and self.last_at is not None:
                    state.duration_ms = round((self.last_at - state.start) * 1000.0, 3)
                self._dirty.add(key)

    def set_output(self, step_key: str, stdout: str, stderr: str) -> None:
        """The tail of the step's captured output (marked changed when it differs)."""
        state = self.steps.get(step_key)
        if state is not None and (state.stdout, state.stderr) != (stdout, stderr):
            state.stdout, state.stderr = stdout, stderr
            self._dirty.add(step_key)

    def changed(self) -> list[str]:
        """The steps changed since :meth:`take_changes` was last called."""
        return list(self._dirty)

    def running(self) -> list[str]:
        return [k for k, s in self.steps.items() if s.status in ACTIVE_STATUSES]

    def take_changes(self) -> dict[str, dict[str, Any]]:
        """The steps changed since the last call, as plain dicts (and forget them)."""
        # in plan order (the front end lists steps in the order it first hears of them)
        dirty = self._dirty
        delta = {key: state.as_dict() for key, state in self.steps.items() if key in dirty}
        self._dirty.clear()
        return delta

    def progress(self) -> dict[str, int]:
        """Steps done out of all, and how many ended in each way (the progress bar shows
        succeeded, failed, skipped and canceled steps apart, never a failed run in full green)."""
        counts = {status.value: 0 for status in sorted(DONE_STATUSES)}
        for state in self.steps.values():
            if state.status in counts:
                counts[state.status] += 1
        return {"done": sum(counts.values()), "total": len(self.steps), **counts}

    def elapsed(self) -> float:
        """Seconds since the run started: up to now while it goes on, to its last event after."""
        if self.started_at is None:
            return 0.0
        end = self.last_at if self.ended and self.last_at is not None else time.time()
        return round(max(0.0, end - self.started_at), 3)

    def failed_or_not_run(self) -> list[str]:
        """Step keys to run again "from failure": every step that did not succeed."""
        return [k for k, s in self.steps.items() if s.status is not StepStatus.SUCCEEDED]

    def upstream(self, snapshot: Mapping[str, Any] | None) -> dict[str, set[str]]:
        """The step DAG (step key -> upstream step keys) of a stored plan snapshot."""
        deps = (snapshot or {}).get("step_deps") or {}
        return {key: set(ups) for key, ups in deps.items()}
