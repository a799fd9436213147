"""Capturing this process's stdout and stderr into per-step sinks while still showing them live.

Two levels, chosen per stream when capture is switched on for the process (:func:`acquire`):

* **File-descriptor level** (POSIX, when fd 1 / fd 2 is open): a pipe is ``dup2``'d onto the fd and
  one reader thread copies what arrives to the saved original fd (so the terminal, or the kernel's
  own fd watcher, still shows it live) and to the sink of the active capture. This sees everything
  that reaches the fd: ``print`` through a stream backed by the fd, C extensions, ``os.write``,
  child processes that inherit the fd.
* **Python level**: while a capture is active, ``sys.stdout`` / ``sys.stderr`` are wrapped in a
  :class:`TeeStream`. When the wrapped stream does not write to a captured fd (a notebook's
  ``OutStream``, ``redirect_stdout``, no fd capture on this OS), the tee copies each write to the
  active sink and passes it on. When it does, the tee only passes writes on (the fd level records
  them, so nothing is recorded twice) and answers ``isatty()`` for the real stream, which is now a
  pipe underneath.

The pipes and the reader thread live as long as :func:`acquire`'s holders (one run), so switching
from one step to the next is cheap: :meth:`ProcessCapture.activate` / ``deactivate`` flush Python's
buffers, move whatever is already in the pipes to the sink it belongs to (under the lock the reader
holds while it forwards a chunk, so no byte is attributed to the wrong step), and swap the streams.

Nesting and threads: output is process-wide. The activations form a stack and all output goes to
the sink of the innermost active one (the most recent still active, whatever its thread); ending
an activation removes only that one, and the streams are put back as each activation found them.
Output from a child process that outlives its step goes to whichever capture is active when it
arrives (after the last holder releases, only to the original fd).

Echo target: by default what arrives at the fd level is copied back to the original fd. A
process can instead give :func:`acquire` an ``echo`` callable (``echo(index, data)``, called by the
reader under the capture's lock, in the order the bytes arrived): a multiprocess worker sends its
output to the parent over its pipe that way instead of writing to the fds it inherited.
:meth:`ProcessCapture.flush` moves everything written so far to its sink and echo target now (the
worker calls it before each record it sends, so output arrives before the events that follow it).

Known limit: a stream with no file descriptor of its own that also copies what it gets to fd 1
itself (pytest's ``--capture=tee-sys``) is recorded twice, once per level.
"""

from __future__ import annotations

import atexit
import io
import os
import select
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, TextIO

#: The standard fds and the ``sys`` attributes of the Python streams over them.
STREAMS = ((1, "stdout"), (2, "stderr"))

_CHUNK = 65536

#: ``echo(index, data)``: where fd-level output goes besides the active sink (index 0 stdout)
Echo = Callable[[int, bytes], None]


class Sink(Protocol):
    """Where captured bytes of one capture go: ``write(index, data)``, index 0 stdout, 1 stderr."""

    def write(self, index: int, data: bytes) -> None: ...


