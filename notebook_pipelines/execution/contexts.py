"""The contexts a run hands around: :class:`PlanExecutionContext` (one run), the step's
:class:`SystemComputeExecutionContext`, and :class:`SolidExecutionContext`, what a solid's compute
function receives as ``context``.

``emit`` is the one way an event leaves the engine: it is stored in the instance (which tells live
subscribers) and passed to the run's loggers. A worker process swaps the sink for a channel to the
parent, which is then the only writer of the run's events.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..events import DagsterEvent, DagsterEventType, EngineEventData, EventRecord, event_level
from .breakpoints import install as install_breakpoint_hook
from .log_manager import DagsterLogManager
from .resources_view import ScopedResources

if TYPE_CHECKING:
    from ..definitions.environment import EnvironmentConfig
    from ..definitions.mode import ModeDefinition
    from ..definitions.pipeline import PipelineDefinition
    from ..plan.plan import ExecutionPlan
    from ..plan.retries import Retries
    from ..plan.steps import ExecutionStep
    from ..storage.instance import DagsterInstance
    from ..storage.runs import PipelineRun

EventSink = Callable[[EventRecord], None]


class PlanExecutionContext:
    """Everything one run shares: definitions, config, instance, resources, storage, logging."""

    def __init__(
        self,
        pipeline_def: PipelineDefinition,
        mode_def: ModeDefinition,
        pipeline_run: PipelineRun,
        environment_config: EnvironmentConfig,
        instance: DagsterInstance,
        log: DagsterLogManager,
        resources: Mapping[str, Any],
        intermediate_storage: Any,
        execution_plan: ExecutionPlan,
        raise_on_error: bool,
        sink: EventSink | None = None,
        retries: Retries | None = None,
        file_manager: Any = None,
    ):
        self.pipeline_def = pipeline_def
        self.mode_def = mode_def
        self.pipeline_run = pipeline_run
        self.run_id = pipeline_run.run_id
        self.pipeline_name = pipeline_def.name
        self.environment_config = environment_config
        self.instance = instance
        self.log = log
        self.resources = dict(resources)
        self.intermediate_storage = intermediate_storage
        self.execution_plan = execution_plan
        self.raise_on_error = raise_on_error
        self.sink: EventSink = sink or instance.handle_new_event
        self.retries = retries
        self.file_manager = file_manager
        self.logging_tags = {"pipeline": pipeline_def.name, **pipeline_run.tags}
        self.pid = os.getpid()
        install_breakpoint_hook()  # `breakpoint()` in a solid: the step's debugger (once)
        self._scoped: dict[tuple[str, frozenset[str]], ScopedResources] = {}

    @property
    def run_config(self) -> Mapping[str, Any]:
        return self.environment_config.run_config

    def emit(self, event: DagsterEvent) -> DagsterEvent:
        """Store ``event`` in the run's event log and hand it to the loggers; return it."""
        level = event_level(event)
        self.sink(
            EventRecord(
                self.run_id,
                time.time(),
                level,
                event.message or "",
                event.pipeline_name,
                event.step_key,
                event,
            )
        )
        if level >= self.log.min_level:
            self.log.log_event(event)
        return event

    def engine_event(self, message: str, data: EngineEventData | None = None) -> DagsterEvent:
        """Emit a run-level ``ENGINE_EVENT`` (what an executor reports about itself)."""
        return self.emit(
            DagsterEvent(
                DagsterEventType.ENGINE_EVENT.value,
                self.pipeline_name,
                None,
                None,
                None,
                self.logging_tags,
                data if data is not None else EngineEventData(),
                message,
                self.pid,
            )
        )

    def forward(self, record: EventRecord) -> None:
        """Store and log a record made in a worker process of this run: the process that runs the
        run is the only writer of its events."""
        self.sink(record)
        self.log.log_record(record)

    def scoped_resources(self, keys: frozenset[str], owner: str) -> ScopedResources:
        """The resources named by ``keys`` (cached per owner and key set)."""
        cache_key = (owner, keys)
        scoped = self._scoped.get(cache_key)
        if scoped is None:
            scoped = ScopedResources(
                {k: self.resources[k] for k in keys if k in self.resources}, owner
            )
            self._scoped[cache_key] = scoped
        return scoped

    def for_step(self, step: ExecutionStep) -> SystemComputeExecutionContext:
        return SystemComputeExecutionContext(self, step)


