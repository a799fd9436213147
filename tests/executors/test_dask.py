"""The Dask executor passes the executor conformance suite on a real ``LocalCluster`` (worker
processes), runs on a scheduler and workers started as separate processes with the ``dask``
command line, starts (and stops) a local cluster of its own — also from a script whose pipeline
names no mode (the default mode offers ``dask``) — and says how to install the extra when
``dask.distributed`` is missing."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

distributed = pytest.importorskip("distributed")

from notebook_pipelines import (  # noqa: E402
    DagsterInstance,
    build_reconstructable_pipeline,
    execute_pipeline,
)
from notebook_pipelines.definitions.pipeline import PipelineDefinition  # noqa: E402
from notebook_pipelines.testing.executor_suite import ExecutorSuite, SuiteRunner  # noqa: E402

from .processes import default_sigint, descendants, kill_tree, survivors, wait_for  # noqa: E402
from .suite_faults import RealFaults  # noqa: E402

pytestmark = [pytest.mark.dask, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def dask_target(name: str) -> Any:
    """The suite's pipeline ``name`` with the dask executor in its modes, rebuildable anywhere."""
    return build_reconstructable_pipeline("tests.executors.dask_pipelines", "with_dask", [name])


def dask_config(cluster: dict[str, Any]) -> dict[str, Any]:
    return {
        "execution": {"dask": {"config": {"cluster": cluster}}},
        "intermediate_storage": {"filesystem": {}},
    }


@pytest.fixture(scope="module")
def cluster_address() -> Iterator[str]:
    """One LocalCluster (2 worker processes) shared by the module's runs."""
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


class _DaskSuiteRunner(SuiteRunner):
    def target(self, pipeline_def: PipelineDefinition) -> Any:
        return dask_target(pipeline_def.name)


class TestDaskExecutor(RealFaults, ExecutorSuite):
    reconstructable_pipelines = True
    guarantees_priority_order = False  # two workers start ready steps concurrently

    @pytest.fixture
    def run_config_for_executor(self, cluster_address: str) -> dict[str, Any]:
        return dask_config({"existing": {"address": cluster_address}})

    @pytest.fixture
    def runner(
        self, run_config_for_executor: dict[str, Any], instance: DagsterInstance
    ) -> SuiteRunner:
        return _DaskSuiteRunner(run_config_for_executor, instance, True)


def test_local_cluster_started_and_closed_by_the_run(tmp_path: Path) -> None:
    instance = DagsterInstance.ephemeral(tempdir=str(tmp_path / "instance"))
    config = dask_config({"local": {"n_workers": 2, "threads_per_worker": 1}})
    config["solids"] = {"start": {"config": {"n": 4}}}
    result = execute_pipeline(dask_target("fan_pipeline"), run_config=config, instance=instance)
    assert result.success
    assert result.output_for_solid("total") == 29
    engine = [e.message or "" for e in result.event_list if e.event_type_value == "ENGINE_EVENT"]
    assert any("local Dask cluster" in m and "(2 workers)" in m for m in engine), engine
    stored = [r.dagster_event for r in instance.all_logs(result.run_id) if r.dagster_event]
    assert stored == result.event_list


def test_failing_step_skips_downstream_and_stores_what_it_yields(
    cluster_address: str, tmp_path: Path
) -> None:
    instance = DagsterInstance.ephemeral(tempdir=str(tmp_path / "instance"))
    result = execute_pipeline(
        dask_target("failure_pipeline"),
        run_config=dask_config({"existing": {"address": cluster_address}}),
        instance=instance,
        raise_on_error=False,
    )
    assert not result.success
    fails = result.result_for_solid("fails")
    assert not fails.success and not fails.skipped
    assert result.result_for_solid("after_failure").skipped
    assert result.output_for_solid("still_runs") == 4
    stored = [r.dagster_event for r in instance.all_logs(result.run_id) if r.dagster_event]
    assert stored == result.event_list