class TeeStream(io.TextIOBase):
    """A text stream standing in for ``sys.stdout`` / ``sys.stderr`` during a capture.

    Writes go to the wrapped stream (live output); with ``record`` they are also recorded in the
    active capture's sink. ``fileno``, ``encoding``, ``flush`` and the rest are the wrapped
    stream's; ``isatty`` is ``isatty`` if given (the answer for the real fd under the pipe).
    """

    def __init__(
        self, original: Any, capture: ProcessCapture, index: int, record: bool, isatty: bool | None
    ):
        super().__init__()
        self._original = original
        self._capture = capture
        self._index = index
        self._record = record
        self._isatty = isatty

    @property
    def original(self) -> Any:
        return self._original

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        if not self._record:
            written = self._original.write(s)
        else:
            local = self._capture.local
            if getattr(local, "busy", False):
                # a tee wrapping a tee (nested captures): the outer write has recorded it
                written = self._original.write(s)
            else:
                local.busy = True
                try:
                    self._capture.record_text(self._index, s)
                    written = self._original.write(s)
                finally:
                    local.busy = False
        return written if isinstance(written, int) else len(s)

    def flush(self) -> None:
        self._original.flush()

    def fileno(self) -> int:
        return int(self._original.fileno())

    def isatty(self) -> bool:
        if self._isatty is not None:
            return self._isatty
        return bool(self._original.isatty())

    def readable(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        """Closing the stand-in closes nothing (the wrapped stream belongs to someone else)."""

    @property
    def closed(self) -> bool:
        return bool(getattr(self._original, "closed", False))

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._original, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self._original, "errors", None)

    @property
    def newlines(self) -> Any:  # type: ignore[override]
        return getattr(self._original, "newlines", None)

    def __getattr__(self, name: str) -> Any:
        # buffer, name, mode, line_buffering, reconfigure, ...: the wrapped stream's
        if name.startswith("__") or name == "_original":
            raise AttributeError(name)  # not set up yet (copy, pickle): no recursion
        return getattr(self._original, name)

    def __repr__(self) -> str:
        return f"<TeeStream {'recording' if self._record else 'passing'} {self._original!r}>"


class _FdPipe:
    """fd ``fd`` redirected into a pipe; ``saved`` is a copy of what ``fd`` was before."""

    def __init__(self, index: int, fd: int):
        self.index = index
        self.fd = fd
        self.saved = os.dup(fd)
        self.isatty = os.isatty(self.saved)
        self.read_end, self.write_end = os.pipe()
        os.set_blocking(self.read_end, False)
        os.dup2(self.write_end, fd)
        self.eof = False

    def restore(self) -> None:
        os.dup2(self.saved, self.fd)
        os.close(self.write_end)

    def close_reader_side(self) -> None:
        os.close(self.read_end)
        os.close(self.saved)


class Activation:
    """One :meth:`ProcessCapture.activate`: its sink and the streams it replaced."""

    __slots__ = ("saved_streams", "sink")

    def __init__(self, sink: Sink, saved_streams: tuple[Any, Any]):
        self.sink = sink
        self.saved_streams = saved_streams


