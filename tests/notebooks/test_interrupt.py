"""Ctrl-C (a real SIGINT) while a notebook solid's cell runs: the run ends CANCELED, quietly —
no ``Task exception was never retrieved`` / ``DeadKernelError`` traceback from the cell task that
nbclient left on the event loop when the kernel was shut down (fresh and warm kernels)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from notebook_pipelines import DagsterInstance, PipelineRunStatus
from tests.executors.processes import default_sigint, kill_tree, wait_for

from .sleeping_run import REPO, write_sleeping_run

pytestmark = [pytest.mark.slow, pytest.mark.kernel]


@pytest.mark.parametrize("warm", ["fresh", "warm"])
def test_ctrl_c_during_a_notebook_solid_cancels_quietly(tmp_path: Path, warm: str) -> None:
    script, notebook, marks = write_sleeping_run(tmp_path)
    home = tmp_path / "home"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(notebook), str(home), warm],
        cwd=tmp_path,
        env={**os.environ, "NP_TEST_DIR": str(marks), "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,  # a real Ctrl-C, whatever the shell that started pytest ignores
    )
    try:
        wait_for(lambda: any(marks.iterdir()), 120, "the notebook's cell started sleeping", proc)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        kill_tree(proc)
    assert proc.returncode == 130, err
    assert "Task exception was never retrieved" not in err, err
    assert "DeadKernelError" not in err, err
    assert "Traceback" not in err, err
    (run,) = DagsterInstance.local_temp(str(home)).get_runs()
    assert run.status == PipelineRunStatus.CANCELED
