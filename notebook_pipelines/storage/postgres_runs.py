"""Run storage in PostgreSQL: :class:`PostgresRunStorage` (a team's shared history).

The same tables and semantics as :mod:`.sqlite_runs` (schema version :data:`SCHEMA_VERSION`,
component ``runs``): ``runs`` with one row per run (an identity ``id`` orders runs newest first;
``run_id`` unique; structured fields as the JSON of :func:`notebook_pipelines.serdes.serialize`,
so a run reads back equal; the :class:`~.runs.RunRecord` timestamps; the ``pid``/``hostname`` of
the process executing it, which :mod:`.dead_runs` checks) and ``run_tags`` for tag filters.

Every change is one short statement or transaction; a status change is one ``UPDATE`` whose
condition makes it a compare-and-set (``CANCELED`` sticks; dead-run marking on (status, pid)),
so several processes and hosts can share the storage. A lost connection is retried
(:mod:`.postgres_base`). The statements and the row encoding are those every SQL run storage
shares (:mod:`.sql_runs`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import DagsterInvariantViolationError
from .postgres_base import PostgresDatabase
from .runs import PipelineRun, check_run_argument
from .sql_runs import COLUMN_COUNT, COLUMNS, INDEX_AND_TAG_STATEMENTS, SqlRunStorage, T, run_values
from .sqlite_base import Schema

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
        *INDEX_AND_TAG_STATEMENTS,
    ),
    "run storage",
)

# ON CONFLICT DO NOTHING: a retried insert whose first commit went through finds its own row
_INSERT = (
    f"INSERT INTO runs ({COLUMNS}) VALUES ({', '.join(['%s'] * COLUMN_COUNT)}) "
    "ON CONFLICT (run_id) DO NOTHING"
)


class PostgresRunStorage(SqlRunStorage):
    """Runs in a PostgreSQL database: ``config`` is ``instance.yaml``'s ``run_storage.config``
    (``url``, optional ``password`` and ``schema``; see :class:`.postgres_base.PostgresDatabase`).
    """

    placeholder = "%s"

    def __init__(self, config: Mapping[str, Any]) -> None:
        self._db = PostgresDatabase(config, SCHEMA)

    @property
    def where(self) -> str:
        """The database as messages name it (the URL without its password)."""
        return self._db.where

    @property
    def _location(self) -> str:
        return self._db.where

    @property
    def is_persistent(self) -> bool:
        return True

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._db.read(sql, params)

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(self._db.run(sql, params))

    def _write(self, fn: Callable[[Any], T]) -> T:
        return self._db.write(fn)

    def _in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        return f"{column} = ANY(%s)", [list(values)]

    def add_run(self, pipeline_run: PipelineRun) -> PipelineRun:
        check_run_argument(pipeline_run)
        run = pipeline_run
        now = time.time()
        values = run_values(run, self.where, now)

        def insert(conn: Any) -> bool:
            inserted = conn.execute(_INSERT, values).rowcount == 1
            if inserted and run.tags:
                with conn.cursor() as cursor:
                    self._insert_tags(cursor.executemany, run)
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

    def dispose(self) -> None:
        self._db.close()