def test_a_breakpoint_fails_fast_saying_the_executor_has_no_debugger_relay(
    cluster_address: str, tmp_path: Path
) -> None:
    instance = DagsterInstance.ephemeral(tempdir=str(tmp_path / "instance"))
    result = execute_pipeline(
        dask_target("debugging_pipeline"),
        run_config=dask_config({"existing": {"address": cluster_address}}),
        instance=instance,
        raise_on_error=False,
    )
    assert not result.success
    for solid_name in ("stops_in_debugger", "calls_breakpoint"):
        failure = result.result_for_solid(solid_name).failure_data
        assert failure is not None
        message = failure.error.to_string()
        assert failure.error.cls_name == "DagsterDebuggerError", message
        assert "the Dask executor has no debugger relay" in message
        assert "in-process or the multiprocess executor" in message
        assert "Post-mortem works" in message
        assert "thread other than the main one" not in message


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def cli_cluster(tmp_path: Path) -> Iterator[str]:
    """A scheduler and two workers started with ``dask scheduler`` / ``dask worker``."""
    dask_cli = str(Path(sys.executable).with_name("dask"))
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    logs = [open(tmp_path / f"dask-{i}.log", "wb") for i in range(3)]  # noqa: SIM115
    commands = [
        [
            dask_cli,
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--dashboard-address",
            "127.0.0.1:0",
        ],
        *(
            [
                dask_cli,
                "worker",
                address,
                "--host",
                "127.0.0.1",
                "--nthreads",
                "1",
                "--nworkers",
                "1",
                "--no-dashboard",
                "--name",
                f"w{i}",
            ]
            for i in range(2)
        ),
    ]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for command, log in zip(commands, logs, strict=True):
            processes.append(
                subprocess.Popen(command, cwd=str(tmp_path), env=env, stdout=log, stderr=log)
            )
            if not processes[1:]:
                _wait_for_port(port)
        with distributed.Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()


def _wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"the dask scheduler did not listen on port {port}")


def test_scheduler_and_workers_in_separate_processes(cli_cluster: str, tmp_path: Path) -> None:
    instance = DagsterInstance.ephemeral(tempdir=str(tmp_path / "instance"))
    config = dask_config({"existing": {"address": cli_cluster}})
    config["resources"] = {"counter": {"config": {"start": 10}}}
    result = execute_pipeline(
        dask_target("resource_pipeline"), run_config=config, instance=instance
    )
    assert result.success
    assert result.output_for_solid("add_one") == 12
    engine = [e.message or "" for e in result.event_list if e.event_type_value == "ENGINE_EVENT"]
    assert any(cli_cluster in m and "(2 workers)" in m for m in engine), engine
    pids = {e.pid for e in result.event_list if e.step_key}
    assert os.getpid() not in pids  # the steps ran in the workers
    logged = [r.user_message for r in instance.all_logs(result.run_id) if r.dagster_event is None]
    assert "counter torn down" in logged  # the worker's resources were torn down

    fan = execute_pipeline(
        dask_target("fan_pipeline"),
        run_config={**dask_config({"existing": {"address": cli_cluster}})},
        instance=instance,
    )
    assert fan.success
    assert fan.output_for_solid("pair") == [4, 9]


