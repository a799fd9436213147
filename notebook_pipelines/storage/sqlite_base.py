"""SQLite plumbing shared by the persistent storages (standard library ``sqlite3`` only).

:class:`SqliteDatabase` is one database file as one storage object of this process uses it: a
connection opened on first use, a lock that serialises the threads using it, and
:meth:`~SqliteDatabase.write` for short write transactions (``BEGIN IMMEDIATE``, so a writer waits
for another process's transaction instead of failing with "database is locked").

Every connection runs with ``journal_mode=WAL`` (readers never block the writer),
``synchronous=NORMAL`` (a commit is a ``write()`` to the WAL file, no ``fsync``: it survives the
crash of the process, not necessarily a power cut), ``foreign_keys=ON`` and a busy timeout of
:data:`BUSY_TIMEOUT_S`.

Schema versions live in the table ``notebook_pipelines_schema`` (one row per component:
``runs``, ``event_log``), so several components may share one file. Opening a file refuses, with a
:class:`~notebook_pipelines.errors.DagsterInstanceError` that names the file and what to do, and
before anything is written to it:

- a file that is not SQLite (wrong header) or is damaged;
- a SQLite database that notebook-pipelines did not create (it has tables but no schema table);
- a component whose schema version is newer than this code knows (written by a newer release).

With ``background_checkpoints`` (the event log), a writer never copies the WAL back into the
database itself: after each commit it wakes a daemon thread of this process that runs a
``PASSIVE`` checkpoint on its own connection, at most every :data:`CHECKPOINT_INTERVAL_S` (the
copying and its ``fsync`` then overlap the engine's work instead of stalling a step). The writer
keeps an automatic checkpoint at :data:`FALLBACK_AUTOCHECKPOINT_PAGES` as a safety net.

A database opened ``read_only`` (a history on a read-only disk: an archive, a colleague's copy)
is opened with the URI ``mode=ro`` (SQLite reads the WAL through an existing ``-shm`` file), or,
where even that cannot work (no ``-shm`` file and none can be made), ``immutable=1`` (the main file
only); nothing is created or changed, and :meth:`SqliteDatabase.write` raises
:class:`~notebook_pipelines.errors.DagsterReadOnlyStorageError` saying the history is read-only.

A connection is never used across ``fork()``: in a forked child every :class:`SqliteDatabase`
forgets the inherited connection (without closing it, which could disturb the parent's locks) and
opens its own on next use; the hooks registered with :func:`on_fork_in_child` run first. The
PostgreSQL databases (:mod:`.postgres_base`) use the same registry
(:func:`forget_connection_in_forked_child`, :func:`keep_inherited`).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from ..errors import DagsterInstanceError, DagsterReadOnlyStorageError
from .faults import is_disk_full, is_read_only, storage_error

#: Seconds a connection waits for another process's write transaction before giving up.
BUSY_TIMEOUT_S = 60.0

#: The 16 bytes every SQLite 3 database file starts with.
SQLITE_HEADER = b"SQLite format 3\x00"

#: The table that records which components a file holds, and at which schema version.
SCHEMA_TABLE = "notebook_pipelines_schema"

_SCHEMA_TABLE_SQL = (
    f"CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} ("
    "component TEXT PRIMARY KEY, version INTEGER NOT NULL, "
    "created_by TEXT NOT NULL, created_at REAL NOT NULL)"
)

#: Shortest time between two background checkpoints of one file (seconds).
CHECKPOINT_INTERVAL_S = 0.1
#: With background checkpoints, the writer still checkpoints when the WAL reaches this many pages.
FALLBACK_AUTOCHECKPOINT_PAGES = 10000

T = TypeVar("T")


@dataclass(frozen=True)
class Schema:
    """The tables of one component: ``statements`` create them (``IF NOT EXISTS``)."""

    component: str
    version: int
    statements: tuple[str, ...]
    what: str  # how messages call the file's role, e.g. "run storage"


def package_version() -> str:
    """``notebook-pipelines <version>``, as recorded in the files this release creates."""
    from importlib import metadata

    try:
        return f"notebook-pipelines {metadata.version('notebook-pipelines')}"
    except metadata.PackageNotFoundError:
        return "notebook-pipelines (unknown version)"


def _refuse(path: str, schema: Schema, problem: str, remedy: str) -> DagsterInstanceError:
    return DagsterInstanceError(
        f"Cannot use {path} as the {schema.what} of a notebook-pipelines instance: {problem}. "
        f"{remedy} Nothing in the file was changed."
    )


_MOVE_AWAY = (
    "Move the file (or its folder) out of the way to start a new instance there, or point "
    "NOTEBOOK_PIPELINES_HOME at another directory."
)


def _check_file(path: str, schema: Schema) -> None:
    """Refuse a path that is a folder or a file without the SQLite header."""
    if os.path.isdir(path):
        raise _refuse(path, schema, "it is a directory", _MOVE_AWAY)
    try:
        with open(path, "rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as error:
        raise _refuse(path, schema, f"it cannot be read ({error})", _MOVE_AWAY) from error
    if header and header != SQLITE_HEADER:
        raise _refuse(path, schema, "it is not a SQLite database", _MOVE_AWAY)


def _user_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    ).fetchall()
    return [name for (name,) in rows]


def _stored_version(conn: sqlite3.Connection, component: str) -> int | None:
    row = conn.execute(
        f"SELECT version FROM {SCHEMA_TABLE} WHERE component = ?", (component,)
    ).fetchone()
    return None if row is None else int(row[0])


def _check_schema(conn: sqlite3.Connection, path: str, schema: Schema) -> bool:
    """Whether the component's tables must still be created; raise for a foreign/newer file."""
    tables = _user_tables(conn)
    if SCHEMA_TABLE not in tables:
        if tables:
            shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
            raise _refuse(
                path,
                schema,
                f"it is a SQLite database that notebook-pipelines did not create (its tables: "
                f"{shown})",
                _MOVE_AWAY,
            )
        return True
    version = _stored_version(conn, schema.component)
    if version is None:
        return True
    if version > schema.version:
        raise _refuse(
            path,
            schema,
            f"its {schema.component} schema is version {version}, written by a newer "
            f"notebook-pipelines (this is {package_version()}, which knows version "
            f"{schema.version})",
            "Upgrade notebook-pipelines to open it, or point NOTEBOOK_PIPELINES_HOME at another "
            "directory.",
        )
    if version < schema.version:  # pragma: no cover - no older schema exists yet
        raise _refuse(
            path,
            schema,
            f"its {schema.component} schema is version {version} and no migration to version "
            f"{schema.version} exists",
            _MOVE_AWAY,
        )
    return False


