"""The multiprocess executor: a run's steps in a pool of worker processes that stay up for the run.

Design (see also :mod:`.worker_pool` and :mod:`.worker_main`):

- Workers are started lazily, up to ``min(max_concurrent, number of steps)``, with the ``spawn``
  or ``forkserver`` start method (never ``fork``: a Jupyter kernel runs threads). Each one rebuilds
  the pipeline once from the run's :class:`~..reconstruct.ReconstructablePipeline` and builds one
  :class:`~..execution.worker.StepWorker`, which keeps the run's resources up between steps.
- The parent keeps the scheduling state (:class:`~..plan.active.ActiveExecution`): it gives each
  ready step, by ``dagster/priority``, to an idle worker over that worker's pipe, with the number
  of attempts so far; retries are re-queued here. Records come back over the same pipe while the
  step runs; the parent stores and logs each one (:meth:`PlanExecutionContext.forward`): it is the
  only writer of the run's events.
- A worker that dies mid-step (killed, ``os._exit``, a segfault, the OOM killer) costs only its
  step: an ``ENGINE_EVENT`` names its pid and exit code or signal, the parent emits the step's
  ``STEP_FAILURE`` quoting the end of the worker's stderr (what it wrote before it captured its
  output too: :mod:`.worker_pool`), and a fresh worker is started if there is more work. A worker
  that died starting because the script re-ran the pipeline when the worker imported it (no
  ``if __name__ == "__main__":``, the spawn bootstrapping ``RuntimeError``) says so, and the fix.
- ``KeyboardInterrupt`` in the parent: every worker is stopped (SIGTERM after a short grace, then
  SIGKILL; workers ignore SIGINT themselves), in-flight steps get ``STEP_FAILURE``, and the
  interrupt is re-raised (the run is then marked CANCELED).
- ``raise_on_error``: after the first ``STEP_FAILURE`` no new step starts; steps in flight finish
  (their events are stored), workers close, then :class:`~..errors.DagsterSubprocessError` is raised
  carrying every failure's error info (the user's exception does not cross the process boundary as
  an object, only as data).
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
from ..events import DagsterEvent, EngineEventData, StepFailureData
from ..execution.contexts import PlanExecutionContext
from ..execution.loop import skip_events
from ..execution.step_events import step_event
from ..plan.active import ActiveExecution
from ..plan.plan import ExecutionPlan
from ..plan.retries import Retries
from ..user_events import EventMetadataEntry
from . import worker_main
from .debug_relay import DebugRelay
from .failures import step_failures_error
from .worker_main import WorkerSpec, worker_tag
from .worker_pool import OutputRelay, WorkerPool, WorkerProcess, cpu_count

__all__ = ["START_METHODS", "MultiprocessExecutor", "create"]

#: the start methods a worker may be started with (``fork`` is unsafe in a process with threads)
START_METHODS = ("spawn", "forkserver")
#: the longest the parent sleeps in one wait (it also wakes for every record and every exit)
POLL_SECONDS = 1.0

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
        run = _PoolRun(
            pipeline_context,
            execution_plan,
            self._retries,
            WorkerPool(self.start_method, spec, size),
        )
        yield run.engine(
            f"Executing steps in {size} worker processes (start method {self.start_method}, "
            f"parent pid: {os.getpid()})",
            (
                EventMetadataEntry.text(str(size), "workers"),
                EventMetadataEntry.text(self.start_method, "start method"),
            ),
            marker_start="multiprocess",
        )
        yield from run.run()


class _PoolRun:
    """One run's scheduling loop over a :class:`WorkerPool`."""

    def __init__(
        self,
        ctx: PlanExecutionContext,
        plan: ExecutionPlan,
        retries: Retries,
        pool: WorkerPool,
    ):
        self.ctx = ctx
        self.plan = plan
        self.retries = retries
        self.pool = pool
        self.active = ActiveExecution(plan, retries)
        self.failures: list[tuple[str, SerializableErrorInfo | None]] = []
        self.stop_scheduling = False
        self.output = OutputRelay()
        self.debug = DebugRelay()

    # --- the loop --------------------------------------------------------------------------------

    def run(self) -> Iterator[DagsterEvent]:
        start = time.perf_counter()
        try:
            while not self.active.is_complete:
                yield from self._skip_and_start()
                if self.active.is_complete:
                    break
                if self.stop_scheduling and not self.active.in_flight:
                    break
                timeout = POLL_SECONDS
                wait = self.active.seconds_until_retry()
                if wait is not None:
                    timeout = min(timeout, wait)
                for worker, message in self.pool.poll(timeout):
                    yield from self._handle(worker, message)
        except BaseException as exc:
            self.output.flush()
            yield from self._abandon(exc)
            raise
        yield from self._close_workers()
        self.output.flush()
        elapsed = (time.perf_counter() - start) * 1000
        yield self.engine(
            f"Finished steps in worker processes in {elapsed:.0f}ms",
            (EventMetadataEntry.text(str(len(self.plan.step_keys_to_execute)), "steps"),),
            marker_end="multiprocess",
        )
        if self.stop_scheduling and self.failures:
            raise step_failures_error(self.failures, "worker processes")

    def _skip_and_start(self) -> Iterator[DagsterEvent]:
        yield from skip_events(self.ctx, self.active)
        if self.stop_scheduling:
            return
        free = self.pool.free_slots()
        if free <= 0:
            return
        for step in self.active.get_steps_to_execute(free):
            idle = self.pool.idle()
            if idle:
                worker = idle[0]
            else:
                worker = self.pool.start_worker()
                yield self.engine(
                    f"Started worker process {worker.index} (pid: {worker.pid})",
                    (EventMetadataEntry.text(str(worker.pid), "pid"),),
                )
            try:
                worker.assign(step.key, self.retries.get_attempt_count(step.key))
            except (BrokenPipeError, OSError):
                worker.step_key = step.key
                worker.process.join(1.0)
                yield from self._worker_died(worker)

    def _handle(self, worker: WorkerProcess, message: Any) -> Iterator[DagsterEvent]:
        if message is None:
            yield from self._worker_died(worker)
            return
        kind = message[0]
        if kind == "output":
            if message[2] == "stderr":
                worker.note_stderr(message[3])
            self.output.write(message[1], message[2], message[3])
        elif kind == "record":
            record = message[1]
            self.ctx.forward(record)
            event = record.dagster_event
            if event is not None:
                yield from self._step_event(event)
        elif kind == "debug":
            self.debug.handle(worker, message)
            if self.debug.pending is not None:
                # this thread is about to wait for the user: first take in what the others sent
                for other, later in self.pool.poll(0):
                    yield from self._handle(other, later)
                self.debug.serve()
        elif kind == "done":
            self.debug.release(worker)
            worker.step_key = None
            self.output.flush(message[1])
            yield from self._check_unfinished(message[1])
        elif kind == "error":
            worker.step_key = None
            self.output.flush(message[1], worker_tag(worker.pid))
            if message[1] in self.active.in_flight:  # not when the step reported its failure
                yield from self._fail_step(message[1], message[2], "the worker could not run it")

    def _step_event(self, event: DagsterEvent) -> Iterator[DagsterEvent]:
        self.active.handle_event(event)
        if event.event_type_value == "STEP_FAILURE":
            info = event.event_specific_data.error if event.event_specific_data else None
            self.failures.append((event.step_key or "", info))
            if self.ctx.raise_on_error:
                self.stop_scheduling = True
        yield event

    def _check_unfinished(self, step_key: str) -> Iterator[DagsterEvent]:
        """A step that ended in its worker without success, failure or a retry request (which
        should not happen) is failed rather than waited for forever. A step up for retry may
        already be running again on another worker: that is not this case."""
        if step_key in self.active.in_flight and not any(
            w.step_key == step_key for w in self.pool.workers
        ):
            yield from self._fail_step(
                step_key, None, "it ended in its worker without reporting success or failure"
            )

    # --- failures --------------------------------------------------------------------------------

    def _worker_died(self, worker: WorkerProcess) -> Iterator[DagsterEvent]:
        step_key = worker.step_key
        self.output.flush(*([step_key] if step_key else []), worker_tag(worker.pid))
        self.debug.release(worker)
        self.pool.remove(worker)
        worker.stop(0)
        how = worker.exit_description
        tail = worker.stderr_tail()
        self._show_stderr(worker)
        worker.release()
        remedy = _remedy(tail)
        doing = f' while running step "{step_key}"' if step_key else ""
        entries = [
            EventMetadataEntry.text(str(worker.pid), "pid"),
            EventMetadataEntry.text(how, "exit"),
        ]
        if tail:
            entries.append(EventMetadataEntry.text(tail, "stderr"))
        yield self.engine(
            f"Worker process {worker.index} (pid: {worker.pid}) died{doing}: {how}"
            + (f". {remedy}" if remedy else ""),
            tuple(entries),
        )
        if step_key is not None and step_key in self.active.in_flight:
            why = f"its worker process (pid: {worker.pid}) died: {how}"
            if remedy:
                why += f". {remedy}"
            if tail:
                why += f"\nThe end of the worker's stderr:\n{textwrap.indent(tail, '    ')}\n"
            yield from self._fail_step(
                step_key,
                SerializableErrorInfo(
                    f"Worker process {worker.pid} died ({how}) while running the step."
                    + (f" {remedy}" if remedy else "")
                    + (f"\nThe end of its stderr:\n{tail}" if tail else "")
                    + "\n",
                    (),
                    "ChildProcessCrashException",
                ),
                why,
            )

    def _show_stderr(self, worker: WorkerProcess) -> None:
        """Show what the worker wrote to its stderr file (not sent as output)."""
        text = worker.unshown_stderr()
        if text:
            tag = worker_tag(worker.pid)
            self.output.write(tag, "stderr", text)
            self.output.flush(tag)

    def _fail_step(
        self, step_key: str, info: SerializableErrorInfo | None, why: str
    ) -> Iterator[DagsterEvent]:
        step = self.plan.get_step_by_key(step_key)
        event = step_event(
            self.ctx.for_step(step),
            "STEP_FAILURE",
            StepFailureData(info),
            f'Execution of step "{step_key}" failed: {why.rstrip()}'
            + ("" if why.endswith("\n") else "."),
        )
        yield from self._step_event(event)

    def _abandon(self, exc: BaseException) -> Iterator[DagsterEvent]:
        """Interrupted (or the consumer stopped): stop every worker, fail the steps in flight."""
        in_flight = self.active.mark_interrupted()
        stopped = self.pool.terminate_all()
        for worker in stopped:
            self._show_stderr(worker)
            worker.release()
        if isinstance(exc, GeneratorExit):
            return  # nothing may be yielded any more; the workers are gone
        for worker in stopped:
            yield self.engine(
                f"Stopped worker process {worker.index} (pid: {worker.pid}): {exc.__class__.__name__}",
                (EventMetadataEntry.text(str(worker.pid), "pid"),),
            )
        for key in in_flight:
            step = self.plan.get_step_by_key(key)
            event = step_event(
                self.ctx.for_step(step),
                "STEP_FAILURE",
                StepFailureData(
                    SerializableErrorInfo(f"{exc.__class__.__name__}\n", (), type(exc).__name__)
                ),
                f'Execution of step "{key}" failed: the run was interrupted and its worker '
                "process was stopped.",
            )
            self.active.handle_event(event)
            yield event

    def _close_workers(self) -> Iterator[DagsterEvent]:
        for worker, message in self.pool.close():
            if message == "stopped":
                self._show_stderr(worker)
                worker.release()
                self.output.flush(worker_tag(worker.pid))
                yield self.engine(
                    f"Stopped worker process {worker.index} (pid: {worker.pid})",
                    (EventMetadataEntry.text(str(worker.pid), "pid"),),
                )
            elif message[0] == "output":
                self.output.write(message[1], message[2], message[3])
            elif message[0] == "record":
                self.ctx.forward(message[1])
                if message[1].dagster_event is not None:
                    yield message[1].dagster_event

    # --- events ----------------------------------------------------------------------------------

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