class ProcessCapture:
    """The process's capture machinery while at least one holder has it (see :func:`acquire`)."""

    def __init__(self, fd_level: bool, echo: Echo | None = None):
        self.lock = threading.RLock()
        #: where fd-level output is copied besides the sink; ``None``: the original fd
        self.echo = echo
        self._stack: list[Activation] = []
        self.local = threading.local()
        self._pipes: list[_FdPipe | None] = [None, None]
        self._reader: threading.Thread | None = None
        self._poller: Any = None
        # the last tee made for each stream, reused while the stream it wraps is the same
        self._tees: list[TeeStream | None] = [None, None]
        if fd_level and hasattr(select, "poll"):
            self._install_pipes()

    @property
    def fd_level(self) -> tuple[bool, bool]:
        """Whether stdout / stderr are captured at the file-descriptor level."""
        return (self._pipes[0] is not None, self._pipes[1] is not None)

    # --- switching sinks --------------------------------------------------------------------------

    def activate(self, sink: Sink) -> Activation:
        """Send output to ``sink`` until :meth:`deactivate` of the returned activation."""
        if self._poller is not None:
            _flush_fd_streams()  # what was written before goes where it belonged
        with self.lock:
            if self._poller is not None:
                self._drain()
            activation = Activation(sink, (sys.stdout, sys.stderr))
            self._stack.append(activation)
            sys.stdout = self._wrap(activation.saved_streams[0], 0)
            sys.stderr = self._wrap(activation.saved_streams[1], 1)
        return activation

    def deactivate(self, activation: Activation) -> None:
        """End ``activation``: its pending output to its sink, the streams back as it found them.

        Ending activations out of order (threads) splices: the streams it replaced are handed
        to the activation started after it, which puts them back when it ends.
        """
        # Never flush while holding the lock: a flush can wait for the reader, which needs it.
        with self.lock:
            i = self._index(activation)
            if i is None:
                return
            if i == len(self._stack) - 1:
                sys.stdout, sys.stderr = activation.saved_streams
            else:
                self._stack[i + 1].saved_streams = activation.saved_streams
        if self._poller is not None:
            _flush_fd_streams()
        with self.lock:
            if self._poller is not None:
                self._drain()
            i = self._index(activation)
            if i is not None:
                del self._stack[i]

    def flush(self, then: Callable[[], None] | None = None) -> None:
        """Move what has been written so far to its sink and echo target; then call ``then``
        under the lock (before any later output is forwarded)."""
        if self._poller is not None:
            _flush_fd_streams()
        with self.lock:
            if self._poller is not None:
                self._drain()
            if then is not None:
                then()

    def _index(self, activation: Activation) -> int | None:
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i] is activation:
                return i
        return None

    def record_text(self, index: int, text: str) -> None:
        """Record a Python-level write (from a :class:`TeeStream`) in the active sink."""
        with self.lock:
            if self._stack:
                self._stack[-1].sink.write(index, text.encode("utf-8", "backslashreplace"))

    def _wrap(self, stream: Any, index: int) -> Any:
        if stream is None:
            return None
        tee = self._tees[index]
        if tee is not None and tee.original is stream:
            return tee
        pipe = self._pipes[index]
        if pipe is not None and _writes_to_fd(stream, pipe.fd):
            tee = TeeStream(stream, self, index, record=False, isatty=pipe.isatty)
        else:
            tee = TeeStream(stream, self, index, record=True, isatty=None)
        self._tees[index] = tee
        return tee

    # --- the fd level -----------------------------------------------------------------------------

    def _install_pipes(self) -> None:
        _flush_python_streams()
        for index, (fd, _) in enumerate(STREAMS):
            if _fd_is_open(fd):
                self._pipes[index] = _FdPipe(index, fd)
        pipes = [p for p in self._pipes if p is not None]
        if not pipes:
            return
        self._poller = select.poll()
        for pipe in pipes:
            self._poller.register(pipe.read_end, select.POLLIN)
        self._reader = threading.Thread(
            target=self._read_loop, args=(pipes,), name="notebook_pipelines-output", daemon=True
        )
        self._reader.start()

    def uninstall(self, join_timeout: float = 0.25) -> None:
        """Put fds 1 and 2 back; the reader forwards what is left and stops at end of file
        (later, if a child process still holds a pipe; it is a daemon thread)."""
        if self._reader is None:
            return
        _flush_python_streams()
        with self.lock:
            self._drain()
            for pipe in self._pipes:
                if pipe is not None:
                    pipe.restore()
        self._reader.join(join_timeout)
        if self._reader.is_alive():
            _lingering.append(self._reader)

    def _drain(self) -> None:
        """Move what is waiting in the pipes to its destinations (caller holds the lock)."""
        if self._poller is None:
            return
        for fd, _ in self._poller.poll(0):
            for pipe in self._pipes:
                if pipe is not None and pipe.read_end == fd:
                    self._pump(pipe)

    def _pump(self, pipe: _FdPipe) -> None:
        """Read ``pipe`` until it is empty; forward each chunk (caller holds the lock)."""
        while not pipe.eof:
            try:
                data = os.read(pipe.read_end, _CHUNK)
            except BlockingIOError:
                return
            if not data:
                pipe.eof = True
                return
            if self._stack:
                try:
                    self._stack[-1].sink.write(pipe.index, data)
                except Exception:  # a sink must not stop the output (or fill the pipe)
                    pass
            if self.echo is not None:
                try:
                    self.echo(pipe.index, data)
                    continue
                except Exception:  # the echo target is gone: fall back to the original fd
                    self.echo = None
            _write_all(pipe.saved, data)

    def _read_loop(self, pipes: list[_FdPipe]) -> None:
        poller = select.poll()
        for pipe in pipes:
            poller.register(pipe.read_end, select.POLLIN)
        open_pipes = {pipe.read_end: pipe for pipe in pipes}
        while open_pipes:
            ready = poller.poll()
            with self.lock:
                for fd, _ in ready:
                    ready_pipe = open_pipes.get(fd)
                    if ready_pipe is None:
                        continue
                    self._pump(ready_pipe)
                    if ready_pipe.eof:
                        poller.unregister(fd)
                        del open_pipes[fd]
                        self._poller.unregister(fd)
                        ready_pipe.close_reader_side()


