"""The debugger in a notebook: what ``%load_ext notebook_pipelines`` turns on for ``context.pdb``,
``breakpoint()`` and post-mortems, and the ``%pipeline_debug`` magic.

- :class:`KernelPrompter`: a step's debugger (in the kernel, or in a worker through the run's
  relay) prompts through the kernel's stdin — the notebook's input box. A cell run without stdin
  (papermill, nbclient, a batch run) cannot answer: a breakpoint then fails the step at once.
- ``breakpoint()`` in a solid stops in the step's debugger (ipykernel otherwise hands it to
  debugpy, where it is a silent no-op), unless the frontend's visual debugger is on.
- Runs started in this session are remembered, so ``%pipeline_debug`` with no arguments debugs the
  first failed step of the last failed run, and the pipeline of a run is found (else a notebook
  variable holding a pipeline of the run's pipeline name).

``%pipeline_debug [RUN_ID] [STEP_KEY]`` runs the step's compute again in the kernel with its stored
inputs and config and stops in the debugger where it raises (:mod:`..execution.postmortem`).
"""

from __future__ import annotations

import shlex
import threading
from dataclasses import dataclass
from typing import Any

from IPython import get_ipython
from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class

from ..definitions.pipeline import PipelineDefinition
from ..events import DagsterEventType
from ..execution import breakpoints, debug_io, postmortem
from ..execution.observers import (
    RunFinish,
    RunStart,
    register_run_observer,
    unregister_run_observer,
)
from ..storage.instance import DagsterInstance
from . import session
from .current import current_definition


@dataclass
class SessionRun:
    """A run started in this notebook session: its id, instance and pipeline, whether it failed,
    and the execution count of the cell that started it (None outside a shell)."""

    run_id: str
    instance: DagsterInstance
    pipeline: Any
    failed: bool = False
    cell: int | None = None


#: runs started in this session, oldest first
_runs: list[SessionRun] = []
MAX_REMEMBERED = 100


class KernelPrompter(debug_io.Prompter):
    """Prompts through the kernel's stdin (``input()`` is the kernel's while a cell runs)."""

    def unavailable(self) -> str | None:
        if threading.current_thread() is not threading.main_thread():
            return "the step runs in a thread other than the kernel's main one, which cannot prompt"
        kernel = getattr(get_ipython(), "kernel", None)
        if kernel is None:  # a terminal IPython: its stdin
            return super().unavailable()
        if not getattr(kernel, "_allow_stdin", True):
            return (
                "this cell was run without stdin (papermill, nbclient and batch runs cannot "
                "answer a prompt)"
            )
        return None


def _visual_debugger_on() -> bool:
    kernel = getattr(get_ipython(), "kernel", None)
    return bool(getattr(getattr(kernel, "debugger", None), "is_started", False))


def enable() -> None:
    """Turn the notebook's debugger support on (called by ``load_ipython_extension``)."""
    debug_io.set_prompter(KernelPrompter())
    breakpoints.install(defer=_visual_debugger_on)
    postmortem.set_pipeline_finder(find_pipeline)
    register_run_observer(_remember)


def disable() -> None:
    """Turn it off again (the terminal prompter, the previous ``breakpoint()`` hook)."""
    debug_io.set_prompter(None)
    breakpoints.uninstall()
    postmortem.set_pipeline_finder(None)
    unregister_run_observer(_remember)
    _runs.clear()


def _remember(start: RunStart) -> RunFinish:
    shell = get_ipython()
    cell = getattr(shell, "execution_count", None) if shell is not None else None
    entry = SessionRun(start.run_id, start.instance, start.pipeline, cell=cell)
    _runs.append(entry)
    del _runs[:-MAX_REMEMBERED]

    def finish(result: Any) -> None:
        entry.failed = result is None or not getattr(result, "success", True)

    return finish


def session_runs() -> list[SessionRun]:
    """The runs started in this session, oldest first (the last :data:`MAX_REMEMBERED`)."""
    return list(_runs)


def find_pipeline(name: str, used: Any = None) -> Any:
    """The pipeline called ``name`` as the notebook's cells are now (a ``%%solid`` cell fixed
    since the run counts, :func:`.current.current_definition`), starting from ``used`` or the
    pipeline a run of this session was started with; None when the notebook has none."""
    if used is None:
        for entry in reversed(_runs):
            definition = entry.pipeline
            if callable(getattr(definition, "get_definition", None)):
                definition = definition.get_definition()
            if isinstance(definition, PipelineDefinition) and definition.name == name:
                used = definition
                break
    return current_definition(name, used)


def _first_failed_step(instance: DagsterInstance, run_id: str) -> str | None:
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if (
            event is not None
            and event.event_type_value == DagsterEventType.STEP_FAILURE
            and event.step_key
        ):
            return str(event.step_key)
    return None


def resolve(line: str) -> tuple[str, str, DagsterInstance, Any]:
    """``%pipeline_debug``'s run id, step key, instance and pipeline (None: find it by name)."""
    args = shlex.split(line)
    if len(args) > 2:
        raise UsageError("usage: %pipeline_debug [RUN_ID] [STEP_KEY]")
    if args:
        run_id = args[0]
        known = [r for r in _runs if r.run_id == run_id]
        instance = known[-1].instance if known else session.session_instance()
        pipeline = known[-1].pipeline if known else None
        if instance.get_run_by_id(run_id) is None:
            raise UsageError(
                f'%pipeline_debug: no run "{run_id}" in the instance at '
                f"{instance.root_directory} (see %pipeline_runs for its runs)."
            )
    else:
        failed = [r for r in _runs if r.failed]
        if not failed:
            raise UsageError(
                "%pipeline_debug: no run of this notebook session failed; name one: "
                "%pipeline_debug RUN_ID [STEP_KEY] (see %pipeline_runs)."
            )
        run_id, instance, pipeline = failed[-1].run_id, failed[-1].instance, failed[-1].pipeline
    if len(args) == 2:
        step_key = args[1]
    else:
        found = _first_failed_step(instance, run_id)
        if found is None:
            raise UsageError(
                f"%pipeline_debug: no step of run {run_id} failed; name the step: "
                f"%pipeline_debug {run_id} STEP_KEY"
            )
        step_key = found
    return run_id, step_key, instance, pipeline


@magics_class
class DebugMagics(Magics):
    """``%pipeline_debug``: post-mortem of a failed step, in the kernel."""

    @line_magic
    def pipeline_debug(self, line: str) -> Any:
        """%pipeline_debug [RUN_ID] [STEP_KEY]: run the step's compute again here with the inputs
        and config it had, and stop in the debugger where it raises. Defaults: the last failed run
        of this notebook session, its first failed step. Returns nothing; the exception is kept in
        ``_pipeline_debug_error``."""
        run_id, step_key, instance, pipeline = resolve(line)
        error = postmortem.debug_step(
            run_id, step_key, instance, pipeline, caller="%pipeline_debug"
        )
        if self.shell is not None:
            self.shell.user_ns["_pipeline_debug_error"] = error
