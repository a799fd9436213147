"""Event-log storage: every :class:`~notebook_pipelines.events.EventRecord` of every run, in order.

A run's records are numbered from 0 in the order they were stored; that number is the record's
*index*. A cursor is the index of the last record a reader has seen: ``get_logs_for_run(run_id,
cursor)`` returns the records with an index greater than ``cursor`` (``-1``, the default, gives
them all), so a reader that keeps ``cursor += len(records)`` never misses nor repeats one.

:class:`EventLogStorage` is the interface every backend implements (in memory here, SQLite in the
persistent instance); ``notebook_pipelines.testing.storage_suite.EventLogStorageSuite`` is the
conformance suite each backend passes.

What the SQL event logs (:mod:`.sqlite_event_log`, :mod:`.postgres_event_log`) share is here too:
a record as a row (:func:`event_row`) and back (:func:`decode_record`), and the batching rules
(:data:`FLUSH_EVENT_TYPES`, :class:`BufferedWriter`: when a buffered record is written).
"""

from __future__ import annotations

import logging
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any, ClassVar, Generic, TypeVar

from ..errors import DagsterEventLogInvalidForRun, DagsterInvariantViolationError
from ..events import DagsterEventType, EventRecord
from ..serdes import deserialize, serialize


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


# --- what the SQL event logs share ---------------------------------------------------------------

#: Event types whose record is committed at once, with every record buffered before it.
FLUSH_EVENT_TYPES = frozenset(
    {
        DagsterEventType.STEP_SUCCESS,
        DagsterEventType.STEP_FAILURE,
        DagsterEventType.STEP_SKIPPED,
        DagsterEventType.STEP_UP_FOR_RETRY,
        DagsterEventType.HOOK_COMPLETED,
        DagsterEventType.HOOK_ERRORED,
        DagsterEventType.HOOK_SKIPPED,
        DagsterEventType.PIPELINE_START,
        DagsterEventType.PIPELINE_SUCCESS,
        DagsterEventType.PIPELINE_FAILURE,
        DagsterEventType.PIPELINE_INIT_FAILURE,
    }
)

#: What follows each dialect's ``CREATE TABLE event_logs``: its indexes.
EVENT_LOG_INDEXES = (
    "CREATE INDEX IF NOT EXISTS event_logs_run_id ON event_logs (run_id, id)",
    "CREATE INDEX IF NOT EXISTS event_logs_step_key ON event_logs (step_key)",
    "CREATE INDEX IF NOT EXISTS event_logs_event_type ON event_logs (event_type)",
    "CREATE INDEX IF NOT EXISTS event_logs_timestamp ON event_logs (timestamp)",
)

DEFAULT_BATCH_SIZE = 256
DEFAULT_FLUSH_INTERVAL_S = 1.0

#: A record as a row: ``run_id``, ``step_key``, ``event_type``, ``timestamp``, ``level``, JSON.
EventRow = tuple[str, Any, Any, float, int, str]


def check_batch_size(owner: str, batch_size: object) -> None:
    """Refuse a ``batch_size`` that is not a positive integer (``owner``: the storage class)."""
    if not isinstance(batch_size, int) or batch_size < 1:
        raise DagsterInvariantViolationError(
            f"{owner}: batch_size must be a positive integer, got {batch_size!r}"
        )


def event_row(record: EventRecord, where: str) -> EventRow:
    """The row of ``record``; raises
    :class:`~notebook_pipelines.errors.DagsterInvariantViolationError` naming ``where`` (the
    storage) if its data is not plain data."""
    event = record.dagster_event
    event_type = None if event is None else event.event_type_value
    try:
        text = serialize(record)
    except TypeError as error:
        raise DagsterInvariantViolationError(
            f"A {event_type or 'log'} record of run {record.run_id}"
            f"{f' (step {record.step_key})' if record.step_key else ''} cannot be stored in "
            f"{where}: {error}. Event data must be plain data (JSON values and "
            "@serializable records)."
        ) from error
    return (record.run_id, record.step_key, event_type, record.timestamp, record.level, text)


def decode_record(run_id: str, row_id: int, text: str, where: str) -> EventRecord:
    """The record stored as ``text`` in row ``row_id`` of ``where`` (a clear error if it is not
    one)."""
    try:
        record = deserialize(text)
    except Exception as error:
        raise DagsterEventLogInvalidForRun(
            run_id,
            f"The event log of run {run_id} cannot be read: row {row_id} of {where} "
            f"is not a stored event record ({type(error).__name__}: {error}).",
        ) from error
    if not isinstance(record, EventRecord):
        raise DagsterEventLogInvalidForRun(
            run_id,
            f"The event log of run {run_id} cannot be read: row {row_id} of {where} "
            f"holds a {type(record).__name__}, not an EventRecord.",
        )
    return record


class BufferedWriter(ABC):
    """The records of one storage not yet committed (a dialect's :meth:`flush` writes them).

    Separate from the storage so that a finalizer can flush it when the storage is collected or
    the interpreter exits. The caller guards the buffer with the database's lock.
    """

    #: where :meth:`close` reports a failed flush
    log: ClassVar[logging.Logger]

    def __init__(self) -> None:
        self.buffer: list[EventRow] = []
        self.oldest = 0.0  # time.monotonic() when the first buffered record arrived

    @property
    @abstractmethod
    def where(self) -> str:
        """The database as messages name it."""

    @abstractmethod
    def flush(self) -> None:
        """Commit the buffer (kept if that fails)."""

    @abstractmethod
    def close_database(self) -> None:
        """Close the database's connection."""

    def add(self, row: EventRow, batch_size: int, flush_interval_s: float) -> bool:
        """Buffer ``row``; whether the buffer is to be written now: at a record that ends (or
        starts) something (:data:`FLUSH_EVENT_TYPES`), any other run-level Dagster event, a
        record at level ``ERROR`` or above, a full buffer or an old one."""
        buffer = self.buffer
        now = time.monotonic()
        if not buffer:
            self.oldest = now
        buffer.append(row)
        event_type = row[2]
        return (
            event_type in FLUSH_EVENT_TYPES
            or (event_type is not None and row[1] is None)
            or row[4] >= logging.ERROR
            or len(buffer) >= batch_size
            or now - self.oldest >= flush_interval_s
        )

    def close(self) -> None:
        """Flush and close; never raises (runs at garbage collection and at exit)."""
        try:
            self.flush()
        except Exception:
            self.log.exception(
                "Could not write %d event records to %s", len(self.buffer), self.where
            )
        try:
            self.close_database()
        except Exception:
            pass


W = TypeVar("W", bound=BufferedWriter)


class Writers(Generic[W]):
    """Every writer of this process (of one dialect) by database key: a reader flushes the
    writers of its database first, so it sees every record this process handed over."""

    def __init__(self) -> None:
        self._by_key: dict[str, weakref.WeakSet[W]] = {}

    def add(self, key: str, writer: W) -> None:
        self._by_key.setdefault(key, weakref.WeakSet()).add(writer)

    def flush(self, key: str) -> None:
        """Flush every writer of database ``key`` that holds records."""
        for writer in list(self._by_key.get(key, ())):
            if writer.buffer:
                writer.flush()

    def __iter__(self) -> Iterator[W]:
        for writers in list(self._by_key.values()):
            yield from list(writers)
