"""pdb from a terminal: ``notebook-pipelines pipeline execute`` driven through a pseudo-terminal
(pexpect), with the breakpoint in process and in a multiprocess worker (which reaches the terminal
through the parent: no ``/dev/stdin``); ``q`` fails the step; Ctrl-C at a worker's prompt interrupts
the run; with stdin not a terminal a breakpoint fails the run at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from tests.executors.processes import default_sigint

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]

PIPELINE = """
import os
from notebook_pipelines import pipeline, solid

@solid
def one(context):
    return 1

@solid
def add(context, x):
    y = x + 1
    context.pdb.set_trace()
    z = y * 10
    print("COMPUTED", z)
    return z

@solid
def plain(context, z):
    w = z + 1
    breakpoint()
    return w

@pipeline
def stepping():
    plain(add(one()))
"""

PROMPT = r"\[add\.compute\] \(Pdb\) "


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pipes.py").write_text(PIPELINE)
    (tmp_path / "multi.yaml").write_text("execution:\n  multiprocess: {}\n")
    return tmp_path


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "NOTEBOOK_PIPELINES_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONBREAKPOINT", None)
    return env


def _args(project: Path, multiprocess: bool) -> list[str]:
    args = ["-m", "notebook_pipelines", "pipeline", "execute", "-f", "pipes.py", "-a", "stepping"]
    return args + (["-c", "multi.yaml"] if multiprocess else [])


def _spawn(project: Path, multiprocess: bool) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable,
        _args(project, multiprocess),
        cwd=str(project),
        env=_env(project / "home"),
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 200),
        preexec_fn=default_sigint,  # the Ctrl-C test's ^C, also when pytest's shell ignores it
    )


def _finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return int(child.exitstatus if child.exitstatus is not None else -1)


@pytest.mark.parametrize("multiprocess", [False, True], ids=["in_process", "multiprocess"])
def test_terminal_debugger_p_n_c(project: Path, multiprocess: bool) -> None:
    child = _spawn(project, multiprocess)
    try:
        child.expect(PROMPT)
        assert "-> z = y * 10" in child.before
        child.sendline("p x")
        child.expect(PROMPT)
        assert "\n1" in child.before
        child.sendline("n")
        child.expect(PROMPT)
        child.sendline("p z")
        child.expect(PROMPT)
        assert "20" in child.before
        child.sendline("c")
        child.expect(r"\[plain\.compute\] \(Pdb\) ")  # breakpoint() in a solid
        child.sendline("p w")
        child.expect(r"\[plain\.compute\] \(Pdb\) ")
        assert "21" in child.before
        child.sendline("c")
        assert _finish(child) == 0, child.before
    finally:
        child.terminate(force=True)
    assert "SUCCESS" in child.before


def test_terminal_q_fails_the_step(project: Path) -> None:
    child = _spawn(project, multiprocess=True)
    try:
        child.expect(PROMPT)
        child.sendline("q")
        assert _finish(child) == 1
    finally:
        child.terminate(force=True)
    assert "stopped in the debugger (q)" in child.before, child.before


def test_ctrl_c_at_a_workers_prompt_interrupts_the_run(project: Path) -> None:
    child = _spawn(project, multiprocess=True)
    try:
        child.expect(PROMPT)
        child.sendintr()
        assert _finish(child) == 130, child.before
    finally:
        child.terminate(force=True)
    assert "Interrupted run" in child.before


@pytest.mark.parametrize("multiprocess", [False, True], ids=["in_process", "multiprocess"])
def test_no_terminal_fails_fast(project: Path, multiprocess: bool) -> None:
    done = subprocess.run(
        [sys.executable, *_args(project, multiprocess)],
        cwd=str(project),
        env=_env(project / "home"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "no one can answer the debugger: stdin is not a terminal" in done.stderr, done.stderr
