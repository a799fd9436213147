"""Run storage in PostgreSQL: :class:`PostgresRunStorage` (a team's shared history).

The same tables and semantics as :mod:`.sqlite_runs` (schema version :data:`SCHEMA_VERSION`,
component ``runs``): ``runs`` with one row per run (an identity ``id`` orders runs newest first;
``run_id`` unique; structured fields as the JSON of :func:`notebook_pipelines.serdes.serialize`,
so a run reads back equal; the :class:`~.runs.RunRecord` timestamps; the ``pid``/``hostname`` of
the process executing it, which :mod:`.dead_runs` checks) and ``run_tags`` for tag filters.

Every change is one short statement or transaction; a status change is one ``UPDATE`` whose
condition makes it a compare-and-set (``CANCELED`` sticks; dead-run marking on (status, pid)),
so several processes and hosts can share the storage. A lost connection is retried
(:mod:`.postgres_base`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from ..errors import DagsterInvariantViolationError, DagsterRunNotFoundError
from ..events import DagsterEvent
from ..serdes import serialize
from .postgres_base import PostgresDatabase
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
from .sqlite_base import Schema
from .sqlite_runs import _json, _record_from_row

SCHEMA_VERSION = 1

SCHEMA = Schema(
    "runs",
    SCHEMA_VERSION,
    (
        """CREATE TABLE IF NOT EXISTS runs (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
            create_timestamp DOUBLE PRECISION NOT NULL,
            update_timestamp DOUBLE PRECISION NOT NULL,
            start_time DOUBLE PRECISION,
            end_time DOUBLE PRECISION,
            pid INTEGER,
            hostname TEXT,
            pid_start_ticks BIGINT
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
# ON CONFLICT DO NOTHING: a retried insert whose first commit went through finds its own row
_INSERT = (
    f"INSERT INTO runs ({_COLUMNS}) VALUES ({', '.join(['%s'] * 20)}) "
    "ON CONFLICT (run_id) DO NOTHING"
)
_SELECT = f"SELECT {_COLUMNS} FROM runs"


def _where(filters: RunsFilter | None) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if filters is None:
        return clauses, params
    if filters.run_ids is not None:
        clauses.append("run_id = ANY(%s)")
        params.append(list(filters.run_ids))
    if filters.pipeline_name is not None:
        clauses.append("pipeline_name = %s")
        params.append(filters.pipeline_name)
    if filters.statuses is not None:
        clauses.append("status = ANY(%s)")
        params.append([s.value for s in filters.statuses])
    for key, value in (filters.tags or {}).items():
        clauses.append("run_id IN (SELECT run_id FROM run_tags WHERE key = %s AND value = %s)")
        params.extend((key, value))
    return clauses, params


class PostgresRunStorage(RunStorage):
    """Runs in a PostgreSQL database: ``config`` is ``instance.yaml``'s ``run_storage.config``
    (``url``, optional ``password`` and ``schema``; see :class:`.postgres_base.PostgresDatabase`).
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        self._db = PostgresDatabase(config, SCHEMA)

    @property
    def where(self) -> str:
        """The database as messages name it (the URL without its password)."""
        return self._db.where

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
                f"Run {run.run_id} cannot be stored in {self.where}: {error}. Run config, tags "
                "and snapshots of a persistent run must be plain data (JSON values and "
                "@serializable records)."
            ) from error
        now = time.time()
        values = (*row, now, now, None, None, None, None, None)

        def insert(conn: Any) -> bool:
            inserted = conn.execute(_INSERT, values).rowcount == 1
            if inserted and run.tags:
                with conn.cursor() as cursor:
                    cursor.executemany(
                        "INSERT INTO run_tags (run_id, key, value) VALUES (%s, %s, %s)",
                        [(run.run_id, k, v) for k, v in run.tags.items()],
                    )
            return inserted

        inserted = self._db.write(insert)
        if not inserted:
            # an existing run, or this very insert retried after its commit's answer was lost
            # (then the stored row has this attempt's create timestamp)
            stored = self.get_run_record_by_id(run.run_id)
            if stored is None or stored.create_timestamp != now:
                raise DagsterInvariantViolationError(
                    f"A run with id {run.run_id} already exists in this storage ({self.where})."
                )
        return pipeline_run

    def get_run_record_by_id(self, run_id: str) -> RunRecord | None:
        rows = self._db.read(f"{_SELECT} WHERE run_id = %s", (run_id,))
        return _record_from_row(rows[0]) if rows else None

    def has_run(self, run_id: str) -> bool:
        return bool(self._db.read("SELECT 1 FROM runs WHERE run_id = %s", (run_id,)))

    def get_run_records(
        self,
        filters: RunsFilter | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        check_limit(limit)
        clauses, params = _where(filters)
        if cursor is not None:
            found = self._db.read("SELECT id FROM runs WHERE run_id = %s", (cursor,))
            if not found:
                raise DagsterRunNotFoundError(
                    f"Cannot page runs after run {cursor}: no run with that id.", cursor
                )
            clauses.append("id < %s")
            params.append(found[0][0])
        sql = _SELECT
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT %s"
            params.append(limit)
        return [_record_from_row(row) for row in self._db.read(sql, params)]

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
        sets = ["status = %s", "update_timestamp = %s"]
        params: list[Any] = [status.value, now]
        if status == PipelineRunStatus.STARTED:
            sets.append("start_time = COALESCE(start_time, %s)")
            params.append(now)
            if pid is not None:
                sets += ["pid = %s", "hostname = %s", "pid_start_ticks = %s"]
                params += [pid, this_host(), process_start_ticks(pid)]
        if status in FINISHED_STATUSES:
            sets.append("end_time = %s")
            params.append(now)
        sql = f"UPDATE runs SET {', '.join(sets)} WHERE run_id = %s {condition}"
        return int(self._db.run(sql, (*params, run_id, *condition_params)))

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
        condition = "AND status = 'STARTED' AND pid = %s"
        changed = self._set_status(run_id, PipelineRunStatus.FAILURE, timestamp, condition, (pid,))
        return changed == 1

    def delete_run(self, run_id: str) -> None:
        def delete(conn: Any) -> None:
            conn.execute("DELETE FROM run_tags WHERE run_id = %s", (run_id,))
            conn.execute("DELETE FROM runs WHERE run_id = %s", (run_id,))

        self._db.write(delete)

    def wipe(self) -> None:
        def delete_all(conn: Any) -> None:
            conn.execute("DELETE FROM run_tags")
            conn.execute("DELETE FROM runs")

        self._db.write(delete_all)

    def dispose(self) -> None:
        self._db.close()

    def __repr__(self) -> str:
        return f"<PostgresRunStorage {self.where}>"
