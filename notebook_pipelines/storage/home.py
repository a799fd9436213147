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
The storage paths are read back, so they may be edited to move a database.

**Choosing the parts** (a team's shared history). Each part has its own top-level section; a
missing section is the default (the SQLite files and the folder's own ``storage/<run_id>/``)::

    instance_version: 1
    run_storage:                     # default: {kind: sqlite, path: history/runs.db}
      kind: postgres                 # sqlite | postgres
      config:
        url: postgresql://pipelines@db.example.org:5432/pipelines   # no password here
        password: {env: PG_PASSWORD}                                # read from the environment
        # schema: notebook_pipelines  (optional: a PostgreSQL schema; default "public")
        # synchronous_commit: on      (optional; the event log's default is off, see
        #                              storage/postgres_event_log.py)
    event_log_storage:               # default: {kind: sqlite, path: history/events.db}
      kind: postgres
      config:
        url: postgresql://pipelines@db.example.org:5432/pipelines
        password: {env: PG_PASSWORD}
    intermediates:                   # default: the folder's storage/<run_id>/intermediates
      url: s3://bucket/prefix        # an fsspec URL (file://, s3://, memory:// ...)
      storage_options: {key: {env: AWS_ACCESS_KEY_ID}, secret: {env: AWS_SECRET_ACCESS_KEY}}
    compute_logs:                    # default: the folder's storage/<run_id>/compute_logs
      url: s3://bucket/logs
      storage_options: {...}

- ``kind`` names the implementation; ``sqlite`` keeps ``path`` (and ``schema_version``) at the
  section's top level as before; every other kind reads its settings from ``config``.
- **Secrets come from the environment**: anywhere inside a section, a mapping ``{env: NAME}``
  stands for the value of the environment variable ``NAME`` (:func:`resolve_env`; a missing one
  is a :class:`~notebook_pipelines.errors.DagsterInstanceError` naming the variable and the
  file). The resolved values are used to connect and nothing else: they are never written to
  ``instance.yaml``, to runs, to events or to messages (a URL in a message has its password
  removed: :func:`redact_url`).
- A folder is still needed with PostgreSQL storages: it holds ``instance.yaml``, the disk reserve
  and (unless ``intermediates``/``compute_logs`` point elsewhere) the runs' files. An
  :class:`InstanceRef` is that folder, so worker processes open the same parts.
- Only the parts named are changed; the ``intermediates`` and ``compute_logs`` sections are read
  by :mod:`.instance_stores` (:func:`section` gives a part's section with its ``{env: ...}``
  values resolved). A file written by a
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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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


#: The storage kinds ``run_storage`` and ``event_log_storage`` may name.
STORAGE_KINDS = ("sqlite", "postgres")


@dataclass(frozen=True)
class StoragePart:
    """One part of the instance as ``instance.yaml`` chooses it: its kind, and for ``sqlite`` its
    file (absolute), for other kinds its ``config`` (``{env: ...}`` values resolved)."""

    kind: str
    path: str | None = None
    config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InstanceLayout:
    """The files of one instance folder, as its ``instance.yaml`` describes them."""

    root: str
    runs_db: str
    events_db: str
    #: the folder is on a read-only disk (or not writable) but holds a history: open it to read
    read_only: bool = False
    #: the ``instance.yaml`` read (absolute) and its content (``{env: ...}`` left unresolved)
    config_path: str = ""
    config: Mapping[str, Any] = field(default_factory=dict)
    run_storage: StoragePart = StoragePart("sqlite")
    event_log_storage: StoragePart = StoragePart("sqlite")


def resolve_env(
    value: Any, where: str, error: Callable[[str], Exception] = DagsterInstanceError
) -> Any:
    """``value`` with every ``{env: NAME}`` mapping inside it replaced by ``$NAME``'s value.

    ``where`` names the place for the error a missing variable raises (e.g. the file and key);
    ``error`` makes that error from its message (an instance's settings: :class:`DagsterInstanceError`;
    an object store's options: a storage error).
    """
    if isinstance(value, Mapping):
        if set(value) == {"env"}:
            name = value["env"]
            if not isinstance(name, str) or not name:
                raise error(
                    f"{where}: {{env: ...}} must name an environment variable, got {name!r}."
                )
            if name not in os.environ:
                raise error(
                    f"{where}: the environment variable {name} is not set (the value comes from "
                    f"the environment, as {{env: {name}}} says). Set it in the environment of the "
                    "process that opens the instance or runs the pipeline (and of its workers)."
                )
            return os.environ[name]
        return {k: resolve_env(v, f"{where}.{k}", error) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_env(v, f"{where}[{i}]", error) for i, v in enumerate(value)]
    return value


def redact_url(url: str) -> str:
    """``url`` without its password (``postgresql://user:***@host/db``), for messages."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.rsplit("@", 1)[1]
        user = parts.username or ""
        return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))
    except ValueError:
        return "<a URL that cannot be parsed>"


def section(layout: InstanceLayout, key: str) -> dict[str, Any] | None:
    """The section ``key`` of the layout's ``instance.yaml`` with its ``{env: ...}`` values
    resolved, or ``None`` when the file has none (the part is the default)."""
    raw = layout.config.get(key)
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise _bad_config(layout.config_path, f"{key} must be a mapping, got {raw!r}")
    resolved = resolve_env(raw, f"{layout.config_path}: {key}")
    assert isinstance(resolved, dict)
    return resolved


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
    runs = _storage_part(root, config_path, config, "run_storage")
    events = _storage_part(root, config_path, config, "event_log_storage")
    return InstanceLayout(
        root,
        runs.path or os.path.join(root, _DEFAULT_PATHS["run_storage"]),
        events.path or os.path.join(root, _DEFAULT_PATHS["event_log_storage"]),
        read_only,
        config_path,
        config,
        runs,
        events,
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


def _storage_part(root: str, config_path: str, config: dict[str, Any], key: str) -> StoragePart:
    section = config.get(key, {})
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise _bad_config(config_path, f"{key} must be a mapping, got {section!r}")
    kind = section.get("kind", "sqlite")
    if kind not in STORAGE_KINDS:
        raise _bad_config(
            config_path,
            f"{key}: kind {kind!r} is unknown (this release: {', '.join(STORAGE_KINDS)})",
        )
    if kind == "sqlite":
        path = section.get("path", _DEFAULT_PATHS[key])
        if not isinstance(path, str) or not path:
            raise _bad_config(config_path, f"{key}: path must be a non-empty string, got {path!r}")
        return StoragePart("sqlite", os.path.join(root, os.path.expanduser(path)))
    settings = section.get("config")
    if not isinstance(settings, dict):
        raise _bad_config(
            config_path,
            f"{key}: kind {kind} needs a config mapping (with its url), got {settings!r}",
        )
    resolved = resolve_env(settings, f"{config_path}: {key}.config")
    url = resolved.get("url")
    if not isinstance(url, str) or not url:
        raise _bad_config(config_path, f"{key}.config: url must be a non-empty string")
    return StoragePart(kind, None, resolved)
