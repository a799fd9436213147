"""A run's lifecycle: prepare (loggers, resources, storage, executor — any failure is
``PIPELINE_INIT_FAILURE``), ``PIPELINE_START``, the executor's events, ``PIPELINE_SUCCESS`` or
``PIPELINE_FAILURE``, then resource teardown. Every event is stored as it happens, so nothing is
lost when the caller stops iterating or the run raises."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from ..config import validate_config
from ..definitions.configured import resolve_configured
from ..definitions.environment import EnvironmentConfig
from ..definitions.pipeline import PipelineDefinition
from ..errors import (
    DagsterError,
    DagsterUserCodeExecutionError,
    serializable_error_info_from_exc_info,
)
from ..events import DagsterEvent, EngineEventData, EventRecord, PipelineFailureData, event_level
from ..plan.plan import ExecutionPlan
from ..storage.instance import DagsterInstance
from ..storage.runs import PipelineRun, PipelineRunStatus
from .boundary import user_code_error_boundary
from .contexts import PlanExecutionContext
from .init_contexts import (
    InitExecutorContext,
    InitIntermediateStorageContext,
    InitLoggerContext,
    InitSystemStorageContext,
)
from .log_manager import DagsterLogManager
from .reexecution import copy_parent_intermediates
from .resources import ResourceManager, required_resource_keys


class _PipelineEvents:
    """Emits the run-level events (no step key) of one run."""

    def __init__(
        self, pipeline_name: str, run_id: str, instance: DagsterInstance, log: DagsterLogManager
    ):
        self.pipeline_name = pipeline_name
        self.run_id = run_id
        self.instance = instance
        self.log = log
        self.tags = {"pipeline": pipeline_name}

    def emit(self, kind: str, data: Any, message: str) -> DagsterEvent:
        event = DagsterEvent(
            kind, self.pipeline_name, None, None, None, self.tags, data, message, os.getpid()
        )
        level = event_level(event)
        self.instance.handle_new_event(
            EventRecord(self.run_id, time.time(), level, message, self.pipeline_name, None, event)
        )
        if level >= self.log.min_level:
            self.log.log_event(event)
        return event

    def engine(self, message: str, metadata: Any = (), error: Any = None) -> DagsterEvent:
        return self.emit("ENGINE_EVENT", EngineEventData(tuple(metadata), error), message)


def execute_run_iterator(
    pipeline_def: PipelineDefinition,
    pipeline_run: PipelineRun,
    instance: DagsterInstance,
    environment_config: EnvironmentConfig,
    execution_plan: ExecutionPlan,
    raise_on_error: bool,
    on_ready: Callable[[PlanExecutionContext], None] | None = None,
) -> Iterator[DagsterEvent]:
    """Execute ``pipeline_run`` (already added to ``instance``); yield its events as they happen.

    ``on_ready`` is called with the run's context once it is built (results use it to read outputs).
    """
    mode_def = pipeline_def.get_mode_definition(pipeline_run.mode)
    name = pipeline_def.name
    log = DagsterLogManager(pipeline_run.run_id, {}, [], instance.handle_new_event, name)
    events = _PipelineEvents(name, pipeline_run.run_id, instance, log)
    resources: ResourceManager | None = None
    try:
        log = events.log = _build_log_manager(
            pipeline_def, mode_def, pipeline_run, environment_config, instance
        )
        storage_def = _storage_def(mode_def, environment_config)
        executor_def = mode_def.executor_def_named(environment_config.execution_name)
        keys = required_resource_keys(
            mode_def,
            execution_plan.topological_steps(),
            storage_def.required_resource_keys | executor_def.required_resource_keys,
        )
        resources = ResourceManager(
            mode_def,
            dict(environment_config.resources),
            keys,
            events.engine,
            pipeline_def,
            pipeline_run,
            instance,
            log,
        )
        yield from resources.initialize()
        storage, file_manager = _build_storage(
            storage_def,
            pipeline_def,
            mode_def,
            pipeline_run,
            instance,
            environment_config,
            resources.values,
        )
        init_executor = InitExecutorContext(
            pipeline_def,
            mode_def,
            executor_def,
            pipeline_run,
            environment_config,
            environment_config.execution_config,
            instance,
        )
        with user_code_error_boundary(
            DagsterUserCodeExecutionError, f'Error creating executor "{executor_def.name}"'
        ):
            executor = executor_def.executor_creation_fn(init_executor)
        plan_context = PlanExecutionContext(
            pipeline_def,
            mode_def,
            pipeline_run,
            environment_config,
            instance,
            log,
            resources.values,
            storage,
            execution_plan,
            raise_on_error,
            retries=getattr(executor, "retries", None),
            file_manager=file_manager,
        )
        if on_ready is not None:
            on_ready(plan_context)
        if execution_plan.is_subset and pipeline_run.parent_run_id:
            yield from copy_parent_intermediates(plan_context, execution_plan)
    except DagsterError as error:
        yield events.emit(
            "PIPELINE_INIT_FAILURE",
            PipelineFailureData(serializable_error_info_from_exc_info()),
            f'Pipeline failure during initialization of pipeline "{name}": {error}',
        )
        if resources is not None:
            yield from resources.teardown()
        if raise_on_error:
            raise
        return

    yield events.emit("PIPELINE_START", None, f'Started execution of pipeline "{name}".')
    failed = False
    closing = False
    interrupted = False
    error_info = None
    start = time.perf_counter()
    try:
        for event in executor.execute(plan_context, execution_plan):
            if event.event_type_value == "STEP_FAILURE":
                failed = True
            yield event
    except GeneratorExit:
        closing = failed = True
        raise
    except KeyboardInterrupt:
        interrupted = failed = True
        error_info = serializable_error_info_from_exc_info()
        raise
    except BaseException:
        failed = True
        error_info = serializable_error_info_from_exc_info()
        raise
    finally:
        elapsed = (time.perf_counter() - start) * 1000
        if failed:
            reason = "was interrupted" if interrupted else "failed"
            if closing:
                reason = "was stopped before it finished"
            final = events.emit(
                "PIPELINE_FAILURE",
                PipelineFailureData(error_info),
                f'Execution of pipeline "{name}" {reason} after {elapsed:.0f}ms.',
            )
        else:
            final = events.emit(
                "PIPELINE_SUCCESS",
                None,
                f'Finished execution of pipeline "{name}" in {elapsed:.0f}ms.',
            )
        if interrupted:
            instance.update_run_status(pipeline_run.run_id, PipelineRunStatus.CANCELED)
        teardown = list(resources.teardown())
        if not closing:
            yield final
            yield from teardown


def _storage_def(mode_def: Any, env: EnvironmentConfig) -> Any:
    if env.storage_kind == "storage":
        return mode_def.system_storage_def_named(env.storage_name)
    return mode_def.intermediate_storage_def_named(env.storage_name)


def _build_storage(
    storage_def: Any,
    pipeline_def: PipelineDefinition,
    mode_def: Any,
    pipeline_run: PipelineRun,
    instance: DagsterInstance,
    env: EnvironmentConfig,
    resources: dict[str, Any],
) -> tuple[Any, Any]:
    from .resources_view import ScopedResources

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


def _build_log_manager(
    pipeline_def: PipelineDefinition,
    mode_def: Any,
    pipeline_run: PipelineRun,
    env: EnvironmentConfig,
    instance: DagsterInstance,
) -> DagsterLogManager:
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
        instance.handle_new_event,
        pipeline_def.name,
    )
