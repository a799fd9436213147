"""Where a persistent instance lives: its folder, the ``instance.yaml`` describing it, and the
:class:`InstanceRef` that lets another process open it.

Layout of an instance folder (the home, ``$NOTEBOOK_PIPELINES_HOME``, default
``~/.notebook_pipelines``, or any folder given to ``local_temp`` / ``from_ref``)::

    instance.yaml            what the instance is made of (written on first use, then only read)
    history/runs.db          runs (SQLite, WAL: also runs.db-wal, runs.db-shm)
    history/events.db        event records of every run (SQLite, WAL)
    history/.disk-reserve    1 MiB held back for a full disk (:mod:`.disk_reserve`)
    storage/<run_id>/        intermediates/, files/, compute_logs/ of each run

``instance.yaml`` records the format version, the release that created it, and for each storage
its kind (``sqlite``), its file (relative to the folder, or absolute) and its schema version.
The storage paths are read back, so they may be edited to move a database. A file written by a
newer release (higher ``instance_version``), or one that cannot be read, is refused with a
:class:`~notebook_pipelines.errors.DagsterInstanceError` naming it; it is never rewritten.

A folder that holds an ``instance.yaml`` but cannot be written (a read-only disk: an archived
history, a colleague's copy) opens read-only (:attr:`InstanceLayout.read_only`): runs, events and
logs can be read, and whatever writes raises
:class:`~notebook_pipelines.errors.DagsterReadOnlyStorageError`.

``yaml`` is imported inside the functions that need it (``import notebook_pipelines`` stays fast).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from ..errors import DagsterInstanceError
from ..serdes import serializable

#: The environment variable naming the home of :meth:`DagsterInstance.get`.
HOME_ENV_VAR = "NOTEBOOK_PIPELINES_HOME"
DEFAULT_HOME = os.path.join("~", ".notebook_pipelines")
INSTANCE_YAML = "instance.yaml"
#: The version of the ``instance.yaml`` format this release writes and reads.
INSTANCE_VERSION = 1

_DEFAULT_PATHS = {
    "run_storage": os.path.join("history", "runs.db"),
    "event_log_storage": os.path.join("history", "events.db"),
}


@serializable
@dataclass(frozen=True)
class InstanceRef:
    """What another process needs to open a persistent instance: its folder (absolute)."""

    root_directory: str


@dataclass(frozen=True)
class InstanceLayout:
    """The files of one instance folder, as its ``instance.yaml`` describes them."""

    root: str
    runs_db: str
    events_db: str
    #: the folder is on a read-only disk (or not writable) but holds a history: open it to read
    read_only: bool = False


def home_directory() -> tuple[str, str]:
    """The home folder of :meth:`DagsterInstance.get` (absolute) and where it came from."""
    configured = os.environ.get(HOME_ENV_VAR)
    if configured:
        return os.path.abspath(os.path.expanduser(configured)), f"${HOME_ENV_VAR}"
    return os.path.abspath(os.path.expanduser(DEFAULT_HOME)), f"the default (${HOME_ENV_VAR} unset)"


def _unusable(root: str, problem: str, remedy: str) -> DagsterInstanceError:
    return DagsterInstanceError(
        f"Cannot use {root} as a notebook-pipelines instance folder: {problem}. {remedy}"
    )


def prepare_root(root: str, create: bool, remedy: str) -> InstanceLayout:
    """Check (and with ``create``, make) the instance folder ``root``; read or write its YAML.

    ``remedy`` ends every error message: what the user can do (it depends on how the instance
    was asked for).
    """
    if os.path.exists(root) and not os.path.isdir(root):
        raise _unusable(root, "it is not a directory", remedy)
    if create:
        try:
            os.makedirs(root, exist_ok=True)
        except OSError as error:
            raise _unusable(root, f"it cannot be created ({error})", remedy) from error
    if not os.path.exists(root):
        raise _unusable(root, "it does not exist (was the instance deleted?)", remedy)
    if not os.path.isdir(root):
        raise _unusable(root, "it is not a directory", remedy)
    config_path = os.path.join(root, INSTANCE_YAML)
    read_only = not os.access(root, os.W_OK | os.X_OK)
    if read_only and not os.path.exists(config_path):
        raise _unusable(root, "it is not writable (and holds no instance.yaml to read)", remedy)
    if os.path.exists(config_path):
        config = _read_config(config_path)
    else:
        config = _default_config()
        _write_config(root, config_path, config, remedy)
    return InstanceLayout(
        root,
        _storage_path(root, config_path, config, "run_storage"),
        _storage_path(root, config_path, config, "event_log_storage"),
        read_only,
    )


def _default_config() -> dict[str, Any]:
    from .sqlite_base import package_version
    from .sqlite_event_log import SCHEMA_VERSION as EVENT_LOG_SCHEMA_VERSION
    from .sqlite_runs import SCHEMA_VERSION as RUNS_SCHEMA_VERSION

    return {
        "instance_version": INSTANCE_VERSION,
        "created_by": package_version(),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "run_storage": {
            "kind": "sqlite",
            "path": _DEFAULT_PATHS["run_storage"],
            "schema_version": RUNS_SCHEMA_VERSION,
        },
        "event_log_storage": {
            "kind": "sqlite",
            "path": _DEFAULT_PATHS["event_log_storage"],
            "schema_version": EVENT_LOG_SCHEMA_VERSION,
        },
    }


_HEADER = """\
# A notebook-pipelines instance: runs, their event logs and their files live in this folder.
# Open it with DagsterInstance.get() (NOTEBOOK_PIPELINES_HOME=<this folder>) or
# DagsterInstance.from_ref(InstanceRef(<this folder>)). Storage paths are relative to this folder.
"""


def _write_config(root: str, config_path: str, config: dict[str, Any], remedy: str) -> None:
    """Write ``instance.yaml`` unless another process just did (never overwrites it)."""
    import yaml

    text = _HEADER + yaml.safe_dump(config, sort_keys=False)
    temporary = os.path.join(root, f".{INSTANCE_YAML}.{os.getpid()}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(text)
        try:
            os.link(temporary, config_path)  # fails if the file exists: never overwrite
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links: exclusive create instead
            try:
                with open(config_path, "x", encoding="utf-8") as file:
                    file.write(text)
            except FileExistsError:
                pass
    except OSError as error:
        raise _unusable(root, f"{config_path} cannot be written ({error})", remedy) from error
    finally:
        try:
            os.unlink(temporary)
        except OSError:
            pass


def _bad_config(config_path: str, problem: str) -> DagsterInstanceError:
    return DagsterInstanceError(
        f"Cannot open the notebook-pipelines instance described by {config_path}: {problem}. "
        f"Fix the file, or move it away to have a new one written (the databases next to it are "
        f"kept). Nothing was changed."
    )


def _read_config(config_path: str) -> dict[str, Any]:
    import yaml

    try:
        with open(config_path, encoding="utf-8") as file:
            config = yaml.safe_load(file)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise _bad_config(config_path, f"it cannot be read ({error})") from error
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise _bad_config(config_path, f"it holds a {type(config).__name__}, not a mapping")
    version = config.get("instance_version", INSTANCE_VERSION)
    if not isinstance(version, int):
        raise _bad_config(config_path, f"instance_version must be an integer, got {version!r}")
    if version > INSTANCE_VERSION:
        raise _bad_config(
            config_path,
            f"it is instance_version {version}, written by a newer notebook-pipelines "
            f"({config.get('created_by', 'unknown release')}); this release reads version "
            f"{INSTANCE_VERSION}. Upgrade notebook-pipelines to open it",
        )
    return config


def _storage_path(root: str, config_path: str, config: dict[str, Any], key: str) -> str:
    section = config.get(key, {})
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise _bad_config(config_path, f"{key} must be a mapping, got {section!r}")
    kind = section.get("kind", "sqlite")
    if kind != "sqlite":
        raise _bad_config(config_path, f"{key}: kind {kind!r} is unknown (this release: sqlite)")
    path = section.get("path", _DEFAULT_PATHS[key])
    if not isinstance(path, str) or not path:
        raise _bad_config(config_path, f"{key}: path must be a non-empty string, got {path!r}")
    return os.path.join(root, os.path.expanduser(path))