def _create_schema(conn: sqlite3.Connection, schema: Schema) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(_SCHEMA_TABLE_SQL)
        if _stored_version(conn, schema.component) is None:  # another process may have won
            for statement in schema.statements:
                conn.execute(statement)
            conn.execute(
                f"INSERT INTO {SCHEMA_TABLE} (component, version, created_by, created_at) "
                "VALUES (?, ?, ?, ?)",
                (schema.component, schema.version, package_version(), time.time()),
            )
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _set_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL. A new file is switched by whichever process comes first; SQLite does not
    wait for the lock this needs (no busy handler), so wait here, up to :data:`BUSY_TIMEOUT_S`."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.001
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def open_database(path: str, schema: Schema) -> sqlite3.Connection:
    """A connection to ``path`` holding ``schema`` (created if missing), or a clear error."""
    _check_file(path, schema)
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise _refuse(
            path,
            schema,
            f"its folder {folder} cannot be created ({error})",
            "Make the folder writable, or point NOTEBOOK_PIPELINES_HOME at a writable directory.",
        ) from error
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        # Read-only checks first: a foreign database is refused before anything is written.
        must_create = _check_schema(conn, path, schema)
        _set_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        if must_create:
            _create_schema(conn, schema)
            _check_schema(conn, path, schema)
    except DagsterInstanceError:
        if conn is not None:
            conn.close()
        raise
    except sqlite3.DatabaseError as error:
        if conn is not None:
            conn.close()
        text = str(error)
        if "not a database" in text or "malformed" in text:
            problem = f"it is not a SQLite database or it is damaged ({text})"
            remedy = _MOVE_AWAY
        else:
            problem = f"SQLite cannot open it ({text})"
            remedy = (
                "Check that the file and its folder are writable (SQLite also creates "
                "-wal and -shm files next to it), or point NOTEBOOK_PIPELINES_HOME at a "
                "writable directory."
            )
        raise _refuse(path, schema, problem, remedy) from error
    return conn


