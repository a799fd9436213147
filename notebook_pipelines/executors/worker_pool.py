"""The parent's side of the multiprocess executor's worker processes.

A :class:`WorkerPool` starts worker processes lazily (up to its size), hands a step to an idle one
over that worker's own ``Pipe``, waits on every busy worker's pipe *and* process sentinel at once
(:func:`multiprocessing.connection.wait`), so records arrive while steps run and a worker that
dies is noticed at once, whatever killed it. It never blocks on a worker that cannot answer: every
wait has a timeout, and shutting down terminates (then kills) what does not exit in time.

What workers write reaches the parent as ``Output`` messages; the loop's
:class:`~..execution.output_relay.OutputRelay` writes it to
the parent's own ``sys.stdout`` / ``sys.stderr`` (in a notebook kernel: the running cell), each line
prefixed with the step it came from.

Before a worker captures its own output (:mod:`.worker_main`), what it writes to stderr — above
all the traceback of a worker that dies while it starts, such as the ``RuntimeError`` of a script
that runs the pipeline without ``if __name__ == "__main__":`` — would go to the parent's inherited
stderr and nowhere else. A ``spawn`` worker is therefore started with its file descriptor 2 on a
temporary file of its own (the parent's fd 2 points there only while ``Process.start`` runs, under
a lock; output another thread writes to fd 2 in that moment lands in the worker's file and is
shown with it). :meth:`WorkerProcess.stderr_tail` (that file, then what the worker sent as stderr)
is quoted when a worker dies; what the file holds is shown when the worker ends.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection, wait
from typing import Any

from ..execution.messages import Closed, CloseWorker, RunStep
from ..execution.output_relay import MAX_PARTIAL_LINE, OutputRelay
from .worker_main import WorkerSpec, worker_main

__all__ = ["MAX_PARTIAL_LINE", "OutputRelay", "WorkerPool", "WorkerProcess", "cpu_count"]

#: how long a worker may take to exit after ``close`` (resource teardown) before it is terminated
CLOSE_TIMEOUT = 30.0
#: how long an interrupted worker gets between SIGTERM and SIGKILL
TERMINATE_GRACE = 2.0


#: how much of a dead worker's stderr its step's failure quotes (the last lines, at most)
STDERR_TAIL_LINES = 30
#: what multiprocessing's spawn says when a process is started while the main module is imported
BOOTSTRAPPING = "finished its bootstrapping phase"
GUARD_LINE = (
    "RuntimeError: An attempt has been made to start a new process before the current process "
    f"has {BOOTSTRAPPING} (the worker re-ran the main module, which started the run again)."
)
STDERR_TAIL_CHARS = 4000

#: the parent's fd 2 is redirected while a worker starts: one start at a time
_START_LOCK = threading.Lock()


class WorkerProcess:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, context: Any, spec: WorkerSpec, index: int):
        self.index = index
        parent_end, child_end = context.Pipe(duplex=True)
        self.conn: Connection = parent_end
        self.process = context.Process(
            target=worker_main,
            args=(child_end, spec),
            name=f"notebook-pipelines-worker-{index}",
            daemon=True,
        )
        # the worker's own stderr file (spawn only: a forkserver worker inherits the server's)
        self._stderr_file = (
            tempfile.TemporaryFile(prefix="np-worker-stderr-")  # noqa: SIM115 (closed by release)
            if context.get_start_method() == "spawn" and os.name == "posix"
            else None
        )
        self._stderr_shown = 0
        self._stderr_sent = ""
        try:
            if self._stderr_file is not None:
                _start_with_stderr(self.process, self._stderr_file.fileno())
            else:
                self.process.start()
        except BaseException:
            self._close_stderr()
            raise
        child_end.close()
        self.pid: int = self.process.pid or 0
        self.step_key: str | None = None
        self.attempt = 0
        self.closed = False

    def assign(self, step_key: str, attempt: int) -> None:
        self.step_key = step_key
        self.attempt = attempt
        self.conn.send(RunStep(step_key, attempt))

    @property
    def exit_description(self) -> str:
        """``exit code 3`` or ``signal 9 (SIGKILL)``."""
        code = self.process.exitcode
        if code is None:
            return "no exit code (still running)"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = "unknown signal"
            return f"signal {-code} ({name})"
        return f"exit code {code}"

    # --- stderr ----------------------------------------------------------------------------------

    def note_stderr(self, text: str) -> None:
        """Keep the end of what the worker sent as stderr (for :meth:`stderr_tail`)."""
        self._stderr_sent = (self._stderr_sent + text)[-STDERR_TAIL_CHARS:]

    def unshown_stderr(self) -> str:
        """What the worker wrote to its stderr file since the last call (before it captured its
        own output, or past that capture): to be shown by the parent. Nothing for a worker that
        re-ran an unguarded script (:meth:`stderr_tail` says it in one line)."""
        text = self._file_text(self._stderr_shown)
        self._stderr_shown += len(text.encode("utf-8", "surrogateescape"))
        if self.reran_main_module():
            return ""
        return text

    def reran_main_module(self) -> bool:
        """Whether the worker died re-running the main module at start: a script that starts
        the run without ``if __name__ == "__main__":`` (multiprocessing's bootstrapping error)."""
        return BOOTSTRAPPING in self._file_text(0)

    def stderr_tail(self) -> str:
        """The last lines the worker wrote to stderr: its stderr file, then what it sent (one
        line for the bootstrapping error of an unguarded script: its traceback, the re-run's
        own log lines and multiprocessing's advice say nothing more than the remedy)."""
        if self.reran_main_module():
            return GUARD_LINE
        text = self._file_text(0)
        if text and not text.endswith("\n"):
            text += "\n"
        text = (text + self._stderr_sent)[-STDERR_TAIL_CHARS:]
        lines = text.rstrip().splitlines()[-STDERR_TAIL_LINES:]
        return "\n".join(lines)

    def _file_text(self, start: int) -> str:
        if self._stderr_file is None:
            return ""
        try:
            fd = self._stderr_file.fileno()
            data = os.pread(fd, max(0, os.fstat(fd).st_size - start), start)
        except (OSError, ValueError):
            return ""
        return data.decode("utf-8", "surrogateescape")

    def _close_stderr(self) -> None:
        if self._stderr_file is not None:
            self._stderr_file.close()
            self._stderr_file = None

    def stop(self, grace: float) -> None:
        """Make sure the process is gone: wait ``grace`` seconds, then SIGTERM, then SIGKILL.
        (Its stderr file stays readable until :meth:`release`.)"""
        self.process.join(grace)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(TERMINATE_GRACE)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()
        self.closed = True

    def release(self) -> None:
        """Forget the stopped worker's stderr file."""
        self._close_stderr()


def _start_with_stderr(process: Any, stderr_fd: int) -> None:
    """Start ``process`` (spawn: a fresh interpreter) with its fd 2 on ``stderr_fd``: the parent's
    fd 2 points there while the child is created, then is put back."""
    with _START_LOCK:
        for stream in (sys.stderr, sys.__stderr__):
            try:
                if stream is not None:
                    stream.flush()
            except (OSError, ValueError):
                pass
        try:
            saved = os.dup(2)
        except OSError:  # no fd 2 here: the worker inherits that
            process.start()
            return
        try:
            os.dup2(stderr_fd, 2)
            try:
                process.start()
            finally:
                os.dup2(saved, 2)
        finally:
            os.close(saved)


class WorkerPool:
    """Worker processes of one run: started lazily, replaced when they die, all stopped at the end."""

    def __init__(self, start_method: str, spec: WorkerSpec, size: int):
        self.context = multiprocessing.get_context(start_method)
        self.spec = spec
        self.size = max(1, size)
        self.workers: list[WorkerProcess] = []
        self._started = 0

    # --- workers ---------------------------------------------------------------------------------

    def idle(self) -> list[WorkerProcess]:
        return [w for w in self.workers if w.step_key is None]

    def busy(self) -> list[WorkerProcess]:
        return [w for w in self.workers if w.step_key is not None]

    def free_slots(self) -> int:
        """How many steps could start now (idle workers plus workers not yet started)."""
        return len(self.idle()) + self.size - len(self.workers)

    def start_worker(self) -> WorkerProcess:
        worker = WorkerProcess(self.context, self.spec, self._started)
        self._started += 1
        self.workers.append(worker)
        return worker

    def remove(self, worker: WorkerProcess) -> None:
        if worker in self.workers:
            self.workers.remove(worker)

    # --- messages --------------------------------------------------------------------------------

    def poll(self, timeout: float | None) -> Iterator[tuple[WorkerProcess, Any]]:
        """Wait up to ``timeout`` for busy workers; yield ``(worker, message)`` for every message
        ready now and ``(worker, None)`` for a worker whose process has ended."""
        busy = self.busy()
        if not busy:
            return
        waitables: dict[Any, WorkerProcess] = {}
        for worker in busy:
            waitables[worker.conn] = worker
            waitables[worker.process.sentinel] = worker
        ready = wait(list(waitables), timeout)
        seen: set[int] = set()
        for item in ready:
            worker = waitables[item]
            if id(worker) in seen:
                continue
            seen.add(id(worker))
            yield from self._drain(worker)

    def _drain(self, worker: WorkerProcess) -> Iterator[tuple[WorkerProcess, Any]]:
        """Every message the worker has sent; then ``None`` if its process ended."""
        while True:
            try:
                if not worker.conn.poll():
                    break
                message = worker.conn.recv()
            except (EOFError, OSError):
                break
            yield worker, message
            if worker.step_key is None:
                return  # the step is done: its worker may take the next one
        if not worker.process.is_alive():
            worker.process.join()
            yield worker, None

    # --- the end ---------------------------------------------------------------------------------

    def close(self, timeout: float = CLOSE_TIMEOUT) -> Iterator[tuple[WorkerProcess, Any]]:
        """Ask every worker to tear down and exit; yield their records as they arrive (teardown
        events), then ``(worker, "stopped")`` as each one has exited."""
        deadline = time.monotonic() + timeout
        closing: list[WorkerProcess] = []
        for worker in self.workers:
            try:
                worker.conn.send(CloseWorker())
                closing.append(worker)
            except (BrokenPipeError, OSError):
                worker.stop(0)
                yield worker, "stopped"
        while closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            ready = wait(
                [w.conn for w in closing] + [w.process.sentinel for w in closing], remaining
            )
            for worker in list(closing):
                if worker.conn not in ready and worker.process.sentinel not in ready:
                    continue
                finished = False
                while True:
                    try:
                        if not worker.conn.poll():
                            break
                        message = worker.conn.recv()
                    except (EOFError, OSError):
                        finished = True
                        break
                    if isinstance(message, Closed):
                        finished = True
                        break
                    yield worker, message
                if finished or not worker.process.is_alive():
                    closing.remove(worker)
                    worker.stop(TERMINATE_GRACE)
                    yield worker, "stopped"
        for worker in closing:
            worker.stop(0)
            yield worker, "stopped"
        self.workers = []

    def terminate_all(self, grace: float = TERMINATE_GRACE) -> list[WorkerProcess]:
        """Interrupted: stop every worker (terminate after ``grace``, then kill); return them."""
        stopped = list(self.workers)
        for worker in stopped:
            try:
                worker.conn.send(CloseWorker())
            except (BrokenPipeError, OSError):
                pass
        deadline = time.monotonic() + grace
        for worker in stopped:
            worker.stop(max(0.0, deadline - time.monotonic()))
        self.workers = []
        return stopped


def cpu_count() -> int:
    """CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
