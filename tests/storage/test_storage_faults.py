"""Faults of the environment in intermediate storage, injected for real: a stored output damaged on
disk (read during re-execution), and a disk that is full when an output is written (a small
tmpfs). Each checks the classed error, what its message names, and what is kept on disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from notebook_pipelines import execute_pipeline, lambda_solid, pipeline, reexecute_pipeline
from notebook_pipelines.errors import (
    DagsterCorruptIntermediateError,
    DagsterEnvironmentError,
    DagsterStorageError,
    DagsterStorageFullError,
)
from notebook_pipelines.events import StepOutputHandle
from notebook_pipelines.storage.instance import DagsterInstance
from notebook_pipelines.storage.intermediates import ObjectStoreIntermediateStorage, run_id_root
from notebook_pipelines.storage.object_store import FilesystemObjectStore

from ..faults import fill_disk, small_tmpfs

__all__ = ["small_tmpfs"]  # the fixture, used by name below

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
FS = {**QUIET, "intermediate_storage": {"filesystem": {}}}
HANDLE = StepOutputHandle("a.compute", "result")


def truncate(path: str) -> None:
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: len(data) // 2])


def storage(root: Path, run_id: str) -> ObjectStoreIntermediateStorage:
    return ObjectStoreIntermediateStorage(FilesystemObjectStore(root), run_id_root, run_id)


# --- a damaged stored output -----------------------------------------------------------------------


def test_a_damaged_output_names_run_step_output_and_file(tmp_path: Path) -> None:
    parent = storage(tmp_path, "parent")
    parent.set_intermediate(None, HANDLE, list(range(1000)))
    truncate(parent.uri_for(HANDLE))
    with pytest.raises(DagsterCorruptIntermediateError) as raised:
        parent.get_intermediate(None, HANDLE)
    error = raised.value
    assert isinstance(error, DagsterStorageError) and isinstance(error, DagsterEnvironmentError)
    assert (error.run_id, error.step_key, error.output_name) == ("parent", "a.compute", "result")
    assert error.path == parent.uri_for(HANDLE)
    text = str(error)
    for part in ('output "result"', 'step "a.compute"', "run parent", parent.uri_for(HANDLE)):
        assert part in text
    assert "pickle data was truncated" in text

    child = storage(tmp_path, "child")  # a re-execution copies the damaged file, then reads it
    child.copy_intermediate_from_run(None, "parent", HANDLE)
    with pytest.raises(DagsterCorruptIntermediateError, match="copied from run parent") as raised:
        child.get_intermediate(None, HANDLE)
    assert raised.value.run_id == "child" and child.uri_for(HANDLE) in str(raised.value)


def test_reexecution_reading_a_damaged_output_fails_with_the_clear_error(tmp_path: Path) -> None:
    @lambda_solid
    def a() -> list[int]:
        return list(range(1000))

    @lambda_solid
    def b(x: list[int]) -> int:
        return len(x)

    @pipeline
    def chain() -> None:
        b(a())

    instance = DagsterInstance.local_temp(tmp_path / "home")
    first = execute_pipeline(chain, run_config=FS, instance=instance)
    stored = instance.intermediates_directory(first.run_id) + "/a.compute/result"
    truncate(stored)
    try:
        result = reexecute_pipeline(
            chain,
            first.run_id,
            run_config=FS,
            instance=instance,
            step_selection=["b.compute"],
            raise_on_error=False,
        )
    except DagsterCorruptIntermediateError as error:  # the engine lets it through
        message = str(error)
    else:  # the engine fails the step with it
        assert not result.success
        failure = result.result_for_solid("b").failure_data  # type: ignore[union-attr]
        assert failure is not None and failure.error.cls_name == "DagsterCorruptIntermediateError"
        message = failure.error.message
    assert 'output "result" of step "a.compute"' in message
    assert f"copied from run {first.run_id}" in message and stored in message
    instance.dispose()


# --- a full disk ------------------------------------------------------------------------------------


def test_a_full_disk_names_step_output_path_and_keeps_nothing_partial(small_tmpfs: Path) -> None:
    store = storage(small_tmpfs, "run1")
    store.set_intermediate(None, HANDLE, "old value")  # an earlier value of the same output
    with pytest.raises(DagsterStorageFullError) as raised:
        store.set_intermediate(None, HANDLE, os.urandom(6 << 20))  # 6 MiB on a 4 MiB disk
    error = raised.value
    assert isinstance(error, DagsterEnvironmentError)
    assert (error.step_key, error.output_name, error.path) == (
        "a.compute",
        "result",
        store.uri_for(HANDLE),
    )
    text = str(error)
    for part in ('output "result"', 'step "a.compute"', "run run1", "the disk is full"):
        assert part in text
    assert store.uri_for(HANDLE) in text and "Nothing was kept" in text
    folder = Path(store.uri_for(HANDLE)).parent
    assert [p.name for p in folder.iterdir()] == ["result"]  # no temporary file left behind
    assert store.get_intermediate(None, HANDLE) == "old value"  # the old value is intact


def test_a_disk_filled_by_someone_else_refuses_even_a_small_output(small_tmpfs: Path) -> None:
    store = storage(small_tmpfs / "store", "run1")
    store.set_intermediate(None, HANDLE, 1)
    fill_disk(small_tmpfs)
    other = StepOutputHandle("b.compute", "out")
    with pytest.raises(DagsterStorageFullError, match=r'output "out" of step "b\.compute"'):
        store.set_intermediate(None, other, list(range(100_000)))
    assert not store.has_intermediate(other)
    assert not [p for p in (small_tmpfs / "store").rglob(".*") if p.is_file()]


# --- names too long for a file name -----------------------------------------------------------------


def test_a_step_key_too_long_for_a_file_name_fails_in_storage_naming_it(tmp_path: Path) -> None:
    from notebook_pipelines.errors import DagsterInvariantViolationError
    from notebook_pipelines.storage.keys import check_key_part

    nested = "o" * 140 + "." + "i" * 140 + ".compute"  # composites nest: each name fits, not this
    store = storage(tmp_path, "run1")
    with pytest.raises(DagsterInvariantViolationError, match="at most 255 bytes") as raised:
        store.set_intermediate(None, StepOutputHandle(nested, "result"), 1)
    assert nested in str(raised.value)
    check_key_part("s" * 251, "step key", reserve=4)
    with pytest.raises(DagsterInvariantViolationError, match="251 before the 4-byte suffix"):
        check_key_part("s" * 252, "step key", reserve=4)
    assert not list(tmp_path.rglob("*"))  # nothing was created


# --- the disk filling while a step runs -------------------------------------------------------------


def test_a_disk_that_fills_during_a_step_loses_no_event_and_fails_the_run(
    small_tmpfs: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from notebook_pipelines import solid
    from notebook_pipelines.storage.runs import PipelineRunStatus

    filler = small_tmpfs / "filler"

    @solid
    def fill(context: object) -> int:
        fill_disk(small_tmpfs)
        for i in range(200):
            context.log.info(f"line {i}")  # type: ignore[attr-defined]
        return 1

    @pipeline
    def filling() -> None:
        fill()

    instance = DagsterInstance.local_temp(small_tmpfs / "home")
    with caplog.at_level(logging.WARNING, "notebook_pipelines.storage.sqlite_event_log"):
        result = execute_pipeline(filling, run_config=QUIET, instance=instance)
    assert result.success  # the step's own work succeeded; the disk is the environment's fault
    kinds = [e.event_type_value for e in result.event_list]
    assert (
        kinds[0] == "PIPELINE_START" and "STEP_START" in kinds and kinds[-1] == "PIPELINE_SUCCESS"
    )
    warning = "\n".join(r.getMessage() for r in caplog.records)
    assert "the disk is full" in warning
    assert instance.event_log_storage.path in warning  # type: ignore[attr-defined]
    assert "disk I/O error" not in warning and "writable" not in warning
    # the reserve's room took the records kept in memory: nothing waits any more
    assert instance.event_log_storage.disk_full_error is None  # type: ignore[attr-defined]

    # at once, with the disk still full: the instance gave back its reserve (history/.disk-reserve)
    # to mark the run failed and write what it kept in memory
    assert not (small_tmpfs / "home" / "history" / ".disk-reserve").exists()
    assert instance.get_run_by_id(result.run_id).status == PipelineRunStatus.FAILURE  # type: ignore[union-attr]
    lines = [r.user_message for r in instance.all_logs(result.run_id) if r.dagster_event is None]
    assert lines[-200:] == [f"line {i}" for i in range(200)]

    filler.unlink()  # space returns: the reserve is taken again
    instance.dispose()
    assert (small_tmpfs / "home" / "history" / ".disk-reserve").stat().st_size > 0
    reopened = DagsterInstance.from_ref(instance.get_ref())
    assert reopened.get_run_by_id(result.run_id).status == PipelineRunStatus.FAILURE  # type: ignore[union-attr]
    stored = reopened.all_logs(result.run_id)
    assert [r.user_message for r in stored if r.dagster_event is None][-200:] == [
        f"line {i}" for i in range(200)
    ]
    assert [r.dagster_event.event_type_value for r in stored if r.dagster_event] == kinds
    reopened.dispose()
