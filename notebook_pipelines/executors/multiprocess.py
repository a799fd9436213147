"""The multiprocess executor: a run's steps in a pool of worker processes that stay up for the run.

Design (see also :mod:`.worker_pool` and :mod:`.worker_main`):

- Workers are started lazily, up to ``min(max_concurrent, number of steps)``, with the ``spawn``
  or ``forkserver`` start method (never ``fork``: a Jupyter kernel runs threads). Each one rebuilds
  the pipeline once from the run's :class:`~..reconstruct.ReconstructablePipeline` and builds one
  :class:`~..execution.worker.StepWorker`, which keeps the run's resources up between steps.
- The run's one scheduling loop (:func:`~..execution.loop.run_steps`) keeps the scheduling state
  and decides what runs, retries and stops; this module is only its :class:`PoolLauncher`: it
  gives each step the loop launches to an idle worker over that worker's pipe (a
  :class:`~..execution.messages.RunStep` with the attempt), and passes on what the workers send
  (the typed messages of :mod:`..execution.messages`: records, output, ``Done``), turning a dead
  worker into a ``WorkerLost``. The loop stores and logs each record
  (:meth:`PlanExecutionContext.forward`): the parent is the only writer of the run's events.
- A worker that dies mid-step (killed, ``os._exit``, a segfault, the OOM killer) costs only its
  step: an ``ENGINE_EVENT`` names its pid and exit code or signal, the parent emits the step's
  ``STEP_FAILURE`` quoting the end of the worker's stderr (what it wrote before it captured its
  output too: :mod:`.worker_pool`), and a fresh worker is started if there is more work. A worker
  that died starting because the script re-ran the pipeline when the worker imported it (no
  ``if __name__ == "__main__":``, the spawn bootstrapping ``RuntimeError``) says so, and the fix.
- ``KeyboardInterrupt`` in the parent: every worker is stopped (SIGTERM after a short grace, then
  SIGKILL; workers ignore SIGINT themselves), in-flight steps get ``STEP_FAILURE`` (the loop), and
  the interrupt is re-raised (the run is then marked CANCELED).
- ``raise_on_error`` (the loop's rule): after the first ``STEP_FAILURE`` no new step starts; steps
  in flight finish, workers close, then :class:`~..errors.DagsterSubprocessError` is raised carrying
  every failure's error info (the user's exception crosses the process boundary as data only).
- Output: each worker captures its own stdout/stderr (Python and file-descriptor level) and sends it
  over its pipe as it is written; the parent writes it to its own ``sys.stdout`` / ``sys.stderr``
  (in a notebook: the cell), each line prefixed with its step key (``[add_one.compute] hello``), or
  with the worker's pid for output outside any step. Output always arrives before the events the
  step sends after it. With a persistent instance each step's raw output is also filed in the
  compute logs; ``context.log`` records travel as records and the parent's loggers print them with
  their step key.
- Debugging: a step stopped in ``context.pdb`` / ``breakpoint()`` in a worker talks to the user
  through this process (:mod:`.debug_relay`, over the same pipe), one step at a time.
"""

from __future__ import annotations

import os
import sys
import textwrap
import time
from collections.abc import Iterator
from typing import Any

from ..config.result import ConfigError
from ..definitions import registry
from ..definitions.executor import Executor, multiprocess_executor
from ..errors import (
    DagsterInvalidConfigError,
    DagsterInvariantViolationError,
    SerializableErrorInfo,
)
from ..events import DagsterEvent, EngineEventData
from ..execution.contexts import PlanExecutionContext
from ..execution.loop import elapsed_ms, run_steps, step_failures_error
from ..execution.messages import DebugRequest, Done, Message, Output, OutputEnd, WorkerLost
from ..plan.plan import ExecutionPlan
from ..plan.retries import Retries
from ..plan.steps import ExecutionStep
from ..user_events import EventMetadataEntry
from . import worker_main
from .debug_relay import DebugRelay
from .worker_main import WorkerSpec, worker_tag
from .worker_pool import WorkerPool, WorkerProcess, cpu_count

__all__ = ["START_METHODS", "MultiprocessExecutor", "PoolLauncher", "create"]

#: the start methods a worker may be started with (``fork`` is unsafe in a process with threads)
START_METHODS = ("spawn", "forkserver")
#: what multiprocessing's spawn says when a process is started while the main module is imported
BOOTSTRAPPING = "finished its bootstrapping phase"


