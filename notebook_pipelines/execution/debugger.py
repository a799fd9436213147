"""``context.pdb``: a :class:`pdb.Pdb` whose input and output are pluggable (:mod:`.debug_io`), so
it works in a kernel (the notebook's input box), in a worker process (a relay to the parent), in a
terminal, and never hangs where no one can answer.

What differs from plain pdb:

- the prompt names the step (``[add_one.compute] (Pdb) ``);
- before stopping, :meth:`Debugger.set_trace` asks its :class:`~.debug_io.DebugIO` whether anyone
  can answer (and, in a worker, waits for its turn: one step talks to the user at a time); when no
  one can it raises :class:`~..errors.DagsterDebuggerError` at once;
- ``q`` (or the end of input) ends the step as a failure, "stopped in the debugger": a
  :class:`~..errors.DagsterDebuggerError` raised in the solid, which fails the step like any error;
- a step stopped in the debugger emits an ``ENGINE_EVENT`` whose data is a
  :class:`~..events.DebuggerEventData` (``stopped``, its location; ``marker_start`` :data:`MARKER`),
  and another (not ``stopped``; ``marker_end`` :data:`MARKER`) when it goes on: the step's status
  is ``in_debugger`` in between (:func:`~..events.next_step_status`; the run widget shows it);
- the engine's own frames are skipped (``n`` at the end of a solid does not stop in the engine),
  and the debugger lets go of the thread when the step's compute ends (:meth:`Debugger.close`);
- an interrupt (Ctrl-C, a kernel interrupt) at the prompt interrupts the run instead of being
  swallowed by the prompt;
- a plain ``pdb.set_trace()`` in a solid that no one can answer (it ends with ``bdb.BdbQuit`` at
  the end of stdin) fails the step with the same :class:`~..errors.DagsterDebuggerError` as
  ``breakpoint()`` (:func:`plain_debugger_error`), saying to use ``breakpoint()`` instead.

Building one costs nothing until ``context.pdb`` is used.
"""

from __future__ import annotations

import bdb
import io
import os
import pdb
import sys
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

from ..errors import DagsterDebuggerError
from ..events import DagsterEventType, DebuggerEventData
from ..user_events import EventMetadataEntry
from .debug_io import DEFAULT_REMEDY, DebugIO, Prompter, debug_io, unavailable_error

if TYPE_CHECKING:
    from .contexts import SystemComputeExecutionContext

#: ``marker_start`` / ``marker_end`` of the engine events of a step entering / leaving the debugger
#: (the reference's way to bracket an interval; what a reader goes by is the data's type)
MARKER = "debugger"

#: modules whose frames the debugger never stops in (the engine around the solid's code)
SKIP = ("notebook_pipelines", "notebook_pipelines.*")


class _Output(io.TextIOBase):
    """The debugger's ``stdout``: complete lines go to the :class:`DebugIO` as they are written;
    the partial line left when the debugger reads is its prompt."""

    def __init__(self, target: DebugIO):
        super().__init__()
        self._target = target
        self._partial = ""

    def write(self, s: str) -> int:
        head, newline, tail = (self._partial + s).rpartition("\n")
        self._partial = tail
        if newline:
            self._target.write(head + newline)
        return len(s)

    def take_prompt(self) -> str:
        prompt, self._partial = self._partial, ""
        return prompt

    def writable(self) -> bool:
        return True


class _Input(io.TextIOBase):
    """The debugger's ``stdin``: each ``readline`` prompts the user through the DebugIO."""

    def __init__(self, target: DebugIO, output: _Output):
        super().__init__()
        self._target = target
        self._output = output

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        try:
            return self._target.readline(self._output.take_prompt()) + "\n"
        except EOFError:
            return ""  # pdb reads EOF as the end of input: it quits

    def readable(self) -> bool:
        return True


def _stdlib_pdb() -> type[pdb.Pdb]:
    """The standard library's ``Pdb`` (a kernel replaces ``pdb.Pdb`` with IPython's subclass: the
    debugger behaves the same in a kernel, a worker and a terminal)."""
    for klass in pdb.Pdb.__mro__:
        if klass.__module__ == "pdb" and klass.__name__ == "Pdb":
            return klass
    return pdb.Pdb  # pragma: no cover - pdb.Pdb always has the stdlib class in its MRO


if TYPE_CHECKING:
    _Pdb = pdb.Pdb
else:
    _Pdb = _stdlib_pdb()


