"""Intermediate storage over the object stores, and the built-in storages' creation functions."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import IO, Any

import pytest

from notebook_pipelines.definitions.serialization import SerializationStrategy
from notebook_pipelines.definitions.type_base import DagsterType
from notebook_pipelines.errors import (
    DagsterInvariantViolationError,
    DagsterStepOutputNotFoundError,
)
from notebook_pipelines.events import (
    ObjectStoreOperationResultData,
    ObjectStoreOperationType,
    StepOutputHandle,
)
from notebook_pipelines.serdes import deserialize, serialize
from notebook_pipelines.storage.file_manager import LocalFileManager
from notebook_pipelines.storage.instance import DagsterInstance
from notebook_pipelines.storage.intermediates import (
    IntermediateStorage,
    ObjectStoreIntermediateStorage,
    SystemStorageData,
    build_intermediate_storage_from_object_store,
    create_filesystem_intermediate_storage,
    create_filesystem_system_storage,
    create_in_memory_intermediate_storage,
    create_in_memory_system_storage,
)
from notebook_pipelines.storage.object_store import FilesystemObjectStore, InMemoryObjectStore
from notebook_pipelines.storage.runs import PipelineRun

from .contexts import InitContext

A = StepOutputHandle("a.compute", "result")
NESTED = StepOutputHandle("outer.inner.compute", "out")


class JsonStrategy(SerializationStrategy):
    def __init__(self) -> None:
        super().__init__("json", write_mode="w", read_mode="r")

    def serialize(self, value: Any, write_file_obj: IO[Any]) -> None:
        json.dump(value, write_file_obj)

    def deserialize(self, read_file_obj: IO[Any]) -> Any:
        return json.load(read_file_obj)


JSON_TYPE = DagsterType(
    lambda _c, _v: True, name="JsonThing", serialization_strategy=JsonStrategy()
)
ANY_TYPE = DagsterType(lambda _c, _v: True, name="Whatever")


def context(
    tmp_path: Path, run_id: str = "r1", **config: Any
) -> tuple[InitContext, DagsterInstance]:
    instance = DagsterInstance.ephemeral(tempdir=tmp_path / "home")
    run = PipelineRun("pipe", run_id=run_id)
    return InitContext(instance, run, dict(config), dict(config)), instance


# --- operations and their data ---------------------------------------------------------------------


def test_in_memory_set_get_has_rm(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path)
    storage = create_in_memory_intermediate_storage(ctx)
    assert isinstance(storage, IntermediateStorage)
    assert not storage.is_persistent and storage.run_id == "r1"
    assert not storage.has_intermediate(A)
    value = object()  # not picklable-relevant: in memory keeps the object itself
    set_op = storage.set_intermediate(ANY_TYPE, A, value)
    assert set_op == ObjectStoreOperationResultData(
        ObjectStoreOperationType.SET_OBJECT,
        "result",
        "memory://r1/intermediates/a.compute/result",
        A,
    )
    assert storage.has_intermediate(A)
    got, get_op = storage.get_intermediate_op(ANY_TYPE, A)
    assert got is value and storage.get_intermediate(None, A) is value
    assert get_op.op is ObjectStoreOperationType.GET_OBJECT
    assert (get_op.value_name, get_op.address, get_op.step_output_handle) == (
        "result",
        set_op.address,
        A,
    )
    assert storage.uri_for(A) == set_op.address
    rm_op = storage.rm_intermediate(A)
    assert rm_op.op is ObjectStoreOperationType.RM_OBJECT
    assert not storage.has_intermediate(A)


def test_operation_data_serialises_for_events(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path)
    storage = create_filesystem_intermediate_storage(ctx)
    ops = [storage.set_intermediate(None, A, 1), storage.get_intermediate_op(None, A)[1]]
    for op in ops:
        assert deserialize(serialize(op)) == op


def test_missing_value_names_step_and_output(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path)
    for storage in (
        create_in_memory_intermediate_storage(ctx),
        create_filesystem_intermediate_storage(ctx),
    ):
        with pytest.raises(DagsterStepOutputNotFoundError, match='"out" of step') as info:
            storage.get_intermediate(None, NESTED)
        assert (info.value.step_key, info.value.output_name) == ("outer.inner.compute", "out")


def test_bad_step_keys_and_output_names_are_refused(tmp_path: Path) -> None:
    ctx, instance = context(tmp_path)
    storage = create_filesystem_intermediate_storage(ctx)
    with pytest.raises(DagsterInvariantViolationError, match=r"Invalid step key '\.\./x'"):
        storage.set_intermediate(None, StepOutputHandle("../x", "result"), 1)
    with pytest.raises(
        DagsterInvariantViolationError, match=r"Step 'a.compute'.*Invalid output name 'a/b'"
    ):
        storage.set_intermediate(None, StepOutputHandle("a.compute", "a/b"), 1)
    with pytest.raises(DagsterInvariantViolationError, match="StepOutputHandle"):
        storage.set_intermediate(None, ("a.compute", "result"), 1)  # type: ignore[arg-type]
    with pytest.raises(DagsterInvariantViolationError, match="run id"):
        ObjectStoreIntermediateStorage(InMemoryObjectStore(), lambda r: r, "../r")
    assert not Path(instance.root_directory).exists()


# --- filesystem ------------------------------------------------------------------------------------


def test_filesystem_under_the_instance(tmp_path: Path) -> None:
    ctx, instance = context(tmp_path)
    storage = create_filesystem_intermediate_storage(ctx)
    assert storage.is_persistent
    op = storage.set_intermediate(ANY_TYPE, NESTED, {"v": 1})
    expected = os.path.join(instance.intermediates_directory("r1"), "outer.inner.compute", "out")
    assert op.address == expected == storage.uri_for(NESTED)
    with open(expected, "rb") as f:
        assert pickle.load(f) == {"v": 1}  # pickle is the default strategy
    assert storage.get_intermediate(ANY_TYPE, NESTED) == {"v": 1}


def test_filesystem_uses_the_types_strategy(tmp_path: Path) -> None:
    ctx, instance = context(tmp_path)
    storage = create_filesystem_intermediate_storage(ctx)
    storage.set_intermediate(JSON_TYPE, A, [1, 2])
    path = Path(instance.intermediates_directory("r1")) / "a.compute" / "result"
    assert json.loads(path.read_text(encoding="utf-8")) == [1, 2]
    assert storage.get_intermediate(JSON_TYPE, A) == [1, 2]


def test_filesystem_base_dir_is_namespaced_by_run(tmp_path: Path) -> None:
    base = tmp_path / "base"
    ctx1, _ = context(tmp_path, "r1", base_dir=str(base))
    ctx2, _ = context(tmp_path, "r2", base_dir=str(base))
    s1 = create_filesystem_intermediate_storage(ctx1)
    s2 = create_filesystem_intermediate_storage(ctx2)
    s1.set_intermediate(None, A, "from r1")
    s2.set_intermediate(None, A, "from r2")
    assert s1.uri_for(A) == str(base / "r1" / "intermediates" / "a.compute" / "result")
    assert s1.get_intermediate(None, A) == "from r1"  # runs never share files
    assert s2.get_intermediate(None, A) == "from r2"
    assert not (tmp_path / "home").exists()  # nothing under the instance


def test_bad_base_dir(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path, base_dir="")
    with pytest.raises(DagsterInvariantViolationError, match="base_dir"):
        create_filesystem_intermediate_storage(ctx)


def test_copy_from_parent_run(tmp_path: Path) -> None:
    parent_ctx, _ = context(tmp_path, "parent")
    child_ctx, instance = context(tmp_path, "child")
    parent = create_filesystem_intermediate_storage(parent_ctx)
    child = create_filesystem_intermediate_storage(child_ctx)
    parent.set_intermediate(None, A, {"big": list(range(10))})
    op = child.copy_intermediate_from_run(None, "parent", A)
    assert op.op is ObjectStoreOperationType.CP_OBJECT
    assert op.address == child.uri_for(A)
    assert op.address.startswith(instance.intermediates_directory("child"))
    (source,) = op.metadata_entries
    assert source.entry_data.path == parent.uri_for(A)
    assert deserialize(serialize(op)) == op
    assert child.get_intermediate(None, A) == {"big": list(range(10))}
    # a chain: grandchild copies what the child copied
    grandchild_ctx, _ = context(tmp_path, "grandchild")
    grandchild = create_filesystem_intermediate_storage(grandchild_ctx)
    grandchild.copy_intermediate_from_run(None, "child", A)
    assert grandchild.get_intermediate(None, A) == {"big": list(range(10))}


def test_copy_of_a_missing_value_is_a_clear_error(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path, "child")
    child = create_filesystem_intermediate_storage(ctx)
    with pytest.raises(DagsterStepOutputNotFoundError, match=r"run parent \(looked at .*parent"):
        child.copy_intermediate_from_run(None, "parent", A)
    with pytest.raises(DagsterInvariantViolationError, match="run id"):
        child.copy_intermediate_from_run(None, "../parent", A)


def test_copy_from_own_run_is_a_no_op(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path)
    storage = create_filesystem_intermediate_storage(ctx)
    storage.set_intermediate(None, A, 5)
    storage.copy_intermediate_from_run(None, "r1", A)
    assert storage.get_intermediate(None, A) == 5


def test_ephemeral_instance_filesystem_lands_in_its_temporary_root(tmp_path: Path) -> None:
    instance = DagsterInstance.ephemeral()
    ctx = InitContext(instance, PipelineRun("pipe", run_id="eph-run"))
    storage = create_filesystem_intermediate_storage(ctx)
    storage.set_intermediate(None, A, 1)
    assert storage.uri_for(A).startswith(instance.root_directory)


# --- build from any object store -----------------------------------------------------------------


def test_build_from_object_store_with_custom_root(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path)
    store = FilesystemObjectStore(tmp_path / "objects")
    storage = build_intermediate_storage_from_object_store(
        store, ctx, root_for_run_id=lambda run_id: f"prefix/{run_id}"
    )
    storage.set_intermediate(None, A, 1)
    assert storage.uri_for(A) == str(
        tmp_path / "objects" / "prefix" / "r1" / "intermediates" / "a.compute" / "result"
    )
    default = build_intermediate_storage_from_object_store(InMemoryObjectStore(), ctx)
    assert default.uri_for(A) == "memory://r1/intermediates/a.compute/result"
    at_root = build_intermediate_storage_from_object_store(
        InMemoryObjectStore(), ctx, root_for_run_id=lambda _: ""
    )
    assert at_root.uri_for(A) == "memory://intermediates/a.compute/result"
    with pytest.raises(DagsterInvariantViolationError, match="root part"):
        build_intermediate_storage_from_object_store(store, ctx, root_for_run_id=lambda r: "../x")
    with pytest.raises(DagsterInvariantViolationError, match="ObjectStore"):
        build_intermediate_storage_from_object_store(object(), ctx)  # type: ignore[arg-type]


# --- system storage ---------------------------------------------------------------------------------


def test_in_memory_system_storage(tmp_path: Path) -> None:
    ctx, instance = context(tmp_path)
    data = create_in_memory_system_storage(ctx)
    assert isinstance(data, SystemStorageData)
    assert not data.intermediate_storage.is_persistent
    assert isinstance(data.file_manager, LocalFileManager)
    assert data.file_manager.base_dir == instance.file_manager_directory("r1")


def test_filesystem_system_storage(tmp_path: Path) -> None:
    ctx, instance = context(tmp_path)
    data = create_filesystem_system_storage(ctx)
    assert data.intermediate_storage.is_persistent
    assert data.file_manager.base_dir == instance.file_manager_directory("r1")
    data.intermediate_storage.set_intermediate(None, A, 1)
    assert data.intermediate_storage.uri_for(A).startswith(instance.intermediates_directory("r1"))

    base = tmp_path / "base"
    ctx2, _ = context(tmp_path, "r2", base_dir=str(base))
    data2 = create_filesystem_system_storage(ctx2)
    assert data2.file_manager.base_dir == str(base / "r2" / "files")
    handle = data2.file_manager.write_data(b"x")
    assert handle.path.startswith(str(base / "r2" / "files"))
    assert data2.intermediate_storage.uri_for(A) == str(
        base / "r2" / "intermediates" / "a.compute" / "result"
    )


def test_system_storage_data_checks_its_intermediate_storage(tmp_path: Path) -> None:
    with pytest.raises(DagsterInvariantViolationError, match="IntermediateStorage"):
        SystemStorageData(object(), LocalFileManager(tmp_path))  # type: ignore[arg-type]
