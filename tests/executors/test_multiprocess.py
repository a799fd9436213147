"""The multiprocess executor: the executor conformance suite with real worker processes, workers
that die for real, a real Ctrl-C, the automatic switches, and its config checks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from notebook_pipelines import (
    DagsterInstance,
    DagsterInvalidConfigError,
    DagsterSubprocessError,
    DagsterUnmetExecutorRequirementsError,
    execute_pipeline,
    pipeline,
)
from notebook_pipelines.reconstruct import reconstructable
from notebook_pipelines.storage.runs import PipelineRunStatus
from notebook_pipelines.testing import suite_pipelines as sp
from notebook_pipelines.testing.executor_suite import ExecutorSuite

from . import multiprocess_pipelines as mp
from .processes import default_sigint, kill_tree, survivors, wait_for
from .suite_faults import RealFaults

MULTIPROCESS: dict[str, Any] = {"execution": {"multiprocess": {"config": {"max_concurrent": 2}}}}
# the suite checks the stored run config equals the one given, so it names the storage the
# executor would otherwise switch to (the switch itself is tested below)
SUITE_CONFIG = {**MULTIPROCESS, "intermediate_storage": {"filesystem": {}}}


@pytest.mark.slow
class TestMultiprocessExecutor(RealFaults, ExecutorSuite):
    reconstructable_pipelines = True
    guarantees_priority_order = False

    @pytest.fixture(params=[SUITE_CONFIG], ids=["max_concurrent-2"])
    def run_config_for_executor(self, request: Any) -> dict[str, Any]:
        return dict(request.param)

    @pytest.fixture
    def instance(self, tmp_path: Path) -> DagsterInstance:
        return DagsterInstance.local_temp(str(tmp_path / "instance"))


# --- workers that die, interrupts, switches, config ----------------------------------------------


def _types(result: Any, step_key: str) -> list[str]:
    return [e.event_type_value for e in result.events_by_step_key.get(step_key, [])]


def _engine_messages(result: Any) -> list[str]:
    return [e.message or "" for e in result.event_list if e.event_type_value == "ENGINE_EVENT"]


@pytest.mark.slow
def test_a_worker_that_dies_fails_only_its_step(tmp_path: Path) -> None:
    instance = DagsterInstance.local_temp(str(tmp_path / "instance"))
    result = execute_pipeline(
        mp.dying_pipeline, run_config=MULTIPROCESS, instance=instance, raise_on_error=False
    )
    assert not result.success
    engine = _engine_messages(result)
    assert any("died" in m and "signal 9 (SIGKILL)" in m and "killed.compute" in m for m in engine)
    assert any("died" in m and "exit code 3" in m and "exits.compute" in m for m in engine)
    assert _types(result, "killed.compute")[-1] == "STEP_FAILURE"
    assert _types(result, "exits.compute")[-1] == "STEP_FAILURE"
    assert _types(result, "after_killed.compute") == ["STEP_SKIPPED"]
    assert _types(result, "after_independent.compute")[-1] == "STEP_SUCCESS"
    assert result.result_for_solid("after_independent").output_value() == 2
    run = instance.get_run_by_id(result.run_id)
    assert run is not None and run.status == PipelineRunStatus.FAILURE
    stored = [r.dagster_event for r in instance.all_logs(result.run_id) if r.dagster_event]
    assert stored == result.event_list


@pytest.mark.slow
def test_a_worker_survives_outputs_it_cannot_store_and_takes_the_next_step(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    instance = DagsterInstance.local_temp(str(tmp_path / "instance"))
    one_worker = {"execution": {"multiprocess": {"config": {"max_concurrent": 1}}}}
    result = execute_pipeline(
        reconstructable(sp.unstorable_pipeline),
        run_config=one_worker,
        instance=instance,
        raise_on_error=False,
    )
    assert not result.success
    started = [e.step_key for e in result.event_list if e.event_type_value == "STEP_START"]
    assert started == ["lock_output.compute", "refusing_output.compute", "then_runs.compute"]
    assert result.output_for_solid("then_runs") == 7
    engine = _engine_messages(result)
    assert sum("Started worker process" in m for m in engine) == 1, engine  # the same worker
    assert not any("died" in m for m in engine), engine
    err = capfd.readouterr().err
    assert "Traceback" not in err, err  # the failures are logged, no worker's traceback


_INTERRUPTED_SCRIPT = """
import sys
from notebook_pipelines import DagsterInstance, execute_pipeline
from tests.executors.multiprocess_pipelines import sleeping_pipeline

if __name__ == "__main__":
    instance = DagsterInstance.local_temp(sys.argv[1])
    try:
        execute_pipeline(
            sleeping_pipeline,
            run_config={"execution": {"multiprocess": {"config": {"max_concurrent": 2}}}},
            instance=instance,
        )
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(1)
"""


@pytest.mark.slow
def test_ctrl_c_stops_every_worker_and_cancels_the_run(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    script = tmp_path / "interrupted.py"
    script.write_text(_INTERRUPTED_SCRIPT)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "NP_TEST_DIR": str(marks), "PYTHONPATH": str(root)}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "instance")],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=default_sigint,
    )
    try:
        wait_for(lambda: len(list(marks.iterdir())) >= 2, 120, "both steps sleep", proc)
        workers = [int(p.read_text()) for p in marks.iterdir()]
        assert len(workers) == 2, "both steps should be sleeping in their workers"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 130
    finally:
        kill_tree(proc)
    assert not survivors(workers), "worker processes outlived the run"
    instance = DagsterInstance.local_temp(str(tmp_path / "instance"))
    (run,) = instance.get_runs()
    assert run.status == PipelineRunStatus.CANCELED
    stored = [r.dagster_event for r in instance.all_logs(run.run_id) if r.dagster_event]
    failed = {e.step_key for e in stored if e.event_type_value == "STEP_FAILURE"}
    assert failed == {"sleeper.compute", "sleeper_two.compute"}
    assert stored[-1].event_type_value in ("PIPELINE_FAILURE", "ENGINE_EVENT")
    assert any(e.event_type_value == "PIPELINE_FAILURE" for e in stored)


_UNGUARDED_SCRIPT = """
import json, sys
from notebook_pipelines import DagsterInstance, execute_pipeline
from tests.executors.multiprocess_pipelines import chain_pipeline