class Debugger(_Pdb):
    """pdb for a step (``step`` given) or for a post-mortem; talks through ``target``."""

    def __init__(
        self,
        target: DebugIO | None = None,
        step: SystemComputeExecutionContext | None = None,
        step_key: str | None = None,
    ):
        self.target: DebugIO = target if target is not None else debug_io(step_key)
        self.step = step
        self.step_key = step.step_key if step is not None else step_key
        output = _Output(self.target)
        stdin: Any = _Input(self.target, output)
        stdout: Any = output
        super().__init__(stdin=stdin, stdout=stdout, skip=list(SKIP), nosigint=True)
        self.prompt = f"[{self.step_key}] (Pdb) " if self.step_key else "(Pdb) "
        self.active = False

    # --- entering and leaving ------------------------------------------------------------------

    def set_trace(self, frame: FrameType | None = None) -> None:
        """Stop in ``frame`` (default: the caller's) and prompt; raises
        :class:`~..errors.DagsterDebuggerError` at once when no one can answer."""
        if frame is None:
            frame = sys._getframe(1)
        self._enter(frame)
        super().set_trace(frame)

    def post_mortem(self, traceback: TracebackType) -> None:
        """Prompt at the frame where ``traceback``'s exception was raised (like ``pdb.pm``)."""
        self.reset()
        try:
            self.interaction(None, _user_frames(traceback))
        finally:
            self._leave()

    def write_banner(self, text: str) -> None:
        """Tell the user something (before or outside a prompt)."""
        self.target.write(text)

    def interaction(self, frame: FrameType | None, traceback: TracebackType | None) -> None:
        if not self.active:  # a breakpoint set with `b` was hit after a `c`
            where = frame if frame is not None else _last_frame(traceback)
            self._enter(where)
        super().interaction(frame, traceback)

    def set_continue(self) -> None:
        super().set_continue()
        self._leave()

    def close(self) -> None:
        """The step's compute is over: stop tracing this thread and leave (if still stopped)."""
        if self.active or sys.gettrace() == self.trace_dispatch:
            sys.settrace(None)
            frame: FrameType | None = sys._getframe(1)
            while frame is not None:
                if frame.f_trace is not None:
                    frame.f_trace = None
                frame = frame.f_back
        self._leave()

    def _enter(self, frame: FrameType | None) -> None:
        location = _location(frame)
        self.target.begin(self.step_key, location)  # raises when no one can answer
        self.active = True
        if self.step is not None:
            self._event(
                f'Step "{self.step_key}" stopped in the debugger at {location}.',
                DebuggerEventData(
                    (EventMetadataEntry.text(location, "location"),),
                    marker_start=MARKER,
                    stopped=True,
                    location=location,
                ),
            )

    def _leave(self) -> None:
        if not self.active:
            return
        self.active = False
        try:
            if self.step is not None:
                self._event(
                    f'Step "{self.step_key}" left the debugger.',
                    DebuggerEventData(marker_end=MARKER, stopped=False),
                )
        finally:
            self.target.end()

    def _event(self, message: str, data: DebuggerEventData) -> None:
        from .step_events import step_event

        assert self.step is not None
        step_event(self.step, DagsterEventType.ENGINE_EVENT, data, message)

    # --- quitting and interrupts ---------------------------------------------------------------

    def trace_dispatch(self, frame: FrameType, event: str, arg: Any) -> Any:
        try:
            return super().trace_dispatch(frame, event, arg)
        except bdb.BdbQuit:
            self._leave()
            where = f'Step "{self.step_key}"' if self.step_key else "The code"
            raise DagsterDebuggerError(
                f"{where} was stopped in the debugger (q).", step_key=self.step_key, quit=True
            ) from None
        except BaseException:
            self._leave()
            raise

    def _cmdloop(self) -> None:
        # pdb's own loop answers Ctrl-C with a new prompt; here it interrupts the run
        self.cmdloop()


#: what a plain ``pdb`` in a solid should be instead (said when no one could answer it)
PLAIN_PDB_REMEDY = (
    "A plain pdb (pdb.set_trace(), pdb.Pdb()) reads this process's own stdin; in a solid use "
    "breakpoint() or context.pdb.set_trace() instead, which prompt where the run is (the "
    "notebook, or the parent of a worker process). " + DEFAULT_REMEDY
)


def plain_debugger_error(step_key: str, quit_error: BaseException) -> DagsterDebuggerError:
    """The error of a plain ``pdb`` (not the step's debugger) that ended the step's compute with
    ``bdb.BdbQuit``: no one could answer it (stdin at its end: a pipe, ``/dev/null``, a worker
    process) — the error ``breakpoint()`` raises there — or the user quit it (``q``)."""
    location = _location(_last_user_frame(quit_error.__traceback__))
    why = Prompter().unavailable()
    if why is None:
        return DagsterDebuggerError(
            f'Step "{step_key}" was stopped in the debugger (q) at {location}.',
            step_key=step_key,
            quit=True,
        )
    return unavailable_error(step_key, location, why, PLAIN_PDB_REMEDY)


def _last_user_frame(traceback: TracebackType | None) -> FrameType | None:
    """The innermost frame of ``traceback`` outside the debuggers and the engine."""
    found = None
    while traceback is not None:
        name = str(traceback.tb_frame.f_globals.get("__name__", ""))
        if name not in ("bdb", "pdb", "cmd") and not name.startswith("notebook_pipelines"):
            found = traceback.tb_frame
        traceback = traceback.tb_next
    return found


def step_debugger(step: SystemComputeExecutionContext) -> Debugger:
    """The debugger of ``context.pdb`` for the step of ``step``."""
    return Debugger(debug_io(step.step_key), step)


def _location(frame: FrameType | None) -> str:
    if frame is None:
        return "an unknown place"
    return (
        f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno} in {frame.f_code.co_name}"
    )


def _last_frame(traceback: TracebackType | None) -> FrameType | None:
    while traceback is not None and traceback.tb_next is not None:
        traceback = traceback.tb_next
    return traceback.tb_frame if traceback is not None else None


def _user_frames(traceback: TracebackType) -> TracebackType:
    """``traceback`` from its first frame outside the engine (the whole of it if none is)."""
    entry: TracebackType | None = traceback
    while entry is not None:
        if not str(entry.tb_frame.f_globals.get("__name__", "")).startswith("notebook_pipelines"):
            return entry
        entry = entry.tb_next
    return traceback
