"""Run storage in a SQLite file: :class:`SqliteRunStorage` (the persistent instance's runs).

Tables (schema version :data:`SCHEMA_VERSION`, component ``runs``):

- ``runs``: one row per run. ``id`` (autoincrement) orders runs newest first and survives
  ``VACUUM``; ``run_id`` is unique (the key every other table and query uses). Columns for each
  field of :class:`~.runs.PipelineRun` — structured ones (``run_config``, ``tags``,
  ``solid_selection``, ``solids_to_execute``, ``step_keys_to_execute``, the two snapshots) as JSON
  written by :func:`notebook_pipelines.serdes.serialize`, so a run reads back equal (``==``) to
  the one stored — plus the :class:`~.runs.RunRecord` timestamps and the ``pid`` / ``hostname``
  (and start ticks) of the process executing the run. Indexed on ``pipeline_name``, ``status``, ``root_run_id``
  and ``create_timestamp``.
- ``run_tags``: one row per (run, tag key) for tag filters, indexed on (key, value); deleted with
  its run.

Every change is one short transaction committed at once (runs change a handful of times per run;
the hot path is the event log, :mod:`.sqlite_event_log`). The statements and the row encoding
are those every SQL run storage shares (:mod:`.sql_runs`).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import DagsterInvariantViolationError
from .runs import PipelineRun, check_run_argument
from .sql_runs import COLUMN_COUNT, COLUMNS, INDEX_AND_TAG_STATEMENTS, SqlRunStorage, T, run_values
from .sqlite_base import Schema, SqliteDatabase

SCHEMA_VERSION = 1

SCHEMA = Schema(
    "runs",
    SCHEMA_VERSION,
    (
        """CREATE TABLE IF NOT EXISTS runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL UNIQUE,
            pipeline_name TEXT NOT NULL,
            status TEXT NOT NULL,
            mode TEXT,
            run_config TEXT NOT NULL,
            tags TEXT NOT NULL,
            solid_selection TEXT,
            solids_to_execute TEXT,
            step_keys_to_execute TEXT,
            parent_run_id TEXT,
            root_run_id TEXT,
            execution_plan_snapshot TEXT,
            pipeline_snapshot TEXT,
            create_timestamp REAL NOT NULL,
            update_timestamp REAL NOT NULL,
            start_time REAL,
            end_time REAL,
            pid INTEGER,
            hostname TEXT,
            pid_start_ticks INTEGER
        )""",
        *INDEX_AND_TAG_STATEMENTS,
    ),
    "run storage",
)

_INSERT = f"INSERT INTO runs ({COLUMNS}) VALUES ({', '.join('?' * COLUMN_COUNT)})"


class SqliteRunStorage(SqlRunStorage):
    """Runs in the SQLite file ``path`` (created with its folder if missing).

    Several storages, in this process or others, may use one file at once. ``read_only`` opens a
    history on a read-only disk: runs are read, and changing one raises
    :class:`~notebook_pipelines.errors.DagsterReadOnlyStorageError`.
    """

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False) -> None:
        self._db = SqliteDatabase(path, SCHEMA, read_only=read_only)

    @property
    def path(self) -> str:
        return self._db.path

    @property
    def _location(self) -> str:
        return self._db.path

    @property
    def is_persistent(self) -> bool:
        return True

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._db.read(sql, params)

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._db.write(lambda conn: conn.execute(sql, params).rowcount)

    def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return self._db.write(fn)

    def _paging(self) -> contextlib.AbstractContextManager[Any]:
        return self._db.lock

    def add_run(self, pipeline_run: PipelineRun) -> PipelineRun:
        check_run_argument(pipeline_run)
        run = pipeline_run
        values = run_values(run, self.path, time.time())

        def insert(conn: sqlite3.Connection) -> None:
            conn.execute(_INSERT, values)
            self._insert_tags(conn.executemany, run)

        try:
            self._db.write(insert)
        except sqlite3.IntegrityError as error:
            raise DagsterInvariantViolationError(
                f"A run with id {run.run_id} already exists in this storage ({self.path})."
            ) from error
        return pipeline_run

    def dispose(self) -> None:
        self._db.close()
