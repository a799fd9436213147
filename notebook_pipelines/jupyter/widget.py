"""The run widget (L7): a run's DAG with step colours, progress, elapsed time, a step list with
durations, a detail pane for the selected step (events, captured stdout/stderr, error, output
previews) and re-execute buttons, as an anywidget whose front end (an ES module and its CSS, no
build step) lives in ``extension/`` and ships inside the wheel.

The widget consumes the same event stream as storage: ``RunWidget(run_id)`` /
:meth:`RunWidget.for_run` replay a stored run's records, :meth:`RunWidget.live` listens to the
instance while the run goes on (after ``%load_ext notebook_pipelines`` the session displays one
for every ``execute_pipeline``, see :mod:`.session`). Live updates are throttled: records are folded
into a :class:`~.run_model.RunModel` at once, and what changed is pushed at most every
:attr:`RunWidget.flush_interval` seconds (and once more at run end) as one state message carrying
only the changed steps (``step_updates``, merged by the front end into ``steps``).

The front end sends two messages: ``{"type": "preview_query", "query": ...}`` (the answer is the
``query_preview`` trait) and ``{"type": "reexecute", "from": "failed" | "selected", "steps": [...],
"query": ...}``; a re-execution runs in the kernel, with the notebook's current definition of the
pipeline (:mod:`.current`: cells fixed since the run are used, and the widget says which), and this
widget follows the new run. Selections that cannot work are refused before the click, with the
reason (:mod:`.widget_selection`).

Displayed, the widget's mime bundle also carries a static HTML summary of the run
(:mod:`.static_html`), which is what a notebook shows where no widget can be drawn (executed by
papermill or nbclient and reopened without a kernel, untrusted, on GitHub or nbviewer).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import anywidget
import traitlets

from ..definitions.dot import STATUS_COLORS
from ..errors import DagsterError, DagsterInvariantViolationError
from ..events import ACTIVE_STATUSES, DagsterEventType, EventRecord, StepStatus
from ..storage.instance import DagsterInstance
from ..storage.runs import PipelineRunStatus
from .current import CurrentPipeline, current_pipeline, stale_note
from .graph import GraphvizNotFoundError, snapshot_svg, to_graphviz
from .notebook_html import notebook_html
from .previews import OutputReader, output_previews
from .run_model import RunModel
from .static_html import progress_text, run_html
from .widget_io import executed_notebook, extension_file, result_reader, stored_reader, tail
from .widget_selection import preview_selection, selection_problem

__all__ = ["RunWidget", "extension_file"]

#: the step statuses' colours (the run graphs' own)
WIDGET_COLORS = STATUS_COLORS


#: statuses of a step whose captured output is not read at a flush (running ones are polled)
_NO_OUTPUT_YET = ACTIVE_STATUSES | {StepStatus.PENDING}


class RunWidget(anywidget.AnyWidget):
    """One run of the instance, drawn and kept up to date. ``RunWidget(run_id)`` shows a stored
    run of the home instance; :meth:`for_run` and :meth:`live` take any instance."""

    _esm = extension_file("run_widget.js")
    _css = extension_file("run_widget.css")

    run_id = traitlets.Unicode("").tag(sync=True)
    parent_run_id = traitlets.Unicode("").tag(sync=True)
    #: the runs this widget has shown, oldest first (a re-execution adds its run)
    runs = traitlets.List(traitlets.Unicode()).tag(sync=True)
    pipeline_name = traitlets.Unicode("").tag(sync=True)
    status = traitlets.Unicode("NOT_STARTED").tag(sync=True)
    svg = traitlets.Unicode("").tag(sync=True)
    colors = traitlets.Dict(dict(WIDGET_COLORS)).tag(sync=True)
    #: step key -> {status, handle, start, duration_ms}; during a live run the front end keeps
    #: it up to date from ``step_updates`` (the kernel's copy is complete at every flush).
    steps = traitlets.Dict({}).tag(sync=True)
    #: the latest batch of changed steps: {"seq": n, "steps": {step key: {...}}}
    step_updates = traitlets.Dict({"seq": 0, "steps": {}}).tag(sync=True)
    progress = traitlets.Dict({"done": 0, "total": 0}).tag(sync=True)
    #: seconds since the run started, as of the last flush (the front end ticks on while STARTED)
    elapsed = traitlets.Float(0.0).tag(sync=True)
    selected_step = traitlets.Unicode("").tag(sync=True)
    step_detail = traitlets.Dict({}).tag(sync=True)
    #: whether the buttons can re-execute (the pipeline's definition is known to the kernel)
    can_reexecute = traitlets.Bool(False).tag(sync=True)
    #: what "Re-execute failed" would run: {"steps": [...], "problem": why it cannot, or None}
    failed_selection = traitlets.Dict({}).tag(sync=True)
    #: which definition the buttons re-execute with ("with the cells as they are now: ...")
    definition_note = traitlets.Unicode("").tag(sync=True)
    #: the run uses solids whose cells were re-run with other code since (the stale warning)
    stale_note = traitlets.Unicode("").tag(sync=True)
    #: shown as a one-line summary that expands on click (a second run in the same cell)
    compact = traitlets.Bool(False).tag(sync=True)
    #: a re-execution started from the buttons is running
    busy = traitlets.Bool(False).tag(sync=True)
    #: what the selection query box selects: {"query", "steps": [...], "error"}
    query_preview = traitlets.Dict({}).tag(sync=True)
    #: a line for the user (why a button did nothing, how a run ended)
    message = traitlets.Unicode("").tag(sync=True)

    #: seconds between two pushes to the front end during a live run
    flush_interval = 0.1
    #: seconds between two reads of the selected running step's captured output
    log_poll_interval = 0.5

    def __init__(
        self,
        run_id: str = "",
        instance: DagsterInstance | None = None,
        *,
        pipeline: Any = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self._instance = instance if instance is not None else DagsterInstance.get()
        self._pipeline = pipeline
        self._lock = threading.RLock()
        self._model = RunModel()
        self._seq = 0
        self._last_flush = 0.0
        self._timer: threading.Timer | None = None
        self._log_timer: threading.Timer | None = None
        self._run_seen = False
        self._listening: str | None = None  # "run" | "all" | None
        self._live = False  # following a run as it goes on (its drawing is made aside)
        self._reader: OutputReader | None = None
        #: the result of the latest run this widget followed to its end (a re-execution started
        #: from its buttons included); None for a replayed run
        self.result: Any = None
        self._display: Any = None  # the display handle the session showed this widget with
        self.observe(self._on_selected, names="selected_step")
        self.on_msg(self._on_message)
        if run_id:
            self._replay(run_id)

    # --- construction ---------------------------------------------------------------------------

    @classmethod
    def for_run(
        cls, run_id: str, instance: DagsterInstance | None = None, *, pipeline: Any = None
    ) -> RunWidget:
        """The widget of stored run ``run_id`` (its records replayed)."""
        return cls(run_id, instance, pipeline=pipeline)

    @classmethod
    def live(
        cls, instance: DagsterInstance, run_id: str | None = None, *, pipeline: Any = None
    ) -> RunWidget:
        """A widget following run ``run_id`` as it goes on (records already stored are replayed
        first); with no ``run_id``, the next run of ``instance`` to produce an event."""
        widget = cls("", instance, pipeline=pipeline)
        widget.follow(run_id)
        return widget

    def _replay(self, run_id: str) -> None:
        run = self._instance.get_run_by_id(run_id)
        if run is None:
            raise DagsterInvariantViolationError(
                f'No run "{run_id}" in the instance {self._instance!r}.'
            )
        with self._lock, self.hold_sync():
            self._live = False
            self._reset(run_id)
            for record in self._instance.all_logs(run_id):
                self._model.apply(record)
            if run.is_finished:
                self._model.end(run.status.value)
            self.status = run.status.value
            self._reader = self._stored_reader(run_id)
            self._flush()
            self.send_state("steps")  # whole, once: saved widget state then holds every step
            if run.is_finished:
                self._check_buttons()

    def follow(self, run_id: str | None) -> None:
        """Show run ``run_id`` from now on, live (``None``: the next run of the instance)."""
        with self._lock:
            self._stop_listening()
            self._live = True
            self._reset(run_id or "")
            if run_id:
                self._instance.add_event_listener(run_id, self._on_record)
                self._listening = "run"
                if self._instance.get_run_by_id(run_id) is not None:
                    for record in self._instance.all_logs(run_id):
                        self._model.apply(record)
                    self._flush()
            else:
                self._instance.subscribe(self._on_record)
                self._listening = "all"

    def finish(self, result: Any) -> None:
        """The run is over (``result``: its PipelineExecutionResult, or None when it raised):
        take the final status from storage (CANCELED after Ctrl-C) and keep the result to preview
        outputs."""
        with self._lock:
            if result is not None and getattr(result, "run_id", None) == self.run_id:
                self._reader = result_reader(result)
                self.result = result
            run = self._instance.get_run_by_id(self.run_id) if self.run_id else None
            if run is not None and run.is_finished:
                self._model.end(run.status.value)
                if run.status == PipelineRunStatus.CANCELED:
                    self.message = "The run was interrupted and canceled; its events are kept."
            self._stop_listening()
            self._flush()
            # the whole `steps` once (deltas went before): a notebook's saved widget state
            # (nbclient, papermill, Lab) then holds every step
            self.send_state("steps")
            if run is not None and run.is_finished:
                self._check_buttons()
        if self._display is not None:  # the static fallback of the output: the final state
            self._display.update(self)

    def close(self) -> None:
        with self._lock:
            self._stop_listening()
            for timer in (self._timer, self._log_timer):
                if timer is not None:
                    timer.cancel()
            self._timer = self._log_timer = None
        super().close()

    def _reset(self, run_id: str) -> None:
        self._model = RunModel()
        self._run_seen = False
        self._reader = None
        with self.hold_sync():
            self.run_id = run_id
            self.svg = ""
            self.steps = {}
            self.status = "NOT_STARTED"
            self.selected_step = ""
            self.step_detail = {}
            self.query_preview = {}
            self.failed_selection = {}
            if run_id:
                self._see_run()

    # --- events ---------------------------------------------------------------------------------

    def _on_record(self, record: EventRecord) -> None:
        with self._lock:
            if not self.run_id:
                self.run_id = record.run_id
                self._see_run()
            if record.run_id != self.run_id:
                return
            if not self._run_seen:
                self._see_run()
            ended = self._model.apply(record)
            if ended:
                self._stop_listening()
            if ended or time.monotonic() - self._last_flush >= self.flush_interval:
                self._flush()
            else:
                self._schedule_flush()

    def _see_run(self) -> None:
        """Take the pipeline name, the planned steps and the drawing from the stored run."""
        run = self._instance.get_run_by_id(self.run_id)
        if run is None:
            return
        self._run_seen = True
        if self.run_id not in self.runs:
            self.runs = [*self.runs, self.run_id]
        self.pipeline_name = run.pipeline_name
        self.parent_run_id = run.parent_run_id or ""
        snapshot = run.execution_plan_snapshot
        deps = snapshot.get("step_deps") if isinstance(snapshot, Mapping) else None
        self._model.plan(run.step_keys_to_execute or deps or ())
        self.can_reexecute = self._current() is not None
        self.stale_note = self._stale_note()
        if not self.svg and isinstance(run.pipeline_snapshot, Mapping):
            if not self._live:  # a stored run: draw it now
                self._draw(run.run_id, run.pipeline_snapshot)
            else:  # a live run: never keep it waiting for `dot`
                threading.Thread(
                    target=self._draw, args=(run.run_id, run.pipeline_snapshot), daemon=True
                ).start()

    def _draw(self, run_id: str, pipeline_snapshot: Mapping[str, Any]) -> None:
        try:
            svg = snapshot_svg(pipeline_snapshot)
        except (GraphvizNotFoundError, DagsterError):
            return
        with self._lock:
            if self.run_id == run_id:
                self.svg = svg

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
        if self._logs_enabled():
            for key in self._model.changed():
                # a step that just started has written nothing yet; running ones are polled
                if self._model.steps[key].status not in _NO_OUTPUT_YET:
                    self._read_output(key)
        delta = self._model.take_changes()
        progress = self._model.progress()
        with self.hold_sync():
            if delta:
                # the kernel's copy stays complete (for views opened later) without resending it:
                # it is updated in place, which traitlets does not report as a change
                self.steps.update(delta)
                self._seq += 1
                self.step_updates = {"seq": self._seq, "steps": delta}
            if progress != self.progress:
                self.progress = progress
            if self.status != self._model.status and self._model.status != "NOT_STARTED":
                self.status = self._model.status
            self.elapsed = self._model.elapsed()
            if self.selected_step and self.selected_step in delta:
                self.step_detail = self._detail(self.selected_step)
        self._poll_logs_if_running()

    def _logs_enabled(self) -> bool:
        return bool(self.run_id) and self._instance.compute_log_manager.enabled

    def _read_output(self, step_key: str) -> None:
        paths = self._instance.compute_log_manager.log_paths(self.run_id, step_key)
        self._model.set_output(step_key, tail(paths.out), tail(paths.err))

    def _poll_logs_if_running(self) -> None:
        """While steps run, re-read their captured output every so often (the front end shows
        it without asking: a kernel busy running a cell cannot answer the front end)."""
        live = self._listening is not None and not self._model.ended
        if not live or self._log_timer is not None or not self._model.running():
            return
        if not self._logs_enabled():
            return

        def poll() -> None:
            with self._lock:
                self._log_timer = None
                for key in self._model.running():
                    self._read_output(key)
                if self._model.changed():
                    self._flush()  # and polls again while steps run
                else:
                    self._poll_logs_if_running()

        timer = threading.Timer(self.log_poll_interval, poll)
        timer.daemon = True
        self._log_timer = timer
        timer.start()

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
            self._poll_logs_if_running()

    def _detail(self, step_key: str) -> dict[str, Any]:
        state = self._model.steps.get(step_key)
        if state is None:
            return {"step_key": step_key, "missing": True}
        events = []
        outputs: list[str] = []
        notebook: str | None = None
        for r in state.records:
            event = r.dagster_event
            events.append(
                {
                    "timestamp": r.timestamp,
                    "type": event.event_type_value if event else "LOG",
                    "message": (event.message or r.user_message) if event else r.user_message,
                }
            )
            if event is not None and event.event_type_value == DagsterEventType.STEP_OUTPUT:
                outputs.append(event.event_specific_data.output_name)
            if (
                event is not None
                and event.event_type_value == DagsterEventType.STEP_MATERIALIZATION
            ):
                notebook = executed_notebook(event.event_specific_data) or notebook
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
            "outputs": output_previews(outputs, step_key, self._reader),
            "notebook": (
                {"path": notebook, "html": notebook_html(notebook)}
                if notebook is not None
                else None
            ),
        }

    def _stored_reader(self, run_id: str) -> OutputReader | None:
        """Reads outputs a stored run kept in the instance's filesystem intermediates."""
        return stored_reader(self._instance, run_id)

    # --- re-execution ---------------------------------------------------------------------------

    def _current(self) -> CurrentPipeline | None:
        """The notebook's current definition of this run's pipeline (:mod:`.current`): the cells
        as they are now, else the pipeline the run was started with."""
        if not self.pipeline_name:
            return None
        return current_pipeline(self.pipeline_name, self._pipeline)

    def _stale_note(self) -> str:
        """The stale warning, for the widget (the run's pipeline uses solids of old cells)."""
        return stale_note(self._pipeline)

    def _check_buttons(self) -> None:
        """What "Re-execute failed" would run and whether it can (shown before the click)."""
        found = self._current()
        self.can_reexecute = found is not None
        if found is None:
            self.definition_note = ""
            self.failed_selection = {}
            return
        # said only when the cells changed since the run (otherwise it runs what ran)
        self.definition_note = (
            "Re-execute will run " + found.describe() + "." if found.changes else ""
        )
        steps = self._model.failed_or_not_run()
        run = self._instance.get_run_by_id(self.run_id)
        problem = None
        if steps and run is not None:
            problem = self._problem(found, run, steps)
        self.failed_selection = {"steps": steps, "problem": problem}

    def recheck(self) -> None:
        """Check the buttons again (after a cell ran: the notebook's definitions may differ)."""
        with self._lock:
            run = self._instance.get_run_by_id(self.run_id) if self.run_id else None
            if run is not None and run.is_finished and not self.busy:
                self._check_buttons()

    def _problem(self, found: CurrentPipeline, run: Any, steps: Sequence[str]) -> str | None:
        try:
            return selection_problem(found.definition, run, steps, self._instance)
        except DagsterError as exc:
            return f"{type(exc).__name__}: {exc}"

    def _on_message(self, _widget: Any, content: Any, _buffers: Sequence[Any]) -> None:
        if not isinstance(content, Mapping):
            return
        kind = content.get("type")
        try:
            if kind == "select":
                self.selected_step = str(content.get("step") or "")
            elif kind == "preview_query":
                self.query_preview = self._preview_query(str(content.get("query") or ""))
            elif kind == "preview_steps":
                self.query_preview = self._preview_steps(
                    [str(s) for s in content.get("steps") or []]
                )
            elif kind == "reexecute":
                self.reexecute(
                    "failed" if content.get("from") == "failed" else "selected",
                    steps=[str(s) for s in content.get("steps") or []],
                    query=str(content.get("query") or ""),
                )
        except Exception as exc:  # a message handler's errors would go to the kernel's log only
            self.message = f"{type(exc).__name__}: {exc}"

    def _preview_query(self, query: str) -> dict[str, Any]:
        """The steps ``query`` selects, and why they cannot be re-executed (``problem``)."""
        run = self._instance.get_run_by_id(self.run_id)
        preview = preview_selection(query, run)
        return self._with_problem(preview, run)

    def _preview_steps(self, steps: list[str]) -> dict[str, Any]:
        """As :meth:`_preview_query`, for steps picked in the graph or the list."""
        run = self._instance.get_run_by_id(self.run_id)
        return self._with_problem({"query": "", "steps": steps}, run)

    def _with_problem(self, preview: dict[str, Any], run: Any) -> dict[str, Any]:
        steps = preview.get("steps") or []
        found = self._current()
        if steps and run is not None and found is not None and not preview.get("error"):
            preview["problem"] = self._problem(found, run, steps)
        return preview

    def reexecute(
        self, start_from: str = "failed", *, steps: Sequence[str] = (), query: str = ""
    ) -> Any:
        """Re-execute this widget's run — ``"failed"``: every step that did not succeed;
        ``"selected"``: the steps ``query`` selects, or ``steps`` — with the notebook's current
        definition of the pipeline, and follow the new run. Returns the new run's result (None
        when nothing was run; :attr:`message` says why); it is also :attr:`result` and
        ``last_result()``."""
        from ..api import reexecute_pipeline
        from . import session

        found = self._current()
        if found is None:
            self.message = (
                f'Cannot re-execute: the definition of pipeline "{self.pipeline_name}" is not '
                "known to this kernel (run the cell defining it, or pass pipeline= to RunWidget)."
            )
            return None
        run = self._instance.get_run_by_id(self.run_id)
        if run is None or not run.is_finished:
            self.message = "Cannot re-execute a run that has not finished."
            return None
        if start_from == "failed":
            selection = self._model.failed_or_not_run()
            if not selection:
                self.message = "Nothing to re-execute: every step succeeded."
                return None
        else:
            preview = preview_selection(query, run) if query else {"steps": list(steps)}
            if preview.get("error"):
                self.message = f"Nothing re-executed: {preview['error']}"
                return None
            selection = preview.get("steps") or []
            if not selection:
                self.message = "Nothing selected: select steps in the graph or type a query."
                return None
        problem = self._problem(found, run, selection)
        if problem is not None:
            self.message = f"Cannot re-execute: {problem}"
            return None
        how = found.describe()
        self.definition_note = "Re-executing " + how + "."
        self.message = f"Re-executing {len(selection)} step(s) of run {run.run_id[:8]} {how}…"
        self.busy = True
        self._pipeline = found.definition  # the new run's pipeline: later changes count from it
        try:
            with session.following(self):
                result = reexecute_pipeline(
                    found.definition,
                    run.run_id,
                    run_config=run.run_config,
                    step_selection=selection,
                    mode=run.mode,
                    instance=self._instance,
                    raise_on_error=False,
                )
        except KeyboardInterrupt:
            self.message = "The re-execution was interrupted and canceled."
            return None
        finally:
            self.busy = False
        self.result = result
        self.message = (
            f"Re-execution of {len(selection)} step(s) {how}: "
            f"{'succeeded' if result.success else 'failed'}."
        )
        return result

    # --- display --------------------------------------------------------------------------------

    def static_html(self) -> str:
        """The run as plain HTML (:mod:`.static_html`), for where no widget is drawn."""
        svg = ""
        if self.run_id and self._instance.get_run_by_id(self.run_id) is not None:
            try:
                svg = to_graphviz(self.run_id, self._instance).svg()
            except (GraphvizNotFoundError, DagsterError):
                svg = ""
        with self._lock:
            steps = {key: state.as_dict() for key, state in self._model.steps.items()}
            progress = self._model.progress()
        return run_html(
            pipeline_name=self.pipeline_name,
            run_id=self.run_id,
            status=self.status,
            steps=steps,
            progress=progress,
            colors=self.colors,
            svg=svg,
            notes=(self.stale_note, self.message),
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget view, and the run as static HTML next to it (and as text)."""
        bundle: Any = super()._repr_mimebundle_(**kwargs)
        metadata = None
        if isinstance(bundle, tuple):  # anywidget answers (data, metadata)
            bundle, metadata = bundle
        if not isinstance(bundle, dict):
            return None
        data = {**bundle, "text/plain": repr(self), "text/html": self.static_html()}
        return (data, metadata) if metadata is not None else data

    def __repr__(self) -> str:
        return (
            f"<RunWidget run {self.run_id or '(none yet)'} of pipeline "
            f'"{self.pipeline_name}": {self.status}, {progress_text(self._model.progress())}>'
        )
