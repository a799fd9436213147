"""Event-log storage: every :class:`~notebook_pipelines.events.EventRecord` of every run, in order.

A run's records are numbered from 0 in the order they were stored; that number is the record's
*index*. A cursor is the index of the last record a reader has seen: ``get_logs_for_run(run_id,
cursor)`` returns the records with an index greater than ``cursor`` (``-1``, the default, gives
them all), so a reader that keeps ``cursor += len(records)`` never misses nor repeats one.

:class:`EventLogStorage` is the interface every backend implements (in memory here, SQLite in the
persistent instance); ``notebook_pipelines.testing.storage_suite.EventLogStorageSuite`` is the
conformance suite each backend passes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from ..errors import DagsterInvariantViolationError
from ..events import DagsterEventType, EventRecord


class EventLogStorage(ABC):
    """Where an instance keeps the event records of its runs."""

    @property
    @abstractmethod
    def is_persistent(self) -> bool:
        """Whether records outlive this process."""

    @abstractmethod
    def store_event(self, record: EventRecord) -> None:
        """Append ``record`` to the log of run ``record.run_id``."""

    @abstractmethod
    def get_logs_for_run(
        self,
        run_id: str,
        cursor: int = -1,
        of_type: DagsterEventType | str | None = None,
    ) -> list[EventRecord]:
        """The records of run ``run_id`` with an index greater than ``cursor``, in order.

        With ``of_type``, only the Dagster events of that type (indexes still count every
        record). An unknown run has no records.
        """

    @abstractmethod
    def delete_events(self, run_id: str) -> None:
        """Forget the records of run ``run_id``."""

    @abstractmethod
    def wipe(self) -> None:
        """Forget every record of every run."""

    def dispose(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release what the storage holds open (connections, files)."""


def check_cursor(cursor: int) -> None:
    """Refuse a cursor that is not an integer >= -1."""
    if not isinstance(cursor, int) or isinstance(cursor, bool) or cursor < -1:
        raise DagsterInvariantViolationError(
            f"An event-log cursor is the index of the last record seen (an integer >= -1), "
            f"got {cursor!r}"
        )


def event_type_value(of_type: DagsterEventType | str) -> str:
    """The string value of an event type given as enum member or string (checked)."""
    return DagsterEventType(of_type).value


class InMemoryEventLogStorage(EventLogStorage):
    """Records kept in lists in this process (the ephemeral instance's event log)."""

    def __init__(self) -> None:
        self._logs: dict[str, list[EventRecord]] = {}

    @property
    def is_persistent(self) -> bool:
        return False

    def store_event(self, record: EventRecord) -> None:
        # The hot path: one dict lookup and one list append.
        logs = self._logs.get(record.run_id)
        if logs is None:
            self._logs[record.run_id] = [record]
        else:
            logs.append(record)

    def get_logs_for_run(
        self,
        run_id: str,
        cursor: int = -1,
        of_type: DagsterEventType | str | None = None,
    ) -> list[EventRecord]:
        check_cursor(cursor)
        records = self._logs.get(run_id, ())[cursor + 1 :]
        if of_type is None:
            return list(records)
        wanted = event_type_value(of_type)
        return [
            r
            for r in records
            if r.dagster_event is not None and r.dagster_event.event_type_value == wanted
        ]

    def delete_events(self, run_id: str) -> None:
        self._logs.pop(run_id, None)

    def wipe(self) -> None:
        self._logs.clear()
