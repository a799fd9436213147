"""The object stores an instance's ``instance.yaml`` names (layer 3): where its runs' intermediates
and compute logs live when they are not in the instance folder.

Two optional top-level sections of ``instance.yaml`` (their shape is drawn in :mod:`.home`)::

    intermediates:
      url: s3://bucket/prefix            # any fsspec URL: s3://, memory://, file://, gs:// ...
      storage_options:                   # given to the file system (s3fs: endpoint_url, ...)
        endpoint_url: http://127.0.0.1:9000
        key: {env: AWS_ACCESS_KEY_ID}    # read from the environment, never stored
        secret: {env: AWS_SECRET_ACCESS_KEY}
    compute_logs:
      url: s3://bucket/logs
      storage_options: {...}

With ``intermediates``, the ``filesystem`` intermediate storage without ``base_dir`` (the default
of persistent runs, of worker processes and of notebook sessions) keeps a run's values at
``<url>/<run_id>/intermediates/<step>/<output>``, and the ``object_store`` intermediate storage
uses that URL when its run config gives none. With ``compute_logs``, each step's captured
stdout/stderr is uploaded to ``<url>/<run_id>/compute_logs/<step>.out|.err`` when the step ends
(:mod:`.compute_logs`).

Each process that needs a store reads the sections (worker processes open the instance from its
folder, so they read the same file) and resolves the ``{env: NAME}`` values from its own
environment when it makes the store.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import DagsterInstanceError

if TYPE_CHECKING:
    from .fsspec_store import FsspecObjectStore
    from .instance import DagsterInstance

#: The sections of ``instance.yaml`` that name an object store.
PARTS = ("intermediates", "compute_logs")


@dataclass(frozen=True)
class ObjectStoreLocation:
    """A store as ``instance.yaml`` names it: its URL and its storage options (``{env: ...}``
    values unresolved)."""

    url: str
    storage_options: Mapping[str, Any] = field(default_factory=dict)

    def open(self) -> FsspecObjectStore:
        """The store (``{env: ...}`` options read from this process's environment)."""
        from .fsspec_store import FsspecObjectStore

        return FsspecObjectStore(self.url, self.storage_options)


def parse_location(value: Any, where: str) -> ObjectStoreLocation | None:
    """The location in the section ``value`` (``None`` for no section); ``where`` names it."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise DagsterInstanceError(f"{where} must be a mapping with a url, got {value!r}.")
    unknown = sorted(set(value) - {"url", "storage_options"})
    if unknown:
        raise DagsterInstanceError(
            f"{where}: unknown keys {', '.join(unknown)} (expected url and storage_options)."
        )
    url = value.get("url")
    if not isinstance(url, str) or "://" not in url:
        raise DagsterInstanceError(
            f"{where}: url must be an fsspec URL such as s3://bucket/prefix, got {url!r}."
        )
    options = value.get("storage_options") or {}
    if not isinstance(options, Mapping):
        raise DagsterInstanceError(f"{where}: storage_options must be a mapping, got {options!r}.")
    return ObjectStoreLocation(url, dict(options))


_CACHE: dict[tuple[str, int], dict[str, ObjectStoreLocation | None]] = {}


def instance_locations(instance: DagsterInstance) -> dict[str, ObjectStoreLocation | None]:
    """The ``intermediates`` and ``compute_logs`` locations of ``instance`` (``None`` each for an
    ephemeral instance or a section that is absent). Read once per version of the file."""
    if not instance.is_persistent:
        return dict.fromkeys(PARTS)
    from .home import INSTANCE_YAML, _read_config

    path = os.path.join(instance.root_directory, INSTANCE_YAML)
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        return dict.fromkeys(PARTS)
    cached = _CACHE.get((path, stamp))
    if cached is None:
        config = _read_config(path)
        cached = {part: parse_location(config.get(part), f"{path}: {part}") for part in PARTS}
        _CACHE[(path, stamp)] = cached
    return cached


def instance_store(instance: DagsterInstance, part: str) -> FsspecObjectStore | None:
    """The store of ``part`` (``"intermediates"`` or ``"compute_logs"``), or ``None`` when the
    instance keeps it in its folder."""
    location = instance_locations(instance)[part]
    return None if location is None else location.open()
