"""Where a debugger stopped in a solid talks to the user: pluggable input and output.

A :class:`DebugIO` is what :class:`~.debugger.Debugger` reads commands from and writes to. In this
process it is a :class:`Prompter` (the terminal, or — registered by the notebook layer — the
kernel's own stdin, the notebook's input box); in a multiprocess worker it is a relay to the run's
parent process, which prompts through its own prompter (see ``executors/debug_relay.py``, which
registers itself here with :func:`set_io_factory`).

Fail fast: before a step stops, :meth:`DebugIO.begin` asks whether anyone can answer and raises
:class:`~..errors.DagsterDebuggerError` (naming why) when no one can — stdin is not a terminal (CI,
a pipe, ``/dev/null``), closed, or missing; the cell was run without stdin (papermill, nbclient);
the step runs in a thread other than the main one; the executor has no relay to anyone who could
(:func:`no_relay`: the Dask executor). A breakpoint never hangs a run.
"""

from __future__ import annotations

import builtins
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from ..errors import DagsterDebuggerError

#: the interpreter's own ``input`` (a kernel replaces ``builtins.input`` while a cell runs)
_BUILTIN_INPUT = builtins.input


class DebugIO(Protocol):
    """A debugger's user: ``begin`` (raises when no one can answer; may wait for its turn),
    ``write`` output, ``readline`` a command (``EOFError`` at end of input), ``end``."""

    def begin(self, step_key: str | None, location: str) -> None: ...

    def write(self, text: str) -> None: ...

    def readline(self, prompt: str) -> str: ...

    def end(self) -> None: ...


class Prompter:
    """Talks to the user of this process through ``input()`` and ``sys.stdout``.

    :meth:`unavailable` says why no one can answer (``None``: someone can). This default trusts a
    replaced ``builtins.input`` (a kernel's) and otherwise needs stdin to be a terminal.
    """

    def unavailable(self) -> str | None:
        if threading.current_thread() is not threading.main_thread():
            return "the step runs in a thread other than the main one, which cannot prompt"
        if builtins.input is not _BUILTIN_INPUT:
            return None
        stdin = sys.stdin
        if stdin is None or getattr(stdin, "closed", False):
            return "stdin is closed"
        try:
            tty = stdin.isatty()
        except (OSError, ValueError):
            tty = False
        if not tty:
            return "stdin is not a terminal (a pipe, /dev/null, CI, a batch run)"
        return None

    def write(self, text: str) -> None:
        stream = sys.stdout
        if stream is None:
            return
        stream.write(text)
        stream.flush()

    def readline(self, prompt: str) -> str:
        """One line typed by the user (without its newline); ``EOFError`` at end of input."""
        try:
            return input(prompt)
        except Exception as exc:
            # IPython's StdinNotImplementedError: the frontend cannot answer (allow_stdin=False)
            if type(exc).__name__ == "StdinNotImplementedError":
                raise DagsterDebuggerError(
                    f"No one can answer the debugger: {exc}", quit=False
                ) from None
            raise


class LocalIO:
    """A :class:`DebugIO` for a debugger in this process, over a :class:`Prompter`."""

    def __init__(self, prompter: Prompter):
        self.prompter = prompter

    def begin(self, step_key: str | None, location: str) -> None:
        why = self.prompter.unavailable()
        if why is not None:
            raise unavailable_error(step_key, location, why)

    def write(self, text: str) -> None:
        self.prompter.write(text)

    def readline(self, prompt: str) -> str:
        return self.prompter.readline(prompt)

    def end(self) -> None:
        pass


#: what to do about a breakpoint no one can answer, unless told otherwise
DEFAULT_REMEDY = (
    "Remove the breakpoint, or run the step where you can type (a terminal, or a notebook cell "
    "run interactively)."
)


def unavailable_error(
    step_key: str | None, location: str, why: str, remedy: str = DEFAULT_REMEDY
) -> DagsterDebuggerError:
    """The error of a breakpoint no one can answer."""
    where = f'Step "{step_key}"' if step_key else "The debugger"
    return DagsterDebuggerError(
        f"{where} stopped at a breakpoint ({location}), but no one can answer the debugger: "
        f"{why}. {remedy}",
        step_key=step_key,
    )


class NoRelayIO:
    """A :class:`DebugIO` where no one can ever answer (an executor without a debugger relay):
    :meth:`begin` raises at once, saying ``why`` and ``remedy``."""

    def __init__(self, why: str, remedy: str):
        self.why = why
        self.remedy = remedy

    def begin(self, step_key: str | None, location: str) -> None:
        raise unavailable_error(step_key, location, self.why, self.remedy)

    def write(self, text: str) -> None:
        pass

    def readline(self, prompt: str) -> str:
        raise EOFError

    def end(self) -> None:
        pass


_thread = threading.local()


@contextmanager
def no_relay(why: str, remedy: str) -> Iterator[None]:
    """Inside: debuggers of steps started in this thread fail fast with ``why`` and ``remedy``
    (an executor whose steps run where no one can answer and that relays to no one). Per thread,
    so a cluster of threads in the user's own process leaves the user's debugger alone."""
    previous = getattr(_thread, "no_relay", None)
    _thread.no_relay = NoRelayIO(why, remedy)
    try:
        yield
    finally:
        _thread.no_relay = previous


_prompter: list[Prompter] = [Prompter()]
_io_factory: list[Callable[[str | None], DebugIO]] = []


def set_prompter(prompter: Prompter | None) -> None:
    """Use ``prompter`` for debuggers in this process (``None``: the default, the terminal)."""
    _prompter[0] = prompter if prompter is not None else Prompter()


def prompter() -> Prompter:
    """The prompter of this process (the notebook layer's in a kernel, else the terminal's)."""
    return _prompter[0]


def set_io_factory(factory: Callable[[str | None], DebugIO] | None) -> None:
    """Debuggers of steps in this process talk through ``factory(step_key)`` (a worker process
    sets a relay to its parent); ``None``: through :func:`prompter`."""
    _io_factory[:] = [factory] if factory is not None else []


def debug_io(step_key: str | None) -> DebugIO:
    """The :class:`DebugIO` a debugger for ``step_key`` uses here."""
    relayless: NoRelayIO | None = getattr(_thread, "no_relay", None)
    if relayless is not None:
        return relayless
    if _io_factory:
        return _io_factory[0](step_key)
    return LocalIO(prompter())
