"""The debugger relay of the multiprocess executor: a step stopped in a worker process's debugger
talks to the user through the run's parent process, which prompts through its own
:class:`~..execution.debug_io.Prompter` — the kernel's stdin in a notebook, the terminal in a
shell. No ``/dev/stdin``, any OS: the messages travel over the worker's own pipe.

Worker to parent (:class:`~..execution.messages.DebugRequest` ``(step_key, kind, text)``):

- ``begin`` (text: where it stopped) — the step wants to talk; the parent answers ``("debug_go",)``
  when it is the step's turn (one step talks to the user at a time; the others wait, in order), or
  ``("debug_unavailable", why)`` at once when no one can answer (the worker then fails the step
  with :class:`~..errors.DagsterDebuggerError`);
- ``output`` — debugger output, shown as it comes;
- ``prompt`` (text: the prompt, which names the step) — the parent prompts the user and answers
  ``("debug_line", line)``, or ``("debug_line", None)`` at the end of input (pdb then quits).
  Before it prompts, the parent takes in what the other workers have sent (events, output, their
  own breakpoints, which are told to wait), since its thread then waits for the user;
- ``end`` — the step goes on (``c``, ``q``, the compute ended): the next waiting step's turn.

The parent prompts on the thread that runs the run, which in a kernel is the one that may use the
kernel's stdin; while the user types, the other workers' messages wait in their pipes (their steps
go on until a pipe is full). An interrupt at the prompt (Ctrl-C, a kernel interrupt) interrupts
the run as anywhere else; a worker whose parent goes away reads the end of input and quits.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from ..errors import DagsterDebuggerError
from ..execution.debug_io import Prompter, prompter, unavailable_error
from ..execution.messages import DebugRequest


class RelayIO:
    """A worker's :class:`~..execution.debug_io.DebugIO`: its half of the relay, over the pipe
    ``channel`` (a ``_Channel`` of :mod:`.worker_main`: ``send`` and ``conn``)."""

    def __init__(self, channel: Any, step_key: str | None):
        self.channel = channel
        self.step_key = step_key or "?"

    def _send(self, kind: str, text: str = "") -> None:
        output = getattr(self.channel, "output", None)
        if output is not None:
            output.flush()  # what the step printed arrives before what the debugger says
        self.channel.send(DebugRequest(self.step_key, kind, text))

    def _reply(self) -> tuple[Any, ...]:
        try:
            message = self.channel.conn.recv()
        except (EOFError, OSError):
            return ("debug_line", None)  # the parent is gone: end of input
        if not isinstance(message, tuple) or not message or not str(message[0]).startswith("debug"):
            return ("debug_line", None)  # the parent is closing the run
        return message

    def begin(self, step_key: str | None, location: str) -> None:
        self._send("begin", location)
        reply = self._reply()
        if reply[0] == "debug_unavailable":
            raise unavailable_error(step_key, location, str(reply[1]))

    def write(self, text: str) -> None:
        self._send("output", text)

    def readline(self, prompt: str) -> str:
        self._send("prompt", prompt)
        reply = self._reply()
        if reply[0] == "debug_unavailable":
            raise DagsterDebuggerError(
                f'Step "{self.step_key}": no one can answer the debugger any more: {reply[1]}',
                step_key=self.step_key,
            )
        if reply[1] is None:
            raise EOFError
        return str(reply[1])

    def end(self) -> None:
        try:
            self._send("end")
        except (BrokenPipeError, OSError):
            pass


class DebugRelay:
    """The parent's half: serves the workers' debuggers one at a time through ``prompter``."""

    def __init__(self, user: Prompter | None = None):
        self._user = user
        self.active: Any = None  # the worker whose step talks to the user now
        self.active_step = ""
        #: the active step's prompt, to be served by :meth:`serve` (the caller first takes in what
        #: the other workers sent, since this thread then waits for the user)
        self.pending: tuple[Any, str] | None = None
        self.waiting: deque[tuple[Any, str, str]] = deque()

    @property
    def user(self) -> Prompter:
        return self._user if self._user is not None else prompter()

    def handle(self, worker: Any, message: DebugRequest) -> None:
        """A debugger's message from ``worker``."""
        step_key, kind, text = message.step_key, message.kind, message.text
        if kind == "begin":
            self._begin(worker, step_key, text)
        elif kind == "output":
            if worker is self.active:
                self.user.write(text)
        elif kind == "prompt":
            if worker is self.active:
                self.pending = (worker, text)
            else:  # cannot happen: a worker prompts after its "go"
                _send(worker, ("debug_line", None))
        elif kind == "end":
            self.release(worker)

    def release(self, worker: Any) -> None:
        """``worker``'s step no longer talks (it went on, ended, or the worker died)."""
        self.waiting = deque(w for w in self.waiting if w[0] is not worker)
        if worker is not self.active:
            return
        self.active = None
        self.pending = None
        while self.waiting and self.active is None:
            self._start(*self.waiting.popleft())

    def _begin(self, worker: Any, step_key: str, location: str) -> None:
        why = self.user.unavailable()
        if why is not None:
            _send(worker, ("debug_unavailable", why))
            return
        if self.active is None:
            self._start(worker, step_key, location)
        else:
            self.waiting.append((worker, step_key, location))
            self.user.write(
                f"[{step_key}] stopped at a breakpoint ({location}); it waits its turn (the "
                f"debugger is talking to {self.active_step}).\n"
            )

    def _start(self, worker: Any, step_key: str, location: str) -> None:
        self.active = worker
        self.active_step = step_key
        self.user.write(f"[{step_key}] stopped in the debugger in worker pid {worker.pid}.\n")
        if not _send(worker, ("debug_go",)):
            self.active = None

    def serve(self) -> None:
        """Prompt the user for the pending prompt (blocks until they answer) and send the line."""
        if self.pending is None:
            return
        (worker, prompt), self.pending = self.pending, None
        try:
            line: str | None = self.user.readline(prompt)
        except EOFError:
            line = None
        except DagsterDebuggerError as error:
            _send(worker, ("debug_unavailable", str(error)))
            return
        _send(worker, ("debug_line", line))


def _send(worker: Any, message: tuple[Any, ...]) -> bool:
    try:
        worker.conn.send(message)
        return True
    except (BrokenPipeError, OSError):
        return False


def install_in_worker(channel: Any) -> None:
    """In a worker process: debuggers of steps talk through the relay; ``breakpoint()`` in a
    solid stops in the step's debugger."""
    from ..execution import breakpoints, debug_io

    debug_io.set_io_factory(lambda step_key: RelayIO(channel, step_key))
    breakpoints.install()
