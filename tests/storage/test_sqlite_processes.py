"""Several processes on one instance: runs whose process died, concurrent writers."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from notebook_pipelines.events import EventRecord
from notebook_pipelines.storage.dead_runs import mark_dead_runs
from notebook_pipelines.storage.instance import DagsterInstance
from notebook_pipelines.storage.processes import process_is_gone, process_start_ticks
from notebook_pipelines.storage.runs import PipelineRun, PipelineRunStatus

from .sqlite_helpers import python_env, run_python, start_python

needs_proc = pytest.mark.skipif(
    not os.path.exists("/proc/self/stat"), reason="needs Linux /proc to read process start times"
)


# --- dead runs ---------------------------------------------------------------------------------------

START_AND_DIE = """
import os, sys
from notebook_pipelines import DagsterInstance
from notebook_pipelines.events import DagsterEvent, record_for_event
instance = DagsterInstance.local_temp(sys.argv[1])
instance.create_run("pipe", run_id=sys.argv[2])
start = DagsterEvent("PIPELINE_START", "pipe", message="Started.", pid=os.getpid())
instance.handle_new_event(record_for_event(sys.argv[2], start))
os.write(1, str(os.getpid()).encode())
os._exit(0)
"""


def _die_after_start(root: Path, run_id: str) -> int:
    out = run_python(START_AND_DIE, str(root), run_id)
    return int(out.stdout)


def test_a_run_whose_process_died_is_marked_failed_on_open(tmp_path: Path) -> None:
    pid = _die_after_start(tmp_path, "dead")
    run_storage_only = sqlite3.connect(tmp_path / "history" / "runs.db")
    assert run_storage_only.execute("SELECT status, pid FROM runs").fetchall() == [("STARTED", pid)]
    run_storage_only.close()

    instance = DagsterInstance.local_temp(tmp_path)
    record = instance.get_run_record_by_id("dead")
    assert record is not None
    assert record.status is PipelineRunStatus.FAILURE
    assert record.end_time is not None and record.pid == pid
    logs = instance.all_logs("dead")
    kinds = [r.dagster_event.event_type_value for r in logs if r.dagster_event]
    assert kinds == ["PIPELINE_START", "ENGINE_EVENT", "PIPELINE_FAILURE"]
    assert f"The process {pid} running this run" in logs[1].user_message
    assert f"the process {pid} running this run is gone" in logs[2].user_message
    failure = logs[2].dagster_event
    assert failure is not None
    assert f"process {pid}" in failure.pipeline_failure_data.error.message
    instance.dispose()

    again = DagsterInstance.local_temp(tmp_path)  # marked once only
    assert len(again.all_logs("dead")) == 3
    again.dispose()


def test_live_other_host_and_unstarted_runs_are_left_alone(tmp_path: Path) -> None:
    _die_after_start(tmp_path, "elsewhere")
    conn = sqlite3.connect(tmp_path / "history" / "runs.db")
    conn.execute("UPDATE runs SET hostname = 'another-host'")
    conn.commit()
    conn.close()

    instance = DagsterInstance.local_temp(tmp_path)
    instance.add_run(PipelineRun("pipe", run_id="waiting"))
    instance.add_run(PipelineRun("pipe", run_id="mine"))
    start = EventRecord("mine", time.time(), 10, "", "pipe", None, _start_event(os.getpid()))
    instance.handle_new_event(start)
    instance.dispose()

    again = DagsterInstance.local_temp(tmp_path)
    statuses = {r.run_id: r.status for r in again.get_runs()}
    assert statuses == {
        "elsewhere": PipelineRunStatus.STARTED,  # another host: cannot tell
        "waiting": PipelineRunStatus.NOT_STARTED,  # may be launched later
        "mine": PipelineRunStatus.STARTED,  # this process is alive
    }
    assert mark_dead_runs(again) == []
    again.dispose()


def _start_event(pid: int) -> object:
    from notebook_pipelines.events import DagsterEvent

    return DagsterEvent("PIPELINE_START", "pipe", message="Started.", pid=pid)


def test_two_processes_opening_at_once_mark_a_dead_run_once(tmp_path: Path) -> None:
    _die_after_start(tmp_path, "dead")
    openers = [
        start_python(
            """
            import sys
            from notebook_pipelines import DagsterInstance
            from notebook_pipelines.storage.home import InstanceRef
            DagsterInstance.from_ref(InstanceRef(sys.argv[1])).dispose()
            """,
            str(tmp_path),
        )
        for _ in range(3)
    ]
    for opener in openers:
        _, err = opener.communicate(timeout=60)
        assert opener.returncode == 0, err
    instance = DagsterInstance.local_temp(tmp_path)
    kinds = [r.dagster_event.event_type_value for r in instance.all_logs("dead") if r.dagster_event]
    assert kinds == ["PIPELINE_START", "ENGINE_EVENT", "PIPELINE_FAILURE"]
    instance.dispose()


def test_process_is_gone() -> None:
    assert not process_is_gone(os.getpid())
    assert not process_is_gone(os.getppid(), process_start_ticks(os.getppid()))
    assert not process_is_gone(0)
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert process_is_gone(int(finished.stdout))


@needs_proc
def test_a_zombie_or_a_reused_pid_counts_as_gone() -> None:
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.time() + 30
    while time.time() < deadline:  # exited but not reaped: a zombie
        with open(f"/proc/{zombie.pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        time.sleep(0.01)
    assert process_is_gone(zombie.pid)
    zombie.wait()

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        ticks = process_start_ticks(sleeper.pid)
        assert ticks is not None
        assert not process_is_gone(sleeper.pid, ticks)
        assert not process_is_gone(sleeper.pid, None)
        # the pid now belongs to another process than the one that started the run
        assert process_is_gone(sleeper.pid, ticks - 1)
    finally:
        sleeper.kill()
        sleeper.wait()


@needs_proc
def test_a_started_run_records_its_process_start(tmp_path: Path) -> None:
    instance = DagsterInstance.local_temp(tmp_path)
    instance.add_run(PipelineRun("pipe", run_id="mine"))
    instance.handle_new_event(
        EventRecord("mine", time.time(), 10, "", "pipe", None, _start_event(os.getpid()))
    )
    record = instance.get_run_record_by_id("mine")
    assert record is not None
    assert record.pid == os.getpid()
    assert record.pid_start_ticks == process_start_ticks(os.getpid())
    instance.dispose()


# --- concurrent writers ----------------------------------------------------------------------------

WRITER = """
import os, sys, time
from notebook_pipelines import DagsterInstance
from notebook_pipelines.events import DagsterEvent, EventRecord
root, run_id, count, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
while not os.path.exists(go):
    time.sleep(0.001)
