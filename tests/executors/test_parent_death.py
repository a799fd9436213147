"""A run's process killed with ``kill -9`` takes its workers with it: multiprocess worker
processes (spawn and forkserver) and the worker processes of a Dask local cluster the run started
stop within seconds instead of running their step to the end as orphans. Each run is a real
script in a child process whose step sleeps 60 s; the test waits for the step to start (it writes
its pid), kills the script and polls the processes that were below it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .processes import descendants, kill_tree, survivors, wait_for

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
#: how long the orphans may take to go (generous: a busy machine; they go in well under a second)
DEADLINE = 10.0

_SCRIPT = """
import sys
from notebook_pipelines import DagsterInstance, execute_pipeline

if __name__ == "__main__":
    kind, home = sys.argv[1], sys.argv[2]
    if kind == "dask":
        from tests.executors.dask_pipelines import sleeping_pipeline
        config = {
            "execution": {"dask": {"config": {"cluster": {"local": {"n_workers": 1}}}}},
            "intermediate_storage": {"filesystem": {}},
        }
    else:
        from tests.executors.multiprocess_pipelines import sleeping_pipeline
        config = {"execution": {"multiprocess": {"config": {"start_method": kind}}}}
    execute_pipeline(sleeping_pipeline, run_config=config, instance=DagsterInstance.local_temp(home))
"""


@pytest.mark.parametrize(
    "kind",
    ["spawn", "forkserver", pytest.param("dask", marks=pytest.mark.dask)],
    ids=["multiprocess-spawn", "multiprocess-forkserver", "dask-local-cluster"],
)
def test_workers_stop_when_the_run_process_is_killed(tmp_path: Path, kind: str) -> None:
    if kind == "dask":
        pytest.importorskip("distributed")
    marks = tmp_path / "marks"
    marks.mkdir()
    script = tmp_path / "run.py"
    script.write_text(_SCRIPT)
    proc = subprocess.Popen(
        [sys.executable, str(script), kind, str(tmp_path / "home")],
        cwd=REPO,
        env={**os.environ, "NP_TEST_DIR": str(marks), "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    below: list[int] = []
    try:
        wait_for(lambda: any(marks.iterdir()), 120, "the step started sleeping", proc)
        below = descendants(proc.pid)
        step_pids = [int(p.read_text()) for p in marks.iterdir()]  # a step or two by now
        assert set(step_pids) <= set(below), (step_pids, below)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        # the step's worker, and everything else the run started (forkserver, resource tracker,
        # Dask nanny and scheduler-side processes), is gone
        left = survivors(below, timeout=DEADLINE)
        assert not left, f"processes of the killed run still alive after {DEADLINE:.0f} s: {left}"
    finally:
        kill_tree(proc)
        for pid in survivors(below, timeout=0):
            os.kill(pid, signal.SIGKILL)
