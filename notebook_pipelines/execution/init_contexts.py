"""Contexts handed to user code outside a solid's compute: type checks, hooks, and the functions that
build resources, loggers, executors and storages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .log_manager import DagsterLogManager


class TypeCheckContext:
    """What a type check (and a type's loader/materializer) receives: run id, log, resources."""

    __slots__ = ("dagster_type", "log", "resources", "run_id")

    def __init__(
        self, run_id: str, log_manager: DagsterLogManager, resources: Any, dagster_type: Any = None
    ):
        self.run_id = run_id
        self.log = log_manager
        self.resources = resources
        self.dagster_type = dagster_type


class HookContext:
    """What a hook receives: the step, its solid, config, the hook's resources and a log."""

    def __init__(self, step_context: Any, hook_def: Any, resources: Any):
        self._step_context = step_context
        self.hook_def = hook_def
        self.step = step_context.step
        self.solid = step_context.solid
        self.resources = resources
        self.log = step_context.log

    @property
    def solid_config(self) -> Any:
        return self._step_context.solid_config

    @property
    def run_id(self) -> str:
        return str(self._step_context.run_id)

    @property
    def mode_def(self) -> Any:
        return self._step_context.mode_def

    @property
    def pipeline_run(self) -> Any:
        return self._step_context.pipeline_run


class InitResourceContext:
    """What a resource function receives."""

    def __init__(
        self,
        resource_config: Any,
        resource_def: Any,
        pipeline_run: Any = None,
        log_manager: DagsterLogManager | None = None,
        resources: Any = None,
        instance: Any = None,
        pipeline_def: Any = None,
    ):
        self.resource_config = resource_config
        self.resource_def = resource_def
        self.pipeline_run = pipeline_run
        self.log_manager = log_manager
        self.resources = resources
        self.instance = instance
        self.pipeline_def = pipeline_def

    @property
    def run_id(self) -> str | None:
        return self.pipeline_run.run_id if self.pipeline_run is not None else None

    @property
    def log(self) -> DagsterLogManager | None:
        return self.log_manager


class InitLoggerContext:
    """What a logger function receives."""

    def __init__(
        self,
        logger_config: Any,
        logger_def: Any,
        pipeline_def: Any = None,
        run_id: str | None = None,
    ):
        self.logger_config = logger_config
        self.logger_def = logger_def
        self.pipeline_def = pipeline_def
        self.run_id = run_id


class InitExecutorContext:
    """What an executor creation function receives."""

    def __init__(
        self,
        pipeline: Any,
        mode_def: Any,
        executor_def: Any,
        pipeline_run: Any,
        environment_config: Any,
        executor_config: Mapping[str, Any] | None,
        instance: Any,
    ):
        self.pipeline = pipeline
        self.mode_def = mode_def
        self.executor_def = executor_def
        self.pipeline_run = pipeline_run
        self.environment_config = environment_config
        self.executor_config = dict(executor_config or {})
        self.instance = instance

    @property
    def pipeline_def(self) -> Any:
        return getattr(self.pipeline, "pipeline_def", self.pipeline)


class _InitStorageContext:
    def __init__(
        self,
        pipeline_def: Any,
        mode_def: Any,
        storage_def: Any,
        pipeline_run: Any,
        instance: Any,
        environment_config: Any,
        resources: Any,
        storage_config: Mapping[str, Any] | None,
    ):
        self.pipeline_def = pipeline_def
        self.mode_def = mode_def
        self.pipeline_run = pipeline_run
        self.instance = instance
        self.environment_config = environment_config
        self.resources = resources
        self._storage_def = storage_def
        self._storage_config = dict(storage_config or {})

    @property
    def run_id(self) -> str:
        return str(self.pipeline_run.run_id)


class InitSystemStorageContext(_InitStorageContext):
    """What a system storage creation function receives."""

    @property
    def system_storage_def(self) -> Any:
        return self._storage_def

    @property
    def system_storage_config(self) -> dict[str, Any]:
        return self._storage_config


class InitIntermediateStorageContext(_InitStorageContext):
    """What an intermediate storage creation function receives."""

    @property
    def intermediate_storage_def(self) -> Any:
        return self._storage_def

    @property
    def intermediate_storage_config(self) -> dict[str, Any]:
        return self._storage_config
