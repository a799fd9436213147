"""Implementations found by name: the built-in definitions' creation functions (registry.py)."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from notebook_pipelines import (
    fs_intermediate_storage,
    in_process_executor,
    mem_system_storage,
    multiprocess_executor,
)
from notebook_pipelines.definitions.executor import dask_executor
from notebook_pipelines.definitions.registry import Registered, Registry, executors
from notebook_pipelines.errors import DagsterUnmetExecutorRequirementsError


def test_built_in_definitions_name_their_implementation() -> None:
    assert in_process_executor.executor_creation_fn == Registered("executor", "in_process")
    assert dask_executor.executor_creation_fn.target == "executor:dask"
    assert fs_intermediate_storage.creation_fn == Registered("intermediate storage", "filesystem")
    assert mem_system_storage.creation_fn.target == "system storage:in_memory"
    assert {"in_process", "multiprocess", "dask"} <= set(executors.names())


def test_a_registered_creation_function_travels_by_name() -> None:
    fn = multiprocess_executor.executor_creation_fn
    again = pickle.loads(pickle.dumps(fn))
    assert again == fn and hash(again) == hash(fn) and repr(again) == repr(fn)
    assert len(pickle.dumps(fn)) < 200  # its name, not the implementation


def test_the_built_in_storages_are_registered_by_the_storage_layer() -> None:
    from notebook_pipelines.definitions import registry
    from notebook_pipelines.storage import intermediates

    found = registry.intermediate_storages.lookup("filesystem")
    assert found is intermediates.create_filesystem_intermediate_storage
    assert registry.system_storages.lookup("in_memory") is (
        intermediates.create_in_memory_system_storage
    )


def test_a_name_with_no_implementation_is_a_clear_error() -> None:
    registry = Registry("executor")
    registry.register("here", lambda context: context)
    with pytest.raises(DagsterUnmetExecutorRequirementsError, match=r'executor "gone".*"here"'):
        registry.lookup("gone")
    with pytest.raises(ValueError, match="unknown registry"):
        Registered("engine", "x")


def test_a_provided_name_is_loaded_on_first_use() -> None:
    registry = Registry("executor")
    loaded: list[str] = []

    def load() -> None:
        loaded.append("now")
        registry.register("lazy", lambda context: ("made", context))

    registry.provide("lazy", load)
    assert registry.names() == ["lazy"] and not loaded
    assert registry.lookup("lazy")(1) == ("made", 1)
    assert registry.lookup("lazy")(2) == ("made", 2)
    assert loaded == ["now"]


def test_a_missing_extra_says_what_to_install() -> None:
    registry = Registry("executor")

    def load() -> Any:
        import no_such_extra_module  # type: ignore[import-not-found]  # noqa: F401

    registry.provide("needs", load, "pip install 'notebook-pipelines[needs]'")
    with pytest.raises(
        DagsterUnmetExecutorRequirementsError,
        match=r'executor "needs" is not available: .*no_such_extra_module.*\[needs\]',
    ):
        registry.lookup("needs")
