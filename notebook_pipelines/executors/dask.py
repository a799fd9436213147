"""The Dask executor (extra ``dask``): each step of the plan is a ``dask.distributed`` task.

Every mode that names no executors offers it when the extra is installed: select it with
``execution: {dask: {config: {cluster: {local: {...}} | {existing: {address}}}}}``. Its definition,
``dask_executor`` (re-exported here), lives in :mod:`..definitions.executor` and finds this module
by name (it registers itself at the bottom; :mod:`..executors` imports it on first use), so that
offering it imports no Dask; a mode with its own ``executor_defs`` lists it there.

How a run goes: the run's one scheduling loop (:func:`~..execution.loop.run_steps`) decides what
runs, retries, skips and stops, as for every executor; this module is only its :class:`DaskLauncher`:

- each step the loop launches (a ready step: its inputs are done) is submitted as one task, keyed
  ``<run_id>-<step_key>-<attempt>`` with the step's ``dagster/priority``: Dask places it on
  whichever worker it likes;
- in a worker, the task gets the run's :class:`~..execution.worker.StepWorker` (built once per run
  per worker process: pipeline, resources and storage are set up once) and runs that one attempt;
  a step that requests a retry reports ``STEP_UP_FOR_RETRY`` and ends; the loop submits the next
  attempt after ``seconds_to_wait`` (no sleeping inside a task);
- what the worker sends — the typed messages of :mod:`..execution.messages` (records, a step's
  ``print`` output a line at a time, :mod:`.step_output`, and ``Done``) — travels to the parent
  through a Dask ``Queue`` named after the run, while the step runs; the parent waits on that
  queue (a blocking get, woken by the first message) and looks at the tasks' futures at least every
  ``LOST_CHECK_SECONDS``; the loop stores and logs each record (the parent is the only writer of
  the run's events) and shows the output tagged with the step (``[total.compute] ...``), as for the
  multiprocess executor: in a notebook, in the cell that runs the pipeline;
- at the end, each worker that ran a step tears its resources down (a task pinned to that worker),
  and the parent closes the client — and the cluster, when it started one (its scheduler and
  workers log at WARNING and above only).

A worker that dies while running a step (killed, crashed, out of memory) fails only that step, as
in the multiprocess executor: Dask submits the task again on another worker, but the task claims
its attempt in the run's directory before running it (``<run dir>/dask-steps/<step_key>.<attempt>
.claim``, removed at the end of the run), so the second run of the task does not run the solid
again: it reports the loss (an ``ENGINE_EVENT`` naming the lost worker and the step's
``STEP_FAILURE``, error ``DaskWorkerLostError``); the steps downstream are skipped, the others run,
the run fails. (When Dask itself gives the task up — ``KilledWorker``, after
``distributed.scheduler.allowed-failures`` workers died with it — the step fails the same way.)
Dask's own task retries are off (``retries=0``): retries are the step's.

Ctrl-C / a kernel interrupt in the parent: what the workers sent so far is stored, the run's tasks
not finished are cancelled, the steps in flight get ``STEP_FAILURE`` and the interrupt is re-raised
(the run is then CANCELED). A cluster the run started is stopped at once (a worker busy with a step
is killed after ``STOP_TIMEOUT``); on an ``existing`` cluster, Dask cannot stop a task already
running: that step runs to its end in its worker (nothing downstream of it starts), and the
resource teardown tasks are left to run after it.

``raise_on_error`` (the loop's rule, as for the multiprocess executor): after the first
``STEP_FAILURE`` no new step is submitted, the steps in flight finish, then
:class:`~..errors.DagsterSubprocessError` is raised carrying every failure's error info.

Values pass between steps through the run's filesystem intermediates under the instance's root
directory: every worker of a local cluster reaches it; workers on other machines need that directory
on a shared filesystem at the same path.

A breakpoint (``context.pdb.set_trace()``, ``breakpoint()``) in a step fails that step at once:
this executor has no debugger relay (:func:`~..execution.debug_io.no_relay`); the error says to
debug with the in-process or multiprocess executor, or post-mortem (which works for Dask runs).

Importing this module without ``dask.distributed`` raises an ``ImportError`` saying how to install
the extra.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

try:
    import distributed
except ImportError as _exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "The dask executor needs dask.distributed, which is not installed: "
        "pip install 'notebook-pipelines[dask]'"
    ) from _exc

from ..definitions import registry
from ..definitions.executor import Executor, dask_executor
from ..errors import (
    DagsterInvariantViolationError,
    SerializableErrorInfo,
    serializable_error_info_from_exc_info,
)
from ..events import DagsterEvent, EngineEventData, EventRecord
from ..execution import debug_io
from ..execution.contexts import PlanExecutionContext
from ..execution.loop import elapsed_ms, run_steps, step_failures_error
from ..execution.messages import Done, Message, Output, Record, WorkerLost, decode, encode
from ..execution.worker import StepWorker, worker_instance
from ..plan.plan import ExecutionPlan
from ..plan.retries import Retries
from ..plan.steps import ExecutionStep
from ..storage.runs import PipelineRun
from ..user_events import EventMetadataEntry
from .step_output import SendingStream, flush_all, relayed_output

__all__ = ["DaskExecutor", "create", "dask_executor"]

#: how long the parent waits for each worker's resource teardown at the end of a run
TEARDOWN_TIMEOUT = 60.0
#: interrupted: how long a worker of a cluster the run started has to stop before it is killed
STOP_TIMEOUT = 1.0
#: how long the run's client gathers messages to the scheduler (submissions) before it sends them
SUBMIT_INTERVAL = 0.001
#: the longest the parent waits on the queue before it looks at the futures of the tasks in flight
#: (a task whose worker died, or that Dask gave up, sends nothing)
LOST_CHECK_SECONDS = 0.25


# --- what a task needs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSpec:
    """What a worker needs to run steps of a run (picklable, sent with every task)."""

    #: a ``ReconstructablePipeline`` (``reconstruct`` is in this layer: not imported here)
    pipeline: Any
    pipeline_run: PipelineRun
    instance_root: str
    capture_compute_logs: bool
    queue_name: str

    @property
    def run_id(self) -> str:
        return self.pipeline_run.run_id


class _Sender:
    """Sends a worker's messages to the parent's queue from a thread of its own, in order, as many
    at a time as have gathered: what a step prints does not wait for a round trip to the
    scheduler per line; :meth:`flush` waits until everything sent so far is in the queue (every
    record does, so that none is lost when the worker dies)."""

    def __init__(self, queue: Any):
        self.queue = queue
        self.pending: list[Message] = []
        self.sending = False
        self.error: BaseException | None = None
        self.condition = threading.Condition()
        self.thread: threading.Thread | None = None

    def send(self, message: Message) -> None:
        with self.condition:
            self.pending.append(message)
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._run, name="notebook-pipelines-sender", daemon=True
                )
                self.thread.start()
            self.condition.notify_all()

    def _run(self) -> None:
        while True:
            with self.condition:
                while not self.pending:
                    self.condition.wait()
                batch, self.pending = self.pending, []
                self.sending = True
            try:
                self.queue.put(encode(*batch))
            except BaseException as error:  # the queue is gone: the parent will not hear it
                self.error = error
            with self.condition:
                self.sending = False
                self.condition.notify_all()

    def flush(self) -> None:
        with self.condition:
            while self.pending or self.sending:
                self.condition.wait()
            error, self.error = self.error, None
        if error is not None:
            raise error


class _WorkerRun:
    """A run's state in one worker process: its StepWorker and the queue to the parent."""

    def __init__(self, spec: RunSpec):
        self.queue = distributed.Queue(spec.queue_name)
        self.sender = _Sender(self.queue)
        self.lock = threading.Lock()  # one step at a time per process (fd capture, resources)
        self.streams: list[SendingStream] = []  # the running step's stdout/stderr, to the parent
        try:
            instance = worker_instance(spec.instance_root, spec.capture_compute_logs)
            self.step_worker = StepWorker(
                spec.pipeline.get_definition(), spec.pipeline_run, instance, self.send_record
            )
        except BaseException:
            self.queue.close()  # no reference to the queue left behind by a failed setup
            raise

    def send_record(self, record: EventRecord) -> None:
        """Send ``record`` after what the step printed before it, and wait until it is in the
        queue: a record made before the worker dies (killed, crashed) still reaches the parent."""
        flush_all(self.streams)
        self.send(Record(record))
        self.sender.flush()

    def send(self, message: Message) -> None:
        self.sender.send(message)


