"""A multiprocess worker's stdout and stderr reach the parent live over the worker's pipe, each
line prefixed with its step, before the step's later events; compute logs keep the raw text."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from notebook_pipelines.executors.worker_pool import MAX_PARTIAL_LINE, OutputRelay

ROOT = Path(__file__).resolve().parents[2]

_SCRIPT = """
import sys
from notebook_pipelines import DagsterInstance, execute_pipeline_iterator, reconstructable
from tests.executors import output_pipelines

if __name__ == "__main__":
    pipeline = getattr(output_pipelines, sys.argv[1])
    instance = DagsterInstance.local_temp(sys.argv[2]) if len(sys.argv) > 2 else None
    run_config = {"execution": {"multiprocess": {"config": {"max_concurrent": 1}}}}
    for event in execute_pipeline_iterator(
        reconstructable(pipeline), run_config=run_config, instance=instance
    ):
        marker = f"EVENT {event.event_type_value} {event.step_key}"
        print(marker, flush=True)
        print(marker, file=sys.stderr, flush=True)
"""


def _popen(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    script = tmp_path / "run_output.py"
    script.write_text(_SCRIPT)
    env = {**os.environ, "NP_TEST_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONUNBUFFERED", None)  # the worker must make its own stdout line buffered
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(tmp_path: Path, *args: str) -> tuple[list[str], list[str]]:
    proc = _popen(tmp_path, *args)
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    return out.splitlines(), err.splitlines()


def _index(lines: list[str], line: str) -> int:
    assert lines.count(line) == 1, f"{line!r} should appear exactly once in {lines}"
    return lines.index(line)


def _check_talking_output(out: list[str], err: list[str]) -> None:
    for lines, expected in (
        (out, ["print to stdout", "os.write to fd 1"]),
        (err, ["print to stderr", "os.write to fd 2"]),
    ):
        success = _index(lines, "EVENT STEP_SUCCESS talks.compute")
        for text in expected:
            assert _index(lines, f"[talks.compute] {text}") < success
            assert not [line for line in lines if line.endswith(text) and "[" not in line]
    # a partial line waits for the end of its step, then is shown as a line
    assert _index(out, "[talks.compute] no newline at the end") > _index(
        out, "EVENT STEP_SUCCESS talks.compute"
    )
    success = _index(out, "EVENT STEP_SUCCESS adds_one.compute")
    assert _index(out, "[adds_one.compute] first line") < success
    assert _index(out, "[adds_one.compute] second line") < success
    # nothing of the workers' reaches the parent's streams untagged, and stdout stays stdout
    for text in ("print to", "os.write to", "first line", "second line", "no newline"):
        assert not [line for line in out + err if text in line and not line.startswith("[")]
    assert not [line for line in err if "[talks.compute] print to stdout" in line]
    # the run's resources start outside any step: their output is tagged with the worker's pid
    (started,) = [line for line in out if line.endswith("] resource is starting")]
    assert re.fullmatch(r"\[worker pid \d+\] resource is starting", started)
    assert _index(out, started) < _index(out, "EVENT STEP_START talks.compute")
    # context.log records still reach the parent's loggers tagged with the step
    assert [line for line in err if "a log record" in line and "adds_one.compute" in line]


@pytest.mark.slow
def test_worker_output_is_forwarded_tagged_and_before_the_steps_success(tmp_path: Path) -> None:
    out, err = _run(tmp_path, "talking_pipeline", str(tmp_path / "instance"))
    _check_talking_output(out, err)
    # the compute logs hold the raw text, once
    (logs,) = (tmp_path / "instance" / "storage").glob("*/compute_logs")
    assert (logs / "talks.compute.out").read_text() == (
        "print to stdout\nos.write to fd 1\nno newline at the end"
    )
    assert (logs / "talks.compute.err").read_text() == "print to stderr\nos.write to fd 2\n"
    assert (logs / "adds_one.compute.out").read_text() == "first line\nsecond line\n"
    assert not (logs / "adds_one.compute.err").exists()


@pytest.mark.slow
def test_worker_output_is_forwarded_without_compute_logs(tmp_path: Path) -> None:
    """No instance (a temporary one, no compute-log capture in the workers): still forwarded."""
    out, err = _run(tmp_path, "talking_pipeline")
    _check_talking_output(out, err)


@pytest.mark.slow
def test_worker_output_arrives_while_the_step_runs(tmp_path: Path) -> None:
    """The step waits until the parent has shown its first line: only live output lets it end."""
    proc = _popen(tmp_path, "waiting_pipeline", str(tmp_path / "instance"))
    assert proc.stdout is not None
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 60
        for line in proc.stdout:
            seen.append(line.rstrip("\n"))
            if line == "[waits.compute] waiting for the parent\n":
                (tmp_path / "release").touch()
            assert time.monotonic() < deadline, seen
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
        proc.stdout.close()
    assert proc.returncode == 0
    assert _index(seen, "[waits.compute] released") < _index(
        seen, "EVENT STEP_SUCCESS waits.compute"
    )


def test_relay_prefixes_lines_and_keeps_partial_lines_per_step_and_stream(
    capsys: Any,
) -> None:
    relay = OutputRelay()
    relay.write("a.compute", "stdout", "one\ntw")
    relay.write("b.compute", "stdout", "other")
    relay.write("a.compute", "stderr", "err")
    relay.write("a.compute", "stdout", "o\nthr")
    assert capsys.readouterr().out == "[a.compute] one\n[a.compute] two\n"
    relay.flush("a.compute")
    captured = capsys.readouterr()
    assert captured.out == "[a.compute] thr\n"
    assert captured.err == "[a.compute] err\n"
    relay.write("b.compute", "stdout", "\n" + "x" * (MAX_PARTIAL_LINE + 1))
    assert (
        capsys.readouterr().out
        == f"[b.compute] other\n[b.compute] {'x' * (MAX_PARTIAL_LINE + 1)}\n"
    )
    relay.flush()
    assert capsys.readouterr() == ("", "")
