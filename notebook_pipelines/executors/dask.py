"""The Dask executor (extra ``dask``): each step of the plan is a ``dask.distributed`` task.

Every mode that names no executors offers it when the extra is installed: select it with
``execution: {dask: {config: {cluster: {local: {...}} | {existing: {address}}}}}``. Its definition,
``dask_executor`` (re-exported here), lives in :mod:`..definitions.executor` and finds this module
by name (it registers itself at the bottom; :mod:`..executors` imports it on first use), so that
offering it imports no Dask; a mode with its own ``executor_defs`` lists it there.

How a run goes:

- the parent submits every step as a task whose arguments include the futures of the steps it
  depends on, keyed ``<run_id>-<step_key>`` with the step's ``dagster/priority``: Dask schedules the
  steps, in dependency order, on whichever workers it likes;
- in a worker, the task gets the run's :class:`~..execution.worker.StepWorker` (built once per run
  per worker process: pipeline, resources and storage are set up once) and runs the step — or, when
  an upstream step failed, was skipped or did not yield an output the step needs, does not run it
  and reports it skipped (the rule of :class:`~..plan.active.ActiveExecution`, applied to the
  summaries its upstream tasks returned). A step that requests a retry runs again in the same task
  after ``seconds_to_wait`` (``STEP_UP_FOR_RETRY`` then ``STEP_RESTARTED``);
- what a step prints (``sys.stdout`` / ``sys.stderr``) travels to the parent, a line at a time
  (:mod:`.step_output`), and is shown there tagged with the step (``[total.compute] ...``), as
  for the multiprocess executor: in a notebook, in the cell that runs the pipeline;
- every record a worker makes travels to the parent while the step runs, through a Dask ``Queue``
  named after the run; the parent stores and logs it (it is the only writer of the run's events)
  and yields its event;
- at the end, each worker that ran a step tears its resources down (a task pinned to that worker),
  and the parent closes the client — and the cluster, when it started one (its scheduler and
  workers log at WARNING and above only).

A worker that dies while running a step (killed, crashed, out of memory) fails only that step, as
in the multiprocess executor: Dask submits the task again on another worker, but the task claims
its step in the run's directory before running it (``<run dir>/dask-steps/<step_key>.claim``,
removed at the end of the run), so the second attempt does not run the solid again: it reports an
``ENGINE_EVENT`` naming the lost worker and the step's ``STEP_FAILURE`` (error
``DaskWorkerLostError``); the steps downstream are skipped, the others run, the run fails. (When
Dask itself gives the task up — ``KilledWorker``, after ``distributed.scheduler.allowed-failures``
workers died with it — the step fails the same way. Tasks that were only queued on the dead worker
run normally elsewhere.) Dask's own task retries are off (``retries=0``): retries are the step's.

Ctrl-C / a kernel interrupt in the parent: what the workers sent so far is stored, the run's tasks
not finished are cancelled, the steps in flight get ``STEP_FAILURE`` and the interrupt is re-raised
(the run is then CANCELED). A cluster the run started is stopped at once (a worker busy with a step
is killed after ``STOP_TIMEOUT``); on an ``existing`` cluster, Dask cannot stop a task already
running: that step runs to its end in its worker (nothing downstream of it starts), and the
resource teardown tasks are left to run after it.

``raise_on_error``: the run goes to its end (steps downstream of a failure are skipped, the others
run), then :class:`~..errors.DagsterSubprocessError` is raised carrying every failure's error info,
as the multiprocess executor does.

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
import json
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
from ..errors import DagsterInvariantViolationError, serializable_error_info_from_exc_info
from ..events import DagsterEvent, EngineEventData, EventRecord, StepFailureData
from ..execution import debug_io
from ..execution.contexts import PlanExecutionContext
from ..execution.step_events import step_event
from ..execution.step_runner import SKIPPED_FOR_FAILURE, SKIPPED_FOR_UPSTREAM, skipped_step_events
from ..execution.worker import StepWorker, worker_instance
from ..plan.active import ABANDON, AVAILABLE, FAILED, NOT_PRODUCED, RUN, decide_step
from ..plan.plan import ExecutionPlan
from ..plan.retries import Retries
from ..plan.steps import ExecutionStep
from ..serdes import deserialize, serialize
from ..storage.runs import PipelineRun
from ..user_events import EventMetadataEntry
from .failures import step_failures_error
from .step_output import SendingStream, flush_all, relayed_output
from .worker_pool import OutputRelay

__all__ = ["DaskExecutor", "create", "dask_executor"]

#: how long the parent waits for each worker's resource teardown at the end of a run
TEARDOWN_TIMEOUT = 60.0
#: interrupted: how long a worker of a cluster the run started has to stop before it is killed
STOP_TIMEOUT = 1.0


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


class _WorkerRun:
    """A run's state in one worker process: its StepWorker and the queue to the parent."""

    def __init__(self, spec: RunSpec):
        self.queue = distributed.Queue(spec.queue_name)
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
        flush_all(self.streams)  # what the step printed arrives before the events that follow
        self.queue.put(["r", serialize(record)])


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


