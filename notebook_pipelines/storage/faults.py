"""Faults of the environment as storage sees them (layer 3): which ``OSError`` or SQLite error
means a full disk, a read-only disk, or a damaged file, and the classed error to raise for it
(:class:`~notebook_pipelines.errors.DagsterStorageFullError`,
:class:`~notebook_pipelines.errors.DagsterReadOnlyStorageError`, or their base
:class:`~notebook_pipelines.errors.DagsterStorageError`)."""

from __future__ import annotations

import errno
import sys

from ..errors import DagsterReadOnlyStorageError, DagsterStorageError, DagsterStorageFullError

#: errno values meaning "no more room": the disk, the user's quota, the file-size limit.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
READ_ONLY_ERRNOS = frozenset({errno.EROFS})
_SQLITE_FULL = 13  # sqlite3.SQLITE_FULL (sqlite3 is imported only with a persistent instance)


def _is_sqlite_error(error: BaseException) -> bool:
    sqlite3 = sys.modules.get("sqlite3")
    return sqlite3 is not None and isinstance(error, sqlite3.Error)


def is_disk_full(error: BaseException) -> bool:
    """Whether ``error`` says the disk (quota, file-size limit) is full."""
    if isinstance(error, OSError):
        return error.errno in DISK_FULL_ERRNOS
    if _is_sqlite_error(error):
        return getattr(error, "sqlite_errorcode", None) == _SQLITE_FULL or (
            "database or disk is full" in str(error)
        )
    return False


def is_read_only(error: BaseException) -> bool:
    """Whether ``error`` says the file system (or the database) is read-only."""
    if isinstance(error, OSError):
        return error.errno in READ_ONLY_ERRNOS
    if _is_sqlite_error(error):
        return "readonly database" in str(error) or "read-only" in str(error)
    return False


def storage_error(
    error: BaseException,
    doing: str,
    path: str,
    *,
    run_id: str | None = None,
    step_key: str | None = None,
    output_name: str | None = None,
    kept: str = "",
) -> DagsterStorageError:
    """The classed error for ``error`` raised trying to ``doing`` (e.g. ``"store output 'x'"``) on
    ``path``; ``kept`` says what was (or was not) kept, ending the message."""
    cause = f"{type(error).__name__}: {error}"
    if is_disk_full(error):
        cls: type[DagsterStorageError] = DagsterStorageFullError
        what = f"the disk is full ({cause})"
        remedy = "Free some space on that disk (or raise the quota), then re-execute."
    elif is_read_only(error):
        cls = DagsterReadOnlyStorageError
        what = f"the disk is read-only ({cause})"
        remedy = "Point NOTEBOOK_PIPELINES_HOME at a writable directory to execute runs."
    else:
        cls = DagsterStorageError
        what = cause
        remedy = "Check the disk and the file's folder."
    message = f"Cannot {doing}: {what}, at {path}. {remedy}"
    if kept:
        message += f" {kept}"
    return cls(message, path=path, run_id=run_id, step_key=step_key, output_name=output_name)
