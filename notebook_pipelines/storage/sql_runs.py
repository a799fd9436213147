"""What the SQL run storages share (:mod:`.sqlite_runs`, :mod:`.postgres_runs`); layer L3.

Both keep runs in the same two tables (``runs``, ``run_tags``; each dialect's module creates
them: its ``CREATE TABLE runs``, then :data:`INDEX_AND_TAG_STATEMENTS`) and read and change them
with the same statements: :class:`SqlRunStorage` holds those statements and the methods built on
them, and :func:`run_values` / :func:`record_from_row` the encoding of a run as a row (structured
fields as the JSON of :func:`notebook_pipelines.serdes.serialize`, so a run reads back equal) and
back.

Statements are written with SQLite's ``?`` placeholder; a dialect with another style sets
:attr:`SqlRunStorage.placeholder` and each statement is translated to it. What really differs
stays in each dialect's module: connections and transactions (:meth:`SqlRunStorage._read`,
:meth:`~SqlRunStorage._execute`, :meth:`~SqlRunStorage._write`), list membership
(:meth:`~SqlRunStorage._in_list`), inserting a run (a duplicate id is found differently), and
the schema.
"""

from __future__ import annotations

import contextlib
import time
from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

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
    status_for_event_type,
)

T = TypeVar("T")

#: The columns of table ``runs`` in the order of :func:`run_values` and :func:`record_from_row`.
COLUMNS = (
    "run_id, pipeline_name, status, mode, run_config, tags, solid_selection, solids_to_execute, "
    "step_keys_to_execute, parent_run_id, root_run_id, execution_plan_snapshot, "
    "pipeline_snapshot, create_timestamp, update_timestamp, start_time, end_time, pid, hostname, "
    "pid_start_ticks"
)
#: How many columns :data:`COLUMNS` names.
COLUMN_COUNT = 20

#: What follows each dialect's ``CREATE TABLE runs``: the indexes and table ``run_tags``.
INDEX_AND_TAG_STATEMENTS = (
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
)

_SELECT = f"SELECT {COLUMNS} FROM runs"
_INSERT_TAGS = "INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)"


def _json(value: Any) -> str | None:
    return None if value is None else serialize(value)


def _unjson(text: str | None) -> Any:
    return None if text is None else deserialize(text)


def run_values(run: PipelineRun, where: str, now: float) -> tuple[Any, ...]:
    """The row of new run ``run`` created at ``now`` (values in :data:`COLUMNS` order).

    Raises :class:`~notebook_pipelines.errors.DagsterInvariantViolationError` naming ``where``
    (the storage) if a field is not plain data.
    """
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
            f"Run {run.run_id} cannot be stored in {where}: {error}. Run config, tags "
            "and snapshots of a persistent run must be plain data (JSON values and "
            "@serializable records)."
        ) from error
    return (*row, now, now, None, None, None, None, None)


def record_from_row(row: Sequence[Any]) -> RunRecord:
    """The record of a row selected with :data:`COLUMNS`."""
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


def tag_rows(run: PipelineRun) -> list[tuple[str, str, Any]]:
    """The ``run_tags`` rows of ``run``."""
    return [(run.run_id, k, v) for k, v in run.tags.items()]


