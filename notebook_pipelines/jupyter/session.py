"""The notebook session: what ``%load_ext notebook_pipelines`` turns on for runs.

- Runs started with ``instance=None`` (``execute_pipeline``, its iterator, ``reexecute_pipeline``)
  go to the home instance (``$NOTEBOOK_PIPELINES_HOME``), so ``%pipeline_runs`` and
  ``RunWidget(run_id)`` see them and a failed run can be re-executed; their outputs are stored on
  disk when the run config chooses no storage. ``execute_solid`` and friends are left alone.
- In a kernel, ``execute_pipeline``/``reexecute_pipeline`` display a live :class:`~.widget.RunWidget`
  in the cell that runs them; a re-execution started from a widget's buttons is shown by that
  widget instead (:func:`following`). From the second run of one cell on, the widgets are compact
  (a one-line summary that expands on click). :func:`last_result` is the result of the latest run,
  a re-execution started from a widget's buttons included.

:func:`configure` changes either (``configure(widget=False)``, ``configure(instance=...)``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..execution.observers import (
    RunFinish,
    RunStart,
    SessionDefaults,
    register_run_observer,
    set_session_defaults,
    unregister_run_observer,
)
from ..storage.home import home_directory
from ..storage.instance import DagsterInstance
from . import current
from .widget import RunWidget

_state: dict[str, Any] = {
    "widget": None,
    "instance": None,
    "persist": True,
    "last": None,
    "last_result": None,
    "cell": None,  # (execution count, widgets shown in that cell)
    "enabled": False,
}
_instances: dict[str, DagsterInstance] = {}
_following: list[RunWidget] = []
#: the latest widgets shown, re-checked after each cell (a fixed cell changes what they re-run)
_shown: list[RunWidget] = []
MAX_REFRESHED = 8


def enable(shell: Any) -> None:
    """Turn the session on for ``shell`` (called by ``load_ipython_extension``)."""
    if _state["widget"] is None:
        _state["widget"] = getattr(shell, "kernel", None) is not None
    _apply_defaults()
    register_run_observer(_observe)
    current.watch(shell)
    events = getattr(shell, "events", None)
    if events is not None and _refresh_widgets not in events.callbacks["post_run_cell"]:
        events.register("post_run_cell", _refresh_widgets)
    _state["enabled"] = True


def disable() -> None:
    """Turn the session off: runs behave as in a plain script again (and :func:`configure`'s
    choices are forgotten)."""
    unregister_run_observer(_observe)
    set_session_defaults(None)
    _state.update(
        widget=None,
        instance=None,
        persist=True,
        last=None,
        last_result=None,
        cell=None,
        enabled=False,
    )


def configure(
    *,
    widget: bool | None = None,
    instance: DagsterInstance | None = None,
    persist_intermediates: bool | None = None,
) -> None:
    """Show the live widget for runs or not; the instance runs without ``instance=`` use (default:
    the home instance); whether those runs store their outputs on disk."""
    if widget is not None:
        _state["widget"] = widget
    if instance is not None:
        _state["instance"] = instance
    if persist_intermediates is not None:
        _state["persist"] = persist_intermediates
    _apply_defaults()


def session_instance() -> DagsterInstance:
    """The instance of runs started without one: the configured one, or the home instance (one
    per home folder, opened once)."""
    if _state["instance"] is not None:
        return _state["instance"]
    root, _source = home_directory()
    instance = _instances.get(root)
    if instance is None:
        instance = _instances[root] = DagsterInstance.get()
    return instance


def last_widget() -> RunWidget | None:
    """The widget displayed for the latest run of this session (None before the first)."""
    return _state["last"]


def last_result() -> Any:
    """The result of the latest run of this session that ended (``execute_pipeline``,
    ``reexecute_pipeline`` or a widget's re-execute buttons); None before the first."""
    return _state["last_result"]


def remember_result(result: Any) -> None:
    """Keep ``result`` as :func:`last_result` (None, a run that raised, is not kept)."""
    if result is not None:
        _state["last_result"] = result


@contextmanager
def following(widget: RunWidget) -> Iterator[None]:
    """While inside, the next run started is shown by ``widget`` (no new widget), also when the
    session is not enabled."""
    _following.append(widget)
    register_run_observer(_observe)
    try:
        yield
    finally:
        _following.remove(widget)
        if not _state["enabled"]:
            unregister_run_observer(_observe)


def _refresh_widgets(_result: Any = None) -> None:
    """After a cell: the latest widgets say again what their buttons would re-execute."""
    for widget in list(_shown):
        try:
            widget.recheck()
        except Exception:  # a widget closed meanwhile, an instance gone: never fail the cell
            _shown.remove(widget)


def _apply_defaults() -> None:
    set_session_defaults(SessionDefaults(session_instance, bool(_state["persist"])))


def _observe(start: RunStart) -> RunFinish | None:
    if _following:
        widget = _following[-1]
        widget.follow(start.run_id)
        return _remembering(widget.finish)
    if not _state["enabled"]:
        return None
    if not _state["widget"]:
        return remember_result
    return _remembering(_show(start))


def _remembering(finish: RunFinish) -> RunFinish:
    def both(result: Any) -> None:
        remember_result(result)
        finish(result)

    return both


def _show(start: RunStart) -> Callable[[Any], None]:
    from IPython import get_ipython
    from IPython.display import display

    widget = RunWidget.live(start.instance, start.run_id, pipeline=start.pipeline)
    shell = get_ipython()
    count = getattr(shell, "execution_count", None)
    cell = _state["cell"]
    shown = cell[1] if cell is not None and cell[0] == count else 0
    _state["cell"] = (count, shown + 1)
    widget.compact = shown > 0  # from the second run of a cell on: a one-line summary
    _state["last"] = widget
    _shown.append(widget)
    del _shown[:-MAX_REFRESHED]
    widget._display = display(widget, display_id=True)
    return widget.finish
