"""A step's ``print`` output, sent to the parent while the step runs in a Dask worker (L5).

A Dask worker is a long-lived process of its own (its stdout is not the notebook's): while a step
runs there, :func:`relayed_output` puts ``sys.stdout`` / ``sys.stderr`` in front of a
:class:`SendingStream` each, which hands whole lines to ``send(stream, text)`` (the run's queue to
the parent, which shows them tagged with the step, like the multiprocess executor's output). What
a step writes through Python's streams is relayed; the worker's own logging and output written to
its file descriptors directly stay the worker's. Nothing here imports Dask.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Send = Callable[[str, str], None]
#: a line longer than this is sent without waiting for its end
MAX_PENDING = 8192


class SendingStream(io.TextIOBase):
    """A text stream that sends what is written, a line at a time (and the rest on flush)."""

    def __init__(self, send: Send, name: str):
        super().__init__()
        self._send = send
        self._name = name
        self._pending = ""
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"<{self._name} of the step>"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, s: str) -> int:
        with self._lock:
            self._pending += s
            cut = self._pending.rfind("\n") + 1
            if not cut and len(self._pending) > MAX_PENDING:
                cut = len(self._pending)
            if cut:
                text, self._pending = self._pending[:cut], self._pending[cut:]
                self._send(self._name, text)
        return len(s)

    def flush(self) -> None:
        with self._lock:
            text, self._pending = self._pending, ""
        if text:
            self._send(self._name, text)


@contextmanager
def relayed_output(send: Send, streams: list[SendingStream]) -> Iterator[None]:
    """While inside, ``sys.stdout`` and ``sys.stderr`` send to ``send``; ``streams`` holds them
    (so records can flush them first: output arrives before the events that follow it)."""
    saved = sys.stdout, sys.stderr
    out, err = SendingStream(send, "stdout"), SendingStream(send, "stderr")
    streams[:] = [out, err]
    sys.stdout, sys.stderr = out, err
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
        streams.clear()
        out.flush()
        err.flush()


def flush_all(streams: list[SendingStream]) -> None:
    """Send what ``streams`` hold (before a record is sent)."""
    for stream in list(streams):
        stream.flush()
