"""Event-log storage in PostgreSQL: :class:`PostgresEventLogStorage` (a team's shared history).

Table ``event_logs`` (schema version :data:`SCHEMA_VERSION`, component ``event_log``), the same
semantics as :mod:`.sqlite_event_log`: one row per record (an identity ``id`` in the order
records were stored; ``run_id``, ``step_key``, ``event_type``, ``timestamp``, ``level``, the record
as JSON), indexed on (``run_id``, ``id``), ``step_key``, ``event_type`` and ``timestamp``; a
record's index in its run is its position among the run's rows. Two more columns say who wrote a
row: ``writer`` (one random id per storage object) and ``batch`` (its flush count), so a batch
retried after a lost connection is never written twice, and a watcher skips its own records.

**Batched writes, one transaction per step**: records are buffered and written when the SQLite
event log writes them (the rules every SQL event log shares, :class:`~.event_log.BufferedWriter`:
a step's, a hook's or the run's terminal event, ``PIPELINE_START``; run-level engine events;
``ERROR`` records; a full buffer or an old one; any read of this database by this process;
dispose, collection, exit).
A flush is one statement (a multi-row ``INSERT``, and in the same statement a ``pg_notify`` per
run with the ids written), so one round trip and one commit per step.

**Durability**: the event log's sessions run with ``synchronous_commit = off`` unless its config
says ``synchronous_commit: on``: a commit returns without waiting for the server's WAL flush
(which costs a disk ``fsync`` per step, most of a step's persisted cost), as SQLite's
``synchronous=NORMAL`` does (:mod:`.sqlite_base`). Records are never half-written or out of
order; a crash of the *server* (not of the run's process) may lose its last few hundred
milliseconds of commits (three times ``wal_writer_delay``). The run storage keeps the server's setting.

**A server that goes away** (restarted while a run writes): the batch stays in the buffer and is
retried on a new connection for up to :data:`~.postgres_base.RETRY_DEADLINE_S` seconds; a retry
first looks for its batch (``writer``, ``batch``), in case the lost answer was that of a commit
that went through. Nothing is lost, nothing is written twice. After the deadline the records are
still kept (written at the next flush) and the flush raises
:class:`~notebook_pipelines.errors.DagsterStorageError` naming the URL without its password.

**Watching** (:meth:`PostgresEventLogStorage.watch`): the records other processes (other
storages) write reach this process through ``LISTEN``/``NOTIFY`` (:mod:`.postgres_watch`), at
each of their commits: a remote run's step appears when the writer commits it (at its terminal
event), typically within a few milliseconds on a LAN.

Records of one run are written by one process at a time (the run's own), so ids within a run grow
in commit order; two processes writing the same run at once could interleave their batches.
"""

from __future__ import annotations

import logging
import threading
import uuid
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from ..events import DagsterEventType, EventRecord
from .event_log import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_FLUSH_INTERVAL_S,
    EVENT_LOG_INDEXES,
    BufferedWriter,
    EventLogStorage,
    Writers,
    check_batch_size,
    check_cursor,
    decode_record,
    event_row,
    event_type_value,
)
from .postgres_base import PostgresDatabase
from .sqlite_base import Schema, on_fork_in_child

_log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

#: The ``NOTIFY`` channel of new records (payload: ``run_id writer first_id last_id``).
CHANNEL = "notebook_pipelines_events"

SCHEMA = Schema(
    "event_log",
    SCHEMA_VERSION,
    (
        """CREATE TABLE IF NOT EXISTS event_logs (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            run_id TEXT NOT NULL,
            step_key TEXT,
            event_type TEXT,
            timestamp DOUBLE PRECISION NOT NULL,
            level INTEGER NOT NULL,
            event TEXT NOT NULL,
            writer TEXT,
            batch BIGINT
        )""",
        *EVENT_LOG_INDEXES,
    ),
    "event log",
)

_INSERT_HEAD = (
    "WITH written AS (INSERT INTO event_logs "
    "(run_id, step_key, event_type, timestamp, level, event, writer, batch) VALUES "
)
_INSERT_TAIL = (
    " RETURNING id, run_id) SELECT pg_notify(%s, run_id || ' ' || %s || ' ' || min(id) || ' ' "
    "|| max(id)) FROM written GROUP BY run_id"
)
_ROW_VALUES = "(%s, %s, %s, %s, %s, %s, %s, %s)"
_STATEMENTS: dict[int, str] = {}


def _insert_statement(rows: int) -> str:
    statement = _STATEMENTS.get(rows)
    if statement is None:
        statement = _INSERT_HEAD + ", ".join([_ROW_VALUES] * rows) + _INSERT_TAIL
        if len(_STATEMENTS) < 64:
            _STATEMENTS[rows] = statement
    return statement


# The run's records from index ``cursor + 1`` on, in order.
_SELECT_AFTER = "SELECT id, event FROM event_logs WHERE run_id = %s ORDER BY id OFFSET %s"
_SELECT_AFTER_OF_TYPE = (
    "SELECT id, event FROM (SELECT id, event, event_type FROM event_logs WHERE run_id = %s "
    "ORDER BY id OFFSET %s) AS later WHERE event_type = %s ORDER BY id"
)