_RUNS: dict[str, _WorkerRun] = {}
_RUNS_LOCK = threading.Lock()


def _worker_run(spec: RunSpec) -> _WorkerRun:
    with _RUNS_LOCK:
        run = _RUNS.get(spec.run_id)
        if run is None:
            run = _RUNS[spec.run_id] = _WorkerRun(spec)
        return run


#: why a breakpoint in a step of this executor cannot stop, and what to do instead
NO_RELAY = (
    "the Dask executor has no debugger relay (its steps run in Dask workers, which cannot "
    "prompt and pass no prompt on to this process)"
)
NO_RELAY_REMEDY = (
    "To stop at the breakpoint, run the pipeline with the in-process or the multiprocess "
    "executor. Post-mortem works for Dask runs: %pipeline_debug RUN_ID STEP_KEY in a notebook, "
    "result.debug_step(STEP_KEY), or load_step_inputs(RUN_ID, STEP_KEY) to get the step's inputs."
)


# --- the tasks --------------------------------------------------------------------------------------


def run_step_task(spec: RunSpec, step_key: str, attempt: int, *_upstream: None) -> None:
    """The Dask task of one attempt of a step: run it; its messages go to the parent's queue,
    ``Done`` last (or ``WorkerLost`` when Dask runs the task again after its worker died).
    ``_upstream`` are the results (None) of its upstream steps' tasks: only for Dask's placement,
    which prefers the worker that ran them (the run is set up there, its values are local)."""
    address = _worker_address()
    run: _WorkerRun | None = None
    try:
        run = _worker_run(spec)
        claims = _StepClaims(spec)
        claim = f"{step_key}.{attempt}"
        previous = claims.claim(claim, address)
        if previous is not None:
            # Dask runs this task again because the worker of an earlier run of it died: never run
            # the step twice (the multiprocess executor's rule: a dead worker fails its step). An
            # earlier run that got as far as its Done said everything already.
            if not claims.is_done(claim):
                run.send(_lost(step_key, attempt, previous, address))
                run.sender.flush()
            return
        with (
            debug_io.no_relay(NO_RELAY, NO_RELAY_REMEDY),
            run.lock,
            relayed_output(_sender(run, step_key), run.streams),
        ):
            run.step_worker.run(step_key, attempt)
        run.send(Done(step_key, attempt, worker=address))
        run.sender.flush()  # in the queue before the claim says the attempt said everything
        claims.finish(claim)
    except Exception:
        # an engine error (the pipeline cannot be rebuilt here, the queue is gone...): the parent
        # reports it as the step's failure, unless the step reported one
        done = Done(
            step_key,
            attempt,
            serializable_error_info_from_exc_info(),
            f"the Dask worker {address} could not run it (an error in the executor, not in the "
            "solid)",
            address,
        )
        _send_done(spec, run, done)


