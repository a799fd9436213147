"""A notebook solid whose kernel dies, or whose cell outlives ``execution_timeout``, fails its step
promptly and clearly (fresh and warm kernels; the warm pool drops such a kernel); an output that
fails its type check still leaves the executed notebook reported; cell errors read as sentences.

The kernel-failure runs happen in a child process, bounded by a timeout: if the step hangs (as it
did when nbclient got a blocking kernel client), the test fails instead of hanging the suite."""

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
    DagsterNotebookExecutionError,
    Int,
    OutputDefinition,
    define_notebook_solid,
    execute_pipeline,
    pipeline,
)

from .conftest import DATA, QUIET

pytestmark = [pytest.mark.slow, pytest.mark.kernel]

#: Bounds a child run: kernel start, the failure being noticed, the kernel shut down.
CHILD_TIMEOUT = 90.0

# Runs one notebook solid (twice when "again": then a healthy notebook with the same kernel
# choice), prints what happened as JSON on its last line.
_CHILD = """
import json, os, sys, time
spec = json.loads(sys.argv[1])
sys.path.insert(0, spec["data"])
from notebook_pipelines import DagsterInstance, OutputDefinition, define_notebook_solid
from notebook_pipelines import execute_pipeline, pipeline
from notebook_pipelines.notebooks import kernel_pool

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}

def zombies():
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[1]) == os.getpid():
            found.append(int(pid))
    return found

def run(instance, notebook, **kwargs):
    name = os.path.basename(notebook).split(".")[0]
    solid = define_notebook_solid(name, notebook, **kwargs)

    @pipeline(name=f"p_{name}")
    def one():
        solid()

    start = time.monotonic()
    result = execute_pipeline(one, run_config=QUIET, instance=instance, raise_on_error=False)
    step = result.result_for_solid(name)
    return {
        "seconds": time.monotonic() - start,
        "success": result.success,
        "message": None if result.success else step.compute_step_failure_event.message,
        "materializations": [
            {e.label: getattr(e.entry_data, "text", None) or getattr(e.entry_data, "path", None)
             for e in m.metadata_entries}
            for m in step.materializations_during_compute
        ],
    }

pool = kernel_pool()
with DagsterInstance.local_temp(spec["instance"]) as instance:
    report = run(instance, spec["notebook"], **spec["kwargs"])
    report["kept"] = [
        os.path.isfile(m["executed notebook"]) for m in report["materializations"]
    ]
    report["idle"] = pool.idle_count()
    report["started"] = pool.started
    report["zombies"] = zombies()
    if spec.get("again"):
        again = run(instance, spec["again"], output_defs=[OutputDefinition(int)], **spec["kwargs"])
        report["again"] = again["success"]
        report["started_again"] = pool.started
        report["idle_again"] = pool.idle_count()
print(json.dumps(report))
"""


def _child_run(tmp_path: Path, notebook: str, again: str | None = None, **kwargs: Any) -> Any:
    spec = {
        "data": str(DATA),
        "instance": str(tmp_path / "instance"),
        "notebook": str(DATA / notebook),
        "again": str(DATA / again) if again else None,
        "kwargs": kwargs,
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, json.dumps(spec)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # so that a hung child is killed with what it started
    )
    try:
        out, err = proc.communicate(timeout=CHILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"running {notebook} {kwargs} was still going after {CHILD_TIMEOUT} s (hung)")
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize("warm", [False, True], ids=["fresh", "warm"])
def test_a_kernel_that_dies_fails_the_step_and_is_dropped(tmp_path: Path, warm: bool) -> None:
    report = _child_run(
        tmp_path, "dies.ipynb", again="trivial.ipynb" if warm else None, warm_kernel=warm
    )
    assert not report["success"]
    assert report["seconds"] < 30, report
    message = report["message"]
    assert f"Notebook {DATA / 'dies.ipynb'} failed in cell In [4] (cell index 1)" in message
    assert 'the "python3" kernel died (exit code 3)' in message, message
    (materialization,) = report["materializations"]  # the executed notebook, as far as it ran
    assert materialization["failed cell"] == "In [4] (cell index 1)"
    assert "DeadKernelError" in materialization["error"]
    assert report["kept"] == [True]
    assert report["idle"] == 0  # the dead kernel is not kept...
    assert report["zombies"] == []  # ... and was reaped
    if warm:  # the next warm notebook gets a new kernel, which is kept
        assert report["again"] is True
        assert report["started_again"] == report["started"] + 1
        assert report["idle_again"] == 1


@pytest.mark.parametrize("warm", [False, True], ids=["fresh", "warm"])
def test_execution_timeout_stops_a_long_cell(tmp_path: Path, warm: bool) -> None:
    report = _child_run(tmp_path, "sleeps.ipynb", execution_timeout=3, warm_kernel=warm)
    assert not report["success"]
    assert report["seconds"] < 30, report  # the cell sleeps 40 s
    message = report["message"]
    assert f"Notebook {DATA / 'sleeps.ipynb'} failed in cell In [5] (cell index 2)" in message
    assert "timed out: it ran longer than execution_timeout (3 s)" in message, message
    (materialization,) = report["materializations"]
    assert materialization["failed cell"] == "In [5] (cell index 2)"
    assert report["kept"] == [True]  # the executed notebook, as far as it ran
    assert report["idle"] == 0  # a kernel stopped mid-cell is not reused
    assert report["zombies"] == []


def _one(definition: Any) -> Any:
    @pipeline(name=f"p_{definition.name}")
    def one() -> None:
        definition()

    return one


def test_an_output_failing_its_type_check_keeps_the_executed_notebook(
    instance: DagsterInstance,
) -> None:
    mistyped = define_notebook_solid(
        "mistyped", DATA / "mistyped.ipynb", output_defs=[OutputDefinition(Int)]
    )
    result = execute_pipeline(
        _one(mistyped), run_config=QUIET, instance=instance, raise_on_error=False
    )
    assert not result.success
    step = result.result_for_solid("mistyped")
    failure = step.compute_step_failure_event
    assert failure.event_specific_data.error.cls_name == "DagsterTypeCheckDidNotPass"
    (materialization,) = step.materializations_during_compute
    entries = {e.label: e.entry_data for e in materialization.metadata_entries}
    assert entries["source notebook"].path == str(DATA / "mistyped.ipynb")
    assert os.path.isfile(entries["executed notebook"].path)


def test_a_cell_error_message_has_one_full_stop(instance: DagsterInstance) -> None:
    wrong = define_notebook_solid(
        "wrong",
        DATA / "mistyped.ipynb",
        output_defs=[OutputDefinition(name="result")],
        config_schema={"output_name": str},
        config_as_parameters=True,
    )
    with pytest.raises(DagsterNotebookExecutionError) as raised:
        execute_pipeline(
            _one(wrong),
            run_config={**QUIET, "solids": {"wrong": {"config": {"output_name": "nope"}}}},
            instance=instance,
        )
    first = str(raised.value).splitlines()[0]
    assert first.endswith("does not define; its outputs: ['result']."), first
