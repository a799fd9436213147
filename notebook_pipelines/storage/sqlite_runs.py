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
the hot path is the event log, :mod:`.sqlite_event_log`).
"""

from __future__ import annotations

import os
import sqlite3
import time
from typing import Any

from ..errors import DagsterInvariantViolationError, DagsterRunNotFoundError
from ..events import DagsterEvent
from ..serdes import deserialize, serialize
from .processes import process_start_ticks, this_host
from .runs import (
    FINISHED_STATUSES,
    PipelineRun,
    PipelineRunStatus,
    RunRecord,
    RunsFilter,
    RunStorage,
    check_limit,
    check_run_argument,
    status_for_event_type,
)
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
        "CREATE INDEX IF NOT EXISTS runs_pipeline_name ON runs (pipeline_name, id)",
        "CREATE INDEX IF NOT EXISTS runs_status ON runs (status, id)",
        "CREATE INDEX IF NOT EXISTS runs_root_run_id ON runs (root_run_id)",
        "CREATE INDEX IF NOT EXISTS runs_create_timestamp ON runs (create_timestamp)",
        """CREATE TABLE IF NOT EXISTS run_tags (
            run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            value TEXT,
            PRIMARY KEY (run_id, key)
        )""",
        "CREATE INDEX IF NOT EXISTS run_tags_key_value ON run_tags (key, value)",
    ),
    "run storage",
)

_COLUMNS = (
    "run_id, pipeline_name, status, mode, run_config, tags, solid_selection, solids_to_execute, "
    "step_keys_to_execute, parent_run_id, root_run_id, execution_plan_snapshot, "
    "pipeline_snapshot, create_timestamp, update_timestamp, start_time, end_time, pid, hostname, "
    "pid_start_ticks"
)
_INSERT = f"INSERT INTO runs ({_COLUMNS}) VALUES ({', '.join('?' * 20)})"
_SELECT = f"SELECT {_COLUMNS} FROM runs"


def _json(value: Any) -> str | None:
    return None if value is None else serialize(value)


def _unjson(text: str | None) -> Any:
    return None if text is None else deserialize(text)


def _record_from_row(row: tuple[Any, ...]) -> RunRecord:
    run = PipelineRun(
        pipeline_name=row[1],
        run_id=row[0],
        run_config=_unjson(row[4]),
        mode=row[3],
        solid_selection=_unjson(row[6]),
        solids_to_execute=_unjson(row[7]),
        step_keys_to_execute=_unjson(row[8]),
        status=PipelineRunStatus(row[2]),
        tags=_unjson(row[5]),
        root_run_id=row[10],
        parent_run_id=row[9],
        execution_plan_snapshot=_unjson(row[11]),
        pipeline_snapshot=_unjson(row[12]),
    )
    return RunRecord(run, row[13], row[14], row[15], row[16], row[17], row[18], row[19])


def _where(filters: RunsFilter | None) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if filters is None:
        return clauses, params
    if filters.run_ids is not None:
        clauses.append(f"run_id IN ({', '.join('?' * len(filters.run_ids))})")
        params.extend(filters.run_ids)
    if filters.pipeline_name is not None:
        clauses.append("pipeline_name = ?")
        params.append(filters.pipeline_name)
    if filters.statuses is not None:
        clauses.append(f"status IN ({', '.join('?' * len(filters.statuses))})")
        params.extend(s.value for s in filters.statuses)
    for key, value in (filters.tags or {}).items():
        clauses.append("run_id IN (SELECT run_id FROM run_tags WHERE key = ? AND value = ?)")
        params.extend((key, value))
    return clauses, params


class SqliteRunStorage(RunStorage):
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
    def is_persistent(self) -> bool:
        return True

    def add_run(self, pipeline_run: PipelineRun) -> PipelineRun:
        check_run_argument(pipeline_run)
        run = pipeline_run
        try:
            row = (
                run.run_id,
                run.pipeline_name,
                run.status.value,
                run.mode,
                serialize(run.run_config),
                serialize(run.tags),
                _json(run.solid_selection),
                _json(run.solids_to_execute),
                _json(run.step_keys_to_execute),
                run.parent_run_id,
                run.root_run_id,
                _json(run.execution_plan_snapshot),
                _json(run.pipeline_snapshot),
            )
        except TypeError as error:
            raise DagsterInvariantViolationError(
                f"Run {run.run_id} cannot be stored in {self.path}: {error}. Run config, tags "
                "and snapshots of a persistent run must be plain data (JSON values and "
                "@serializable records)."
            ) from error
        now = time.time()
        values = (*row, now, now, None, None, None, None, None)

        def insert(conn: sqlite3.Connection) -> None:
            conn.execute(_INSERT, values)
            if run.tags:
                conn.executemany(
                    "INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)",
                    [(run.run_id, k, v) for k, v in run.tags.items()],
                )

        try:
            self._db.write(insert)
        except sqlite3.IntegrityError as error:
            raise DagsterInvariantViolationError(
                f"A run with id {run.run_id} already exists in this storage ({self.path})."
            ) from error
        return pipeline_run

    def get_run_record_by_id(self, run_id: str) -> RunRecord | None:
        rows = self._db.read(f"{_SELECT} WHERE run_id = ?", (run_id,))
        return _record_from_row(rows[0]) if rows else None

    def has_run(self, run_id: str) -> bool:
        return bool(self._db.read("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)))

    def get_run_records(
        self,
        filters: RunsFilter | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        check_limit(limit)
        clauses, params = _where(filters)
        with self._db.lock:
            if cursor is not None:
                found = self._db.read("SELECT id FROM runs WHERE run_id = ?", (cursor,))
                if not found:
                    raise DagsterRunNotFoundError(
                        f"Cannot page runs after run {cursor}: no run with that id.", cursor
                    )
                clauses.append("id < ?")
                params.append(found[0][0])
            sql = _SELECT
            if clauses:
                sql += " WHERE " + " AND ".join(clauses)
            sql += " ORDER BY id DESC"
            if limit is not None:
                sql += " LIMIT ?"
                params.append(limit)
            rows = self._db.read(sql, params)
        return [_record_from_row(row) for row in rows]

    def get_runs_count(self, filters: RunsFilter | None = None) -> int:
        clauses, params = _where(filters)
        sql = "SELECT COUNT(*) FROM runs"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        return int(self._db.read(sql, params)[0][0])

    def _set_status(
        self,
        run_id: str,
        status: PipelineRunStatus,
        timestamp: float | None,
        condition: str,
        condition_params: tuple[Any, ...] = (),
        pid: int | None = None,
    ) -> int:
        """One UPDATE moving the run to ``status`` (as :func:`~.runs.advance_run_record` does);
        returns how many rows changed."""
        now = time.time() if timestamp is None else timestamp
        sets = ["status = ?", "update_timestamp = ?"]
        params: list[Any] = [status.value, now]
        if status == PipelineRunStatus.STARTED:
            sets.append("start_time = COALESCE(start_time, ?)")
            params.append(now)
            if pid is not None:
                sets += ["pid = ?", "hostname = ?", "pid_start_ticks = ?"]
                params += [pid, this_host(), process_start_ticks(pid)]
        if status in FINISHED_STATUSES:
            sets.append("end_time = ?")
            params.append(now)
        sql = f"UPDATE runs SET {', '.join(sets)} WHERE run_id = ? {condition}"
        values = (*params, run_id, *condition_params)
        return self._db.write(lambda conn: conn.execute(sql, values).rowcount)

    def handle_run_event(
        self, run_id: str, event: DagsterEvent, timestamp: float | None = None
    ) -> None:
        status = status_for_event_type(event.event_type_value)
        if status is None:
            return
        self._set_status(run_id, status, timestamp, "AND status != 'CANCELED'", pid=event.pid)

    def update_run_status(
        self, run_id: str, status: PipelineRunStatus, timestamp: float | None = None
    ) -> PipelineRun:
        status = PipelineRunStatus(status)
        if not self._set_status(run_id, status, timestamp, ""):
            raise DagsterRunNotFoundError(
                f"Cannot set the status of run {run_id}: no run with that id.", run_id
            )
        run = self.get_run_by_id(run_id)
        assert run is not None
        return run

    def mark_dead_run_failed(self, run_id: str, pid: int, timestamp: float | None = None) -> bool:
        condition = "AND status = 'STARTED' AND pid = ?"
        changed = self._set_status(run_id, PipelineRunStatus.FAILURE, timestamp, condition, (pid,))
        return changed == 1

    def delete_run(self, run_id: str) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM run_tags WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))

        self._db.write(delete)

    def wipe(self) -> None:
        def delete_all(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM run_tags")
            conn.execute("DELETE FROM runs")

        self._db.write(delete_all)

    def dispose(self) -> None:
        self._db.close()

    def __repr__(self) -> str:
        return f"<SqliteRunStorage {self.path}>"
