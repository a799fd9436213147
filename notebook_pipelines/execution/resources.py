"""Building a run's resources before its first step and tearing them down after its last.

Only the resources the run needs are built (those required by the steps to execute, their hooks and
types, the storage and the executor, and what those resources require in turn), in dependency order.
A generator resource yields its value once; the code after the ``yield`` is its teardown.
Initialization and teardown are reported as ``ENGINE_EVENT``s with per-resource timings.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..errors import (
    DagsterInvalidDefinitionError,
    DagsterResourceFunctionError,
    serializable_error_info_from_exc_info,
)
from ..events import DagsterEvent
from ..user_events import EventMetadataEntry
from .boundary import user_code_error_boundary
from .init_contexts import InitResourceContext
from .resources_view import ScopedResources

EmitEngineEvent = Callable[..., DagsterEvent]


def required_resource_keys(
    mode_def: Any, steps: Iterable[Any], extra: Iterable[str] = ()
) -> list[str]:
    """The resources a run needs, dependencies first; unknown keys are a definition error."""
    wanted: set[str] = set(extra)
    owners: dict[str, str] = {}
    for step in steps:
        for key in step.solid_def.required_resource_keys:
            owners.setdefault(key, f'solid "{step.solid_handle}"')
            wanted.add(key)
        for hook in step.hook_defs:
            wanted |= hook.required_resource_keys
        for typed in [i.dagster_type for i in step.step_inputs] + [
            o.dagster_type for o in step.step_outputs
        ]:
            wanted |= typed.required_resource_keys
    order: list[str] = []
    visiting: set[str] = set()

    def visit(key: str, needed_by: str) -> None:
        if key in order:
            return
        if key in visiting:
            raise DagsterInvalidDefinitionError(
                f'Resources of mode "{mode_def.name}" depend on each other in a cycle through '
                f'"{key}".'
            )
        resource_def = mode_def.resource_defs.get(key)
        if resource_def is None:
            raise DagsterInvalidDefinitionError(
                f'Resource "{key}" is required by {needed_by}, but mode "{mode_def.name}" does not '
                f"provide it (its resources: {sorted(mode_def.resource_defs) or 'none'})."
            )
        visiting.add(key)
        for dependency in sorted(resource_def.required_resource_keys):
            visit(dependency, f'resource "{key}"')
        visiting.discard(key)
        order.append(key)

    for key in sorted(wanted):
        visit(key, owners.get(key, "the run"))
    return order


class ResourceManager:
    """Builds resources in order and tears the built ones down in reverse order."""

    def __init__(
        self,
        mode_def: Any,
        resource_configs: dict[str, Any],
        keys: list[str],
        emit: EmitEngineEvent,
        pipeline_def: Any,
        pipeline_run: Any,
        instance: Any,
        log: Any,
    ):
        self.mode_def = mode_def
        self.resource_configs = resource_configs
        self.keys = keys
        self.emit = emit
        self.pipeline_def = pipeline_def
        self.pipeline_run = pipeline_run
        self.instance = instance
        self.log = log
        self.values: dict[str, Any] = {}
        self._generators: list[tuple[str, Iterator[Any]]] = []

    def initialize(self) -> Iterator[DagsterEvent]:
        if not self.keys:
            return
        names = ", ".join(self.keys)
        yield self.emit(f"Starting initialization of resources [{names}].")
        timings = []
        for key in self.keys:
            start = time.perf_counter()
            self.values[key] = self._build(key)
            timings.append(
                EventMetadataEntry.text(
                    f"{(time.perf_counter() - start) * 1000:.2f}ms", key, "Init time"
                )
            )
        yield self.emit(f"Finished initialization of resources [{names}].", timings)

    def _build(self, key: str) -> Any:
        resource_def = self.mode_def.resource_defs[key]
        context = InitResourceContext(
            resource_config=self.resource_configs.get(key),
            resource_def=resource_def,
            pipeline_run=self.pipeline_run,
            log_manager=self.log,
            resources=ScopedResources(
                {k: self.values[k] for k in resource_def.required_resource_keys},
                f'resource "{key}"',
            ),
            instance=self.instance,
            pipeline_def=self.pipeline_def,
        )
        with user_code_error_boundary(
            DagsterResourceFunctionError,
            f'Error executing resource_fn of resource "{key}"',
            resource_name=key,
        ):
            value = resource_def.resource_fn(context)
            if inspect.isgenerator(value):
                generator = value
                value = next(generator)
                self._generators.append((key, generator))
        return value

    def teardown(self) -> Iterator[DagsterEvent]:
        if not self._generators:
            return
        names = ", ".join(key for key, _ in reversed(self._generators))
        yield self.emit(f"Starting teardown of resources [{names}].")
        while self._generators:
            key, generator = self._generators.pop()
            try:
                next(generator)
            except StopIteration:
                continue
            except Exception as exc:
                yield self.emit(
                    f'Teardown of resource "{key}" failed: {type(exc).__name__}: {exc}',
                    error=serializable_error_info_from_exc_info(),
                )
                continue
            yield self.emit(f'Resource "{key}" yielded more than once; only one yield is allowed.')
        yield self.emit(f"Finished teardown of resources [{names}].")