instance = DagsterInstance.local_temp(root)   # both may create the instance at once
instance.create_run("pipe", run_id=run_id)
kinds = ("STEP_START", "STEP_INPUT", "STEP_OUTPUT", "OBJECT_STORE_OPERATION", "STEP_SUCCESS")
for i in range(count):
    step = f"s{i // len(kinds)}.compute"
    kind = kinds[i % len(kinds)]
    event = DagsterEvent(kind, "pipe", step_key=step, message=f"{run_id} {i}", pid=os.getpid())
    instance.handle_new_event(EventRecord(run_id, time.time(), 10, f"{run_id} {i}", "pipe", step, event))
    if i % 97 == 0:
        instance.create_run("pipe", run_id=f"{run_id}-{i}")  # run writes interleave too
    if i % 50 == 0:
        instance.all_logs(run_id)  # and reads
instance.dispose()
"""


@pytest.mark.slow
def test_two_processes_write_events_at_once_and_lose_nothing(tmp_path: Path) -> None:
    root = tmp_path / "instance"
    go = tmp_path / "go"
    count = 3000
    writers = [
        subprocess.Popen(
            [sys.executable, "-W", "error", "-c", WRITER, str(root), run_id, str(count), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=python_env(),
        )
        for run_id in ("a", "b")
    ]
    go.write_text("go")
    for writer in writers:
        _, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
        assert "locked" not in err and err == ""
    instance = DagsterInstance.local_temp(root)
    for run_id in ("a", "b"):
        messages = [r.user_message for r in instance.all_logs(run_id)]
        assert messages == [f"{run_id} {i}" for i in range(count)]
    assert instance.get_runs_count() == 2 + 2 * len(range(0, count, 97))
    instance.dispose()


@pytest.mark.slow
def test_two_processes_write_to_the_same_run(tmp_path: Path) -> None:
    root = tmp_path / "instance"
    DagsterInstance.local_temp(root).dispose()
    go = tmp_path / "go"
    script = """
    import os, sys, time
    from notebook_pipelines import DagsterInstance
    from notebook_pipelines.events import EventRecord
    from notebook_pipelines.storage.home import InstanceRef
    instance = DagsterInstance.from_ref(InstanceRef(sys.argv[1]))
    while not os.path.exists(sys.argv[3]):
        time.sleep(0.001)
    for i in range(2000):
        level = 40 if i % 7 == 0 else 20   # errors commit at once, the rest in batches
        instance.handle_new_event(EventRecord("shared", time.time(), level, f"{sys.argv[2]} {i}"))
    instance.dispose()
    """
    writers = [start_python(script, str(root), name, str(go)) for name in ("p", "q")]
    go.write_text("go")
    for writer in writers:
        _, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
    instance = DagsterInstance.local_temp(root)
    messages = [r.user_message for r in instance.all_logs("shared")]
    for name in ("p", "q"):
        assert [m for m in messages if m.startswith(name)] == [f"{name} {i}" for i in range(2000)]
    assert len(messages) == 4000
    instance.dispose()
