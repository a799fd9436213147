"""The main function of a multiprocess worker process (see :mod:`.multiprocess`).

A worker is started with the ``spawn`` or ``forkserver`` start method and lives for one run. It
ignores SIGINT (the parent decides what an interrupt means), rebuilds the pipeline once from its
:class:`~..reconstruct.ReconstructablePipeline`, builds one :class:`~..execution.worker.StepWorker`
and then runs the steps the parent sends over its pipe, one at a time.

Messages, parent to worker (tuples sent over the worker's own ``Pipe``):

- ``("step", step_key, previous_attempts)`` — run this step (with its hooks);
- ``("close",)`` — tear the run's resources down and exit.

Worker to parent:

- ``("record", EventRecord)`` — an event or ``context.log`` record, sent as it is made (the parent
  stores and logs it: it is the only writer of the run's events);
- ``("done", step_key)`` — the step finished (its events were all sent before);
- ``("error", step_key, SerializableErrorInfo)`` — the step could not be run at all (the pipeline
  could not be rebuilt here); the parent turns this into the step's ``STEP_FAILURE``;
- ``("closed",)`` — teardown finished.

Output: the worker inherits the parent's file descriptors 1 and 2, so what steps print reaches the
parent's terminal live; the compute-log capture of a persistent instance also files it per step.
"""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from ..errors import SerializableErrorInfo, serializable_error_info_from_exc_info
from ..events import EventRecord
from ..storage.runs import PipelineRun

#: true in a worker process (a worker must never start a multiprocess run of its own)
IN_WORKER = False


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker process needs for the run (pickled once, when the process starts)."""

    pipeline: Any  # a ReconstructablePipeline (reconstruct.py is not below this layer)
    pipeline_run: PipelineRun
    instance_root: str
    capture_compute_logs: bool


class _Channel:
    """The worker's end of its pipe; sends are serialised (a step may log from threads)."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.lock = threading.Lock()

    def send(self, message: tuple[Any, ...]) -> None:
        with self.lock:
            self.conn.send(message)

    def record(self, record: EventRecord) -> None:
        self.send(("record", record))


def worker_main(conn: Connection, spec: WorkerSpec) -> None:
    """Serve the parent's step requests until it says ``close`` or goes away."""
    global IN_WORKER
    IN_WORKER = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    channel = _Channel(conn)
    worker: Any = None
    load_error: SerializableErrorInfo | None = None
    try:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                return  # the parent is gone: nothing left to report to
            if message[0] == "close":
                if worker is not None:
                    worker.close()
                channel.send(("closed",))
                return
            _, step_key, previous_attempts = message
            if worker is None and load_error is None:
                try:
                    worker = _build_worker(spec, channel)
                except Exception:
                    load_error = serializable_error_info_from_exc_info()
            if load_error is not None:
                channel.send(("error", step_key, load_error))
                continue
            worker.run(step_key, previous_attempts)
            channel.send(("done", step_key))
    except (BrokenPipeError, EOFError):
        return
    finally:
        conn.close()


def _build_worker(spec: WorkerSpec, channel: _Channel) -> Any:
    from ..execution.worker import StepWorker, worker_instance

    pipeline_def = spec.pipeline.get_definition()
    instance = worker_instance(spec.instance_root, spec.capture_compute_logs)
    return StepWorker(pipeline_def, spec.pipeline_run, instance, channel.record)