def _lost(step_key: str, attempt: int, lost_worker: str, address: str) -> WorkerLost:
    exc = DaskWorkerLostError(
        f"the Dask worker {lost_worker} running step {step_key} was lost (its process died: "
        "killed, crashed or out of memory)"
    )
    return WorkerLost(
        step_key,
        attempt,
        serializable_error_info_from_exc_info((type(exc), exc, None)),
        f"the Dask worker {lost_worker} was lost while running it (the step is not run again)",
        f"The Dask worker {lost_worker} died while running step {step_key}; Dask submitted its "
        f"task again (on {address or 'a worker'}), which did not run the step a second time.",
    )


class _StepClaims:
    """Which attempts of a run's steps a task has started, in the run's directory (which every
    worker reaches, as for the intermediates): a task creates ``<step_key>.<attempt>.claim``
    exclusively before it runs the attempt and ``<step_key>.<attempt>.done`` after. A task that
    finds the claim taken is Dask running it again after the worker of the first run died."""

    def __init__(self, spec: RunSpec):
        self.folder = claims_directory(spec.instance_root, spec.run_id)

    def claim(self, name: str, address: str) -> str | None:
        """Claim ``name``; None when claimed now, else who claimed it first."""
        os.makedirs(self.folder, exist_ok=True)
        path = os.path.join(self.folder, f"{name}.claim")
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            with open(path, encoding="utf-8") as file:
                return file.read() or "a worker"
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(f"{address or 'a worker'} (pid {os.getpid()})")
        return None

    def finish(self, name: str) -> None:
        with open(os.path.join(self.folder, f"{name}.done"), "w", encoding="utf-8"):
            pass

    def is_done(self, name: str) -> bool:
        return os.path.exists(os.path.join(self.folder, f"{name}.done"))