def test_import_without_the_extra_says_how_to_install_it() -> None:
    code = (
        "import sys\n"
        "sys.modules['distributed'] = None\n"
        "sys.modules['dask'] = None\n"
        "import notebook_pipelines\n"
        "try:\n"
        "    import notebook_pipelines.executors.dask\n"
        "except ImportError as exc:\n"
        "    print('ERROR:', exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "ERROR: The dask executor needs dask.distributed" in done.stdout
    assert "pip install 'notebook-pipelines[dask]'" in done.stdout


def test_importing_the_package_does_not_import_dask() -> None:
    code = (
        "import sys, notebook_pipelines\nprint(sorted({'dask', 'distributed'} & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


SCRIPT_WITHOUT_A_MODE = """\
from notebook_pipelines import DagsterInstance, execute_pipeline, pipeline, reconstructable, solid


@solid
def numbers(_context):
    return [1, 2, 3]


@solid
def total(_context, numbers):
    return sum(numbers) * 10


@pipeline
def on_dask():
    total(numbers())


RUN_CONFIG = {
    "execution": {
        "dask": {"config": {"cluster": {"local": {"n_workers": 1, "threads_per_worker": 1}}}}
    },
    "loggers": {"console": {"config": {"log_level": "WARNING"}}},
}

if __name__ == "__main__":
    with DagsterInstance.get() as instance:
        result = execute_pipeline(reconstructable(on_dask), run_config=RUN_CONFIG, instance=instance)
    engine = [e.message for e in result.event_list if e.event_type_value == "ENGINE_EVENT"]
    print("RESULT", result.success, result.output_for_solid("total"))
    print("CLUSTER", any("local Dask cluster" in m and "(1 worker" in m for m in engine))
"""


def test_a_script_runs_a_pipeline_with_no_mode_on_dask(tmp_path: Path) -> None:
    """The short form, as a user writes it: a script file whose pipeline names no mode asks for
    ``execution: {dask: ...}``; the run starts (and stops) a one-worker local cluster."""
    script = tmp_path / "on_dask.py"
    script.write_text(SCRIPT_WITHOUT_A_MODE)
    env = {**os.environ, "NOTEBOOK_PIPELINES_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "RESULT True 60" in done.stdout, (done.stdout, done.stderr)
    assert "CLUSTER True" in done.stdout, (done.stdout, done.stderr)


def test_persistent_instance_with_compute_logs_captured_in_the_workers(
    cluster_address: str, tmp_path: Path
) -> None:
    instance = DagsterInstance.local_temp(str(tmp_path / "home"))
    config = dask_config({"existing": {"address": cluster_address}})
    config["solids"] = {"start": {"config": {"n": 5}}}
    result = execute_pipeline(dask_target("linear_pipeline"), run_config=config, instance=instance)
    assert result.success
    assert result.output_for_solid("double") == 14
    stored = [r.dagster_event for r in instance.all_logs(result.run_id) if r.dagster_event]
    assert stored == result.event_list
    stdout, _ = instance.compute_log_manager.read_logs(result.run_id, "start.compute")
    assert isinstance(stdout, str)


def test_unreachable_scheduler_is_a_clear_failure(tmp_path: Path) -> None:
    import dask

    from notebook_pipelines import DagsterInvariantViolationError, PipelineRunStatus

    instance = DagsterInstance.ephemeral(tempdir=str(tmp_path / "instance"))
    address = f"tcp://127.0.0.1:{_free_port()}"
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(DagsterInvariantViolationError, match="cannot reach the Dask scheduler at"),
    ):
        execute_pipeline(
            dask_target("linear_pipeline"),
            run_config=dask_config({"existing": {"address": address}}),
            instance=instance,
            raise_on_error=False,
        )
    (run,) = instance.get_runs()
    assert run.status == PipelineRunStatus.FAILURE
    kinds = [
        r.dagster_event.event_type_value for r in instance.all_logs(run.run_id) if r.dagster_event
    ]
    assert kinds[-1] == "PIPELINE_FAILURE"


# --- a worker killed for real, a real Ctrl-C ------------------------------------------------------


def _types(result: Any, step_key: str) -> list[str]:
    return [e.event_type_value for e in result.events_by_step_key.get(step_key, [])]


def test_a_worker_killed_while_running_a_step_fails_only_that_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notebook_pipelines import PipelineRunStatus

    marks = tmp_path / "marks"
    marks.mkdir()
    monkeypatch.setenv("NP_TEST_DIR", str(marks))  # inherited by the workers the run starts
    instance = DagsterInstance.local_temp(str(tmp_path / "instance"))
    start = time.monotonic()
    result = execute_pipeline(
        dask_target("dying_pipeline"),
        run_config=dask_config({"local": {"n_workers": 2, "processes": True}}),
        instance=instance,
        raise_on_error=False,
    )
    assert time.monotonic() - start < 60
    assert not result.success
    # Dask submitted the killed step's task again: it did not run the solid a second time
    assert len(list(marks.glob("killed-*"))) == 1
    assert _types(result, "killed.compute") == ["STEP_START", "STEP_FAILURE"]
    failure = result.events_by_step_key["killed.compute"][-1]
    assert "Dask worker" in (failure.message or "") and "was lost" in (failure.message or "")
    assert failure.event_specific_data.error.cls_name == "DaskWorkerLostError"
    engine = [e.message or "" for e in result.event_list if e.event_type_value == "ENGINE_EVENT"]
    assert any("died while running step killed.compute" in m for m in engine), engine
    assert _types(result, "after_killed.compute") == ["STEP_SKIPPED"]
    assert result.output_for_solid("after_independent") == 2
    run = instance.get_run_by_id(result.run_id)
    assert run is not None and run.status == PipelineRunStatus.FAILURE
    stored = [r.dagster_event for r in instance.all_logs(result.run_id) if r.dagster_event]
    assert stored == result.event_list
    claims = Path(instance.storage_directory()) / result.run_id / "dask-steps"
    assert not claims.exists()  # the parent removes the run's step claims


_INTERRUPTED_SCRIPT = """
import sys
from notebook_pipelines import DagsterInstance, build_reconstructable_pipeline, execute_pipeline

if __name__ == "__main__":
    instance = DagsterInstance.local_temp(sys.argv[1])
    target = build_reconstructable_pipeline(
        "tests.executors.dask_pipelines", "with_dask", ["sleeping_pipeline"]
    )
    try:
        execute_pipeline(
            target,
            run_config={
                "execution": {"dask": {"config": {"cluster": {"local": {"n_workers": 2}}}}},
                "intermediate_storage": {"filesystem": {}},
            },
            instance=instance,
        )
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(1)
"""


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_ctrl_c_stops_the_local_cluster_and_cancels_the_run(tmp_path: Path) -> None:
    import signal

    from notebook_pipelines import PipelineRunStatus

    marks = tmp_path / "marks"
    marks.mkdir()
    script = tmp_path / "interrupted.py"
    script.write_text(_INTERRUPTED_SCRIPT)
    env = {**os.environ, "NP_TEST_DIR": str(marks), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "instance")],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=default_sigint,
    )
    try:
        wait_for(lambda: bool(list(marks.glob("sleeping-*"))), 120, "the step slept", proc)
        (sleeping,) = marks.glob("sleeping-*")
        children = descendants(proc.pid)  # the nannies and the worker processes
        assert int(sleeping.read_text()) in children
        proc.send_signal(signal.SIGINT)
        start = time.monotonic()
        assert proc.wait(60) == 130
        assert time.monotonic() - start < 10, "the interrupted run took too long to exit"
    finally:
        kill_tree(proc)
    assert not survivors(children), "Dask processes outlived the run"
    instance = DagsterInstance.local_temp(str(tmp_path / "instance"))
    (run,) = instance.get_runs()
    assert run.status == PipelineRunStatus.CANCELED
    stored = [r.dagster_event for r in instance.all_logs(run.run_id) if r.dagster_event]
    by_step = {
        key: [e.event_type_value for e in stored if e.step_key == key]
        for key in ("sleeper.compute", "after_sleeper.compute")
    }
    assert by_step["sleeper.compute"] == ["STEP_START", "STEP_FAILURE"]
    assert by_step["after_sleeper.compute"] == []  # cancelled: never started
    assert stored[0].event_type_value == "PIPELINE_START"
    assert stored[-1].event_type_value == "PIPELINE_FAILURE"
