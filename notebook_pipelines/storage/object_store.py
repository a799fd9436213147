"""Object stores: keyed values, in memory (:class:`InMemoryObjectStore`) or in files
(:class:`FilesystemObjectStore`).

A key is a ``/``-separated path of parts built with :meth:`ObjectStore.key_for_paths`; each part
must pass :func:`~.keys.check_key_part` (no ``..``, ``/``, ``\\``, NUL, no leading ``.``), so keys
never leave the store's root. The filesystem store writes each value with its
serialization strategy to a temporary file in the destination folder (named with a leading ``.``,
which no valid key part has) and then renames it into place with ``os.replace``: readers see the
old value or the new one, never half a file, and a failed write leaves nothing behind. Files are
not fsync'ed (atomic with respect to a crash of the process, not of the machine).
"""

from __future__ import annotations

import contextlib
import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from ..definitions.serialization import PickleSerializationStrategy, SerializationStrategy
from ..errors import DagsterInvariantViolationError
from .keys import check_key_part

#: The strategy used when none is given (pickle, with cloudpickle as the fallback).
DEFAULT_STRATEGY: SerializationStrategy = PickleSerializationStrategy()

_TEMP_PREFIX = ".tmp-"


class ObjectStore(ABC):
    """Values stored under string keys."""

    name: str = "object_store"

    @property
    @abstractmethod
    def is_persistent(self) -> bool:
        """Whether stored values outlive this process."""

    @abstractmethod
    def set_object(
        self, key: str, obj: Any, serialization_strategy: SerializationStrategy | None = None
    ) -> str:
        """Store ``obj`` under ``key`` (replacing any value there); return its URI."""

    @abstractmethod
    def get_object(
        self, key: str, serialization_strategy: SerializationStrategy | None = None
    ) -> Any:
        """The value under ``key``; raises :class:`ObjectNotFoundError` if there is none."""

    @abstractmethod
    def has_object(self, key: str) -> bool:
        """Whether a value is stored under ``key``."""

    @abstractmethod
    def rm_object(self, key: str) -> None:
        """Remove the value under ``key`` (nothing happens if there is none)."""

    @abstractmethod
    def cp_object(self, src: str, dst: str) -> str:
        """Copy the value under ``src`` to ``dst``; return the URI of ``dst``."""

    @abstractmethod
    def uri_for_key(self, key: str) -> str:
        """Where the value under ``key`` lives, for people and events."""

    def key_for_paths(self, paths: Sequence[str]) -> str:
        """The key made of ``paths`` (each one checked to be a valid key part)."""
        return "/".join([check_key_part(part) for part in paths])


class ObjectNotFoundError(DagsterInvariantViolationError):
    """Nothing is stored under ``key``."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.key = key


def _missing(store: ObjectStore, key: str) -> ObjectNotFoundError:
    return ObjectNotFoundError(
        f"No object stored under key {key!r} in {store!r} ({store.uri_for_key(key)}).", key
    )


class InMemoryObjectStore(ObjectStore):
    """Python objects in a dict: no serialisation, nothing on disk."""

    name = "in_memory"

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    @property
    def is_persistent(self) -> bool:
        return False

    def set_object(
        self, key: str, obj: Any, serialization_strategy: SerializationStrategy | None = None
    ) -> str:
        self._values[key] = obj
        return self.uri_for_key(key)

    def get_object(
        self, key: str, serialization_strategy: SerializationStrategy | None = None
    ) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise _missing(self, key) from None

    def has_object(self, key: str) -> bool:
        return key in self._values

    def rm_object(self, key: str) -> None:
        self._values.pop(key, None)

    def cp_object(self, src: str, dst: str) -> str:
        if src not in self._values:
            raise _missing(self, src)
        self._values[dst] = self._values[src]
        return self.uri_for_key(dst)

    def uri_for_key(self, key: str) -> str:
        return f"memory://{key}"

    def __repr__(self) -> str:
        return f"<InMemoryObjectStore with {len(self._values)} objects>"


class FilesystemObjectStore(ObjectStore):
    """Serialised values in files under ``root``: key ``a/b/c`` is the file ``<root>/a/b/c``."""

    name = "filesystem"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self._root = os.path.abspath(os.path.expanduser(os.fspath(root)))
        self._made_dirs: set[str] = set()

    @property
    def root(self) -> str:
        return self._root

    @property
    def is_persistent(self) -> bool:
        return True

    def path_for_key(self, key: str) -> str:
        """The file of ``key`` (every part checked, so it is always under the root)."""
        if not isinstance(key, str):
            raise DagsterInvariantViolationError(f"An object store key is a string, got {key!r}")
        return os.path.join(self._root, *[check_key_part(p) for p in key.split("/")])

    def uri_for_key(self, key: str) -> str:
        return self.path_for_key(key)

    def set_object(
        self, key: str, obj: Any, serialization_strategy: SerializationStrategy | None = None
    ) -> str:
        strategy = serialization_strategy or DEFAULT_STRATEGY
        path = self.path_for_key(key)
        mode = strategy.write_mode
        self._write_atomically(path, mode, lambda f: strategy.serialize(obj, f))
        return path

    def get_object(
        self, key: str, serialization_strategy: SerializationStrategy | None = None
    ) -> Any:
        strategy = serialization_strategy or DEFAULT_STRATEGY
        path = self.path_for_key(key)
        mode = strategy.read_mode
        try:
            file_obj = open(path, mode, **_encoding(mode))  # noqa: SIM115 - closed below
        except FileNotFoundError:
            raise _missing(self, key) from None
        with file_obj:
            return strategy.deserialize(file_obj)

    def has_object(self, key: str) -> bool:
        return os.path.isfile(self.path_for_key(key))

    def rm_object(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.path_for_key(key))

    def cp_object(self, src: str, dst: str) -> str:
        import shutil

        src_path = self.path_for_key(src)
        dst_path = self.path_for_key(dst)
        try:
            source = open(src_path, "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            raise _missing(self, src) from None
        with source:
            self._write_atomically(dst_path, "wb", lambda f: shutil.copyfileobj(source, f))
        return dst_path

    def _write_atomically(self, path: str, mode: str, write: Any) -> None:
        import tempfile

        folder = os.path.dirname(path)
        if folder not in self._made_dirs:
            os.makedirs(folder, exist_ok=True)
            self._made_dirs.add(folder)
        fd, temp_path = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=folder)
        try:
            with os.fdopen(fd, mode, **_encoding(mode)) as file_obj:
                write(file_obj)
            os.replace(temp_path, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.remove(temp_path)
            raise

    def __repr__(self) -> str:
        return f"<FilesystemObjectStore root={self._root}>"


def _encoding(mode: str) -> dict[str, Any]:
    return {} if "b" in mode else {"encoding": "utf-8"}
