"""Setting a run up and tearing it down: loggers, resources, intermediate storage, the executor and
the :class:`PlanExecutionContext` that steps run under.

The parent process of a run sets up everything; a worker process (multiprocess, Dask) sets up the
same context for its steps but no executor and no Python loggers — its records go to the parent
through ``sink``, and the parent logs and stores them (it is the only writer of the run's events).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from typing import Any

from ..config import validate_config
from ..definitions.configured import resolve_configured
from ..definitions.environment import EnvironmentConfig
from ..definitions.pipeline import PipelineDefinition
from ..errors import DagsterUserCodeExecutionError
from ..events import (
    EVENT_TYPE_VALUE,
    DagsterEvent,
    DagsterEventType,
    EngineEventData,
    EventRecord,
    event_level,
)
from ..plan.plan import ExecutionPlan
from ..storage.instance import DagsterInstance
from ..storage.runs import PipelineRun
from .boundary import user_code_error_boundary
from .contexts import EventSink, PlanExecutionContext
from .init_contexts import (
    InitExecutorContext,
    InitIntermediateStorageContext,
    InitLoggerContext,
    InitSystemStorageContext,
)
from .log_manager import DagsterLogManager
from .resources import ResourceManager, required_resource_keys
from .resources_view import ScopedResources


class RunEvents:
    """Emits the run-level events (no step key) of one run."""

    def __init__(self, pipeline_name: str, run_id: str, sink: EventSink, log: DagsterLogManager):
        self.pipeline_name = pipeline_name
        self.run_id = run_id
        self.sink = sink
        self.log = log
        self.tags = {"pipeline": pipeline_name}

    def emit(self, kind: DagsterEventType, data: Any, message: str) -> DagsterEvent:
        event = DagsterEvent(
            EVENT_TYPE_VALUE[kind],
            self.pipeline_name,
            None,
            None,
            None,
            self.tags,
            data,
            message,
            os.getpid(),
        )
        level = event_level(event)
        self.sink(
            EventRecord(self.run_id, time.time(), level, message, self.pipeline_name, None, event)
        )
        if level >= self.log.min_level:
            self.log.log_event(event)
        return event

    def engine(self, message: str, metadata: Any = (), error: Any = None) -> DagsterEvent:
        return self.emit(
            DagsterEventType.ENGINE_EVENT, EngineEventData(tuple(metadata), error), message
        )


class RunSetup:
    """What a run's steps need, built by :meth:`initialize` and released by :meth:`teardown`.

    ``pipeline`` is what the executor receives (a reconstructable pipeline when there is one);
    ``pipeline_def`` the definition it stands for.
    """

    def __init__(
        self,
        pipeline_def: PipelineDefinition,
        pipeline_run: PipelineRun,
        instance: DagsterInstance,
        environment_config: EnvironmentConfig,
        execution_plan: ExecutionPlan,
        raise_on_error: bool,
        *,
        pipeline: Any = None,
        sink: EventSink | None = None,
        in_worker: bool = False,
    ):
        self.pipeline_def = pipeline_def
        self.pipeline = pipeline if pipeline is not None else pipeline_def
        self.pipeline_run = pipeline_run
        self.instance = instance
        self.environment_config = environment_config
        self.execution_plan = execution_plan
        self.raise_on_error = raise_on_error
        self.sink: EventSink = sink or instance.handle_new_event
        self.in_worker = in_worker
        self.mode_def = pipeline_def.get_mode_definition(pipeline_run.mode)
        self.log = DagsterLogManager(pipeline_run.run_id, {}, [], self.sink, pipeline_def.name)
        self.events = RunEvents(pipeline_def.name, pipeline_run.run_id, self.sink, self.log)
        self.resources: ResourceManager | None = None
        self.executor: Any = None
        self.context: PlanExecutionContext | None = None

    def initialize(self) -> Iterator[DagsterEvent]:
        """Build loggers, resources, storage, executor and context; yield the events on the way.

        Raises the :class:`DagsterError` that stopped it (the caller reports the failure)."""
        env = self.environment_config
        mode_def = self.mode_def
        if not self.in_worker:
            self.log = self.events.log = build_log_manager(
                self.pipeline_def, mode_def, self.pipeline_run, env, self.sink
            )
        storage_def = storage_definition(mode_def, env)
        executor_def = mode_def.executor_def_named(env.execution_name)
        keys = required_resource_keys(
            mode_def,
            self.execution_plan.topological_steps(),
            storage_def.required_resource_keys | executor_def.required_resource_keys,
        )
        self.resources = ResourceManager(
            mode_def,
            dict(env.resources),
            keys,
            self.events.engine,
            self.pipeline_def,
            self.pipeline_run,
            self.instance,
            self.log,
        )
        yield from self.resources.initialize()
        storage, file_manager = build_storage(
            storage_def,
            self.pipeline_def,
            mode_def,
            self.pipeline_run,
            self.instance,
            env,
            self.resources.values,
        )
        if not self.in_worker:
            init_executor = InitExecutorContext(
                self.pipeline,
                mode_def,
                executor_def,
                self.pipeline_run,
                env,
                env.execution_config,
                self.instance,
            )
            with user_code_error_boundary(
                DagsterUserCodeExecutionError, f'Error creating executor "{executor_def.name}"'
            ):
                self.executor = executor_def.executor_creation_fn(init_executor)
        self.context = PlanExecutionContext(
            self.pipeline_def,
            mode_def,
            self.pipeline_run,
            env,
            self.instance,
            self.log,
            self.resources.values,
            storage,
            self.execution_plan,
            self.raise_on_error,
            sink=self.sink,
            retries=getattr(self.executor, "retries", None),
            file_manager=file_manager,
        )

    def teardown(self) -> Iterator[DagsterEvent]:
        """Tear down the resources built so far; yield the events."""
        if self.resources is not None:
            yield from self.resources.teardown()


def storage_definition(mode_def: Any, env: EnvironmentConfig) -> Any:
    """The storage definition the run config chose (``intermediate_storage`` or ``storage``)."""
    if env.storage_kind == "storage":
        return mode_def.system_storage_def_named(env.storage_name)
    return mode_def.intermediate_storage_def_named(env.storage_name)


def build_storage(
    storage_def: Any,
    pipeline_def: PipelineDefinition,
    mode_def: Any,
    pipeline_run: PipelineRun,
    instance: DagsterInstance,
    env: EnvironmentConfig,
    resources: dict[str, Any],
) -> tuple[Any, Any]:
    """The run's intermediate storage and file manager (None unless a system storage gives one)."""
    scoped = ScopedResources(
        {k: resources[k] for k in storage_def.required_resource_keys}, f"storage {storage_def.name}"
    )
    args = (
        pipeline_def,
        mode_def,
        storage_def,
        pipeline_run,
        instance,
        env,
        scoped,
        env.storage_config,
    )
    with user_code_error_boundary(
        DagsterUserCodeExecutionError, f'Error creating storage "{storage_def.name}"'
    ):
        if env.storage_kind == "storage":
            data = storage_def.creation_fn(InitSystemStorageContext(*args))
            return data.intermediate_storage, getattr(data, "file_manager", None)
        return storage_def.creation_fn(InitIntermediateStorageContext(*args)), None


