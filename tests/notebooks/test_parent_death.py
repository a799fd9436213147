"""A notebook solid's kernel ends with the run's process: the script running the pipeline is
killed with ``kill -9`` while the notebook's cell sleeps, and the kernel (fresh, or lent by the warm
pool) is gone within seconds instead of sleeping on as an orphan. (ipykernel watches the process
that started it: jupyter_client passes its pid as ``JPY_PARENT_PID``, and the kernel exits when its
parent changes.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.executors.processes import descendants, kill_tree, survivors, wait_for

from .sleeping_run import REPO, write_sleeping_run

pytestmark = [pytest.mark.slow, pytest.mark.kernel]

DEADLINE = 10.0


@pytest.mark.parametrize("warm", ["fresh", "warm"])
def test_the_kernel_stops_when_the_run_process_is_killed(tmp_path: Path, warm: str) -> None:
    script, notebook, marks = write_sleeping_run(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(notebook), str(tmp_path / "home"), warm],
        cwd=tmp_path,
        env={**os.environ, "NP_TEST_DIR": str(marks), "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    below: list[int] = []
    try:
        wait_for(lambda: any(marks.iterdir()), 120, "the notebook's cell started sleeping", proc)
        (kernel_pid,) = [int(p.read_text()) for p in marks.iterdir()]
        below = descendants(proc.pid)
        assert kernel_pid in below, (kernel_pid, below)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        left = survivors(below, timeout=DEADLINE)
        assert not left, f"the kernel (pid {kernel_pid}) outlived the run's process: {left}"
    finally:
        kill_tree(proc)
        for pid in survivors(below, timeout=0):
            os.kill(pid, signal.SIGKILL)
