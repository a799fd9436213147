"""Compute logs from real runs: each step's output in its own files, shown where the user runs it.

A persistent instance (in-memory storages, files under a temporary root) captures; an ephemeral
one does not. Terminal-like runs happen in a child process whose stdout/stderr this test reads;
the notebook case runs in a real Jupyter kernel.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from notebook_pipelines import (
    DagsterEventType,
    InputDefinition,
    RetryRequested,
    execute_pipeline,
    execute_pipeline_iterator,
    pipeline,
    solid,
)
from notebook_pipelines.storage import output_capture
from notebook_pipelines.storage.compute_logs import ComputeLogManager
from notebook_pipelines.storage.event_log import InMemoryEventLogStorage
from notebook_pipelines.storage.instance import DagsterInstance, InstanceType
from notebook_pipelines.storage.output_capture import TeeStream
from notebook_pipelines.storage.runs import InMemoryRunStorage

REPO = Path(__file__).resolve().parents[2]
QUIET: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def persistent_instance(root: Path) -> DagsterInstance:
    return DagsterInstance(
        InMemoryRunStorage(),
        InMemoryEventLogStorage(),
        root_directory=root,
        instance_type=InstanceType.PERSISTENT,
    )


def process_state() -> dict[str, Any]:
    state: dict[str, Any] = {
        "stdout": sys.stdout,
        "stderr": sys.stderr,
        "threads": threading.active_count(),
        "capture installed": output_capture._current is not None,
    }
    for fd in (1, 2):
        st = os.fstat(fd)
        state[f"fd{fd}"] = (st.st_dev, st.st_ino)
    if os.path.isdir("/proc/self/fd"):
        state["open fds"] = len(os.listdir("/proc/self/fd"))
    return state


# --- a run in its own process (fds 1 and 2 are pipes to this test) ----------------------------------

PIPELINE_SCRIPT = """
import logging, os, subprocess, sys
from notebook_pipelines import InputDefinition, execute_pipeline, pipeline, solid
from notebook_pipelines.storage.event_log import InMemoryEventLogStorage
from notebook_pipelines.storage.instance import DagsterInstance, InstanceType
from notebook_pipelines.storage.runs import InMemoryRunStorage

@solid
def talks(context):
    print("talks: print")
    print("talks: print to stderr", file=sys.stderr)
    os.write(1, b"talks: fd 1\\n")
    os.write(2, b"talks: fd 2\\n")
    subprocess.run(
        [sys.executable, "-c", "import sys; print('talks: child'); print('talks: child err', file=sys.stderr)"],
        check=True,
    )
    logging.StreamHandler().emit(logging.makeLogRecord({"msg": "talks: log record"}))
    return 1

@solid(input_defs=[InputDefinition("x")])
def fails(context, x):
    print("fails: about to fail")
    os.write(2, b"fails: fd 2\\n")
    raise ValueError("fails on purpose")

@solid
def quiet(context):
    return 2

@pipeline
def noisy():
    fails(talks())
    quiet()

instance = DagsterInstance(
    InMemoryRunStorage(), InMemoryEventLogStorage(), root_directory=sys.argv[1],
    instance_type=InstanceType.PERSISTENT,
)
result = execute_pipeline(
    noisy, run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
    instance=instance, raise_on_error=False,
)
assert not result.success
with open(sys.argv[2], "w") as f:
    f.write(result.run_id)
