"""Faults a run must survive without losing what was stored: Ctrl-C in the middle of a run, and a
re-execution whose parent's intermediate file was deleted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from notebook_pipelines import (
    DagsterInstance,
    DagsterStepOutputNotFoundError,
    PipelineRunStatus,
    execute_pipeline,
    lambda_solid,
    pipeline,
    reexecute_pipeline,
)
from tests.executors.processes import default_sigint, kill_tree, wait_for

SCRIPT = """
import sys, time
from pathlib import Path
from notebook_pipelines import DagsterInstance, execute_pipeline, lambda_solid, pipeline

@lambda_solid
def quick() -> int:
    return 1

@lambda_solid
def slow(x: int) -> int:
    Path(sys.argv[2]).write_text("started")
    time.sleep(60)
    return x

@pipeline
def interrupted():
    slow(quick())

instance = DagsterInstance.local_temp(sys.argv[1])
try:
    execute_pipeline(interrupted, instance=instance)
except KeyboardInterrupt:
    sys.exit(42)
"""


@pytest.mark.slow
def test_ctrl_c_cancels_the_run_and_keeps_every_event(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(SCRIPT))
    marker = tmp_path / "started"
    home = tmp_path / "home"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(home), str(marker)], preexec_fn=default_sigint
    )
    try:
        wait_for(marker.exists, 120, "the slow step started", proc)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 42
    finally:
        kill_tree(proc)

    instance = DagsterInstance.local_temp(home)
    (run,) = instance.get_runs()
    assert run.status == PipelineRunStatus.CANCELED
    events = [
        (r.dagster_event.event_type_value, r.dagster_event.step_key)
        for r in instance.all_logs(run.run_id)
        if r.dagster_event is not None
    ]
    assert ("STEP_SUCCESS", "quick.compute") in events
    assert ("STEP_START", "slow.compute") in events
    assert ("STEP_FAILURE", "slow.compute") in events
    assert events[-1][0] in ("PIPELINE_FAILURE", "ENGINE_EVENT")
    assert ("PIPELINE_FAILURE", None) in events
    failure = next(
        r
        for r in instance.all_logs(run.run_id)
        if r.dagster_event is not None and r.dagster_event.event_type_value == "STEP_FAILURE"
    )
    assert "interrupted" in failure.user_message


@lambda_solid
def first() -> int:
    return 2


@lambda_solid
def second(x: int) -> int:
    return x * 10


@lambda_solid
def third(x: int) -> int:
    if os.environ.get("FAULTS_THIRD_FAILS") == "1":
        raise ValueError("third failed")
    return x + 1


@pipeline
def three():
    third(second(first()))


def test_reexecution_with_a_deleted_parent_intermediate_names_it_and_keeps_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = DagsterInstance.local_temp(tmp_path / "home")
    run_config = {"intermediate_storage": {"filesystem": {}}}
    monkeypatch.setenv("FAULTS_THIRD_FAILS", "1")
    parent = execute_pipeline(three, run_config=run_config, instance=instance, raise_on_error=False)
    assert not parent.success
    stored = Path(instance.intermediates_directory(parent.run_id)) / "second.compute" / "result"
    assert stored.exists()
    stored.unlink()
    monkeypatch.setenv("FAULTS_THIRD_FAILS", "0")

    with pytest.raises(DagsterStepOutputNotFoundError) as raised:
        reexecute_pipeline(
            three,
            parent.run_id,
            run_config=run_config,
            step_selection=["third.compute"],
            instance=instance,
        )
    message = str(raised.value)
    assert "second.compute" in message and "result" in message

    parent_run = instance.get_run_by_id(parent.run_id)
    assert parent_run is not None and parent_run.status == PipelineRunStatus.FAILURE
    child = next(r for r in instance.get_runs() if r.parent_run_id == parent.run_id)
    assert child.status == PipelineRunStatus.FAILURE
    kinds = [
        r.dagster_event.event_type_value for r in instance.all_logs(child.run_id) if r.dagster_event
    ]
    assert kinds == ["PIPELINE_INIT_FAILURE"]


_PDB_SCRIPT = """
import json, sys
from notebook_pipelines import DagsterInstance, execute_pipeline, pipeline, reconstructable, solid

@solid
def plain_pdb(_):
    import pdb
    pdb.set_trace()
    return 1

@solid
def pdb_instance(_):
    import pdb
    pdb.Pdb().set_trace()
    return 1

@solid
def plain_breakpoint(_):
    breakpoint()
    return 1

@pipeline
def debugging():
    plain_pdb()
    pdb_instance()
    plain_breakpoint()

if __name__ == "__main__":
    config = {"execution": {"multiprocess": {}}} if sys.argv[1] == "multiprocess" else None
    instance = DagsterInstance.local_temp(sys.argv[2])
    result = execute_pipeline(
        reconstructable(debugging), run_config=config, instance=instance, raise_on_error=False
    )
    report = {}
    for name in ("plain_pdb", "pdb_instance", "plain_breakpoint"):
        solid_result = result.result_for_solid(name)
        report[name] = [
            solid_result.failure_data.error.cls_name,
            solid_result.compute_step_failure_event.message,
        ]
    print("REPORT " + json.dumps(report))
"""


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["in_process", "multiprocess"])
def test_a_plain_pdb_no_one_can_answer_fails_like_breakpoint(tmp_path: Path, executor: str) -> None:
    script = tmp_path / "debugging.py"
    script.write_text(_PDB_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), executor, str(tmp_path / "home")],
        stdin=subprocess.DEVNULL,  # no one to answer
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("REPORT ")]
    report = json.loads(line.removeprefix("REPORT "))
    for name, (cls_name, message) in report.items():
        assert cls_name == "DagsterDebuggerError", (name, message)
        assert f'Step "{name}.compute" stopped at a breakpoint (debugging.py:' in message, message
        assert f"in {name})" in message, message
        assert "no one can answer the debugger: stdin is not a terminal" in message, message
        assert "BdbQuit" not in message, message
    for name in ("plain_pdb", "pdb_instance"):  # and what to use instead
        assert "in a solid use breakpoint() or context.pdb.set_trace() instead" in report[name][1]