# --- holders --------------------------------------------------------------------------------------

_current: ProcessCapture | None = None
_holders = 0
_holders_lock = threading.Lock()
# readers still forwarding for a child process that outlived its step's capture
_lingering: list[threading.Thread] = []
_LINGER_AT_EXIT_S = 2.0


@atexit.register
def _forward_lingering_output() -> None:
    """At exit, give readers still forwarding a child's output a moment to pass on the rest."""
    deadline = time.monotonic() + _LINGER_AT_EXIT_S
    for reader in _lingering:
        reader.join(max(0.0, deadline - time.monotonic()))


def acquire(fd_level: bool = True, echo: Echo | None = None) -> ProcessCapture:
    """The process's capture machinery, installed by the first holder (``fd_level`` and ``echo``
    are the first holder's choice). Every :func:`acquire` needs one :func:`release`."""
    global _current, _holders
    with _holders_lock:
        if _current is None:
            _current = ProcessCapture(fd_level, echo)
        _holders += 1
        return _current


def release(capture: ProcessCapture) -> None:
    """Give back a holder's share; the last one puts the process's fds back."""
    global _current, _holders
    with _holders_lock:
        if capture is not _current:
            return
        _holders -= 1
        if _holders:
            return
        _current = None
    capture.uninstall()


def _after_fork_in_child() -> None:
    # The reader thread does not exist in a forked child and its lock may have been held at the
    # fork. The child keeps its (shared) sinks and writes straight through; it installs nothing.
    global _current, _holders, _holders_lock
    _holders_lock = threading.Lock()
    if _current is not None:
        _current.lock = threading.RLock()
        _current.local = threading.local()
        _current = None
        _holders = 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# --- helpers --------------------------------------------------------------------------------------


def _fd_is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _writes_to_fd(stream: Any, fd: int) -> bool:
    """Whether what is written to ``stream`` goes to file descriptor ``fd``."""
    try:
        return bool(stream.fileno() == fd)
    except (AttributeError, OSError, ValueError):
        return False


def _flush_python_streams() -> None:
    """Flush Python's buffers of the standard streams so their bytes reach the fds now."""
    out, err = sys.stdout, sys.stderr
    _flush(out)
    if err is not out:
        _flush(err)
    if sys.__stdout__ is not out:
        _flush(sys.__stdout__)
    if sys.__stderr__ is not err:
        _flush(sys.__stderr__)


def _flush_fd_streams() -> None:
    """Flush the Python streams that write to fds 1 and 2, so their bytes are in the pipes now.

    Others (a notebook's ``OutStream``) are recorded as they are written and are not flushed:
    flushing a kernel's stream waits for its I/O thread.
    """
    real_out, real_err = sys.__stdout__, sys.__stderr__
    _flush(real_out)
    _flush(real_err)
    for stream, fd in ((sys.stdout, 1), (sys.stderr, 2)):
        if stream is not real_out and stream is not real_err and _writes_to_fd(stream, fd):
            _flush(stream)


def _flush(stream: TextIO | None) -> None:
    if stream is not None:
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass


def _write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd``; give up quietly if the fd is gone (a closed terminal)."""
    view = memoryview(data)
    try:
        while view:
            try:
                written = os.write(fd, view)
            except BlockingIOError:
                select.select([], [fd], [], 1.0)
                continue
            view = view[written:]
    except OSError:
        pass