"""


def test_a_run_in_a_terminal_process_keeps_each_steps_output(tmp_path: Path) -> None:
    script = tmp_path / "noisy.py"
    script.write_text(textwrap.dedent(PIPELINE_SCRIPT))
    home, run_id_file = tmp_path / "home", tmp_path / "run_id"
    done = subprocess.run(
        [sys.executable, str(script), str(home), str(run_id_file)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    run_id = run_id_file.read_text()
    manager = ComputeLogManager(persistent_instance(home))

    out, err = manager.read_logs(run_id, "talks.compute")
    talks_out = ["talks: print", "talks: fd 1", "talks: child"]
    talks_err = ["talks: print to stderr", "talks: fd 2", "talks: child err", "talks: log record"]
    assert sorted(out.splitlines()) == sorted(talks_out)
    assert sorted(err.splitlines()) == sorted(talks_err)
    # a failing step keeps what it wrote before it failed
    assert manager.read_logs(run_id, "fails.compute") == ("fails: about to fail\n", "fails: fd 2\n")
    # a step that wrote nothing has no files
    quiet = manager.log_paths(run_id, "quiet.compute")
    assert not os.path.exists(quiet.out) and not os.path.exists(quiet.err)
    assert sorted(os.listdir(os.path.dirname(quiet.out))) == [
        "fails.compute.err",
        "fails.compute.out",
        "talks.compute.err",
        "talks.compute.out",
    ]
    # and everything was still shown where the process writes, once
    assert sorted(done.stdout.splitlines()) == sorted([*talks_out, "fails: about to fail"])
    assert sorted(done.stderr.splitlines()) == sorted([*talks_err, "fails: fd 2"])


# --- runs in this process -----------------------------------------------------------------------

SEEN_STDOUT: list[object] = []


@solid
def says_hello(_: Any) -> int:
    SEEN_STDOUT.append(sys.stdout)
    print("hello from the step")
    return 1


@solid(input_defs=[InputDefinition("x")])
def says_goodbye(_: Any, x: int) -> int:
    print("goodbye from the step", file=sys.stderr)
    return x + 1


@pipeline
def greetings() -> None:
    says_goodbye(says_hello())


def test_an_ephemeral_instance_captures_nothing_and_installs_nothing(tmp_path: Path) -> None:
    SEEN_STDOUT.clear()
    instance = DagsterInstance.ephemeral(tempdir=tmp_path)
    before = process_state()
    result = execute_pipeline(greetings, run_config=QUIET, instance=instance)
    assert result.success
    (seen,) = SEEN_STDOUT
    assert seen is before["stdout"]  # the step ran with the caller's own stream
    assert not isinstance(seen, TeeStream)
    assert not os.path.exists(instance.compute_logs_directory(result.run_id))
    assert process_state() == before


def test_a_persistent_instance_captures_and_restores(tmp_path: Path) -> None:
    SEEN_STDOUT.clear()
    instance = persistent_instance(tmp_path)
    before = process_state()
    result = execute_pipeline(greetings, run_config=QUIET, instance=instance)
    assert result.success
    assert isinstance(SEEN_STDOUT[0], TeeStream)
    assert process_state() == before
    manager = ComputeLogManager(instance)
    assert manager.read_logs(result.run_id, "says_hello.compute") == ("hello from the step\n", "")
    assert manager.read_logs(result.run_id, "says_goodbye.compute") == (
        "",
        "goodbye from the step\n",
    )


@solid
def raises(_: Any) -> None:
    print("raising now")
    raise ValueError("the step failed")


@solid
def interrupted(_: Any) -> None:
    print("interrupting now")
    raise KeyboardInterrupt


@pipeline
def raising() -> None:
    raises()


@pipeline
def interrupting() -> None:
    interrupted()


@pytest.mark.parametrize(
    ("pipeline_def", "error", "step_key", "line"),
    [
        (raising, ValueError, "raises.compute", "raising now\n"),
        (interrupting, KeyboardInterrupt, "interrupted.compute", "interrupting now\n"),
    ],
)
def test_streams_restored_and_logs_kept_when_a_step_raises(
    tmp_path: Path, pipeline_def: Any, error: type[BaseException], step_key: str, line: str
) -> None:
    instance = persistent_instance(tmp_path)
    before = process_state()
    with pytest.raises(error):
        execute_pipeline(pipeline_def, run_config=QUIET, instance=instance, raise_on_error=True)
    assert process_state() == before
    (run,) = instance.get_runs()
    assert ComputeLogManager(instance).read_logs(run.run_id, step_key) == (line, "")


def test_streams_restored_when_the_consumer_stops_early(tmp_path: Path) -> None:
    instance = persistent_instance(tmp_path)
    before = process_state()
    events = execute_pipeline_iterator(greetings, run_config=QUIET, instance=instance)
    for event in events:
        if event.event_type_value == "STEP_OUTPUT":
            break
    assert process_state()["stdout"] is before["stdout"]  # the consumer's streams meanwhile
    events.close()  # type: ignore[attr-defined]
    assert process_state() == before
    (run,) = instance.get_runs()
    manager = ComputeLogManager(instance)
    assert manager.read_logs(run.run_id, "says_hello.compute") == ("hello from the step\n", "")
    assert manager.read_logs(run.run_id, "says_goodbye.compute") == ("", "")


def test_what_the_consumer_prints_between_events_is_not_a_steps_output(tmp_path: Path) -> None:
    instance = persistent_instance(tmp_path)
    for event in execute_pipeline_iterator(greetings, run_config=QUIET, instance=instance):
        print(f"consumer saw {event.event_type_value}")
        os.write(1, b"consumer fd write\n")
    (run,) = instance.get_runs()
    manager = ComputeLogManager(instance)
    assert manager.read_logs(run.run_id, "says_hello.compute") == ("hello from the step\n", "")
    assert manager.read_logs(run.run_id, "says_goodbye.compute") == (
        "",
        "goodbye from the step\n",
    )


ATTEMPTS: list[int] = []


@solid
def flaky(_: Any) -> str:
    ATTEMPTS.append(1)
    print(f"attempt {len(ATTEMPTS)}")
    if len(ATTEMPTS) == 1:
        raise RetryRequested(max_retries=1, seconds_to_wait=0.001)
    return "ok"


@pipeline
def retrying() -> None:
    flaky()


def test_a_retried_step_keeps_every_attempts_output(tmp_path: Path) -> None:
    ATTEMPTS.clear()
    instance = persistent_instance(tmp_path)
    run_config = {**QUIET, "execution": {"in_process": {"config": {"retries": {"enabled": {}}}}}}
    result = execute_pipeline(retrying, run_config=run_config, instance=instance)
    assert result.success
    kinds = [e.event_type_value for e in result.event_list]
    assert DagsterEventType.STEP_RESTARTED.value in kinds
    assert ComputeLogManager(instance).read_logs(result.run_id, "flaky.compute") == (
        "attempt 1\nattempt 2\n",
        "",
    )


# --- a notebook: a real Jupyter kernel --------------------------------------------------------------

KERNEL_CELL = """
import os, subprocess, sys
from notebook_pipelines import execute_pipeline, pipeline, solid
from notebook_pipelines.storage.compute_logs import ComputeLogManager
from notebook_pipelines.storage.event_log import InMemoryEventLogStorage
from notebook_pipelines.storage.instance import DagsterInstance, InstanceType
from notebook_pipelines.storage.runs import InMemoryRunStorage

