"""Event-log storage in a SQLite file: :class:`SqliteEventLogStorage` (the persistent instance's).

Table ``event_logs`` (schema version :data:`SCHEMA_VERSION`, component ``event_log``): one row
per :class:`~notebook_pipelines.events.EventRecord` — ``id`` (``INTEGER PRIMARY KEY``: assigned
increasing, the order records were stored in; without the ``AUTOINCREMENT`` keyword, whose extra
page write per commit buys only that ids of deleted newest rows are never handed out again, which
no reader relies on: cursors are positions within a run), ``run_id``, ``step_key``, ``event_type`` (``NULL`` for a ``context.log``
message), ``timestamp``, ``level`` and the record itself as JSON
(:func:`notebook_pipelines.serdes.serialize`), so it reads back equal (``==``). Indexed on
(``run_id``, ``id``) — a run's log in order, and the cursor — and on ``step_key``, ``event_type``
and ``timestamp``. A record's index in its run (the cursor of
:meth:`~.event_log.EventLogStorage.get_logs_for_run`) is its position among the run's rows.

Each commit's cost is dominated by the pages it writes (the table, and one or more per index:
the ``event_type`` index alone costs about 10 µs per record in the chain benchmark); WAL
checkpoints run in a background thread (:mod:`.sqlite_base`).

**Batched writes.** :meth:`SqliteEventLogStorage.store_event` appends the record to a buffer;
the buffer is written in one transaction (one ``executemany``, one commit) when:

- (the rules every SQL event log shares, :class:`~.event_log.BufferedWriter`) the record ends
  something: a step (``STEP_SUCCESS``, ``STEP_FAILURE``, ``STEP_SKIPPED``,
  ``STEP_UP_FOR_RETRY``), a hook (``HOOK_COMPLETED``, ``HOOK_ERRORED``, ``HOOK_SKIPPED``) or a
  run (``PIPELINE_SUCCESS``, ``PIPELINE_FAILURE``, ``PIPELINE_INIT_FAILURE``), or starts one
  (``PIPELINE_START``) — see :data:`~.event_log.FLUSH_EVENT_TYPES`;
- the record is any other run-level Dagster event (no step key: the engine events of resource
  set-up and teardown, which come before ``PIPELINE_START`` and after the run's last event — a
  handful per run), so a finished run is entirely on disk;
- the record is at level ``ERROR`` or above (an error is never left in memory);
- the buffer holds ``batch_size`` records, or its oldest record waited ``flush_interval_s``;
- anything reads or deletes records of this file in this process (every storage of this process
  on the same file is flushed first, so readers see every record already handed to
  ``store_event``);
- :meth:`~SqliteEventLogStorage.flush`, :meth:`~SqliteEventLogStorage.dispose`, the storage
  being garbage-collected, and interpreter exit.

**A full disk.** When a commit fails because the disk is full, the records stay in the buffer
(nothing is dropped), a warning names the file, :attr:`~SqliteEventLogStorage.disk_full_error`
is set and ``store_event`` goes on without raising; every later flush retries, so the records are
written as soon as space returns (at the latest when the storage is disposed).

So a record is on disk no later than its step's terminal event: if the process dies, the stored
log ends with a complete step (or with records of the step that was running). Records are
committed in the order they were stored. In a forked child the buffer inherited from the parent
is dropped (the parent writes those records).
"""

from __future__ import annotations

import logging
import os
import weakref
from collections.abc import Callable

