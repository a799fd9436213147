"""File handles and the local file manager: files a run writes for later steps or for people.

A :class:`LocalFileManager` writes each file under its base folder with a fresh name (atomically:
a temporary file renamed into place) and hands back a :class:`LocalFileHandle`. It touches the disk
only when a file is written. :meth:`LocalFileManager.copy_handle_to_local_temp` returns a path to a
private *copy* of the file (so a caller may change or delete it freely);
:meth:`LocalFileManager.delete_local_temp` removes those copies. :func:`local_file_manager` gives
a manager for one run of an instance (``<instance root>/storage/<run_id>/files``) and removes its
temporary copies on exit.
"""

from __future__ import annotations

import io
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from ..errors import DagsterInvariantViolationError
from ..serdes import serializable
from .keys import check_key_part

if TYPE_CHECKING:
    from .instance import DagsterInstance


class FileHandle(ABC):
    """A reference to a file a file manager can read."""

    @property
    @abstractmethod
    def path_desc(self) -> str:
        """A description of where the file is, for people."""


@serializable
@dataclass(frozen=True)
class LocalFileHandle(FileHandle):
    """A file on the local filesystem."""

    path: str

    @property
    def path_desc(self) -> str:
        return self.path


class LocalFileManager:
    """Writes and reads files under ``base_dir`` (created on first write)."""

    def __init__(self, base_dir: str | os.PathLike[str]) -> None:
        self.base_dir = os.path.abspath(os.fspath(base_dir))
        self._temp_dir: str | None = None
        self._temp_paths: list[str] = []

    @classmethod
    def for_instance(cls, instance: DagsterInstance, run_id: str) -> LocalFileManager:
        """The manager of run ``run_id``'s files in ``instance``."""
        return cls(instance.file_manager_directory(run_id))

    def ensure_base_dir_exists(self) -> None:
        os.makedirs(self.base_dir, exist_ok=True)

    def write_data(self, data: bytes, ext: str | None = None) -> LocalFileHandle:
        """Write ``data`` to a new file (name ending ``.<ext>`` if given); return its handle."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise DagsterInvariantViolationError(
                f"write_data expects bytes, got {type(data).__name__}; use write() for file objects"
            )
        return self.write(io.BytesIO(bytes(data)), mode="wb", ext=ext)

    def write(self, file_obj: IO[Any], mode: str = "wb", ext: str | None = None) -> LocalFileHandle:
        """Copy ``file_obj``'s contents to a new file opened with ``mode``; return its handle."""
        import shutil
        import tempfile
        import uuid

        if mode not in ("wb", "w"):
            raise DagsterInvariantViolationError(f"write: mode must be 'wb' or 'w', got {mode!r}")
        name = uuid.uuid4().hex + (f".{ext}" if ext else "")
        check_key_part(name, "file name (check ext)")
        self.ensure_base_dir_exists()
        path = os.path.join(self.base_dir, name)
        fd, temp_path = tempfile.mkstemp(prefix=".tmp-", dir=self.base_dir)
        try:
            encoding = None if "b" in mode else "utf-8"
            with os.fdopen(fd, mode, encoding=encoding) as target:
                shutil.copyfileobj(file_obj, target)
            os.replace(temp_path, path)
        except BaseException:
            with suppress(FileNotFoundError):
                os.remove(temp_path)
            raise
        return LocalFileHandle(path)

    @contextmanager
    def read(self, file_handle: FileHandle, mode: str = "rb") -> Iterator[IO[Any]]:
        """Open the file of ``file_handle`` for reading."""
        if mode not in ("rb", "r"):
            raise DagsterInvariantViolationError(f"read: mode must be 'rb' or 'r', got {mode!r}")
        path = _local_path(file_handle)
        with open(path, mode, encoding=None if "b" in mode else "utf-8") as file_obj:
            yield file_obj

    def read_data(self, file_handle: FileHandle) -> bytes:
        """The bytes of the file of ``file_handle``."""
        with self.read(file_handle, "rb") as file_obj:
            data: bytes = file_obj.read()
        return data

    def copy_handle_to_local_temp(self, file_handle: FileHandle) -> str:
        """Path of a private temporary copy of the file (removed by :meth:`delete_local_temp`)."""
        import shutil
        import tempfile
        import uuid

        source = _local_path(file_handle)
        if self._temp_dir is None:
            self._temp_dir = tempfile.mkdtemp(prefix="notebook_pipelines-files-")
        target = os.path.join(self._temp_dir, f"{uuid.uuid4().hex}-{os.path.basename(source)}")
        shutil.copyfile(source, target)
        self._temp_paths.append(target)
        return target

    def delete_local_temp(self) -> None:
        """Remove every copy made by :meth:`copy_handle_to_local_temp`."""
        import shutil

        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
        self._temp_dir = None
        self._temp_paths = []

    def __repr__(self) -> str:
        return f"<LocalFileManager base_dir={self.base_dir}>"


def _local_path(file_handle: FileHandle) -> str:
    if not isinstance(file_handle, LocalFileHandle):
        raise DagsterInvariantViolationError(
            f"A LocalFileManager reads LocalFileHandles, got {file_handle!r}"
        )
    return file_handle.path


@contextmanager
def local_file_manager(instance: DagsterInstance, run_id: str) -> Iterator[LocalFileManager]:
    """A :class:`LocalFileManager` for run ``run_id`` of ``instance``; temporary copies are
    removed on exit."""
    manager = LocalFileManager.for_instance(instance, run_id)
    try:
        yield manager
    finally:
        manager.delete_local_temp()
