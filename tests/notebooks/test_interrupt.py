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

pytestmark = [pytest.mark.slow, pytest.mark.kernel]

REPO = Path(__file__).resolve().parents[2]

_CELL = """import os, time
with open(os.path.join(os.environ["NP_TEST_DIR"], "sleeping"), "w") as f:
    f.write(str(os.getpid()))
time.sleep(60)
"""

_SCRIPT = """
import sys
from notebook_pipelines import DagsterInstance, define_notebook_solid, execute_pipeline, pipeline

if __name__ == "__main__":
    notebook, home, warm = sys.argv[1], sys.argv[2], sys.argv[3] == "warm"
    sleeps = define_notebook_solid("sleeps", notebook, warm_kernel=warm)

    @pipeline
    def notebook_sleeps():
        sleeps()

    try:
        execute_pipeline(notebook_sleeps, instance=DagsterInstance.local_temp(home))
    except KeyboardInterrupt:
        sys.exit(130)
"""


@pytest.mark.parametrize("warm", ["fresh", "warm"])
def test_ctrl_c_during_a_notebook_solid_cancels_quietly(tmp_path: Path, warm: str) -> None:
    import nbformat

    notebook = tmp_path / "sleeps.ipynb"
    nb = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell("")
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, nbformat.v4.new_code_cell(_CELL)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, str(notebook))
    marks = tmp_path / "marks"
    marks.mkdir()
    script = tmp_path / "run.py"
    script.write_text(_SCRIPT)
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
        wait_for((marks / "sleeping").exists, 120, "the notebook's cell started sleeping", proc)
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