from ..errors import DagsterStorageFullError
from ..events import DagsterEventType, EventRecord
from .event_log import DEFAULT_BATCH_SIZE as DEFAULT_BATCH_SIZE
from .event_log import DEFAULT_FLUSH_INTERVAL_S as DEFAULT_FLUSH_INTERVAL_S
from .event_log import (
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
from .event_log import FLUSH_EVENT_TYPES as FLUSH_EVENT_TYPES
from .sqlite_base import Schema, SqliteDatabase, on_fork_in_child, read_only_error

_log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

SCHEMA = Schema(
    "event_log",
    SCHEMA_VERSION,
    (
        """CREATE TABLE IF NOT EXISTS event_logs (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL,
            step_key TEXT,
            event_type TEXT,
            timestamp REAL NOT NULL,
            level INTEGER NOT NULL,
            event TEXT NOT NULL
        )""",
        *EVENT_LOG_INDEXES,
    ),
    "event log",
)

_INSERT = (
    "INSERT INTO event_logs (run_id, step_key, event_type, timestamp, level, event) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
# The run's records from index ``cursor + 1`` on: the subquery finds that record's id in the
# (run_id, id) index alone, so skipped records are never read from the table.
_SELECT_AFTER = (
    "SELECT id, event FROM event_logs WHERE run_id = ? AND id >= "
    "(SELECT id FROM event_logs WHERE run_id = ? ORDER BY id LIMIT 1 OFFSET ?)"
)
# (``+event_type``: walk the run's records, not every record of that type in every later run)
_SELECT_AFTER_OF_TYPE = f"{_SELECT_AFTER} AND +event_type = ?"


class _Writer(BufferedWriter):
    """The records not yet committed and the database they go to."""

    log = _log

    def __init__(self, db: SqliteDatabase) -> None:
        super().__init__()
        self.db = db
        #: set while the disk is full: the records wait in :attr:`buffer` until a flush succeeds
        self.disk_full: DagsterStorageFullError | None = None
        #: called (without arguments) when a flush succeeds after the disk was full
        self.space_returned: list[Callable[[], object]] = []

    def flush(self) -> None:
        with self.db.lock:
            rows = self.buffer
            if not rows:
                return
            self.buffer = []
            try:
                self.db.write(lambda conn: conn.executemany(_INSERT, rows))
            except BaseException as error:
                self.buffer = rows + self.buffer  # kept for the next flush
                if isinstance(error, DagsterStorageFullError):
                    if self.disk_full is None:
                        _log.warning(
                            "%s %d event records are kept in memory and written when space "
                            "returns (at the next write, or when the instance is disposed).",
                            error,
                            len(self.buffer),
                        )
                    self.disk_full = error
                raise
            if self.disk_full is not None:
                _log.warning("Space returned: the records kept in memory are in %s.", self.db.path)
                self.disk_full = None
                for callback in self.space_returned:
                    try:
                        callback()
                    except Exception:
                        _log.exception("A callback for space returning to %s raised", self.db.path)

    @property
    def where(self) -> str:
        return self.db.path

    def close_database(self) -> None:
        self.db.close()


# Every writer of this process, by database path: readers flush the writers of their file.
_WRITERS: Writers[_Writer] = Writers()


def _drop_inherited_buffers() -> None:
    for writer in _WRITERS:
        writer.buffer = []


on_fork_in_child(_drop_inherited_buffers)


class SqliteEventLogStorage(EventLogStorage):
    """Event records in the SQLite file ``path`` (created with its folder if missing).

    ``batch_size`` and ``flush_interval_s`` bound how many records, and for how long, wait in
    memory (see the module docstring for when records are committed). Several storages, in this
    process or others, may write to one file at once. ``read_only`` opens a history on a
    read-only disk: records are read, and storing one raises
    :class:`~notebook_pipelines.errors.DagsterReadOnlyStorageError`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        flush_interval_s: float = DEFAULT_FLUSH_INTERVAL_S,
        read_only: bool = False,
    ) -> None:
        check_batch_size("SqliteEventLogStorage", batch_size)
        self._db = SqliteDatabase(
            path, SCHEMA, background_checkpoints=not read_only, read_only=read_only
        )
        self._writer = _Writer(self._db)
        self._batch_size = batch_size
        self._flush_interval_s = float(flush_interval_s)
        _WRITERS.add(self._db.path, self._writer)
        self._finalizer = weakref.finalize(self, self._writer.close)

    @property
    def path(self) -> str:
        return self._db.path

    @property
    def is_persistent(self) -> bool:
        return True

    def store_event(self, record: EventRecord) -> None:
        if self._db.read_only:
            raise read_only_error(self.path, f"an event of run {record.run_id} cannot be stored")
        row = event_row(record, self.path)
        writer = self._writer
        with self._db.lock:
            if writer.add(row, self._batch_size, self._flush_interval_s):
                try:
                    writer.flush()
                except DagsterStorageFullError:
                    pass  # kept in memory (writer.disk_full says so); the run goes on

    @property
    def disk_full_error(self) -> DagsterStorageFullError | None:
        """Set while records wait in memory because the disk is full (cleared when written)."""
        return self._writer.disk_full

    def when_space_returns(self, callback: Callable[[], object]) -> None:
        """Call ``callback()`` when records kept for a full disk have been written."""
        if callback not in self._writer.space_returned:
            self._writer.space_returned.append(callback)

    def flush(self) -> None:
        """Commit every record this process handed to this file's storages (raises
        :class:`~notebook_pipelines.errors.DagsterStorageFullError` if the disk is full: the
        records are still kept)."""
        _WRITERS.flush(self._db.path)

    def _flush_for_reading(self) -> None:
        try:
            self.flush()
        except DagsterStorageFullError:
            pass  # readers see what is on disk; the rest waits in memory for space

    def get_logs_for_run(
        self,
        run_id: str,
        cursor: int = -1,
        of_type: DagsterEventType | str | None = None,
    ) -> list[EventRecord]:
        check_cursor(cursor)
        self._flush_for_reading()
        if of_type is None:
            rows = self._db.read(_SELECT_AFTER + " ORDER BY id", (run_id, run_id, cursor + 1))
        else:
            wanted = event_type_value(of_type)
            rows = self._db.read(
                _SELECT_AFTER_OF_TYPE + " ORDER BY id", (run_id, run_id, cursor + 1, wanted)
            )
        return [decode_record(run_id, row_id, text, self.path) for row_id, text in rows]

    def delete_events(self, run_id: str) -> None:
        self.flush()
        self._db.write(
            lambda conn: conn.execute("DELETE FROM event_logs WHERE run_id = ?", (run_id,))
        )

    def wipe(self) -> None:
        self.flush()
        self._db.write(lambda conn: conn.execute("DELETE FROM event_logs"))

    def dispose(self) -> None:
        """Commit the buffered records and close the connection (reopened if used again)."""
        self.flush()
        self._db.close()

    def __repr__(self) -> str:
        return f"<SqliteEventLogStorage {self.path}>"
