"""The main function of a multiprocess worker process (see :mod:`.multiprocess`).

A worker is started with the ``spawn`` or ``forkserver`` start method and lives for one run; it
ends at once when the run's process dies (:mod:`.parent_death`: no orphan runs its step on). It
ignores SIGINT (the parent decides what an interrupt means), rebuilds the pipeline once from its
:class:`~..reconstruct.ReconstructablePipeline`, builds one :class:`~..execution.worker.StepWorker`
and then runs the steps the parent sends over its pipe, one at a time.

Messages (the run spine's one wire protocol, :mod:`..execution.messages`, pickled over the worker's
own ``Pipe``), parent to worker: :class:`~..execution.messages.RunStep` (run this attempt of a step,
with its hooks) and :class:`~..execution.messages.CloseWorker` (tear the run's resources down and
exit). Worker to parent: ``Record`` (an event or ``context.log`` record, sent as it is made),
``Output`` (what the worker wrote to ``"stdout"`` or ``"stderr"``, as it is written, tagged with the
running step's key, or :func:`worker_tag` outside a step: loading the pipeline, starting and tearing
down resources), ``Done`` (the attempt finished, its events all sent before; with the error info
when the step could not run at all, e.g. the pipeline could not be rebuilt here, or the engine
failed around it: the worker lives on for the next step), ``DebugRequest`` (the step's debugger
talks to the user through the parent, :mod:`.debug_relay`, which answers over the same pipe while
the step waits) and ``Closed`` (teardown finished).

Output: the worker captures its own file descriptors 1 and 2 for its whole life
(:mod:`..storage.output_capture`, with the pipe as the echo target instead of the fds it inherited)
and ``sys.stdout`` is line buffered, so what steps print — ``print``, ``os.write(1, ...)``, C
extensions, child processes — reaches the parent live as ``output`` messages, in a notebook too.
Before each record is sent the capture is flushed, so output always arrives before the events that
follow it. With a persistent instance the compute-log capture also files each step's raw output
(the same capture, one more sink). Where fds cannot be captured, ``sys.stdout`` / ``sys.stderr``
are replaced by streams that send what they get.
"""

from __future__ import annotations

import codecs
import io
import os
import signal
import sys
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from ..errors import SerializableErrorInfo, serializable_error_info_from_exc_info
from ..events import EventRecord
from ..execution.messages import Closed, Done, Message, Output, Record, RunStep
from ..storage import output_capture
from ..storage.runs import PipelineRun
from .debug_relay import install_in_worker
from .parent_death import die_with

#: true in a worker process (a worker must never start a multiprocess run of its own)
IN_WORKER = False

#: the names of the streams in ``output`` messages, by index (as in :mod:`..storage.output_capture`)
STREAM_NAMES = ("stdout", "stderr")


def worker_tag(pid: int) -> str:
    """The tag of a worker's output written outside any step."""
    return f"worker pid {pid}"


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker process needs for the run (pickled once, when the process starts)."""

    pipeline: Any  # a ReconstructablePipeline (reconstruct.py is not below this layer)
    pipeline_run: PipelineRun
    instance_root: str
    capture_compute_logs: bool
    run_pid: int = 0  # the run's process: the worker ends when it dies (0: the worker's parent)


class _Channel:
    """The worker's end of its pipe; sends are serialised (a step may log from threads)."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.lock = threading.Lock()
        self.output: _WorkerOutput | None = None

    def send(self, message: Message) -> None:
        with self.lock:
            self.conn.send(message)

    def record(self, record: EventRecord) -> None:
        if self.output is not None:
            self.output.flush()  # what was written before the record arrives before it
        self.send(Record(record))