def run_step_task(spec: RunSpec, step_key: str, *upstream: Mapping[str, Any]) -> dict[str, Any]:
    """The Dask task of one step: run it (with its retries) or report it skipped. Returns a summary
    (``step_key``, ``produced`` output names, ``failed``, ``skipped``) for its downstream tasks."""
    summary: dict[str, Any] = {
        "step_key": step_key,
        "produced": [],
        "failed": False,
        "skipped": False,
        "abandoned": False,
    }
    address = _worker_address()
    run: _WorkerRun | None = None
    try:
        run = _worker_run(spec)
        step = run.step_worker.plan.get_step_by_key(step_key)
        verdict = decide_step(step, upstream_state({u["step_key"]: u for u in upstream}))
        if verdict is not RUN:
            summary["skipped"] = True
            summary["abandoned"] = verdict is ABANDON
        else:
            claims = _StepClaims(spec)
            previous = claims.claim(step_key, address)
            if previous is not None:
                # Dask runs this task again because the worker of an earlier attempt died: never
                # run the step twice (the multiprocess executor's rule: a dead worker fails its
                # step). Report the earlier attempt's outcome if it got that far, else the loss.
                done = claims.done_summary(step_key)
                if done is not None:
                    _send_done(spec, run, ["d", step_key, done, address, None, None])
                    return done
                summary["failed"] = True
                _send_done(spec, run, ["d", step_key, summary, address, None, previous])
                return summary
            with debug_io.no_relay(NO_RELAY, NO_RELAY_REMEDY):
                _run_with_retries(run, step_key, summary)
            claims.finish(step_key, summary)
    except Exception:
        # an engine error (the pipeline cannot be rebuilt here, the queue is gone...): the parent
        # reports it as the step's failure
        summary["failed"] = True
        error = serialize(serializable_error_info_from_exc_info())
        _send_done(spec, run, ["d", step_key, summary, address, error, None])
        return summary
    _send_done(spec, run, ["d", step_key, summary, address, None, None])
    return summary


class _StepClaims:
    """Which steps of a run an attempt has started, in the run's directory (which every worker
    reaches, as for the intermediates): a task creates ``<step_key>.claim`` exclusively before it
    runs its step and writes ``<step_key>.done`` (the summary) after. A task that finds the claim
    taken is Dask running it again after the worker of the first attempt died."""

    def __init__(self, spec: RunSpec):
        self.folder = claims_directory(spec.instance_root, spec.run_id)

    def claim(self, step_key: str, address: str) -> str | None:
        """Claim ``step_key``; None when claimed now, else who claimed it first."""
        os.makedirs(self.folder, exist_ok=True)
        path = os.path.join(self.folder, f"{step_key}.claim")
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            with open(path, encoding="utf-8") as file:
                return file.read() or "a worker"
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(f"{address or 'a worker'} (pid {os.getpid()})")
        return None

    def finish(self, step_key: str, summary: Mapping[str, Any]) -> None:
        path = os.path.join(self.folder, f"{step_key}.done")
        with open(path + ".tmp", "w", encoding="utf-8") as file:
            json.dump(summary, file)
        os.replace(path + ".tmp", path)

    def done_summary(self, step_key: str) -> dict[str, Any] | None:
        try:
            with open(os.path.join(self.folder, f"{step_key}.done"), encoding="utf-8") as file:
                return dict(json.load(file))
        except FileNotFoundError:
            return None