def _remedy(stderr_tail: str) -> str:
    """The fix for a worker that died of what ``stderr_tail`` says, when it is a known case."""
    if BOOTSTRAPPING not in stderr_tail:
        return ""
    main = getattr(sys.modules.get("__main__"), "__file__", None)
    script = f"the script {main}" if main else "the main module"
    return (
        f"The worker re-ran {script} when it imported it (the spawn start method imports the "
        "main module), and the script started the run again at import: put the code that runs "
        'the pipeline under `if __name__ == "__main__":`'
    )


class MultiprocessExecutor(Executor):
    """Runs steps in a pool of worker processes."""

    def __init__(
        self,
        pipeline: Any,
        retries: Retries,
        max_concurrent: int,
        start_method: str = "spawn",
    ):
        self.pipeline = pipeline
        self._retries = retries
        self.max_concurrent = max_concurrent if max_concurrent > 0 else cpu_count()
        self.start_method = start_method

    @property
    def retries(self) -> Retries:
        return self._retries

    def execute(
        self, pipeline_context: PlanExecutionContext, execution_plan: ExecutionPlan
    ) -> Iterator[DagsterEvent]:
        instance = pipeline_context.instance
        spec = WorkerSpec(
            self.pipeline,
            pipeline_context.pipeline_run,
            instance.root_directory,
            instance.compute_log_manager.enabled,
            os.getpid(),
        )
        size = min(self.max_concurrent, max(1, len(execution_plan.step_keys_to_execute)))
        launcher = PoolLauncher(pipeline_context, WorkerPool(self.start_method, spec, size))
        yield launcher.engine(
            f"Executing steps in {size} worker processes (start method {self.start_method}, "
            f"parent pid: {os.getpid()})",
            (
                EventMetadataEntry.text(str(size), "workers"),
                EventMetadataEntry.text(self.start_method, "start method"),
            ),
            marker_start="multiprocess",
        )
        start = time.perf_counter()
        failures = yield from run_steps(pipeline_context, execution_plan, self._retries, launcher)
        yield launcher.engine(
            f"Finished steps in worker processes in {elapsed_ms(start)}",
            (EventMetadataEntry.text(str(len(execution_plan.step_keys_to_execute)), "steps"),),
            marker_end="multiprocess",
        )
        if failures:
            raise step_failures_error(failures, "worker processes")