@solid
def in_the_notebook(context):
    print("printed in the notebook")
    print("to stderr in the notebook", file=sys.stderr)
    os.write(1, b"fd 1 in the notebook\\n")
    subprocess.run([sys.executable, "-c", "print('child in the notebook')"], check=True)

@pipeline
def notebook_pipeline():
    in_the_notebook()

instance = DagsterInstance(
    InMemoryRunStorage(), InMemoryEventLogStorage(), root_directory=ROOT,
    instance_type=InstanceType.PERSISTENT,
)
result = execute_pipeline(
    notebook_pipeline, run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
    instance=instance,
)
assert result.success
LOGS = ComputeLogManager(instance).read_logs(result.run_id, "in_the_notebook.compute")
"""


@pytest.mark.slow
@pytest.mark.kernel
def test_in_a_notebook_kernel_output_reaches_the_cell_and_the_logs(tmp_path: Path) -> None:
    from jupyter_client.manager import start_new_kernel

    # ipykernel does not watch fds 1/2 (so fd-level output would not reach the notebook at all)
    # when it sees it runs under pytest; a notebook server does not set this
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(REPO), env=env)
    try:
        shown: dict[str, str] = {"stdout": "", "stderr": ""}

        def collect(message: dict[str, Any]) -> None:
            if message["msg_type"] == "stream":
                shown[message["content"]["name"]] += message["content"]["text"]

        code = f"ROOT = {str(tmp_path)!r}\n" + KERNEL_CELL
        reply = client.execute_interactive(code, output_hook=collect, timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]
        # fd-level output reaches the notebook through the kernel's own fd watcher, a little later
        reply = client.execute_interactive(
            "import time; time.sleep(0.5); print(repr(LOGS))", output_hook=collect, timeout=60
        )
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    *cell_output, logs_line = shown["stdout"].strip("\n").split("\n")
    expected_out = ["printed in the notebook", "fd 1 in the notebook", "child in the notebook"]
    assert sorted(cell_output) == sorted(expected_out)
    assert "to stderr in the notebook" in shown["stderr"]
    out, err = eval(logs_line)
    assert sorted(out.splitlines()) == sorted(expected_out)
    assert err == "to stderr in the notebook\n"