def claims_directory(instance_root: str, run_id: str) -> str:
    """Where the tasks of run ``run_id`` claim their steps (removed by the parent at the end)."""
    return os.path.join(instance_root, "storage", run_id, "dask-steps")


def _run_with_retries(run: _WorkerRun, step_key: str, summary: dict[str, Any]) -> None:
    attempts = 0
    while True:
        with run.lock, relayed_output(_sender(run, step_key), run.streams):
            events = run.step_worker.run(step_key, attempts)
        retry = None
        for event in events:
            kind = event.event_type_value
            if kind == "STEP_OUTPUT":
                summary["produced"].append(event.event_specific_data.step_output_handle.output_name)
            elif kind == "STEP_FAILURE":
                summary["failed"] = True
            elif kind == "STEP_UP_FOR_RETRY":
                retry = event
        if retry is None:
            return
        attempts += 1
        time.sleep(retry.event_specific_data.seconds_to_wait or 0)


def _sender(run: _WorkerRun, step_key: str) -> Callable[[str, str], None]:
    def send(stream: str, text: str) -> None:
        run.queue.put(["o", step_key, stream, text])

    return send


def _send_done(spec: RunSpec, run: _WorkerRun | None, message: list[Any]) -> None:
    if run is not None:
        run.queue.put(message)
        return
    # the run could not be set up in this process: a reference to the queue just for this message
    queue = distributed.Queue(spec.queue_name)
    try:
        queue.put(message)
    finally:
        queue.close()


def upstream_state(upstream: Mapping[str, Mapping[str, Any]]) -> Callable[[Any], str]:
    """The state of an output (for :func:`~..plan.active.decide_step`), given the summaries of
    the upstream steps in this plan (a step outside the plan left its output in storage: the
    step checks that when it starts)."""

    def state(handle: Any) -> str:
        summary = upstream.get(handle.step_key)
        if summary is None:
            return AVAILABLE
        if summary["failed"] or summary.get("abandoned"):
            return FAILED
        return AVAILABLE if handle.output_name in summary["produced"] else NOT_PRODUCED

    return state


def close_run_task(run_id: str) -> bool:
    """Tear down this worker process's resources of run ``run_id`` (their records go to the
    parent through the queue). False when this process had nothing of that run."""
    with _RUNS_LOCK:
        run = _RUNS.pop(run_id, None)
    if run is None:
        return False
    with run.lock:
        run.step_worker.close()
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
    """Submits each step as a Dask task; Dask schedules them by their dependencies."""

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
        run: _ParentRun | None = None
        try:
            run = _ParentRun(self, pipeline_context, execution_plan, cluster)
            workers = len(cluster.client.scheduler_info().get("workers", {}))
            yield pipeline_context.engine_event(
                f"Executing steps on {cluster.description} ({workers} workers)",
                EngineEventData(
                    (EventMetadataEntry.text(str(workers), "workers"),), marker_start="dask"
                ),
            )
            try:
                yield from run.run_steps()
            except KeyboardInterrupt:
                run.interrupted = True
                raise
            yield from run.close_workers()
            elapsed = (time.perf_counter() - start) * 1000
            yield pipeline_context.engine_event(
                f"Finished steps on {cluster.description} in {elapsed:.0f}ms",
                EngineEventData(
                    (EventMetadataEntry.text(str(len(run.futures)), "steps"),), marker_end="dask"
                ),
            )
            if pipeline_context.raise_on_error and run.failures:
                raise step_failures_error(run.failures, "Dask workers")
        finally:
            try:
                if run is not None:
                    run.abandon()
            finally:
                try:
                    if run is not None and run.interrupted:
                        cluster.stop_now()
                finally:
                    cluster.close()


