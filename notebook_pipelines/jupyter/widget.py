"""The run widget (L7): a run's DAG with step colours, progress, elapsed time, a step list with
durations and a detail pane for the selected step, as an anywidget whose front end (an ES module
and its CSS, no build step) lives in ``extension/`` and ships inside the wheel.

The widget consumes the same event stream as storage: :meth:`RunWidget.for_run` replays a stored
run's records, :meth:`RunWidget.live` listens to the instance while the run goes on. Live updates
are throttled: records are applied to an in-kernel model at once, and what changed is pushed to
the front end at most every :attr:`RunWidget.flush_interval` seconds (and once more at run end) as
one state message carrying only the changed steps (``step_updates``, a delta merged by the front
end into ``steps``), so a 1000-step run sends a few dozen messages, not thousands.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from ..definitions.dot import STATUS_COLORS
from ..errors import DagsterInvariantViolationError
from ..events import EventRecord
from ..storage.instance import DagsterInstance
from .graph import GraphvizNotFoundError, to_graphviz

__all__ = ["RunWidget", "extension_file"]

#: Step event type -> the status it leaves the step in (as in :mod:`.graph`).
_STATUS_OF_EVENT = {
    "STEP_START": "running",
    "STEP_RESTARTED": "running",
    "STEP_SUCCESS": "succeeded",
    "STEP_FAILURE": "failed",
    "STEP_SKIPPED": "skipped",
    "STEP_UP_FOR_RETRY": "up_for_retry",
}
_DONE = frozenset({"succeeded", "failed", "skipped"})
_RUN_STATUS_OF_EVENT = {
    "PIPELINE_START": "STARTED",
    "PIPELINE_SUCCESS": "SUCCESS",
    "PIPELINE_FAILURE": "FAILURE",
    "PIPELINE_INIT_FAILURE": "FAILURE",
}
_RUN_END = frozenset({"PIPELINE_SUCCESS", "PIPELINE_FAILURE", "PIPELINE_INIT_FAILURE"})


def extension_file(name: str) -> Path:
    """``name`` from the widget's front end: inside the installed package (``_extension``, put
    there by the wheel build) first, the repository's ``extension/`` folder second."""
    packaged = resources.files("notebook_pipelines") / "_extension" / name
    if packaged.is_file():
        return Path(str(packaged))
    in_repo = Path(__file__).resolve().parents[2] / "extension" / name
    if in_repo.is_file():
        return in_repo
    raise DagsterInvariantViolationError(
        f"The run widget's front end file {name!r} is missing: neither "
        f"notebook_pipelines/_extension/{name} nor {in_repo} exists (reinstall the package)."
    )


class _StepState:
    """What the widget knows of one step."""

    __slots__ = ("duration_ms", "error", "handle", "records", "start", "status")

    def __init__(self, handle: str):
        self.handle = handle
        self.status = "pending"
        self.start: float | None = None
        self.duration_ms: float | None = None
        self.error: str | None = None
        self.records: list[EventRecord] = []

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "handle": self.handle,
            "start": self.start,
            "duration_ms": self.duration_ms,
        }


