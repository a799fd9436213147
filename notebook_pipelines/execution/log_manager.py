"""``context.log``: :class:`DagsterLogManager` records messages in the run's event log and passes them,
with the run's events, to the run's Python loggers (only when a logger wants that level)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..events import DagsterEvent, EventRecord, event_level

RecordSink = Callable[[EventRecord], None]

_NEVER = logging.CRITICAL + 100


class DagsterLogManager:
    """Log messages of one run (and, through :meth:`with_tags`, of one step)."""

    def __init__(
        self,
        run_id: str,
        logging_tags: Mapping[str, str],
        loggers: Sequence[logging.Logger],
        sink: RecordSink | None = None,
        pipeline_name: str | None = None,
        step_key: str | None = None,
    ):
        self.run_id = run_id
        self.logging_tags = dict(logging_tags)
        self.loggers = list(loggers)
        self._sink = sink
        self.pipeline_name = pipeline_name
        self.step_key = step_key
        self.min_level = min((lg.getEffectiveLevel() for lg in self.loggers), default=_NEVER)
        self._extra = {**self.logging_tags, "run_id": run_id, "step_key": step_key}

    def with_tags(self, tags: Mapping[str, str], step_key: str | None = None) -> DagsterLogManager:
        """A manager for the same run with more tags (e.g. a step's)."""
        return DagsterLogManager(
            self.run_id,
            {**self.logging_tags, **tags},
            self.loggers,
            self._sink,
            self.pipeline_name,
            step_key if step_key is not None else self.step_key,
        )

    def log(self, level: int | str, msg: Any, **kwargs: Any) -> None:
        if isinstance(level, str):
            level = logging.getLevelName(level.upper())
            if not isinstance(level, int):
                level = logging.INFO
        message = str(msg)
        if self._sink is not None:
            self._sink(
                EventRecord(
                    self.run_id, time.time(), level, message, self.pipeline_name, self.step_key
                )
            )
        if level >= self.min_level:
            extra = {**self._extra, **kwargs} if kwargs else self._extra
            for python_logger in self.loggers:
                if python_logger.isEnabledFor(level):
                    python_logger.log(level, message, extra=extra)

    def log_event(self, event: DagsterEvent) -> None:
        """Pass a run event to the Python loggers that want its level (it is stored elsewhere)."""
        level = event_level(event)
        if level < self.min_level:
            return
        message = f"{event.event_type_value} - {event.message}"
        for python_logger in self.loggers:
            if python_logger.isEnabledFor(level):
                python_logger.log(level, message, extra={**self._extra, "step_key": event.step_key})

    def log_record(self, record: EventRecord) -> None:
        """Pass a record stored elsewhere (e.g. made in a worker process) to the Python loggers."""
        if record.dagster_event is not None:
            self.log_event(record.dagster_event)
            return
        if record.level < self.min_level:
            return
        extra = {**self._extra, "step_key": record.step_key}
        for python_logger in self.loggers:
            if python_logger.isEnabledFor(record.level):
                python_logger.log(record.level, record.user_message, extra=extra)

    def debug(self, msg: Any, **kwargs: Any) -> None:
        self.log(logging.DEBUG, msg, **kwargs)

    def info(self, msg: Any, **kwargs: Any) -> None:
        self.log(logging.INFO, msg, **kwargs)

    def warning(self, msg: Any, **kwargs: Any) -> None:
        self.log(logging.WARNING, msg, **kwargs)

    warn = warning

    def error(self, msg: Any, **kwargs: Any) -> None:
        self.log(logging.ERROR, msg, **kwargs)

    def critical(self, msg: Any, **kwargs: Any) -> None:
        self.log(logging.CRITICAL, msg, **kwargs)