def claims_directory(instance_root: str, run_id: str) -> str:
    """Where the tasks of run ``run_id`` claim their steps (removed by the parent at the end)."""
    return os.path.join(instance_root, "storage", run_id, "dask-steps")


def _sender(run: _WorkerRun, step_key: str) -> Callable[[str, str], None]:
    def send(stream: str, text: str) -> None:
        run.send(Output(step_key, stream, text))

    return send


def _send_done(spec: RunSpec, run: _WorkerRun | None, message: Done) -> None:
    if run is not None:
        run.send(message)
        run.sender.flush()
        return
    # the run could not be set up in this process: a reference to the queue just for this message
    queue = distributed.Queue(spec.queue_name)
    try:
        queue.put(encode(message))
    finally:
        queue.close()


def close_run_task(run_id: str) -> bool:
    """Tear down this worker process's resources of run ``run_id`` (their records go to the
    parent through the queue). False when this process had nothing of that run."""
    with _RUNS_LOCK:
        run = _RUNS.pop(run_id, None)
    if run is None:
        return False
    with run.lock:
        run.step_worker.close()
    try:
        run.sender.flush()  # the teardown's records are in the queue when this task ends
    finally:
        run.queue.close()
    return True


def _worker_address() -> str:
    try:
        return distributed.get_worker().address
    except ValueError:
        return ""


# --- the parent -------------------------------------------------------------------------------------


class _Cluster:
    """The client the run uses, and the local cluster it started (if any)."""

    def __init__(self, config: Mapping[str, Any]):
        ((kind, options),) = dict(config or {"local": {}}).items()
        self.cluster: Any = None
        if kind == "existing":
            address = options["address"]
            self.description = f"the Dask cluster at {address}"
            try:
                self.client = distributed.Client(address, set_as_default=False)
            except OSError as exc:
                raise DagsterInvariantViolationError(
                    f'The dask executor cannot reach the Dask scheduler at "{address}" '
                    f"({exc}). Start one (`dask scheduler`, or a LocalCluster) or correct "
                    "execution:dask:config:cluster:existing:address."
                ) from exc
        else:
            self.cluster = distributed.LocalCluster(
                n_workers=options.get("n_workers", 2),
                threads_per_worker=options.get("threads_per_worker", 1),
                processes=options.get("processes", True),
                dashboard_address=":0",  # never a fixed port another cluster may hold
                silence_logs=logging.WARNING,  # no INFO chatter from the scheduler and workers
            )
            self.client = distributed.Client(self.cluster, set_as_default=False)
            self.description = f"a local Dask cluster at {self.cluster.scheduler_address}"
        # the loop submits each step when its inputs are done: the client's batched stream to the
        # scheduler (10 ms between batches) would hold a submission back for up to that long
        with contextlib.suppress(AttributeError):
            self.client.scheduler_comm.interval = SUBMIT_INTERVAL

    def stop_now(self) -> None:
        """Interrupted: stop the workers of the cluster the run started without the nannies' grace
        of several seconds for a task still running (its process is killed after
        ``STOP_TIMEOUT``). Nothing for an ``existing`` cluster: its workers are not the run's."""
        if self.cluster is None:
            return
        workers = list(getattr(self.cluster, "workers", {}).values())

        async def stop() -> None:
            await asyncio.gather(
                *(w.close(timeout=STOP_TIMEOUT, reason="run-interrupted") for w in workers),
                return_exceptions=True,
            )

        with contextlib.suppress(Exception):
            self.cluster.sync(stop)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


