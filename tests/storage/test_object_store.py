"""Object stores: in memory and on the filesystem (real files under tmp_path)."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import IO, Any

import pytest

from notebook_pipelines.definitions.serialization import SerializationStrategy
from notebook_pipelines.errors import DagsterInvariantViolationError
from notebook_pipelines.storage.keys import check_key_part, key_part_problem
from notebook_pipelines.storage.object_store import (
    FilesystemObjectStore,
    InMemoryObjectStore,
    ObjectNotFoundError,
    ObjectStore,
)


class JsonStrategy(SerializationStrategy):
    """A text-mode strategy, to show the store honours the strategy's modes."""

    def __init__(self) -> None:
        super().__init__("json", write_mode="w", read_mode="r")

    def serialize(self, value: Any, write_file_obj: IO[Any]) -> None:
        json.dump(value, write_file_obj)

    def deserialize(self, read_file_obj: IO[Any]) -> Any:
        return json.load(read_file_obj)


class Unpicklable:
    def __reduce__(self) -> Any:
        raise TypeError("cannot pickle this, not even with cloudpickle")


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture(params=["memory", "filesystem"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "memory":
        return InMemoryObjectStore()
    return FilesystemObjectStore(tmp_path / "store")


# --- both stores --------------------------------------------------------------------------------


def test_set_get_has_rm(store: ObjectStore) -> None:
    key = store.key_for_paths(["r1", "intermediates", "a.compute", "result"])
    assert key == "r1/intermediates/a.compute/result"
    assert not store.has_object(key)
    store.set_object(key, {"x": [1, 2]})
    assert store.has_object(key)
    assert store.get_object(key) == {"x": [1, 2]}
    store.set_object(key, "replaced")
    assert store.get_object(key) == "replaced"
    store.rm_object(key)
    assert not store.has_object(key)
    store.rm_object(key)  # removing again is harmless


def test_missing_object_raises_naming_the_key(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFoundError, match="r1/nothing") as info:
        store.get_object("r1/nothing")
    assert info.value.key == "r1/nothing"
    with pytest.raises(ObjectNotFoundError):
        store.cp_object("r1/nothing", "r2/nothing")


def test_copy(store: ObjectStore) -> None:
    src = store.key_for_paths(["r1", "intermediates", "outer.inner.compute", "out"])
    dst = store.key_for_paths(["r2", "intermediates", "outer.inner.compute", "out"])
    store.set_object(src, [1, 2, 3])
    uri = store.cp_object(src, dst)
    assert uri == store.uri_for_key(dst)
    assert store.get_object(dst) == [1, 2, 3]
    assert store.get_object(src) == [1, 2, 3]


@pytest.mark.parametrize(
    "bad",
    ["..", "a..b", "a/b", "a\\b", "a\x00b", ".hidden", "", "../escape"],
)
def test_bad_key_parts_are_refused(store: ObjectStore, bad: str) -> None:
    with pytest.raises(DagsterInvariantViolationError, match="Invalid storage key part"):
        store.key_for_paths(["r1", "intermediates", bad, "result"])


def test_store_persistence_flags(tmp_path: Path) -> None:
    assert not InMemoryObjectStore().is_persistent
    assert FilesystemObjectStore(tmp_path).is_persistent


# --- key parts ----------------------------------------------------------------------------------


def test_key_part_rules() -> None:
    for good in ("a.compute", "outer.inner.compute", "result", "run-1_x", "a.b.c"):
        assert check_key_part(good) == good
        assert key_part_problem(good) is None
    assert key_part_problem("..") == "it contains '..'"
    assert key_part_problem(".x") == "it starts with '.'"
    assert key_part_problem(3) == "it is a int, not a string"
    with pytest.raises(DagsterInvariantViolationError, match=r"Invalid step key 'a/b'.*'/'"):
        check_key_part("a/b", "step key")


# --- in memory ------------------------------------------------------------------------------------


def test_in_memory_keeps_the_object_itself() -> None:
    store = InMemoryObjectStore()
    value = Unpicklable()
    uri = store.set_object("r1/x", value, JsonStrategy())  # the strategy is ignored
    assert uri == "memory://r1/x"
    assert store.get_object("r1/x") is value


# --- filesystem ---------------------------------------------------------------------------------


def test_filesystem_layout_and_pickle_default(tmp_path: Path) -> None:
    store = FilesystemObjectStore(tmp_path)
    key = store.key_for_paths(["r1", "intermediates", "a.compute", "result"])
    path = store.set_object(key, {"answer": 42})
    assert path == str(tmp_path / "r1" / "intermediates" / "a.compute" / "result")
    assert store.uri_for_key(key) == path
    with open(path, "rb") as f:
        assert pickle.load(f) == {"answer": 42}  # plain pickle reads it
    assert files_under(tmp_path) == [os.path.join("r1", "intermediates", "a.compute", "result")]


def test_filesystem_pickles_lambdas_through_cloudpickle(tmp_path: Path) -> None:
    store = FilesystemObjectStore(tmp_path)
    store.set_object("r1/f", lambda x: x + 1)
    assert store.get_object("r1/f")(1) == 2


def test_filesystem_uses_the_strategy_modes(tmp_path: Path) -> None:
    store = FilesystemObjectStore(tmp_path)
    path = store.set_object("r1/v", {"a": [1, "é"]}, JsonStrategy())
    assert json.loads(Path(path).read_text(encoding="utf-8")) == {"a": [1, "é"]}
    assert store.get_object("r1/v", JsonStrategy()) == {"a": [1, "é"]}


def test_atomic_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = FilesystemObjectStore(tmp_path)
    for i in range(5):
        store.set_object("r1/intermediates/a.compute/result", i)
    store.cp_object("r1/intermediates/a.compute/result", "r2/intermediates/a.compute/result")
    assert files_under(tmp_path) == [
        os.path.join("r1", "intermediates", "a.compute", "result"),
        os.path.join("r2", "intermediates", "a.compute", "result"),
    ]


def test_failed_write_keeps_the_old_value_and_no_temporary_file(tmp_path: Path) -> None:
    store = FilesystemObjectStore(tmp_path)
    store.set_object("r1/x", "old")
    with pytest.raises(TypeError, match="cannot pickle this"):
        store.set_object("r1/x", Unpicklable())
    assert store.get_object("r1/x") == "old"
    assert files_under(tmp_path) == [os.path.join("r1", "x")]


def test_filesystem_refuses_keys_that_escape(tmp_path: Path) -> None:
    store = FilesystemObjectStore(tmp_path / "root")
    for bad in ("../x", "r1/../../x", "/abs", "r1//x", "r1/.tmp-x", "r1\\..\\x"):
        with pytest.raises(DagsterInvariantViolationError, match="Invalid storage key part"):
            store.set_object(bad, 1)
        with pytest.raises(DagsterInvariantViolationError, match="Invalid storage key part"):
            store.get_object(bad)
    assert not (tmp_path / "x").exists()
    assert files_under(tmp_path) == []


def test_filesystem_root_is_absolute_and_expanded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = FilesystemObjectStore("relative")
    assert store.root == str(tmp_path / "relative")
    assert "relative" in repr(store)
    assert FilesystemObjectStore("~").root == os.path.expanduser("~")