class SystemComputeExecutionContext:
    """The engine's view of one step being executed."""

    def __init__(self, plan_context: PlanExecutionContext, step: ExecutionStep):
        self.plan_context = plan_context
        self.step = step
        self.step_key = step.key
        self.solid_handle = step.solid_handle
        self.solid = step.solid
        self.solid_def = step.solid.definition
        self.pipeline_name = plan_context.pipeline_name
        self.run_id = plan_context.run_id
        self.emit = plan_context.emit
        self._log: DagsterLogManager | None = None
        self._logging_tags: dict[str, str] | None = None

    @property
    def logging_tags(self) -> dict[str, str]:
        if self._logging_tags is None:
            self._logging_tags = {
                **self.plan_context.logging_tags,
                "solid": self.solid_handle,
                "solid_definition": self.solid_def.name,
                "step_key": self.step_key,
            }
        return self._logging_tags

    @property
    def log(self) -> DagsterLogManager:
        if self._log is None:
            self._log = self.plan_context.log.with_tags(self.logging_tags, self.step_key)
        return self._log

    @property
    def solid_config(self) -> Any:
        return self.plan_context.environment_config.solid_config(self.solid_handle).config

    @property
    def resources(self) -> ScopedResources:
        return self.plan_context.scoped_resources(
            self.solid_def.required_resource_keys, f'solid "{self.solid_handle}"'
        )

    @property
    def pipeline_def(self) -> PipelineDefinition:
        return self.plan_context.pipeline_def

    @property
    def mode_def(self) -> ModeDefinition:
        return self.plan_context.mode_def

    @property
    def pipeline_run(self) -> PipelineRun:
        return self.plan_context.pipeline_run

    @property
    def instance(self) -> DagsterInstance:
        return self.plan_context.instance

    @property
    def environment_config(self) -> EnvironmentConfig:
        return self.plan_context.environment_config

    @property
    def run_config(self) -> Mapping[str, Any]:
        return self.plan_context.run_config

    @property
    def intermediate_storage(self) -> Any:
        return self.plan_context.intermediate_storage


class SolidExecutionContext:
    """What a solid's compute function receives as ``context``."""

    __slots__ = ("_pdb", "_system")

    def __init__(self, system_compute_execution_context: SystemComputeExecutionContext):
        self._system = system_compute_execution_context
        self._pdb: Any = None

    @property
    def solid_config(self) -> Any:
        """The solid's config, validated and with defaults filled (None without a schema)."""
        return self._system.solid_config

    @property
    def pipeline_run(self) -> PipelineRun:
        return self._system.pipeline_run

    @property
    def instance(self) -> DagsterInstance:
        return self._system.instance

    @property
    def pdb(self) -> Any:
        """This step's debugger: ``context.pdb.set_trace()`` stops here and prompts — in a notebook
        through the cell's input box, in a worker process through the run's parent, in a terminal
        through the terminal (see :mod:`.debugger`). ``q`` fails the step."""
        if self._pdb is None:
            from .debugger import step_debugger

            self._pdb = step_debugger(self._system)
        return self._pdb

    @property
    def run_id(self) -> str:
        return self._system.run_id

    @property
    def run_config(self) -> Mapping[str, Any]:
        return self._system.run_config

    @property
    def pipeline_def(self) -> PipelineDefinition:
        return self._system.pipeline_def

    @property
    def mode_def(self) -> ModeDefinition:
        return self._system.mode_def

    @property
    def log(self) -> DagsterLogManager:
        return self._system.log

    @property
    def resources(self) -> ScopedResources:
        return self._system.resources

    @property
    def solid(self) -> Any:
        return self._system.solid

    @property
    def solid_def(self) -> Any:
        return self._system.solid_def

    @property
    def solid_handle(self) -> str:
        return self._system.solid_handle

    @property
    def step_key(self) -> str:
        return self._system.step_key

    @property
    def step_launcher(self) -> None:
        return None

    @property
    def file_manager(self) -> Any:
        return self._system.plan_context.file_manager

    def has_tag(self, key: str) -> bool:
        return key in self._system.logging_tags

    def get_tag(self, key: str) -> str | None:
        return self._system.logging_tags.get(key)

    def get_system_context(self) -> SystemComputeExecutionContext:
        return self._system
