"""The persistent instance: get(), local_temp(), references across processes, end to end."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest
import yaml

from notebook_pipelines import (
    execute_pipeline,
    lambda_solid,
    pipeline,
    reexecute_pipeline,
)
from notebook_pipelines.errors import DagsterInvariantViolationError
from notebook_pipelines.events import record_for_event
from notebook_pipelines.serdes import serialize
from notebook_pipelines.storage.home import InstanceRef
from notebook_pipelines.storage.instance import DagsterInstance, InstanceType
from notebook_pipelines.storage.runs import PipelineRun, PipelineRunStatus, RunsFilter
from notebook_pipelines.storage.sqlite_event_log import SqliteEventLogStorage
from notebook_pipelines.storage.sqlite_runs import SqliteRunStorage
from notebook_pipelines.testing.storage_suite import pipeline_event

from .sqlite_helpers import run_python, step_record

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
FS = {**QUIET, "intermediate_storage": {"filesystem": {}}}


# --- get() and the home ------------------------------------------------------------------------------


def test_get_creates_the_home_with_its_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "nested" / "home"
    monkeypatch.setenv("NOTEBOOK_PIPELINES_HOME", str(home))
    instance = DagsterInstance.get()
    assert instance.is_persistent and instance.instance_type is InstanceType.PERSISTENT
    assert instance.root_directory == str(home)
    assert isinstance(instance.run_storage, SqliteRunStorage)
    assert isinstance(instance.event_log_storage, SqliteEventLogStorage)
    assert instance.run_storage.path == str(home / "history" / "runs.db")
    assert instance.event_log_storage.path == str(home / "history" / "events.db")
    config = yaml.safe_load((home / "instance.yaml").read_text())
    assert config["instance_version"] == 1
    assert config["created_by"].startswith("notebook-pipelines ")
    assert config["run_storage"] == {
        "kind": "sqlite",
        "path": "history/runs.db",
        "schema_version": 1,
    }
    assert config["event_log_storage"]["kind"] == "sqlite"
    assert config["event_log_storage"]["schema_version"] == 1
    assert instance.get_ref() == InstanceRef(str(home))
    instance.add_run(PipelineRun("pipe", run_id="r1"))
    instance.dispose()

    text = (home / "instance.yaml").read_text()
    again = DagsterInstance.get()
    assert again.has_run("r1")
    assert (home / "instance.yaml").read_text() == text  # read, never rewritten
    again.dispose()


def test_get_defaults_to_the_home_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTEBOOK_PIPELINES_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    instance = DagsterInstance.get()
    assert instance.root_directory == str(tmp_path / ".notebook_pipelines")
    assert (tmp_path / ".notebook_pipelines" / "instance.yaml").is_file()
    instance.dispose()


def test_instance_yaml_is_not_imported_with_the_package() -> None:
    out = run_python(
        """
        import sys
        import notebook_pipelines
        print(sorted(m for m in ("yaml", "sqlite3") if m in sys.modules))
        """
    )
    assert out.stdout.strip() == "[]"


# --- local_temp() ------------------------------------------------------------------------------------


def test_local_temp_folder_is_removed_at_exit_only_when_made_here(tmp_path: Path) -> None:
    out = run_python(
        """
        import sys
        from notebook_pipelines import DagsterInstance
        made = DagsterInstance.local_temp()
        made.add_run(__import__("notebook_pipelines").PipelineRun("pipe", run_id="r1"))
        given = DagsterInstance.local_temp(sys.argv[1])
        given.add_run(__import__("notebook_pipelines").PipelineRun("pipe", run_id="r2"))
        print(made.root_directory)
        """,
        str(tmp_path / "given"),
    )
    made = out.stdout.strip()
    assert made and not os.path.exists(made)
    assert out.stderr == ""
    kept = DagsterInstance.local_temp(tmp_path / "given")
    assert kept.has_run("r2")
    kept.dispose()


# --- references across processes ---------------------------------------------------------------------


def test_from_ref_in_another_process_sees_and_adds_runs(tmp_path: Path) -> None:
    instance = DagsterInstance.local_temp(tmp_path)
    instance.add_run(PipelineRun("pipe", run_id="r1", tags={"who": "parent"}))
    for kind in ("STEP_START", "STEP_SUCCESS"):
        instance.handle_new_event(step_record("r1", kind))
    out = run_python(
        """
        import sys
        from notebook_pipelines import DagsterInstance
        from notebook_pipelines.serdes import deserialize
        instance = DagsterInstance.from_ref(deserialize(sys.argv[1]))
        run = instance.get_run_by_id("r1")
        print(run.tags["who"], len(instance.all_logs("r1")))
        instance.create_run("pipe", run_id="r2", tags={"who": "child"})
        """,
        serialize(instance.get_ref()),
    )
    assert out.stdout.split() == ["parent", "2"]
    child_runs = instance.get_runs(RunsFilter(tags={"who": "child"}))
    assert [r.run_id for r in child_runs] == ["r2"]
    instance.dispose()


def test_a_persistent_instance_pickles_as_its_ref(tmp_path: Path) -> None:
    instance = DagsterInstance.local_temp(tmp_path)
    instance.add_run(PipelineRun("pipe", run_id="r1"))
    copy = pickle.loads(pickle.dumps(instance))
    assert copy is not instance and copy.is_persistent
    assert copy.root_directory == instance.root_directory
    assert copy.has_run("r1")
    copy.dispose()
    instance.dispose()
    with pytest.raises(DagsterInvariantViolationError, match="ephemeral"):
        pickle.dumps(DagsterInstance.ephemeral())


def test_ref_is_plain_json(tmp_path: Path) -> None:
    instance = DagsterInstance.local_temp(tmp_path)
    assert json.loads(serialize(instance.get_ref())) == {
        "__class__": "InstanceRef",
        "root_directory": str(tmp_path),
    }
    instance.dispose()


# --- end to end -----------------------------------------------------------------------------------


@lambda_solid
def one() -> int:
    return 1


@lambda_solid
def add(x: int) -> int:
    return x + 10


@pipeline
def small() -> None:
    add(one())


def test_a_run_is_readable_from_a_fresh_instance_in_another_process(tmp_path: Path) -> None:
    instance = DagsterInstance.local_temp(tmp_path)
    result = execute_pipeline(small, run_config=FS, instance=instance)
    assert result.success
    run_id = result.run_id
    stored = instance.all_logs(run_id)
    assert [r.dagster_event for r in stored if r.dagster_event] == result.event_list
    instance.dispose()

    out = run_python(
        """
        import json, pickle, sys
        from notebook_pipelines import DagsterInstance
        from notebook_pipelines.storage.home import InstanceRef
        instance = DagsterInstance.from_ref(InstanceRef(sys.argv[1]))
        run_id = sys.argv[2]
        record = instance.get_run_record_by_id(run_id)
        logs = instance.all_logs(run_id)
        ops = instance.all_logs(run_id, of_type="OBJECT_STORE_OPERATION")
        values = {}
        for r in ops:
            data = r.dagster_event.event_specific_data
            if data.op.value == "SET_OBJECT":
                with open(data.address, "rb") as f:
                    values[data.step_output_handle.step_key] = pickle.load(f)
        print(json.dumps({
            "status": record.pipeline_run.status.value,
            "pipeline": record.pipeline_run.pipeline_name,
            "duration": record.duration is not None,
            "pid": record.pid,
            "events": len(logs),
            "values": values,
            "plan": sorted(record.pipeline_run.execution_plan_snapshot["step_deps"]),
        }))
        """,
        str(tmp_path),
        run_id,
    )
    seen = json.loads(out.stdout)
    assert seen == {
        "status": "SUCCESS",
        "pipeline": "small",
        "duration": True,
        "pid": os.getpid(),
        "events": len(stored),
        "values": {"one.compute": 1, "add.compute": 11},
        "plan": ["add.compute", "one.compute"],
    }
    intermediates = Path(DagsterInstance.local_temp(tmp_path).intermediates_directory(run_id))
    assert (intermediates / "one.compute" / "result").is_file()


def test_reexecution_from_a_fresh_instance(tmp_path: Path) -> None:
    first = DagsterInstance.local_temp(tmp_path)
    parent = execute_pipeline(small, run_config=FS, instance=first)
    first.dispose()

    fresh = DagsterInstance.from_ref(InstanceRef(str(tmp_path)))
    child = reexecute_pipeline(
        small, parent.run_id, run_config=FS, step_selection=["add.compute"], instance=fresh
    )
    assert child.success
    assert child.output_for_solid("add") == 11
    run = fresh.get_run_by_id(child.run_id)
    assert run is not None
    assert run.parent_run_id == parent.run_id and run.root_run_id == parent.run_id
    assert run.step_keys_to_execute == ("add.compute",)
    copies = [
        r
        for r in fresh.all_logs(child.run_id, of_type="OBJECT_STORE_OPERATION")
        if r.dagster_event and r.dagster_event.event_specific_data.op.value == "CP_OBJECT"
    ]
    assert len(copies) == 1
    fresh.dispose()


def test_a_cancelled_status_and_run_events_persist(tmp_path: Path) -> None:
    instance = DagsterInstance.local_temp(tmp_path)
    instance.add_run(PipelineRun("pipe", run_id="r1"))
    instance.handle_new_event(record_for_event("r1", pipeline_event_with_pid("PIPELINE_START")))
    instance.update_run_status("r1", PipelineRunStatus.CANCELED)
    instance.dispose()
    again = DagsterInstance.local_temp(tmp_path)
    record = again.get_run_record_by_id("r1")
    assert record is not None and record.status is PipelineRunStatus.CANCELED
    assert record.end_time is not None
    again.dispose()


def pipeline_event_with_pid(kind: str) -> object:
    from dataclasses import replace

    from notebook_pipelines.events import DagsterEventType

    return replace(pipeline_event(DagsterEventType(kind)), pid=os.getpid())
