"""``notebook-pipelines notebook batch`` and ``notebook show``, against a persistent instance in a
temporary home: a grid file, parallel sets, a failing set, the rows printed, the executed notebook
found again, and ``--rerun-failed``; the exit status of the real command when sets failed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from notebook_pipelines.cli import main

SWEEP = Path(__file__).resolve().parent / "notebooks" / "data" / "sweep.ipynb"

pytestmark = [pytest.mark.slow, pytest.mark.kernel]


def test_notebook_batch_show_and_rerun(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    allow = tmp_path / "allow"
    grid = tmp_path / "params.yaml"
    grid.write_text(f"alpha: [1.0, -1.0]\nn: [2, 3]\nallow: ['{allow}']\n")
    code = main(
        [
            "notebook",
            "batch",
            str(SWEEP),
            "--grid",
            str(grid),
            "--parallel",
            "2",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 1, out  # two sets fail
    assert "2/4 parameter sets succeeded" in out
    assert "failed in In [5] (cell index 3): ValueError: negative alpha: -1.0" in out
    assert "alpha=1.0, n=2" in out and "score=2.0" in out
    run_id = out.split("\nRun ")[1].split(":")[0]

    assert main(["notebook", "show", run_id[:8], "set_1.compute"]) == 0
    path = capsys.readouterr().out.strip()
    assert path.endswith(f"{run_id}/notebooks/set_1.compute.ipynb") and os.path.isfile(path)
    assert main(["notebook", "show", run_id, "set_2.compute", "--text"]) == 0
    assert "ValueError: negative alpha: -1.0" in capsys.readouterr().out

    assert main(["notebook", "show", run_id, "collect.compute"]) == 1
    assert "no executed notebook" in capsys.readouterr().err

    allow.write_text("ok")
    assert main(["notebook", "batch", "--rerun-failed", run_id, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [row["status"] for row in rows] == ["SUCCESS"] * 4
    assert [row["values"]["score"] for row in rows] == [2.0, 3.0, -2.0, -3.0]


def test_notebook_batch_needs_a_notebook_and_a_grid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["notebook", "batch", str(SWEEP)]) == 1
    assert "needs NOTEBOOK and --grid" in capsys.readouterr().err


DIES = SWEEP.parent / "dies.ipynb"


def _command_line(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    """The real console script (``python -m notebook_pipelines.cli`` where it is not installed)
    in a process of its own, bounded."""
    script = shutil.which("notebook-pipelines", path=os.path.dirname(sys.executable))
    command = [script] if script else [sys.executable, "-m", "notebook_pipelines.cli"]
    env = {**os.environ, "NOTEBOOK_PIPELINES_HOME": str(home)}
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, env=env, timeout=180, check=False
    )


def test_the_exit_status_of_a_batch_with_failed_sets_is_1(tmp_path: Path) -> None:
    grid = tmp_path / "params.yaml"
    grid.write_text(f"alpha: [1.0, -1.0]\nn: [2]\nallow: ['{tmp_path / 'nowhere'}']\n")
    done = _command_line(["notebook", "batch", str(SWEEP), "--grid", str(grid)], tmp_path / "h")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1/2 parameter sets succeeded" in done.stdout  # the table is still printed
    assert "ValueError: negative alpha: -1.0" in done.stdout

    # a set whose kernel dies ends (it used to hang), failed, with the table
    grid.write_text("x: [1]\n")
    done = _command_line(["notebook", "batch", str(DIES), "--grid", str(grid)], tmp_path / "h")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "0/1 parameter sets succeeded" in done.stdout
    assert 'DeadKernelError: the "python3" kernel died (exit code 3)' in done.stdout, done.stdout
