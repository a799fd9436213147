"""Object stores: keyed values, in memory (:class:`InMemoryObjectStore`) or in files
(:class:`FilesystemObjectStore`, a :class:`StreamingObjectStore`).

A key is a ``/``-separated path of parts built with :meth:`ObjectStore.key_for_paths`; each part
must pass :func:`~.keys.check_key_part` (no ``..``, ``/``, ``\\``, NUL, no leading ``.``), so keys
never leave the store's root.

A :class:`StreamingObjectStore` keeps each value as a file it hands out as a file object:
:meth:`~StreamingObjectStore.open_for_write` and :meth:`~StreamingObjectStore.open_for_read`
(context managers). ``set_object``, ``get_object`` and ``cp_object`` are built on them, so a store
of another kind (fsspec, S3) only implements the two ``open_for_*`` plus ``has``, ``rm`` and
``uri_for_key``. Values are streamed: the default pickle strategy pickles straight into the open
file (:mod:`.pickling`) and reads back with ``pickle.load`` from it, so a value needs about its own
size in memory, not twice.

What a write guarantees: the value appears under its key only when the ``open_for_write`` block
ends without an error. The filesystem store writes to a temporary file in the destination folder
(named with a leading ``.``, which no valid key part has) and renames it into place with
``os.replace``: readers see the old value or the new one, never half a file, and a failed write (a
full disk) leaves nothing behind. Files are not fsync'ed (atomic with respect to a crash of the
process, not of the machine).

Faults of the environment become classed errors naming the file
(:class:`~notebook_pipelines.errors.DagsterStorageFullError` for a full disk,
:class:`~notebook_pipelines.errors.DagsterReadOnlyStorageError`,
:class:`~notebook_pipelines.errors.DagsterStorageError` otherwise), and a stored value that cannot
be read back (truncated, overwritten) raises
:class:`~notebook_pipelines.errors.DagsterCorruptIntermediateError`; the intermediate storage adds
the run, step and output to their messages.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import IO, Any

from ..definitions.serialization import PickleSerializationStrategy, SerializationStrategy
from ..errors import DagsterCorruptIntermediateError, DagsterInvariantViolationError
from .faults import storage_error
from .keys import check_key_part
from .pickling import dump as stream_pickle

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


#: What deserialising a damaged file raises (truncated pickle, garbage, a half-written JSON).
CORRUPT_DATA_ERRORS: tuple[type[BaseException], ...] = (
    pickle.UnpicklingError,
    EOFError,
    ValueError,
    IndexError,
    KeyError,
    OverflowError,
    struct.error,
)


class StreamingObjectStore(ObjectStore):
    """A store whose values are files, handed out as file objects (local files; later fsspec).

    Subclasses implement :meth:`open_for_write`, :meth:`open_for_read`, ``has_object``,
    ``rm_object`` and ``uri_for_key``; values are serialised straight into the open file.
    """

    @property
    def is_persistent(self) -> bool:
        return True

    @abstractmethod
    def open_for_write(self, key: str, mode: str = "wb") -> AbstractContextManager[IO[Any]]:
        """A file to write the value of ``key`` into. The value replaces the one under ``key``
        when the block ends without an error; if it raises, nothing is kept. ``OSError`` may
        escape (the callers here turn it into a classed error)."""

    @abstractmethod
    def open_for_read(self, key: str, mode: str = "rb") -> AbstractContextManager[IO[Any]]:
        """The file of ``key``, to read; raises :class:`ObjectNotFoundError` if there is none."""

    def set_object(
        self, key: str, obj: Any, serialization_strategy: SerializationStrategy | None = None
    ) -> str:
        strategy = serialization_strategy or DEFAULT_STRATEGY
        try:
            with self.open_for_write(key, strategy.write_mode) as file_obj:
                _serialize(strategy, obj, file_obj)
        except OSError as error:
            raise storage_error(
                error,
                f"write the object under key {key!r}",
                self.uri_for_key(key),
                kept="Nothing was kept of the partial value.",
            ) from error
        return self.uri_for_key(key)

    def get_object(
        self, key: str, serialization_strategy: SerializationStrategy | None = None
    ) -> Any:
        strategy = serialization_strategy or DEFAULT_STRATEGY
        try:
            with self.open_for_read(key, strategy.read_mode) as file_obj:
                try:
                    return strategy.deserialize(file_obj)
                except CORRUPT_DATA_ERRORS as error:
                    raise self._corrupt(key, strategy, error) from error
        except OSError as error:
            raise storage_error(
                error, f"read the object under key {key!r}", self.uri_for_key(key)
            ) from error

    def _corrupt(
        self, key: str, strategy: SerializationStrategy, error: BaseException
    ) -> DagsterCorruptIntermediateError:
        path = self.uri_for_key(key)
        return DagsterCorruptIntermediateError(
            f"The value stored at {path} cannot be read back with the {strategy.name!r} "
            f"serialization strategy: {type(error).__name__}: {error}. The file is damaged "
            "(truncated, or overwritten by something else).",
            path=path,
        )

    def cp_object(self, src: str, dst: str) -> str:
        import shutil

        try:
            with self.open_for_read(src, "rb") as source, self.open_for_write(dst, "wb") as target:
                shutil.copyfileobj(source, target)
        except OSError as error:
            raise storage_error(
                error,
                f"copy {self.uri_for_key(src)} to the key {dst!r}",
                self.uri_for_key(dst),
                kept="Nothing was kept of the partial copy.",
            ) from error
        return self.uri_for_key(dst)


def _serialize(strategy: SerializationStrategy, obj: Any, file_obj: IO[Any]) -> None:
    if type(strategy) is PickleSerializationStrategy and file_obj.seekable():
        stream_pickle(obj, file_obj)  # the default: streamed, no bytes copy of the value
    else:
        strategy.serialize(obj, file_obj)


class FilesystemObjectStore(StreamingObjectStore):
    """Serialised values in files under ``root``: key ``a/b/c`` is the file ``<root>/a/b/c``."""

    name = "filesystem"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self._root = os.path.abspath(os.path.expanduser(os.fspath(root)))
        self._made_dirs: set[str] = set()

    @property
    def root(self) -> str:
        return self._root

    def path_for_key(self, key: str) -> str:
        """The file of ``key`` (every part checked, so it is always under the root)."""
        if not isinstance(key, str):
            raise DagsterInvariantViolationError(f"An object store key is a string, got {key!r}")
        return os.path.join(self._root, *[check_key_part(p) for p in key.split("/")])

    def uri_for_key(self, key: str) -> str:
        return self.path_for_key(key)

    @contextlib.contextmanager
    def open_for_read(self, key: str, mode: str = "rb") -> Iterator[IO[Any]]:
        try:
            file_obj = open(self.path_for_key(key), mode, **_encoding(mode))  # noqa: SIM115
        except FileNotFoundError:
            raise _missing(self, key) from None
        with file_obj:
            yield file_obj

    @contextlib.contextmanager
    def open_for_write(self, key: str, mode: str = "wb") -> Iterator[IO[Any]]:
        import tempfile

        path = self.path_for_key(key)
        folder = os.path.dirname(path)
        if folder not in self._made_dirs:
            os.makedirs(folder, exist_ok=True)
            self._made_dirs.add(folder)
        fd, temp_path = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=folder)
        try:
            with os.fdopen(fd, mode, **_encoding(mode)) as file_obj:
                yield file_obj
            os.replace(temp_path, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.remove(temp_path)
            raise

    def has_object(self, key: str) -> bool:
        return os.path.isfile(self.path_for_key(key))

    def rm_object(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.path_for_key(key))

    def __repr__(self) -> str:
        return f"<FilesystemObjectStore root={self._root}>"


def _encoding(mode: str) -> dict[str, Any]:
    return {} if "b" in mode else {"encoding": "utf-8"}