def build_log_manager(
    pipeline_def: PipelineDefinition,
    mode_def: Any,
    pipeline_run: PipelineRun,
    env: EnvironmentConfig,
    sink: EventSink,
) -> DagsterLogManager:
    """The run's log manager with the loggers the run config (or the mode's defaults) asks for."""
    configured = dict(env.loggers)
    if not configured:
        # no `loggers` entry: every logger of the mode whose config can be left out
        for logger_name, logger_def in mode_def.loggers.items():
            value = None
            if logger_def.config_field is not None:
                result = validate_config(logger_def.config_field, None)
                if not result.success:
                    continue
                value = result.value
            configured[logger_name] = resolve_configured(
                logger_def,
                value,
                f'logger "{logger_name}"',
                ("root", "loggers", logger_name, "config"),
            )
    loggers: list[logging.Logger] = []
    for logger_name, config in configured.items():
        logger_def = mode_def.loggers[logger_name]
        context = InitLoggerContext(config, logger_def, pipeline_def, pipeline_run.run_id)
        with user_code_error_boundary(
            DagsterUserCodeExecutionError, f'Error creating logger "{logger_name}"'
        ):
            loggers.append(logger_def.logger_fn(context))
    return DagsterLogManager(
        pipeline_run.run_id,
        {"pipeline": pipeline_def.name, **pipeline_run.tags},
        loggers,
        sink,
        pipeline_def.name,
    )