class _WorkerOutput:
    """The worker's stdout and stderr, sent to the parent as ``output`` messages (see the module
    docstring): the echo target of the process's capture, tagged with the running step."""

    def __init__(self, channel: _Channel):
        self.channel = channel
        self.idle_tag = worker_tag(os.getpid())
        self.tag = self.idle_tag
        self._decoders = [codecs.getincrementaldecoder("utf-8")("replace") for _ in STREAM_NAMES]
        _line_buffered(sys.stdout)
        self.capture: output_capture.ProcessCapture | None = output_capture.acquire(
            fd_level=True, echo=self.echo
        )
        for index, (_, name) in enumerate(output_capture.STREAMS):
            if not self.capture.fd_level[index]:
                setattr(sys, name, _SendingStream(self, index, getattr(sys, name, None)))
        channel.output = self

    def echo(self, index: int, data: bytes) -> None:
        """Send fd-level output (called by the capture, under its lock)."""
        self.send(index, self._decoders[index].decode(data))

    def send(self, index: int, text: str) -> None:
        if text:
            self.channel.send(Output(self.tag, STREAM_NAMES[index], text))

    def flush(self) -> None:
        if self.capture is not None:
            self.capture.flush()

    def begin(self, step_key: str) -> None:
        """Output from now on is the step's."""
        self._retag(step_key)

    def end(self) -> None:
        """Everything written so far was the step's; from now on it is the worker's."""
        self._retag(self.idle_tag)

    def _retag(self, tag: str) -> None:
        def retag() -> None:
            for index, decoder in enumerate(self._decoders):
                self.send(index, decoder.decode(b"", final=True))
            self.tag = tag

        if self.capture is not None:
            self.capture.flush(then=retag)

    def close(self) -> None:
        """Put the fds back (what is still in the capture's pipes is sent first)."""
        if self.capture is not None:
            capture, self.capture = self.capture, None
            self.channel.output = None
            output_capture.release(capture)


class _SendingStream(io.TextIOBase):
    """``sys.stdout`` / ``sys.stderr`` of a worker whose fd could not be captured: sends writes."""

    def __init__(self, output: _WorkerOutput, index: int, original: Any):
        super().__init__()
        self._output = output
        self._index = index
        self._original = original

    def write(self, s: str) -> int:
        try:
            self._output.send(self._index, s)
        except (OSError, ValueError):  # the parent is gone
            if self._original is not None:
                self._original.write(s)
        return len(s)

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"


def _line_buffered(stream: Any) -> None:
    """Make ``stream`` flush at each newline (``print`` reaches the parent as it happens)."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(line_buffering=True)
        except (OSError, ValueError):
            pass


def worker_main(conn: Connection, spec: WorkerSpec) -> None:
    """Serve the parent's step requests until it says ``close`` or goes away."""
    global IN_WORKER
    IN_WORKER = True
    die_with(spec.run_pid or os.getppid())  # no orphan running on when the run's process dies
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    channel = _Channel(conn)
    output = _WorkerOutput(channel)
    install_in_worker(channel)  # context.pdb / breakpoint() talk through the parent
    worker: Any = None
    load_error: SerializableErrorInfo | None = None
    try:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                return  # the parent is gone: nothing left to report to
            if not isinstance(message, RunStep):  # CloseWorker
                if worker is not None:
                    worker.close()
                output.flush()  # the teardown's output arrives before ``Closed``
                channel.send(Closed())
                return
            step_key, attempt = message.step_key, message.attempt
            if worker is None and load_error is None:
                try:
                    worker = _build_worker(spec, channel)
                except Exception:
                    load_error = serializable_error_info_from_exc_info()
            if load_error is not None:
                output.flush()
                channel.send(Done(step_key, attempt, load_error))
                continue
            output.begin(step_key)
            failed: SerializableErrorInfo | None = None
            try:
                worker.run(step_key, attempt)
            except Exception:
                # the step reports its own failures: this is an error of the engine around it.
                # The worker lives on for the next step; the parent fails this one if it must.
                failed = serializable_error_info_from_exc_info()
            finally:
                output.end()
            channel.send(Done(step_key, attempt, failed))
    except (BrokenPipeError, EOFError):
        return
    finally:
        try:
            output.close()
        finally:
            conn.close()


def _build_worker(spec: WorkerSpec, channel: _Channel) -> Any:
    from ..execution.worker import StepWorker, worker_instance

    pipeline_def = spec.pipeline.get_definition()
    instance = worker_instance(spec.instance_root, spec.capture_compute_logs)
    worker = StepWorker(pipeline_def, spec.pipeline_run, instance, channel.record)
    # Start the run's resources now, outside any step, so what they print is the worker's (the
    # StepWorker would otherwise start them lazily inside the first step; a failure is kept and
    # reported by every step, as before).
    worker.start()
    return worker
