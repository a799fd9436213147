"""Loggers: ``logger_fn(init_context) -> logging.Logger``, configured per run.

The built-in ``console`` logger writes to stderr. It is quiet by default (level INFO): a run's own
events are logged at DEBUG (failures at ERROR), so a script or notebook shows ``context.log``
messages and errors, and ``loggers: {console: {config: {log_level: DEBUG}}}`` shows every event.
"""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import Callable
from typing import Any

from ..config import Enum, EnumValue, Field, String, convert_to_field
from ..errors import DagsterInvalidDefinitionError


class LoggerDefinition:
    """How to build one logger for a run."""

    def __init__(
        self,
        logger_fn: Callable[[Any], logging.Logger],
        config_schema: Any = None,
        description: str | None = None,
    ):
        if not callable(logger_fn):
            raise DagsterInvalidDefinitionError(
                f"LoggerDefinition: logger_fn must be callable, got {logger_fn!r}"
            )
        self.logger_fn = logger_fn
        self.config_field: Field | None = (
            convert_to_field(config_schema, where="logger config_schema")
            if config_schema is not None
            else None
        )
        self.description = description

    @property
    def config_schema(self) -> Field | None:
        return self.config_field


def logger(config_schema: Any = None, description: str | None = None) -> Any:
    """Decorate ``fn(init_context) -> logging.Logger`` as a :class:`LoggerDefinition`."""
    if inspect.isfunction(config_schema):
        return LoggerDefinition(config_schema, description=inspect.getdoc(config_schema))

    def decorate(fn: Callable[[Any], logging.Logger]) -> LoggerDefinition:
        return LoggerDefinition(fn, config_schema, description or inspect.getdoc(fn))

    return decorate


class _ConsoleFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        step = getattr(record, "step_key", None)
        where = f"{record.__dict__.get('pipeline', '')}"
        if step:
            where += f" - {step}"
        return f"{self.formatTime(record, '%H:%M:%S')} - {record.levelname} - {where} - {record.getMessage()}"


def _console_logger(init_context: Any) -> logging.Logger:
    config = init_context.logger_config or {}
    level_name = str(config.get("log_level", "INFO")).upper()
    level = logging.getLevelName(level_name)
    if not isinstance(level, int):
        raise DagsterInvalidDefinitionError(
            f'console logger: log_level "{level_name}" is not a logging level '
            "(DEBUG, INFO, WARNING, ERROR, CRITICAL)."
        )
    instance = logging.Logger(config.get("name", "notebook_pipelines"), level)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ConsoleFormatter())
    instance.addHandler(handler)
    return instance


# A config enum, so a bad level is a config error with its path, reported with the others.
LOG_LEVEL = Enum(
    "LogLevel",
    [
        EnumValue(text, level)
        for level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
        for text in (level, level.lower())
    ],
)

colored_console_logger = LoggerDefinition(
    _console_logger,
    config_schema={
        "log_level": Field(LOG_LEVEL, default_value="INFO", description="DEBUG shows every event."),
        "name": Field(String, default_value="notebook_pipelines"),
    },
    description="Writes context.log messages and failures to stderr.",
)
