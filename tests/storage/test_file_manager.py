"""The local file manager with real files."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from notebook_pipelines.errors import DagsterInvariantViolationError
from notebook_pipelines.serdes import deserialize, serialize
from notebook_pipelines.storage.file_manager import (
    FileHandle,
    LocalFileHandle,
    LocalFileManager,
    local_file_manager,
)
from notebook_pipelines.storage.instance import DagsterInstance


def test_nothing_is_created_until_a_write(tmp_path: Path) -> None:
    LocalFileManager(tmp_path / "files")
    assert not (tmp_path / "files").exists()


def test_write_data_and_read_back(tmp_path: Path) -> None:
    manager = LocalFileManager(tmp_path / "files")
    handle = manager.write_data(b"\x00bytes", ext="bin")
    assert isinstance(handle, FileHandle) and isinstance(handle, LocalFileHandle)
    assert handle.path_desc == handle.path
    assert handle.path.startswith(str(tmp_path / "files")) and handle.path.endswith(".bin")
    assert manager.read_data(handle) == b"\x00bytes"
    with manager.read(handle) as f:
        assert f.read() == b"\x00bytes"
    other = manager.write_data(b"other")
    assert other.path != handle.path
    assert sorted(os.listdir(tmp_path / "files")) == sorted(
        [os.path.basename(handle.path), os.path.basename(other.path)]
    )  # no temporary files left


def test_write_text_file_object(tmp_path: Path) -> None:
    manager = LocalFileManager(tmp_path)
    handle = manager.write(io.StringIO("héllo"), mode="w", ext="txt")
    with manager.read(handle, mode="r") as f:
        assert f.read() == "héllo"


def test_bad_arguments(tmp_path: Path) -> None:
    manager = LocalFileManager(tmp_path)
    with pytest.raises(DagsterInvariantViolationError, match="bytes"):
        manager.write_data("text")  # type: ignore[arg-type]
    with pytest.raises(DagsterInvariantViolationError, match="mode"):
        manager.write(io.BytesIO(b""), mode="a")
    with pytest.raises(DagsterInvariantViolationError, match="ext"):
        manager.write_data(b"x", ext="../../evil")
    with (
        pytest.raises(DagsterInvariantViolationError, match="mode"),
        manager.read(LocalFileHandle(str(tmp_path / "x")), mode="w"),
    ):
        pass
    with pytest.raises(DagsterInvariantViolationError, match="LocalFileHandle"):
        manager.read_data("not a handle")  # type: ignore[arg-type]
    assert os.listdir(tmp_path) == []


def test_local_temp_copies_are_private_and_removed(tmp_path: Path) -> None:
    manager = LocalFileManager(tmp_path / "files")
    handle = manager.write_data(b"original")
    copy = manager.copy_handle_to_local_temp(handle)
    assert copy != handle.path
    Path(copy).write_bytes(b"changed")
    assert manager.read_data(handle) == b"original"
    manager.delete_local_temp()
    assert not os.path.exists(copy)
    assert os.path.exists(handle.path)


def test_local_file_manager_for_a_run(tmp_path: Path) -> None:
    instance = DagsterInstance.ephemeral(tempdir=tmp_path)
    with local_file_manager(instance, "r1") as manager:
        assert manager.base_dir == str(tmp_path / "storage" / "r1" / "files")
        handle = manager.write_data(b"data")
        copy = manager.copy_handle_to_local_temp(handle)
    assert not os.path.exists(copy)
    assert Path(handle.path).read_bytes() == b"data"
    assert LocalFileManager.for_instance(instance, "r1").base_dir == manager.base_dir


def test_handles_serialise() -> None:
    handle = LocalFileHandle("/tmp/some/file.csv")
    assert deserialize(serialize(handle)) == handle