class RunWidget(anywidget.AnyWidget):
    """One run of the instance, drawn and kept up to date. Make it with :meth:`for_run` (a
    stored run) or :meth:`live` (a run going on, or the next one to start)."""

    _esm = extension_file("run_widget.js")
    _css = extension_file("run_widget.css")

    run_id = traitlets.Unicode("").tag(sync=True)
    pipeline_name = traitlets.Unicode("").tag(sync=True)
    status = traitlets.Unicode("NOT_STARTED").tag(sync=True)
    svg = traitlets.Unicode("").tag(sync=True)
    colors = traitlets.Dict(dict(STATUS_COLORS)).tag(sync=True)
    #: step key -> {status, handle, start, duration_ms}; during a live run the front end keeps
    #: it up to date from ``step_updates`` (the kernel's copy is complete at every flush).
    steps = traitlets.Dict({}).tag(sync=True)
    #: the latest batch of changed steps: {"seq": n, "steps": {step key: {...}}}
    step_updates = traitlets.Dict({"seq": 0, "steps": {}}).tag(sync=True)
    progress = traitlets.Dict({"done": 0, "total": 0}).tag(sync=True)
    elapsed = traitlets.Float(0.0).tag(sync=True)
    selected_step = traitlets.Unicode("").tag(sync=True)
    step_detail = traitlets.Dict({}).tag(sync=True)

    #: seconds between two pushes to the front end during a live run
    flush_interval = 0.1

    def __init__(self, instance: DagsterInstance, run_id: str = "", **kwargs: Any):
        super().__init__(run_id=run_id, **kwargs)
        self._instance = instance
        self._lock = threading.RLock()
        self._steps: dict[str, _StepState] = {}
        self._dirty: set[str] = set()
        self._started_at: float | None = None
        self._last_at: float | None = None
        self._seq = 0
        self._last_flush = 0.0
        self._timer: threading.Timer | None = None
        self._run_seen = False
        self._listening: str | None = None  # "run" | "all" | None
        self.observe(self._on_selected, names="selected_step")

    # --- construction ---------------------------------------------------------------------------

    @classmethod
    def for_run(cls, run_id: str, instance: DagsterInstance | None = None) -> RunWidget:
        """The widget of stored run ``run_id`` (its records replayed)."""
        instance = instance if instance is not None else DagsterInstance.get()
        run = instance.get_run_by_id(run_id)
        if run is None:
            raise DagsterInvariantViolationError(f'No run "{run_id}" in the instance {instance!r}.')
        widget = cls(instance, run_id)
        with widget._lock, widget.hold_sync():
            widget._see_run()
            for record in instance.all_logs(run_id):
                widget._apply(record)
            widget.status = run.status.value
            widget._flush()
        return widget

    @classmethod
    def live(cls, instance: DagsterInstance, run_id: str | None = None) -> RunWidget:
        """A widget following run ``run_id`` as it goes on (records already stored are replayed
        first); with no ``run_id``, the next run of ``instance`` to produce an event."""
        widget = cls(instance, run_id or "")
        if run_id:
            with widget._lock:
                instance.add_event_listener(run_id, widget._on_record)
                widget._listening = "run"
                if instance.get_run_by_id(run_id) is not None:
                    widget._see_run()
                    for record in instance.all_logs(run_id):
                        widget._apply(record)
                    widget._flush()
        else:
            instance.subscribe(widget._on_record)
            widget._listening = "all"
        return widget

    def close(self) -> None:
        with self._lock:
            self._stop_listening()
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        super().close()

    # --- events ---------------------------------------------------------------------------------

    def _on_record(self, record: EventRecord) -> None:
        with self._lock:
            if not self.run_id:
                self.run_id = record.run_id
            if record.run_id != self.run_id:
                return
            if not self._run_seen:
                self._see_run()
            self._apply(record)
            event = record.dagster_event
            if event is not None and event.event_type_value in _RUN_END:
                self._stop_listening()
                self._flush()
            elif time.monotonic() - self._last_flush >= self.flush_interval:
                self._flush()
            else:
                self._schedule_flush()

    def _see_run(self) -> None:
        """Take the pipeline name, the planned steps and the drawing from the stored run."""
        run = self._instance.get_run_by_id(self.run_id)
        if run is None:
            return
        self._run_seen = True
        self.pipeline_name = run.pipeline_name
        snapshot = run.execution_plan_snapshot
        deps = snapshot.get("step_deps") if isinstance(snapshot, Mapping) else None
        planned = list(run.step_keys_to_execute or deps or ())
        for key in planned:
            self._step(key, None)
        if not self.svg:
            try:
                self.svg = to_graphviz(self.run_id, instance=self._instance).svg()
            except (GraphvizNotFoundError, DagsterInvariantViolationError):
                self.svg = ""

    def _step(self, key: str, handle: str | None) -> _StepState:
        state = self._steps.get(key)
        if state is None:
            state = self._steps[key] = _StepState(handle or key.rsplit(".", 1)[0])
            self._dirty.add(key)
        elif handle:
            state.handle = handle
        return state

    def _apply(self, record: EventRecord) -> None:
        """Fold one record into the kernel-side model (nothing is sent here)."""
        if self._started_at is None:
            self._started_at = record.timestamp
        self._last_at = record.timestamp
        event = record.dagster_event
        if event is not None:
            run_status = _RUN_STATUS_OF_EVENT.get(event.event_type_value)
            if run_status is not None:
                if event.event_type_value == "PIPELINE_START":
                    self._started_at = record.timestamp
                self.status = run_status
        step_key = record.step_key or (event.step_key if event is not None else None)
        if step_key is None:
            return
        state = self._step(step_key, event.solid_handle if event is not None else None)
        state.records.append(record)
        if event is None:
            return
        status = _STATUS_OF_EVENT.get(event.event_type_value)
        if status is None:
            return
        state.status = status
        self._dirty.add(step_key)
        if status == "running":
            state.start = record.timestamp
            state.duration_ms = None
            state.error = None
        elif state.start is not None:
            state.duration_ms = round((record.timestamp - state.start) * 1000.0, 3)
        data = event.event_specific_data
        if status == "succeeded" and getattr(data, "duration_ms", None) is not None:
            state.duration_ms = round(float(data.duration_ms), 3)
        error = getattr(data, "error", None)
        if error is not None:
            state.error = error.to_string()

    # --- pushing to the front end ---------------------------------------------------------------

    def _schedule_flush(self) -> None:
        if self._timer is not None:
            return
        delay = max(0.0, self.flush_interval - (time.monotonic() - self._last_flush))
        timer = threading.Timer(delay, self._timed_flush)
        timer.daemon = True
        self._timer = timer
        timer.start()

    def _timed_flush(self) -> None:
        with self._lock:
            self._timer = None
            self._flush()

    def _flush(self) -> None:
        """Send what changed since the last flush as one state message."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._last_flush = time.monotonic()
        delta = {key: self._steps[key].as_dict() for key in sorted(self._dirty)}
        self._dirty.clear()
        done = sum(1 for s in self._steps.values() if s.status in _DONE)
        progress = {"done": done, "total": len(self._steps)}
        elapsed = (
            round(self._last_at - self._started_at, 3)
            if self._started_at is not None and self._last_at is not None
            else 0.0
        )
        with self.hold_sync():
            if delta:
                # the kernel's copy stays complete (for views opened later) without resending it:
                # it is updated in place, which traitlets does not report as a change
                self.steps.update(delta)
                self._seq += 1
                self.step_updates = {"seq": self._seq, "steps": delta}
            if progress != self.progress:
                self.progress = progress
            self.elapsed = elapsed
            if self.selected_step and self.selected_step in delta:
                self.step_detail = self._detail(self.selected_step)

    def _stop_listening(self) -> None:
        if self._listening == "run":
            self._instance.remove_event_listener(self.run_id, self._on_record)
        elif self._listening == "all":
            self._instance.unsubscribe(self._on_record)
        self._listening = None

    # --- the selected step ----------------------------------------------------------------------

    def _on_selected(self, change: Mapping[str, Any]) -> None:
        with self._lock:
            self.step_detail = self._detail(change["new"]) if change["new"] else {}

    def _detail(self, step_key: str) -> dict[str, Any]:
        state = self._steps.get(step_key)
        if state is None:
            return {"step_key": step_key, "missing": True}
        events = [
            {
                "timestamp": r.timestamp,
                "type": r.dagster_event.event_type_value if r.dagster_event else "LOG",
                "message": (
                    r.dagster_event.message or r.user_message if r.dagster_event else r.user_message
                ),
            }
            for r in state.records
        ]
        stdout, stderr = "", ""
        if self.run_id and self._instance.compute_log_manager.enabled:
            stdout, stderr = self._instance.compute_log_manager.read_logs(self.run_id, step_key)
        return {
            "step_key": step_key,
            **state.as_dict(),
            "events": events,
            "error": state.error,
            "stdout": stdout,
            "stderr": stderr,
        }