def open_read_only(path: str, schema: Schema) -> sqlite3.Connection:
    """A connection that only reads ``path`` (which must hold ``schema``), or a clear error."""
    from urllib.parse import quote

    _check_file(path, schema)
    if not os.path.exists(path):
        raise _refuse(
            path,
            schema,
            "it does not exist, and the history it belongs to is read-only",
            "Open the history from a writable copy.",
        )
    uri = f"file:{quote(path)}"
    last_error: sqlite3.Error | None = None
    for options in ("mode=ro", "mode=ro&immutable=1"):
        conn = sqlite3.connect(
            f"{uri}?{options}",
            uri=True,
            timeout=BUSY_TIMEOUT_S,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            if _check_schema(conn, path, schema):
                raise _refuse(
                    path,
                    schema,
                    f"it has no {schema.component} tables, and the history is read-only",
                    "Open the history from a writable copy.",
                )
            return conn
        except DagsterInstanceError:
            conn.close()
            raise
        except sqlite3.DatabaseError as error:
            conn.close()
            last_error = error
    raise _refuse(
        path, schema, f"SQLite cannot read it ({last_error})", "Open it from a writable copy."
    ) from last_error


def read_only_error(path: str, doing: str = "") -> DagsterReadOnlyStorageError:
    """What writing to the read-only history holding ``path`` raises."""
    folder = os.path.dirname(os.path.dirname(path)) or path
    return DagsterReadOnlyStorageError(
        f"The history at {folder} is read-only: {doing or 'it cannot be changed'}. It can be "
        "read (runs list, runs show, runs logs, %pipeline_runs), but executing, re-executing or "
        "deleting runs writes to it. Point NOTEBOOK_PIPELINES_HOME at a writable directory (a "
        "copy of the history, to re-execute its runs there).",
        path=path,
    )


# --- fork(): every database of this process forgets its connection in the child -----------------


class _HoldsConnection(Protocol):
    def forget_inherited_connection(self) -> None: ...


_LIVE: weakref.WeakSet[_HoldsConnection] = weakref.WeakSet()
_FORK_HOOKS: list[Callable[[], None]] = []
# Connections inherited through fork(): kept referenced so they are never closed in the child.
_INHERITED: list[Any] = []


def on_fork_in_child(hook: Callable[[], None]) -> None:
    """Call ``hook()`` in a forked child, before the databases forget their connections."""
    _FORK_HOOKS.append(hook)


def forget_connection_in_forked_child(database: _HoldsConnection) -> None:
    """Call ``database.forget_inherited_connection()`` in a forked child (after the hooks of
    :func:`on_fork_in_child`), as long as ``database`` lives."""
    _LIVE.add(database)


def keep_inherited(conn: Any) -> None:
    """Keep ``conn``, a connection inherited through fork(), referenced: never closed here."""
    _INHERITED.append(conn)


def _after_fork_in_child() -> None:
    for hook in _FORK_HOOKS:
        hook()
    for database in list(_LIVE):
        database.forget_inherited_connection()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# --- one database file as used by one storage object ---------------------------------------------


class _Checkpointer:
    """Checkpoints one WAL file from a daemon thread when poked (started on the first poke)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._wake = threading.Event()
        self._stopped = False
        self._started = False

    def poke(self) -> None:
        if not self._started:
            self._started = True
            name = f"notebook-pipelines checkpoint {os.path.basename(self.path)}"
            threading.Thread(target=self._run, name=name, daemon=True).start()
        self._wake.set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error:
            return
        try:
            while True:
                self._wake.wait()
                if self._stopped:
                    return
                self._wake.clear()
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:
                    pass  # the writer's fallback checkpoint takes over
                time.sleep(CHECKPOINT_INTERVAL_S)  # pokes meanwhile make one checkpoint
        finally:
            conn.close()


class SqliteDatabase:
    """One SQLite file as one storage object uses it: connection, lock, write transactions.

    The file is opened (and checked, and its schema created) at construction, so a bad file is
    reported where the storage is made.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        schema: Schema,
        *,
        background_checkpoints: bool = False,
        read_only: bool = False,
    ) -> None:
        self.path = os.path.abspath(os.fspath(path))
        self.schema = schema
        self.read_only = read_only
        self.lock = threading.RLock()
        self._background = background_checkpoints
        self._checkpointer: _Checkpointer | None = None
        self._conn: sqlite3.Connection | None = None
        self.connection()
        forget_connection_in_forked_child(self)

    def connection(self) -> sqlite3.Connection:
        """The open connection (reopened if it was closed, or after a fork). Hold :attr:`lock`."""
        conn = self._conn
        if conn is None and self.read_only:
            conn = self._conn = open_read_only(self.path, self.schema)
        elif conn is None:
            conn = self._conn = open_database(self.path, self.schema)
            if self._background:
                conn.execute(f"PRAGMA wal_autocheckpoint = {FALLBACK_AUTOCHECKPOINT_PAGES}")
                self._checkpointer = _Checkpointer(self.path)
        return conn

    def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(connection)`` in one write transaction; roll back if it raises."""
        if self.read_only:
            raise read_only_error(self.path)
        with self.lock:
            conn = self.connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
                conn.execute("COMMIT")  # may fail too (a full disk): then roll back as well
            except BaseException as error:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error) and (
                    is_disk_full(error) or is_read_only(error)
                ):
                    raise storage_error(
                        error, f"write to the {self.schema.what}", self.path
                    ) from error
                raise
            if self._checkpointer is not None:
                self._checkpointer.poke()
            return result

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """The rows of one query (sees every committed transaction)."""
        with self.lock:
            return self.connection().execute(sql, params).fetchall()

    def close(self) -> None:
        """Close the connection (it is reopened on next use)."""
        with self.lock:
            conn, self._conn = self._conn, None
            checkpointer, self._checkpointer = self._checkpointer, None
            if checkpointer is not None:
                checkpointer.stop()
            if conn is not None:
                conn.close()

    def forget_inherited_connection(self) -> None:
        """In a forked child: drop the parent's connection and lock without touching them."""
        if self._conn is not None:
            keep_inherited(self._conn)
        self._conn = None
        self._checkpointer = None  # its thread was not copied into this process
        self.lock = threading.RLock()