class SqlRunStorage(RunStorage):
    """A run storage over the SQL tables ``runs`` and ``run_tags``; a dialect supplies how
    statements run."""

    #: the dialect's parameter placeholder (statements here are written with ``?``)
    placeholder: ClassVar[str] = "?"

    @property
    @abstractmethod
    def _location(self) -> str:
        """The storage as messages name it."""

    @abstractmethod
    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """The rows of one query."""

    @abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one changing statement (its own transaction); how many rows it changed."""

    @abstractmethod
    def _write(self, fn: Callable[[Any], T]) -> T:
        """Run ``fn(connection)`` in one write transaction."""

    def _in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """The condition ``column`` is one of ``values``, with its parameters."""
        return f"{column} IN ({', '.join('?' * len(values))})", list(values)

    def _paging(self) -> contextlib.AbstractContextManager[Any]:
        """Held while a page is read (its cursor's id, then its rows)."""
        return contextlib.nullcontext()

    def _sql(self, statement: str) -> str:
        """``statement`` (written with ``?``) in the dialect's placeholder style."""
        if self.placeholder == "?":
            return statement
        return statement.replace("?", self.placeholder)

    def _where(self, filters: RunsFilter | None) -> tuple[list[str], list[Any]]:
        """The conditions (in the dialect's style) and parameters of ``filters``."""
        clauses: list[str] = []
        params: list[Any] = []
        if filters is None:
            return clauses, params
        if filters.run_ids is not None:
            clause, values = self._in_list("run_id", list(filters.run_ids))
            clauses.append(clause)
            params.extend(values)
        if filters.pipeline_name is not None:
            clauses.append("pipeline_name = ?")
            params.append(filters.pipeline_name)
        if filters.statuses is not None:
            clause, values = self._in_list("status", [s.value for s in filters.statuses])
            clauses.append(clause)
            params.extend(values)
        for key, value in (filters.tags or {}).items():
            clauses.append("run_id IN (SELECT run_id FROM run_tags WHERE key = ? AND value = ?)")
            params.extend((key, value))
        return [self._sql(clause) for clause in clauses], params

    def _insert_tags(
        self, execute_many: Callable[[str, list[Any]], object], run: PipelineRun
    ) -> None:
        """Insert the tags of ``run`` with ``execute_many(sql, rows)`` (inside its transaction)."""
        if run.tags:
            execute_many(self._sql(_INSERT_TAGS), tag_rows(run))

    def get_run_record_by_id(self, run_id: str) -> RunRecord | None:
        rows = self._read(self._sql(f"{_SELECT} WHERE run_id = ?"), (run_id,))
        return record_from_row(rows[0]) if rows else None

    def has_run(self, run_id: str) -> bool:
        return bool(self._read(self._sql("SELECT 1 FROM runs WHERE run_id = ?"), (run_id,)))

    def get_run_records(
        self,
        filters: RunsFilter | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        check_limit(limit)
        clauses, params = self._where(filters)
        with self._paging():
            if cursor is not None:
                found = self._read(self._sql("SELECT id FROM runs WHERE run_id = ?"), (cursor,))
                if not found:
                    raise DagsterRunNotFoundError(
                        f"Cannot page runs after run {cursor}: no run with that id.", cursor
                    )
                clauses.append(self._sql("id < ?"))
                params.append(found[0][0])
            sql = _SELECT
            if clauses:
                sql += " WHERE " + " AND ".join(clauses)
            sql += " ORDER BY id DESC"
            if limit is not None:
                sql += self._sql(" LIMIT ?")
                params.append(limit)
            rows = self._read(sql, params)
        return [record_from_row(row) for row in rows]

    def get_runs_count(self, filters: RunsFilter | None = None) -> int:
        clauses, params = self._where(filters)
        sql = "SELECT COUNT(*) FROM runs"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        return int(self._read(sql, params)[0][0])

    def _set_status(
        self,
        run_id: str,
        status: PipelineRunStatus,
        timestamp: float | None,
        condition: str,
        condition_params: tuple[Any, ...] = (),
        pid: int | None = None,
    ) -> int:
        """One UPDATE moving the run to ``status`` (as :func:`~.runs.advance_run_record` does)
        where ``condition`` (``AND ...``) holds: a compare-and-set; returns how many rows
        changed."""
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
        sql = self._sql(f"UPDATE runs SET {', '.join(sets)} WHERE run_id = ? {condition}")
        return self._execute(sql, (*params, run_id, *condition_params))

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
        def delete(conn: Any) -> None:
            conn.execute(self._sql("DELETE FROM run_tags WHERE run_id = ?"), (run_id,))
            conn.execute(self._sql("DELETE FROM runs WHERE run_id = ?"), (run_id,))

        self._write(delete)

    def wipe(self) -> None:
        def delete_all(conn: Any) -> None:
            conn.execute("DELETE FROM run_tags")
            conn.execute("DELETE FROM runs")

        self._write(delete_all)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._location}>"
