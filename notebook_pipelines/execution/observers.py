"""Session hooks: how a session (the notebook layer) takes part in the runs the execution API starts,
without the engine importing it (dependency inversion, as ``definitions/display.py`` does for
drawing).

Two hooks, both empty in a plain script:

- :func:`set_session_defaults` — where ``execute_pipeline``/``reexecute_pipeline`` runs with
  ``instance=None`` go (a notebook keeps them in its home instance, so ``%pipeline_runs`` lists them
  and a failed run can be re-executed), and whether those runs store their intermediates on disk
  when their run config chooses no storage.
- :func:`register_run_observer` — called when ``execute_pipeline``/``reexecute_pipeline`` has
  created a run and is about to execute it (the notebook layer displays the live widget there). An
  observer returns ``None`` or a callable that is called once the run is over, with its result, or
  with ``None`` when the run raised (an error with ``raise_on_error``, or Ctrl-C).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..storage.instance import DagsterInstance


@dataclass(frozen=True)
class RunStart:
    """A run about to execute: what an observer is told."""

    pipeline: Any  #: what the caller passed: a PipelineDefinition or a ReconstructablePipeline
    run_id: str
    instance: DagsterInstance


RunFinish = Callable[[Any], None]
RunObserver = Callable[[RunStart], "RunFinish | None"]


@dataclass(frozen=True)
class SessionDefaults:
    """What runs started with ``instance=None`` use in this session."""

    instance: Callable[[], DagsterInstance]
    #: store intermediates on the filesystem when the run config names no storage
    persist_intermediates: bool = True


_observers: list[RunObserver] = []
_defaults: list[SessionDefaults] = []


def register_run_observer(observer: RunObserver) -> None:
    """Tell ``observer`` about every run ``execute_pipeline``/``reexecute_pipeline`` starts."""
    if observer not in _observers:
        _observers.append(observer)


def unregister_run_observer(observer: RunObserver) -> None:
    """Stop telling ``observer`` about runs (no error if it was not registered)."""
    if observer in _observers:
        _observers.remove(observer)


def set_session_defaults(defaults: SessionDefaults | None) -> None:
    """Use ``defaults`` for runs started with ``instance=None`` (``None``: no session defaults)."""
    _defaults[:] = [defaults] if defaults is not None else []


def session_defaults() -> SessionDefaults | None:
    """The defaults set by :func:`set_session_defaults`, if any."""
    return _defaults[0] if _defaults else None


@contextmanager
def observed(start: RunStart) -> Iterator[list[Any]]:
    """Tell the observers that ``start`` begins; at the end, call what they returned with the
    result the body put into the yielded list (``None`` when the body raised)."""
    finishers = [finish for finish in (observer(start) for observer in list(_observers)) if finish]
    box: list[Any] = []
    try:
        yield box
    finally:
        result = box[0] if box else None
        for finish in finishers:
            finish(result)