# no `if __name__ == "__main__":`: every spawned worker runs this again while it starts (with the
# same sys.argv: the same history)
with DagsterInstance.local_temp(sys.argv[1]) as instance:
    result = execute_pipeline(
        chain_pipeline,
        run_config={"execution": {"multiprocess": {"config": {"max_concurrent": 1}}}},
        instance=instance,
        raise_on_error=False,
    )
    failures = [
        (e.message, e.event_specific_data.error.message)
        for e in result.event_list
        if e.event_type_value == "STEP_FAILURE"
    ]
    print("FAILURES " + json.dumps(failures))
"""


@pytest.mark.slow
def test_a_script_without_the_main_guard_is_told_why_its_workers_die(tmp_path: Path) -> None:
    script = tmp_path / "unguarded.py"
    script.write_text(_UNGUARDED_SCRIPT)
    root = Path(__file__).resolve().parents[2]
    home = tmp_path / "home"
    done = subprocess.run(
        [sys.executable, str(script), str(home)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("FAILURES ")]
    failures = json.loads(line.removeprefix("FAILURES "))
    assert len(failures) == 1  # one.compute; add_one is skipped
    message, error = failures[0]
    for text in (message, error):
        assert "died (exit code 1)" in text or "died: exit code 1" in text
        assert "finished its bootstrapping phase" in text  # the worker's own RuntimeError
        assert 'under `if __name__ == "__main__":`' in text
        assert str(script) in text
    assert "The end of the worker's stderr:" in message
    # said once, in a few lines: not the worker's traceback, the log of the run it started
    # again, nor multiprocessing's advice (it was 160 lines and more)
    assert "[worker pid" not in done.stderr, done.stderr
    assert "freeze_support" not in done.stderr + message, done.stderr
    assert len((done.stdout + done.stderr).splitlines()) < 12, done.stdout + done.stderr
    # the worker's copy of the script started no run: the history holds the script's run only
    runs = DagsterInstance.local_temp(str(home)).get_runs()
    assert [(r.pipeline_name, r.status) for r in runs] == [
        ("chain_pipeline", PipelineRunStatus.FAILURE)
    ]


@pytest.mark.slow
def test_switches_storage_and_instance_and_rebuilds_a_plain_pipeline() -> None:
    result = execute_pipeline(mp.chain_pipeline, run_config=MULTIPROCESS)
    assert result.success
    assert result.result_for_solid("d").output_value() == 5
    engine = _engine_messages(result)
    assert any("uses filesystem intermediates" in m for m in engine)
    assert any("local temporary instance" in m for m in engine)


@pytest.mark.slow
def test_pipeline_is_loaded_once_per_worker(tmp_path: Path, monkeypatch: Any) -> None:
    log = tmp_path / "imports.log"
    monkeypatch.setenv("NP_TEST_IMPORT_LOG", str(log))
    instance = DagsterInstance.local_temp(str(tmp_path / "instance"))
    result = execute_pipeline(mp.chain_pipeline, run_config=MULTIPROCESS, instance=instance)
    assert result.success
    pids = [int(line) for line in log.read_text().split()]
    worker_pids = {
        int(next(x.entry_data.text for x in e.event_specific_data.metadata_entries))
        for e in result.event_list
        if e.event_type_value == "ENGINE_EVENT" and (e.message or "").startswith("Started worker")
    }
    assert worker_pids and set(pids) == worker_pids
    assert len(pids) == len(worker_pids) < 5  # one load per worker, five steps


def test_a_pipeline_defined_in_a_function_is_refused_by_name() -> None:
    @pipeline
    def local_pipeline() -> None:
        mp.one()

    with pytest.raises(DagsterUnmetExecutorRequirementsError, match="local_pipeline"):
        execute_pipeline(local_pipeline, run_config=MULTIPROCESS)


@pytest.mark.parametrize("method", ["fork", "threads"])
def test_start_method_fork_and_unknown_are_refused(method: str) -> None:
    config = {"execution": {"multiprocess": {"config": {"start_method": method}}}}
    with pytest.raises(DagsterInvalidConfigError, match=f"start_method.*{method}"):
        execute_pipeline(mp.chain_pipeline, run_config=config)


@pytest.mark.slow
def test_raise_on_error_raises_after_the_failure_is_stored(tmp_path: Path) -> None:
    instance = DagsterInstance.local_temp(str(tmp_path / "instance"))
    with pytest.raises(DagsterSubprocessError, match="boom in a worker") as raised:
        execute_pipeline(mp.failing_pipeline, run_config=MULTIPROCESS, instance=instance)
    assert "ValueError: boom in a worker" in raised.value.subprocess_error_infos[0].to_string()
    (run,) = instance.get_runs()
    assert run.status == PipelineRunStatus.FAILURE
    stored = [r.dagster_event for r in instance.all_logs(run.run_id) if r.dagster_event]
    kinds = [(e.event_type_value, e.step_key) for e in stored]
    assert ("STEP_FAILURE", "boom.compute") in kinds
    assert kinds[-1][0] in ("PIPELINE_FAILURE", "ENGINE_EVENT")