class DaskExecutor(Executor):
    """Submits each ready step as a Dask task; Dask places it on a worker."""

    def __init__(self, pipeline: Any, cluster: Mapping[str, Any], retries: Retries):
        self.pipeline = pipeline
        self.cluster_config = dict(cluster)
        self._retries = retries

    @property
    def retries(self) -> Retries:
        return self._retries

    def execute(
        self, pipeline_context: PlanExecutionContext, execution_plan: ExecutionPlan
    ) -> Iterator[DagsterEvent]:
        start = time.perf_counter()
        cluster = _Cluster(self.cluster_config)
        launcher: DaskLauncher | None = None
        try:
            launcher = DaskLauncher(self, pipeline_context, cluster)
            workers = len(cluster.client.scheduler_info().get("workers", {}))
            yield pipeline_context.engine_event(
                f"Executing steps on {cluster.description} ({workers} workers)",
                EngineEventData(
                    (EventMetadataEntry.text(str(workers), "workers"),), marker_start="dask"
                ),
            )
            failures = yield from run_steps(
                pipeline_context, execution_plan, self._retries, launcher
            )
            steps = len(execution_plan.step_keys_to_execute)
            yield pipeline_context.engine_event(
                f"Finished steps on {cluster.description} in {elapsed_ms(start)}",
                EngineEventData((EventMetadataEntry.text(str(steps), "steps"),), marker_end="dask"),
            )
            if failures:
                raise step_failures_error(failures, "Dask workers")
        finally:
            try:
                if launcher is not None:
                    launcher.release()
            finally:
                try:
                    if launcher is not None and launcher.interrupted:
                        cluster.stop_now()
                finally:
                    cluster.close()


