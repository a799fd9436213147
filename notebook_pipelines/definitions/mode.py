"""Modes: a named set of resources, loggers, executors and storages a pipeline can run with.

A mode that names no ``executor_defs`` offers ``in_process`` and ``multiprocess``, and ``dask`` when
the ``dask`` extra is installed (:func:`~.executor.mode_default_executors`); one that names them
offers exactly those. Listing the very same definition twice (``[*mode.executor_defs,
dask_executor]`` on a mode that already has it) keeps it once; two different definitions with one
name are an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..config import ConfigError
from ..errors import DagsterInvalidDefinitionError
from .executor import ExecutorDefinition, explain_missing_executors, mode_default_executors
from .logger import LoggerDefinition, colored_console_logger
from .names import check_valid_name
from .resource import ResourceDefinition
from .storage import (
    IntermediateStorageDefinition,
    SystemStorageDefinition,
    default_intermediate_storage_defs,
    default_system_storage_defs,
)


class ModeDefinition:
    """One way of running a pipeline (e.g. ``test`` with fakes, ``prod`` with real services)."""

    def __init__(
        self,
        name: str = "default",
        resource_defs: Mapping[str, ResourceDefinition] | None = None,
        logger_defs: Mapping[str, LoggerDefinition] | None = None,
        system_storage_defs: Sequence[SystemStorageDefinition] | None = None,
        executor_defs: Sequence[ExecutorDefinition] | None = None,
        description: str | None = None,
        intermediate_storage_defs: Sequence[IntermediateStorageDefinition] | None = None,
    ):
        self.name = check_valid_name(name, "mode")
        where = f'mode "{name}"'
        self.resource_defs = _named_dict(resource_defs, ResourceDefinition, where, "resource_defs")
        self.loggers = _named_dict(
            logger_defs if logger_defs is not None else {"console": colored_console_logger},
            LoggerDefinition,
            where,
            "logger_defs",
        )
        self.executor_defs = _named_list(
            executor_defs if executor_defs is not None else mode_default_executors(),
            ExecutorDefinition,
            where,
            "executor_defs",
        )
        self.system_storage_defs = _named_list(
            system_storage_defs if system_storage_defs is not None else default_system_storage_defs,
            SystemStorageDefinition,
            where,
            "system_storage_defs",
        )
        self.intermediate_storage_defs = _named_list(
            intermediate_storage_defs
            if intermediate_storage_defs is not None
            else default_intermediate_storage_defs,
            IntermediateStorageDefinition,
            where,
            "intermediate_storage_defs",
        )
        self.description = description

    @property
    def logger_defs(self) -> dict[str, LoggerDefinition]:
        return self.loggers

    def executor_def_named(self, name: str) -> ExecutorDefinition:
        return _by_name(self.executor_defs, name)

    def system_storage_def_named(self, name: str) -> SystemStorageDefinition:
        return _by_name(self.system_storage_defs, name)

    def intermediate_storage_def_named(self, name: str) -> IntermediateStorageDefinition:
        return _by_name(self.intermediate_storage_defs, name)

    def explain_config_errors(self, errors: Sequence[ConfigError]) -> list[ConfigError]:
        """``errors`` of a run config in this mode, with advice added where they name an optional
        executor the mode does not offer (``execution: {dask: ...}`` without the extra)."""
        return explain_missing_executors(errors, self.executor_defs)

    def __repr__(self) -> str:
        return f"<ModeDefinition {self.name}>"


def _named_dict(value: Any, cls: type, where: str, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise DagsterInvalidDefinitionError(
            f"{where}: {what} must be a dict of name to definition."
        )
    for key, definition in value.items():
        check_valid_name(key, f"{where} {what}")
        if not isinstance(definition, cls):
            raise DagsterInvalidDefinitionError(
                f'{where}: {what}["{key}"] must be a {cls.__name__}, got {definition!r}'
            )
    return dict(value)


def _named_list(value: Sequence[Any], cls: Any, where: str, what: str) -> list[Any]:
    """``value`` checked: definitions of ``cls``, one per name (the same object listed again is
    dropped: ``[*default_executors, dask_executor]`` stays valid whatever the defaults hold)."""
    kept: dict[str, Any] = {}
    for definition in value:
        if not isinstance(definition, cls):
            raise DagsterInvalidDefinitionError(
                f"{where}: {what} must hold {cls.__name__} objects, got {definition!r}"
            )
        earlier = kept.setdefault(definition.name, definition)
        if earlier is not definition:
            raise DagsterInvalidDefinitionError(
                f'{where}: two {what} are named "{definition.name}".'
            )
    return list(kept.values())


def _by_name(defs: Sequence[Any], name: str) -> Any:
    for definition in defs:
        if definition.name == name:
            return definition
    raise KeyError(name)