class _Writer(BufferedWriter):
    """The records not yet committed and the database they go to, and who writes them."""

    log = _log

    def __init__(self, db: PostgresDatabase) -> None:
        super().__init__()
        self.db = db
        self.id = uuid.uuid4().hex
        self.batches = 0

    def flush(self) -> None:
        with self.db.lock:
            rows = self.buffer
            if not rows:
                return
            self.batches += 1
            batch = self.batches
            params: list[Any] = []
            for row in rows:
                params.extend(row)
                params.append(self.id)
                params.append(batch)
            params.extend((CHANNEL, self.id))
            statement = _insert_statement(len(rows))
            attempts = 0

            def write(conn: Any) -> None:
                nonlocal attempts
                attempts += 1
                if attempts > 1:  # the lost answer may have been that of a commit that went through
                    found = conn.execute(
                        "SELECT 1 FROM event_logs WHERE run_id = %s AND writer = %s AND batch = %s "
                        "LIMIT 1",
                        (rows[0][0], self.id, batch),
                    ).fetchone()
                    if found is not None:
                        return
                conn.execute(statement, params)

            # one statement, so its own transaction: one round trip (no BEGIN/COMMIT); raises
            # after the retry deadline, and then the rows stay buffered
            self.db.each(write)
            del self.buffer[: len(rows)]

    @property
    def where(self) -> str:
        return self.db.where

    def close_database(self) -> None:
        self.db.close()


# Every writer of this process, by database key: readers flush the writers of their database.
_WRITERS: Writers[_Writer] = Writers()


def _drop_inherited_buffers() -> None:
    for writer in _WRITERS:
        writer.buffer = []
        writer.id = uuid.uuid4().hex


on_fork_in_child(_drop_inherited_buffers)


class PostgresEventLogStorage(EventLogStorage):
    """Event records in a PostgreSQL database: ``config`` is ``instance.yaml``'s
    ``event_log_storage.config`` (``url``, optional ``password`` and ``schema``).

    ``batch_size`` and ``flush_interval_s`` bound how many records, and for how long, wait in
    memory (see the module docstring).
    """

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        flush_interval_s: float = DEFAULT_FLUSH_INTERVAL_S,
    ) -> None:
        check_batch_size("PostgresEventLogStorage", batch_size)
        self._config = dict(config)
        self._db = PostgresDatabase(config, SCHEMA, synchronous_commit="off")
        self._writer = _Writer(self._db)
        self._batch_size = batch_size
        self._flush_interval_s = float(flush_interval_s)
        self._watcher: Any = None
        self._watch_lock = threading.Lock()
        _WRITERS.add(self._db.key, self._writer)
        self._finalizer = weakref.finalize(self, self._writer.close)

    @property
    def where(self) -> str:
        """The database as messages name it (the URL without its password)."""
        return self._db.where

    @property
    def writer_id(self) -> str:
        """The id this storage writes its rows under (a watcher skips them)."""
        return self._writer.id

    @property
    def is_persistent(self) -> bool:
        return True

    def store_event(self, record: EventRecord) -> None:
        # NUL cannot be stored in a PostgreSQL text column; JSON escapes it in strings already
        row = event_row(record, self.where)
        writer = self._writer
        with self._db.lock:
            if writer.add(row, self._batch_size, self._flush_interval_s):
                writer.flush()

    def flush(self) -> None:
        """Commit every record this process handed to this database's storages."""
        _WRITERS.flush(self._db.key)

    def get_logs_for_run(
        self,
        run_id: str,
        cursor: int = -1,
        of_type: DagsterEventType | str | None = None,
    ) -> list[EventRecord]:
        check_cursor(cursor)
        self.flush()
        if of_type is None:
            rows = self._db.read(_SELECT_AFTER, (run_id, cursor + 1))
        else:
            wanted = event_type_value(of_type)
            rows = self._db.read(_SELECT_AFTER_OF_TYPE, (run_id, cursor + 1, wanted))
        return [self.record(run_id, row_id, text) for row_id, text in rows]

    def record(self, run_id: str, row_id: int, text: str) -> EventRecord:
        """The record stored as ``text`` in row ``row_id`` (a clear error if it is not one)."""
        return decode_record(run_id, row_id, text, self.where)

    def delete_events(self, run_id: str) -> None:
        self.flush()
        self._db.run("DELETE FROM event_logs WHERE run_id = %s", (run_id,))

    def wipe(self) -> None:
        self.flush()
        self._db.run("DELETE FROM event_logs")

    # --- watching other processes' records --------------------------------------------------------

    def watch(self, callback: Callable[[EventRecord], object]) -> None:
        """Call ``callback(record)`` (on a daemon thread) for each record another storage commits
        to this database from now on, run by run in order; once per storage (the last callback
        given wins). Stopped by :meth:`dispose`."""
        from .postgres_watch import Watcher

        with self._watch_lock:
            if self._watcher is None:
                self._watcher = Watcher(self._db, self, callback)
                self._watcher.start()
            else:
                self._watcher.callback = callback

    def dispose(self) -> None:
        """Commit the buffered records, stop watching, close the connections."""
        with self._watch_lock:
            watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()
        self.flush()
        self._db.close()

    def __repr__(self) -> str:
        return f"<PostgresEventLogStorage {self.where}>"