class DaskLauncher:
    """Submits the loop's steps as Dask tasks and passes on what their workers send."""

    capacity: int | None = None  # every ready step: Dask places them
    where: str | None = "Dask workers"

    def __init__(self, executor: DaskExecutor, ctx: PlanExecutionContext, cluster: _Cluster):
        self.ctx = ctx
        self.client = cluster.client
        instance = ctx.instance
        self.spec = RunSpec(
            executor.pipeline,
            ctx.pipeline_run,
            instance.root_directory,
            instance.compute_log_manager.enabled,
            f"notebook-pipelines-{ctx.run_id}",
        )
        self.queue = distributed.Queue(self.spec.queue_name, client=self.client)
        #: the task of each attempt in flight, by step key: (attempt, future)
        self.tasks: dict[str, tuple[int, Any]] = {}
        #: the last task of each step that ended (its downstream tasks name it for placement)
        self.finished: dict[str, Any] = {}
        self.workers: set[str] = set()  # the workers that ran a step (their resources to close)
        self.closed = False
        self.interrupted = False
        self.owns_cluster = cluster.cluster is not None

    def launch(self, step: ExecutionStep, attempt: int) -> tuple[()]:
        # the upstream steps' tasks (one may still be ending: its step reported success before its
        # Done), for Dask to place this one where they ran
        upstream = [
            future
            for future in (
                self.finished.get(k) or self.tasks.get(k, (0, None))[1]
                for k in sorted(step.upstream_step_keys)
            )
            if future is not None
        ]
        future = self.client.submit(
            run_step_task,
            self.spec,
            step.key,
            attempt,
            *upstream,
            key=f"{self.ctx.run_id}-{step.key}-{attempt}",
            priority=step.priority,
            pure=False,
            retries=0,  # retries are the step's own (the loop's), not Dask's
        )
        self.tasks[step.key] = (attempt, future)
        return ()

    def poll(self, timeout: float | None) -> Iterator[Message]:
        wait = LOST_CHECK_SECONDS if timeout is None else min(timeout, LOST_CHECK_SECONDS)
        gone = [(k, a, f) for k, (a, f) in self.tasks.items() if _gone(f)]
        yield from self._received(wait)
        for key, attempt, future in gone:  # after the queue: whatever they sent before is in
            if self.tasks.get(key, (None,))[0] == attempt:
                del self.tasks[key]
                yield _lost_task(key, attempt, future)

    def _received(self, wait: float) -> Iterator[Message]:
        """What the workers sent: the first batch of messages to arrive within ``wait`` seconds
        (the next poll takes the next at once), or with ``wait`` 0 every batch in the queue."""
        if wait > 0:
            try:
                items = [self.queue.get(timeout=wait)]
            except (TimeoutError, asyncio.TimeoutError):
                items = []
        else:
            items = self.queue.get(batch=True)
        for message in (m for item in items for m in decode(item)):
            if isinstance(message, Done):
                if message.worker:
                    self.workers.add(message.worker)
                task = self.tasks.get(message.step_key)
                if task is not None and task[0] == message.attempt:
                    del self.tasks[message.step_key]
                    self.finished[message.step_key] = task[1]
            yield message

    # --- the end -------------------------------------------------------------------------------

    def shutdown(self, error: BaseException | None) -> Iterator[Message]:
        if error is None:
            yield from self._close_workers()
            return
        self.interrupted = isinstance(error, KeyboardInterrupt)
        # what the workers sent so far, then cancel the tasks not finished (a step already running
        # in a worker of an ``existing`` cluster runs to its end: Dask cannot stop a running task)
        yield from self._received(0)
        unfinished = [future for _, future in self.tasks.values()]
        if unfinished:
            self.client.cancel(unfinished)
        if self.interrupted and self.owns_cluster:
            self.closed = True  # closing the cluster stops its workers, resources and all
        else:
            # workers still running a step would make the teardown wait for it
            grace = 0.0 if self.interrupted or self.tasks else 2.0
            yield from self._close_workers(timeout=grace)

    def stopped(self, error: BaseException) -> tuple[SerializableErrorInfo | None, str]:
        how = "interrupted" if isinstance(error, KeyboardInterrupt) else "stopped"
        return None, (
            f"the run was {how} before it finished (its Dask task was cancelled"
            + (", its worker stopped)" if self.owns_cluster else ")")
        )

    def _close_workers(self, timeout: float = TEARDOWN_TIMEOUT) -> Iterator[Message]:
        """Tear down the resources of every worker that ran a step (waiting at most ``timeout``
        seconds); pass on their messages."""
        self.closed = True
        alive = set(self.client.scheduler_info().get("workers", {}))
        closes = [
            self.client.submit(
                close_run_task,
                self.ctx.run_id,
                key=f"{self.ctx.run_id}-close-{i}",
                workers=[address],
                allow_other_workers=False,
                pure=False,
            )
            for i, address in enumerate(sorted(self.workers & alive))
        ]
        for future in closes:  # run even when the parent leaves without waiting (interrupted)
            distributed.fire_and_forget(future)
        deadline = time.monotonic() + timeout
        for future in closes:
            try:  # a worker that cannot tear down does not fail the run: its records say why
                future.result(timeout=max(0.0, deadline - time.monotonic()))
            except Exception:
                pass
        yield from self._received(0)

    def release(self) -> None:
        """On the way out: release the queue and the run's step claims."""
        try:
            self.queue.close()
        finally:
            shutil.rmtree(
                claims_directory(self.spec.instance_root, self.ctx.run_id), ignore_errors=True
            )


def _lost_task(step_key: str, attempt: int, future: Any) -> WorkerLost:
    """A task that ended without reporting (its worker lost, Dask gave it up, cancelled)."""
    exc = future.exception() if future.status == "error" else None
    if exc is None:
        exc = RuntimeError(f"the Dask task of step {step_key} was {future.status}")
    info = serializable_error_info_from_exc_info((type(exc), exc, exc.__traceback__))
    why = "its Dask task ended without reporting"
    if isinstance(exc, distributed.KilledWorker):
        why = "the Dask worker running it was lost (Dask gave its task up)"
    return WorkerLost(step_key, attempt, info, f"{why} ({type(exc).__name__}: {exc})")


class DaskWorkerLostError(Exception):
    """The Dask worker running a step died (the error of that step's ``STEP_FAILURE``)."""


def _gone(future: Any) -> bool:
    return future.status in ("error", "cancelled", "lost")


def create(init_context: Any) -> DaskExecutor:
    """Creation function of ``dask_executor``."""
    config = init_context.executor_config
    return DaskExecutor(
        init_context.pipeline,
        config.get("cluster") or {"local": {}},
        Retries.from_config(config.get("retries")),
    )


registry.executors.register(dask_executor.name, create)
