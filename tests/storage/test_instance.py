"""The ephemeral instance: what only an in-memory instance does, and the hot path's cost."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from notebook_pipelines.errors import DagsterInvariantViolationError
from notebook_pipelines.events import DagsterEvent, record_for_event
from notebook_pipelines.storage.event_log import InMemoryEventLogStorage
from notebook_pipelines.storage.instance import DagsterInstance, InstanceType, process_temp_root
from notebook_pipelines.storage.runs import InMemoryRunStorage, PipelineRun, PipelineRunStatus

REPO = Path(__file__).resolve().parents[2]


def test_ephemeral_is_not_persistent_and_has_no_ref() -> None:
    instance = DagsterInstance.ephemeral()
    assert instance.is_ephemeral and not instance.is_persistent
    assert instance.instance_type is InstanceType.EPHEMERAL
    assert not instance.run_storage.is_persistent
    assert not instance.event_log_storage.is_persistent
    with pytest.raises(DagsterInvariantViolationError, match="ephemeral"):
        instance.get_ref()


def test_ephemeral_root_is_one_process_wide_temporary_directory() -> None:
    a, b = DagsterInstance.ephemeral(), DagsterInstance.ephemeral()
    assert a.root_directory == b.root_directory == process_temp_root()
    assert os.path.isdir(a.root_directory)
    assert "<process temporary directory>" in repr(DagsterInstance.ephemeral())


def test_ephemeral_with_tempdir(tmp_path: Path) -> None:
    instance = DagsterInstance.ephemeral(tempdir=tmp_path)
    assert instance.root_directory == str(tmp_path)
    assert instance.intermediates_directory("r1") == str(
        tmp_path / "storage" / "r1" / "intermediates"
    )
    assert instance.compute_logs_directory("r1") == str(
        tmp_path / "storage" / "r1" / "compute_logs"
    )


def test_temporary_root_is_created_lazily_and_removed_at_exit(tmp_path: Path) -> None:
    script = (
        "from notebook_pipelines.storage import instance as m\n"
        "i = m.DagsterInstance.ephemeral()\n"
        "assert m._temp_root is None\n"
        "print(i.root_directory)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    assert out.stderr == ""
    root = out.stdout.strip()
    assert root and not os.path.exists(root)


def test_persistent_instance_needs_a_root_and_hands_out_its_ref(tmp_path: Path) -> None:
    with pytest.raises(DagsterInvariantViolationError, match="root_directory"):
        DagsterInstance(
            InMemoryRunStorage(),
            InMemoryEventLogStorage(),
            instance_type=InstanceType.PERSISTENT,
        )
    instance = DagsterInstance(
        InMemoryRunStorage(),
        InMemoryEventLogStorage(),
        tmp_path,
        instance_type=InstanceType.PERSISTENT,
        ref="the-ref",
    )
    assert instance.is_persistent and instance.get_ref() == "the-ref"


def test_wrong_storages_are_refused() -> None:
    with pytest.raises(DagsterInvariantViolationError, match="run_storage"):
        DagsterInstance(InMemoryEventLogStorage(), InMemoryEventLogStorage())  # type: ignore[arg-type]
    with pytest.raises(DagsterInvariantViolationError, match="event_storage"):
        DagsterInstance(InMemoryRunStorage(), InMemoryRunStorage())  # type: ignore[arg-type]


def test_listener_must_be_callable() -> None:
    instance = DagsterInstance.ephemeral()
    with pytest.raises(DagsterInvariantViolationError, match="callable"):
        instance.add_event_listener("r1", "nope")  # type: ignore[arg-type]
    with pytest.raises(DagsterInvariantViolationError, match="callable"):
        instance.subscribe(None)  # type: ignore[arg-type]


def test_context_manager_disposes_and_drops_listeners() -> None:
    got: list[object] = []
    with DagsterInstance.ephemeral() as instance:
        instance.subscribe(got.append)
        instance.add_run(PipelineRun("pipe", run_id="r1"))
    instance.dispose()  # twice is harmless
    instance.handle_new_event(record_for_event("r1", DagsterEvent("PIPELINE_START", "pipe")))
    assert got == []
    run = instance.get_run_by_id("r1")
    assert run is not None and run.status is PipelineRunStatus.STARTED
