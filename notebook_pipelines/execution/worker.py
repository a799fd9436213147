"""Running a run's steps in a worker process (multiprocess, Dask).

A :class:`StepWorker` is built once per run in each worker process: it rebuilds the run config, the
plan, the resources and the storage the first time a step is handed to it and reuses them for every
later step (resources are torn down by :meth:`StepWorker.close`). Every record it makes — events and
``context.log`` messages — goes to ``sink``, which carries it to the run's parent process; the
parent stores and logs it (:meth:`PlanExecutionContext.forward`). Retries are deferred: a step that
asks for one reports ``STEP_UP_FOR_RETRY`` and the parent decides when it runs again.
"""

from __future__ import annotations

import os
import time

from ..definitions.environment import build_environment_config
from ..definitions.pipeline import PipelineDefinition
from ..errors import DagsterError, serializable_error_info_from_exc_info
from ..events import DagsterEvent, DagsterEventType, EventRecord, StepFailureData, event_level
from ..plan.plan import ExecutionPlan
from ..plan.retries import Retries
from ..storage.compute_logs import RunCapture
from ..storage.instance import DagsterInstance
from ..storage.runs import PipelineRun
from .contexts import EventSink
from .setup import RunSetup
from .step_runner import run_step


class StepWorker:
    """Executes steps of one run in this process, on behalf of the run's parent process."""

    def __init__(
        self,
        pipeline_def: PipelineDefinition,
        pipeline_run: PipelineRun,
        instance: DagsterInstance,
        sink: EventSink,
    ):
        self.pipeline_def = pipeline_def
        self.pipeline_run = pipeline_run
        self.instance = instance
        self.sink = sink
        mode_def = pipeline_def.get_mode_definition(pipeline_run.mode)
        env = build_environment_config(pipeline_def, pipeline_run.run_config, mode_def)
        self.plan = ExecutionPlan.build(pipeline_def, env, pipeline_run.step_keys_to_execute)
        self.retries = Retries.from_config((env.execution_config or {}).get("retries"))
        self.setup = RunSetup(
            pipeline_def,
            pipeline_run,
            instance,
            env,
            self.plan,
            raise_on_error=False,
            sink=sink,
            in_worker=True,
        )
        self._capture: RunCapture | None = None
        self._started = False
        self._start_error: DagsterError | None = None

    def start(self) -> None:
        """Set the run up in this process (resources, storage, capture); done by the first step
        otherwise. A setup error fails every step handed to this worker."""
        self._started = True
        try:
            for _ in self.setup.initialize():
                pass  # the events already went to the sink
        except DagsterError as error:
            self._start_error = error
            for _ in self.setup.teardown():
                pass
            return
        self._capture = self.instance.compute_log_manager.run_capture(self.pipeline_run.run_id)

    def run(self, step_key: str, previous_attempts: int = 0) -> list[DagsterEvent]:
        """Run one step (and its hooks); its events go to the sink and are returned too."""
        if not self._started:
            self.start()
        step = self.plan.get_step_by_key(step_key)
        if self._start_error is not None:
            return [self._setup_failure(step_key, step.solid_handle)]
        context = self.setup.context
        assert context is not None
        retries = Retries(self.retries.mode, {step_key: previous_attempts}).for_inner_plan()
        return list(run_step(context.for_step(step), retries, self._capture))

    def close(self) -> None:
        """Tear down this worker's resources (their events go to the sink)."""
        for _ in self.setup.teardown():
            pass
        if self._capture is not None:
            self._capture.close()
            self._capture = None

    def _setup_failure(self, step_key: str, solid_handle: str) -> DagsterEvent:
        error = self._start_error
        assert error is not None
        info = serializable_error_info_from_exc_info((type(error), error, error.__traceback__))
        event = DagsterEvent(
            DagsterEventType.STEP_FAILURE.value,
            self.pipeline_def.name,
            step_key,
            solid_handle,
            "COMPUTE",
            {"pipeline": self.pipeline_def.name, "step_key": step_key},
            StepFailureData(info),
            f'Execution of step "{step_key}" failed: the worker process {os.getpid()} could not '
            f"set the run up: {error}",
            os.getpid(),
        )
        self.sink(
            EventRecord(
                self.pipeline_run.run_id,
                time.time(),
                event_level(event),
                event.message or "",
                self.pipeline_def.name,
                step_key,
                event,
            )
        )
        return event


def worker_instance(root_directory: str, capture_compute_logs: bool) -> DagsterInstance:
    """An instance for a worker process: the parent's folders (for intermediates and compute
    logs), no stored runs or events of its own (its records go to the parent)."""
    from ..storage.event_log import InMemoryEventLogStorage
    from ..storage.instance import InstanceType
    from ..storage.runs import InMemoryRunStorage

    return DagsterInstance(
        InMemoryRunStorage(),
        InMemoryEventLogStorage(),
        root_directory,
        instance_type=InstanceType.PERSISTENT if capture_compute_logs else InstanceType.EPHEMERAL,
    )
