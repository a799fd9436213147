"""PostgreSQL plumbing shared by the PostgreSQL storages (psycopg 3, the ``postgres`` extra).

:class:`PostgresDatabase` is one database (a URL, a password from the environment, optionally a
PostgreSQL schema) as one storage object of this process uses it: one connection opened on first
use (autocommit: every statement is its own transaction unless :meth:`~PostgresDatabase.write`
groups several), a lock that serialises the threads using it, and retries when the server goes
away.

**Schema versions** live in the table ``notebook_pipelines_schema`` (one row per component:
``runs``, ``event_log``), as in SQLite (:mod:`.sqlite_base`), so runs and events may share one
database. Opening refuses, with a :class:`~notebook_pipelines.errors.DagsterInstanceError` naming
the URL (without its password) and before anything is written:

- a database (schema) that holds tables but no ``notebook_pipelines_schema``: another program's;
- a component whose schema version is newer than this code knows (a newer release wrote it).

Creating the tables takes a transaction-level advisory lock, so processes opening a new database
at once create it exactly once.

**A server that goes away** (restarted, a dropped connection): a statement that fails with a
connection error is retried on a new connection, with backoff, for up to :data:`RETRY_DEADLINE_S`
seconds; the server's answer to a retried connect (refused, "starting up", "shutting down") is
waited out within that deadline. Writes are made idempotent by their callers where a commit's
outcome can be unknown (the connection broke after ``COMMIT`` was sent: the event log tags each
batch and looks for it before writing it again). After the deadline a
:class:`~notebook_pipelines.errors.DagsterStorageError` names the URL and the last error.

A connection is never used across ``fork()``: a forked child forgets the inherited connection
(without closing it, which would end the parent's session) and opens its own on next use; the hooks
registered with :func:`.sqlite_base.on_fork_in_child` run first (one registry serves both
dialects).

``psycopg`` is imported only when a PostgreSQL storage is opened.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import DagsterInstanceError, DagsterStorageError
from .home import redact_url
from .sqlite_base import (
    SCHEMA_TABLE,
    Schema,
    forget_connection_in_forked_child,
    keep_inherited,
    package_version,
)

if TYPE_CHECKING:
    import psycopg

#: Seconds a storage keeps retrying a statement while the server is unreachable.
RETRY_DEADLINE_S = 30.0
#: Seconds one connection attempt may take.
CONNECT_TIMEOUT_S = 5

T = TypeVar("T")

_SCHEMA_TABLE_SQL = (
    f"CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} ("
    "component TEXT PRIMARY KEY, version INTEGER NOT NULL, "
    "created_by TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL)"
)
# pg_advisory_xact_lock key of the schema creation (any fixed 64-bit number)
_CREATE_LOCK = 0x6E6270_5343484D


def import_psycopg() -> Any:
    """The ``psycopg`` module, or a clear error saying which extra provides it."""
    try:
        import psycopg
    except ImportError as error:
        raise DagsterInstanceError(
            "A PostgreSQL storage needs psycopg 3: pip install 'notebook-pipelines[postgres]' "
            f"({error})."
        ) from error
    return psycopg


def is_connection_error(error: BaseException) -> bool:
    """Whether ``error`` means the connection or the server is gone (worth a retry)."""
    psycopg = import_psycopg()
    if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return True
    # the server said it is shutting down / starting up (admin shutdown, cannot connect now)
    sqlstate = getattr(error, "sqlstate", None) or ""
    return sqlstate.startswith(("57P", "08"))


class PostgresDatabase:
    """One PostgreSQL database as one storage object uses it: connection, lock, retries.

    ``config`` is the part's ``config`` from ``instance.yaml`` (``{env: ...}`` resolved): ``url``
    (a libpq URL or ``key=value`` string), optional ``password``, ``schema`` (a PostgreSQL
    schema to keep the tables in, created if missing; default: the connection's ``search_path``)
    and ``synchronous_commit`` (the session's setting; default ``synchronous_commit``, which the
    storage chooses: see :mod:`.postgres_event_log`).
    """

    def __init__(
        self, config: Mapping[str, Any], schema: Schema, *, synchronous_commit: str = "on"
    ) -> None:
        self.url = str(config["url"])
        setting = config.get("synchronous_commit", synchronous_commit)
        if isinstance(setting, bool):  # YAML reads a bare on/off as a boolean
            setting = "on" if setting else "off"
        if setting not in ("on", "off", "local", "remote_write", "remote_apply"):
            raise DagsterInstanceError(
                f"synchronous_commit must be on or off (or local, remote_write, remote_apply), "
                f"got {setting!r}"
            )
        self.synchronous_commit = str(setting)
        self._password = config.get("password")
        self.pg_schema: str | None = config.get("schema")
        self.schema = schema
        self.lock = threading.RLock()
        self._conn: psycopg.Connection[Any] | None = None
        self._pid = os.getpid()
        #: what messages call this database: the URL without password (and the schema)
        self.where = redact_url(self.url) + (
            f" (schema {self.pg_schema})" if self.pg_schema else ""
        )
        #: the key that identifies this database among the process's storages
        self.key = f"{self.url}#{self.pg_schema or ''}"
        forget_connection_in_forked_child(self)
        with self.lock:
            self.connection()

    # --- connecting -------------------------------------------------------------------------------

    def connect(self) -> psycopg.Connection[Any]:
        """A new autocommit connection (search_path set to :attr:`pg_schema` when given)."""
        psycopg = import_psycopg()
        kwargs: dict[str, Any] = {"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S}
        if self._password is not None:
            kwargs["password"] = str(self._password)
        options = f"-c synchronous_commit={self.synchronous_commit}"
        if self.pg_schema:
            options += f" -c search_path={self.pg_schema}"
        kwargs["options"] = options
        return psycopg.connect(self.url, **kwargs)

    def connection(self) -> psycopg.Connection[Any]:
        """The open connection (opened, and the schema checked, on first use). Hold :attr:`lock`."""
        if self._pid != os.getpid():
            self.forget_inherited_connection()
        conn = self._conn
        if conn is None or conn.closed:
            conn = self._retrying(self._open)
        return conn

    def _open(self) -> psycopg.Connection[Any]:
        conn = self.connect()
        try:
            if self.pg_schema:
                conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.pg_schema}"')
            if self._check_schema(conn):
                self._create_schema(conn)
                self._check_schema(conn)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def _refuse(self, problem: str, remedy: str) -> DagsterInstanceError:
        return DagsterInstanceError(
            f"Cannot use the PostgreSQL database {self.where} as the {self.schema.what} of a "
            f"notebook-pipelines instance: {problem}. {remedy} Nothing in the database was changed."
        )

    def _check_schema(self, conn: psycopg.Connection[Any]) -> bool:
        """Whether the component's tables must still be created; raise for a foreign/newer one."""
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() ORDER BY table_name"
            ).fetchall()
        ]
        if SCHEMA_TABLE not in tables:
            if tables:
                shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
                raise self._refuse(
                    f"it holds tables that notebook-pipelines did not create ({shown})",
                    "Use an empty database, or give the storage its own PostgreSQL schema "
                    "(config: schema: notebook_pipelines in instance.yaml).",
                )
            return True
        row = conn.execute(
            f"SELECT version FROM {SCHEMA_TABLE} WHERE component = %s", (self.schema.component,)
        ).fetchone()
        if row is None:
            return True
        version = int(row[0])
        if version > self.schema.version:
            raise self._refuse(
                f"its {self.schema.component} schema is version {version}, written by a newer "
                f"notebook-pipelines (this is {package_version()}, which knows version "
                f"{self.schema.version})",
                "Upgrade notebook-pipelines to use it, or point instance.yaml at another database.",
            )
        if version < self.schema.version:  # pragma: no cover - no older schema exists yet
            raise self._refuse(
                f"its {self.schema.component} schema is version {version} and no migration to "
                f"version {self.schema.version} exists",
                "Point instance.yaml at another database.",
            )
        return False

    def _create_schema(self, conn: psycopg.Connection[Any]) -> None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_CREATE_LOCK,))
            conn.execute(_SCHEMA_TABLE_SQL)
            exists = conn.execute(
                f"SELECT 1 FROM {SCHEMA_TABLE} WHERE component = %s", (self.schema.component,)
            ).fetchone()
            if exists is None:  # another process may have won
                for statement in self.schema.statements:
                    conn.execute(statement)
                conn.execute(
                    f"INSERT INTO {SCHEMA_TABLE} (component, version, created_by, created_at) "
                    "VALUES (%s, %s, %s, %s)",
                    (self.schema.component, self.schema.version, package_version(), time.time()),
                )

    # --- statements -------------------------------------------------------------------------------

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass

    def _retrying(self, fn: Callable[[], T]) -> T:
        """``fn()``, retried on a new connection while the server is unreachable (see module)."""
        deadline = time.monotonic() + RETRY_DEADLINE_S
        delay = 0.05
        while True:
            try:
                return fn()
            except DagsterInstanceError:
                raise
            except Exception as error:
                if not is_connection_error(error):
                    raise
                self._drop_connection()
                if time.monotonic() + delay > deadline:
                    raise DagsterStorageError(
                        f"The PostgreSQL database {self.where} ({self.schema.what}) cannot be "
                        f"reached: {str(error).strip() or type(error).__name__} (retried for "
                        f"{RETRY_DEADLINE_S:.0f} s). Check that the server is running and "
                        "reachable.",
                        path=self.where,
                    ) from error
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    def write(self, fn: Callable[[psycopg.Connection[Any]], T], *, retry: bool = True) -> T:
        """``fn(connection)`` in one transaction (retried on a new connection if it was lost)."""

        def attempt() -> T:
            conn = self.connection()
            with conn.transaction():
                return fn(conn)

        with self.lock:
            return self._retrying(attempt) if retry else attempt()

    def each(self, fn: Callable[[psycopg.Connection[Any]], T]) -> T:
        """``fn(connection)`` with each statement its own transaction (one round trip for a
        one-statement ``fn``), retried on a new connection if it was lost."""
        with self.lock:
            return self._retrying(lambda: fn(self.connection()))

    def run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """One statement (its own transaction); the cursor's ``rowcount``."""

        def attempt() -> Any:
            return self.connection().execute(sql, params).rowcount

        with self.lock:
            return self._retrying(attempt)

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """The rows of one query (sees every committed transaction)."""

        def attempt() -> list[Any]:
            return self.connection().execute(sql, params).fetchall()

        with self.lock:
            return self._retrying(attempt)

    def close(self) -> None:
        """Close the connection (it is reopened on next use)."""
        with self.lock:
            if self._pid != os.getpid():
                self.forget_inherited_connection()
            self._drop_connection()

    def forget_inherited_connection(self) -> None:
        """In a forked child: drop the parent's connection and lock without touching them."""
        if self._conn is not None:
            keep_inherited(self._conn)
        self._conn = None
        self._pid = os.getpid()
        self.lock = threading.RLock()