class PoolLauncher:
    """Launches the loop's steps on a :class:`WorkerPool` and relays what its workers send."""

    where: str | None = "worker processes"

    def __init__(self, ctx: PlanExecutionContext, pool: WorkerPool):
        self.ctx = ctx
        self.pool = pool
        self.debug = DebugRelay()

    @property
    def capacity(self) -> int | None:
        return self.pool.free_slots()

    def launch(self, step: ExecutionStep, attempt: int) -> Iterator[Message]:
        idle = self.pool.idle()
        if idle:
            worker = idle[0]
        else:
            worker = self.pool.start_worker()
            yield (
                self.engine(
                    f"Started worker process {worker.index} (pid: {worker.pid})",
                    (EventMetadataEntry.text(str(worker.pid), "pid"),),
                )
            )
        try:
            worker.assign(step.key, attempt)
        except (BrokenPipeError, OSError):
            worker.step_key = step.key
            worker.process.join(1.0)
            yield from self._worker_died(worker)

    def poll(self, timeout: float | None) -> Iterator[Message]:
        for worker, message in self.pool.poll(timeout):
            yield from self._handle(worker, message)

    def _handle(self, worker: WorkerProcess, message: Any) -> Iterator[Message]:
        if message is None:
            yield from self._worker_died(worker)
        elif isinstance(message, DebugRequest):
            self.debug.handle(worker, message)
            if self.debug.pending is not None:
                # this thread is about to wait for the user: first take in what the others sent
                for other, later in self.pool.poll(0):
                    yield from self._handle(other, later)
                self.debug.serve()
        elif isinstance(message, Done):
            self.debug.release(worker)
            worker.step_key = None
            if message.error is not None:
                yield OutputEnd((message.step_key, worker_tag(worker.pid)))
            yield message
        else:
            if isinstance(message, Output) and message.stream == "stderr":
                worker.note_stderr(message.text)
            yield message

    # --- failures --------------------------------------------------------------------------------

    def _worker_died(self, worker: WorkerProcess) -> Iterator[Message]:
        step_key = worker.step_key
        yield OutputEnd((*([step_key] if step_key else []), worker_tag(worker.pid)))
        self.debug.release(worker)
        self.pool.remove(worker)
        worker.stop(0)
        how = worker.exit_description
        tail = worker.stderr_tail()
        yield from self._show_stderr(worker)
        worker.release()
        remedy = _remedy(tail)
        doing = f' while running step "{step_key}"' if step_key else ""
        entries = [
            EventMetadataEntry.text(str(worker.pid), "pid"),
            EventMetadataEntry.text(how, "exit"),
        ]
        if tail:
            entries.append(EventMetadataEntry.text(tail, "stderr"))
        yield (
            self.engine(
                f"Worker process {worker.index} (pid: {worker.pid}) died{doing}: {how}"
                + (f". {remedy}" if remedy else ""),
                tuple(entries),
            )
        )
        if step_key is None:
            return
        why = f"its worker process (pid: {worker.pid}) died: {how}"
        if remedy:
            why += f". {remedy}"
        if tail:
            why += f"\nThe end of the worker's stderr:\n{textwrap.indent(tail, '    ')}\n"
        info = SerializableErrorInfo(
            f"Worker process {worker.pid} died ({how}) while running the step."
            + (f" {remedy}" if remedy else "")
            + (f"\nThe end of its stderr:\n{tail}" if tail else "")
            + "\n",
            (),
            "ChildProcessCrashException",
        )
        yield WorkerLost(step_key, worker.attempt, info, why)

    def _show_stderr(self, worker: WorkerProcess) -> Iterator[Message]:
        """Show what the worker wrote to its stderr file (not sent as output)."""
        text = worker.unshown_stderr()
        if text:
            tag = worker_tag(worker.pid)
            yield Output(tag, "stderr", text)
            yield OutputEnd((tag,))

    # --- the end ---------------------------------------------------------------------------------

    def shutdown(self, error: BaseException | None) -> Iterator[Message]:
        if error is not None:
            yield from self._terminate(error)
            return
        for worker, message in self.pool.close():
            if message != "stopped":
                yield message
                continue
            yield from self._show_stderr(worker)
            worker.release()
            yield OutputEnd((worker_tag(worker.pid),))
            yield (
                self.engine(
                    f"Stopped worker process {worker.index} (pid: {worker.pid})",
                    (EventMetadataEntry.text(str(worker.pid), "pid"),),
                )
            )

    def _terminate(self, error: BaseException) -> Iterator[Message]:
        """Interrupted (or the consumer stopped): stop every worker at once."""
        stopped = self.pool.terminate_all()
        for worker in stopped:
            yield from self._show_stderr(worker)
            worker.release()
        if isinstance(error, GeneratorExit):
            return  # nothing may be yielded any more; the workers are gone
        for worker in stopped:
            yield (
                self.engine(
                    f"Stopped worker process {worker.index} (pid: {worker.pid}): "
                    f"{error.__class__.__name__}",
                    (EventMetadataEntry.text(str(worker.pid), "pid"),),
                )
            )

    def stopped(self, error: BaseException) -> tuple[SerializableErrorInfo | None, str]:
        name = type(error).__name__
        return (
            SerializableErrorInfo(f"{name}\n", (), name),
            "the run was interrupted and its worker process was stopped",
        )

    def engine(
        self,
        message: str,
        entries: tuple[Any, ...] = (),
        marker_start: str | None = None,
        marker_end: str | None = None,
    ) -> DagsterEvent:
        return self.ctx.engine_event(
            message, EngineEventData(entries, marker_start=marker_start, marker_end=marker_end)
        )


def create(init_context: Any) -> MultiprocessExecutor:
    """Creation function of ``multiprocess_executor``."""
    config = init_context.executor_config
    start_method = config.get("start_method", "spawn")
    if start_method not in START_METHODS:
        reason = (
            '"fork" copies a process that may be running threads (a Jupyter kernel does) and can '
            "deadlock"
            if start_method == "fork"
            else "not a start method this executor supports"
        )
        raise DagsterInvalidConfigError(
            "Error in config for executor multiprocess",
            [
                ConfigError(
                    ("root", "execution", "multiprocess", "config", "start_method"),
                    f'start_method "{start_method}": {reason}; use one of '
                    f"{', '.join(START_METHODS)}.",
                    "invalid_enum_value",
                )
            ],
            config,
        )
    if worker_main.IN_WORKER:
        raise DagsterInvariantViolationError(
            "A multiprocess worker process tried to start a multiprocess run of its own: the "
            "module that defines the pipeline runs it at import time. Guard the run with "
            '`if __name__ == "__main__":`.'
        )
    pipeline = init_context.pipeline
    if not callable(getattr(pipeline, "get_definition", None)):
        raise DagsterInvariantViolationError(
            "The multiprocess executor needs a reconstructable pipeline (reconstructable(...))."
        )
    return MultiprocessExecutor(
        pipeline,
        Retries.from_config(config.get("retries")),
        int(config.get("max_concurrent") or 0),
        start_method,
    )


registry.executors.register(multiprocess_executor.name, create)