class _ParentRun:
    """The parent's side of one run: submit, consume the queue, report, close the workers."""

    def __init__(
        self,
        executor: DaskExecutor,
        ctx: PlanExecutionContext,
        plan: ExecutionPlan,
        cluster: _Cluster,
    ):
        self.ctx = ctx
        self.plan = plan
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
        self.output = OutputRelay()  # what steps print, shown here tagged with the step
        self.futures: dict[str, Any] = {}
        self.steps: dict[str, ExecutionStep] = {}
        self.finished: set[str] = set()
        self.lost: set[str] = set()  # tasks that died without reporting (worker lost, cancelled)
        self.failures: list[tuple[str, Any]] = []  # (step key, error info) of each STEP_FAILURE
        self.started: set[str] = set()
        self.workers: set[str] = set()
        self.closed = False
        self.interrupted = False
        self.owns_cluster = cluster.cluster is not None

    # --- steps ---------------------------------------------------------------------------------

    def submit(self) -> None:
        keys = set(self.plan.step_keys_to_execute)
        for step in self.plan.topological_steps():
            if step.key not in keys:
                continue
            self.steps[step.key] = step
            upstream = [self.futures[k] for k in sorted(step.upstream_step_keys) if k in keys]
            self.futures[step.key] = self.client.submit(
                run_step_task,
                self.spec,
                step.key,
                *upstream,
                key=f"{self.ctx.run_id}-{step.key}",
                priority=step.priority,
                pure=False,
                retries=0,  # retries are the step's own (in the task), not Dask's
            )

    def run_steps(self) -> Iterator[DagsterEvent]:
        """Submit every step, then yield the run's events as the workers send them."""
        self.submit()
        wait = 0.001
        while len(self.finished) < len(self.futures):
            gone = [k for k, f in self.futures.items() if k not in self.finished and _gone(f)]
            messages = self.queue.get(batch=True)
            for message in messages:
                yield from self._handle(message)
            for key in gone:  # after the queue: whatever they sent before dying is in
                if key not in self.finished:
                    yield from self._step_event(self._lost(key))
            if messages:
                wait = 0.001
            else:
                time.sleep(wait)
                wait = min(wait * 2, 0.02)

    def _handle(self, message: list[Any]) -> Iterator[DagsterEvent]:
        if message[0] == "r":
            record = deserialize(message[1])
            self.ctx.forward(record)
            event = record.dagster_event
            if event is not None:
                yield from self._step_event(event)
            return
        if message[0] == "o":
            self.output.write(message[1], message[2], message[3])
            return
        _, step_key, summary, address, error, lost_worker = message
        self.output.flush(step_key)
        if step_key in self.finished:
            return  # a task Dask ran again re-reporting what its first attempt reported
        self.finished.add(step_key)
        if address:
            self.workers.add(address)
        step = self.steps[step_key]
        if lost_worker is not None:
            yield self.ctx.engine_event(
                f"The Dask worker {lost_worker} died while running step {step_key}; Dask "
                f"submitted its task again (on {address or 'a worker'}), which did not run the "
                "step a second time.",
                EngineEventData((EventMetadataEntry.text(lost_worker, "worker"),)),
            )
            exc = DaskWorkerLostError(
                f"the Dask worker {lost_worker} running step {step_key} was lost (its process "
                "died: killed, crashed or out of memory)"
            )
            yield from self._step_event(
                step_event(
                    self.ctx.for_step(step),
                    "STEP_FAILURE",
                    StepFailureData(serializable_error_info_from_exc_info((type(exc), exc, None))),
                    f'Execution of step "{step_key}" failed: the Dask worker {lost_worker} was '
                    "lost while running it (the step is not run again).",
                )
            )
        elif error is not None and all(key != step_key for key, _ in self.failures):
            # (a step that reported its own failure is not failed twice)
            yield from self._step_event(
                step_event(
                    self.ctx.for_step(step),
                    "STEP_FAILURE",
                    StepFailureData(deserialize(error)),
                    f'Execution of step "{step_key}" failed: the Dask worker {address} could not '
                    "run it (an error in the executor, not in the solid).",
                )
            )
        elif summary["skipped"]:
            why = SKIPPED_FOR_FAILURE if summary.get("abandoned") else SKIPPED_FOR_UPSTREAM
            yield from skipped_step_events(self.ctx.for_step(step), why)

    def _step_event(self, event: DagsterEvent) -> Iterator[DagsterEvent]:
        """``event`` (from a worker or made here), noting starts and failures."""
        kind = event.event_type_value
        if kind == "STEP_START" and event.step_key:
            self.started.add(event.step_key)
        elif kind == "STEP_FAILURE":
            data = event.event_specific_data
            self.failures.append((event.step_key or "", getattr(data, "error", None)))
        yield event

    def _lost(self, step_key: str) -> DagsterEvent:
        """A task that ended without reporting: its own failure, or a skip when it never ran
        because an upstream task was lost too."""
        self.finished.add(step_key)
        self.lost.add(step_key)
        step = self.steps[step_key]
        if any(k in self.lost for k in step.upstream_step_keys):
            return step_event(
                self.ctx.for_step(step),
                "STEP_SKIPPED",
                None,
                f'Skipped execution of step "{step_key}": an upstream step was lost.',
            )
        future = self.futures[step_key]
        exc = future.exception() if future.status == "error" else None
        if exc is None:
            exc = RuntimeError(f"the Dask task of step {step_key} was {future.status}")
        info = serializable_error_info_from_exc_info((type(exc), exc, exc.__traceback__))
        why = "its Dask task ended without reporting"
        if isinstance(exc, distributed.KilledWorker):
            why = "the Dask worker running it was lost (Dask gave its task up)"
        return step_event(
            self.ctx.for_step(step),
            "STEP_FAILURE",
            StepFailureData(info),
            f'Execution of step "{step_key}" failed: {why} ({type(exc).__name__}: {exc}).',
        )

    # --- the end -------------------------------------------------------------------------------

    def close_workers(self, timeout: float = TEARDOWN_TIMEOUT) -> Iterator[DagsterEvent]:
        """Tear down the resources of every worker that ran a step (waiting at most ``timeout``
        seconds); yield their events."""
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
        for message in self.queue.get(batch=True):
            yield from self._handle(message)

    def abandon(self) -> None:
        """On the way out (also when interrupted): store what the workers sent so far, cancel the
        steps not finished (a step already running in a worker of an ``existing`` cluster runs to
        its end: Dask cannot stop a running task), fail the steps in flight, tear the workers down
        (their records are stored, not yielded) and release the queue."""
        try:
            if not self.closed:
                for message in self.queue.get(batch=True):
                    for _ in self._handle(message):
                        pass
                unfinished = [f for k, f in self.futures.items() if k not in self.finished]
                if unfinished:
                    self.client.cancel(unfinished)
                for step_key in sorted(self.started - self.finished):
                    self.finished.add(step_key)
                    how = "interrupted" if self.interrupted else "stopped"
                    step_event(
                        self.ctx.for_step(self.steps[step_key]),
                        "STEP_FAILURE",
                        StepFailureData(None),
                        f'Execution of step "{step_key}" was {how} before it finished (its '
                        "Dask task was cancelled"
                        + (", its worker stopped)." if self.owns_cluster else ")."),
                    )
                # workers still running a step would make the teardown wait for it; on a cluster
                # the run started, closing the cluster stops them anyway
                if self.interrupted and self.owns_cluster:
                    self.closed = True  # its workers are stopped, resources and all
                else:
                    grace = 0.0 if self.interrupted or self.started - self.finished else 2.0
                    for _ in self.close_workers(timeout=grace):
                        pass
        finally:
            try:
                self.queue.close()
            finally:
                shutil.rmtree(
                    claims_directory(self.spec.instance_root, self.ctx.run_id), ignore_errors=True
                )


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
