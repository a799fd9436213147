"""Compute logs: a step's stdout/stderr captured per step under the instance, still shown live.

Real processes throughout: what needs real file descriptors 1 and 2 (a terminal, a pipe to the
parent) runs in a child Python process whose output this test reads; the rest runs here, under
pytest's own capture, whose ``sys.stdout`` has no fd 1 behind it (like a notebook's stream).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import select
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from notebook_pipelines.errors import DagsterInvariantViolationError
from notebook_pipelines.storage import output_capture
from notebook_pipelines.storage.compute_logs import ComputeLogManager, ComputeLogPaths
from notebook_pipelines.storage.event_log import InMemoryEventLogStorage
from notebook_pipelines.storage.instance import DagsterInstance, InstanceType
from notebook_pipelines.storage.output_capture import TeeStream
from notebook_pipelines.storage.runs import InMemoryRunStorage

REPO = Path(__file__).resolve().parents[2]

posix_only = pytest.mark.skipif(
    not hasattr(select, "poll"), reason="fd-level capture needs select.poll (POSIX)"
)


def persistent_instance(root: Path) -> DagsterInstance:
    return DagsterInstance(
        InMemoryRunStorage(),
        InMemoryEventLogStorage(),
        root_directory=root,
        instance_type=InstanceType.PERSISTENT,
    )


@pytest.fixture
def manager(tmp_path: Path) -> ComputeLogManager:
    return ComputeLogManager(persistent_instance(tmp_path))


# --- a child process ------------------------------------------------------------------------------

PRELUDE = """
import logging, os, subprocess, sys, time
from notebook_pipelines.storage.compute_logs import ComputeLogManager
from notebook_pipelines.storage.event_log import InMemoryEventLogStorage
from notebook_pipelines.storage.instance import DagsterInstance, InstanceType
from notebook_pipelines.storage.runs import InMemoryRunStorage

instance = DagsterInstance(
    InMemoryRunStorage(), InMemoryEventLogStorage(), root_directory=sys.argv[1],
    instance_type=InstanceType.PERSISTENT,
)
manager = ComputeLogManager(instance, fd_level=sys.argv[2] == "fd")
"""


def child_script(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "child.py"
    script.write_text(PRELUDE + textwrap.dedent(body))
    return script


def run_child(
    tmp_path: Path, body: str, level: str = "fd", *extra: str
) -> subprocess.CompletedProcess[str]:
    script = child_script(tmp_path, body)
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "home"), level, *extra],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done


def read(tmp_path: Path, step_key: str = "step.compute") -> tuple[str, str]:
    return ComputeLogManager(persistent_instance(tmp_path / "home")).read_logs("run1", step_key)


EVERY_KIND = """
before = logging.StreamHandler()  # bound to the real sys.stderr before the capture
with manager.capture("run1", "step.compute"):
    print("print to stdout")
    sys.stderr.write("write to stderr\\n")
    os.write(1, b"os.write to fd 1\\n")
    os.write(2, b"os.write to fd 2\\n")
    subprocess.run(
        [sys.executable, "-c", "import sys; print('child stdout'); print('child stderr', file=sys.stderr)"],
        check=True,
    )
    logging.StreamHandler().emit(logging.makeLogRecord({"msg": "handler made in the step"}))
    before.emit(logging.makeLogRecord({"msg": "handler made before"}))
print("after the capture")
sys.stderr.write("after the capture\\n")
"""
OUT_LINES = ["print to stdout", "os.write to fd 1", "child stdout"]
ERR_LINES = [
    "write to stderr",
    "os.write to fd 2",
    "child stderr",
    "handler made in the step",
    "handler made before",
]


@posix_only
def test_a_real_process_has_each_kind_of_output_captured_once_and_still_shown(
    tmp_path: Path,
) -> None:
    done = run_child(tmp_path, EVERY_KIND, "fd")
    out, err = read(tmp_path)
    # order on a pipe depends on buffering (print is block-buffered there), as without capture
    assert sorted(out.splitlines()) == sorted(OUT_LINES)
    assert sorted(err.splitlines()) == sorted(ERR_LINES)
    # still shown where the process writes, each line once, and nothing after the capture kept
    assert sorted(done.stdout.splitlines()) == sorted([*OUT_LINES, "after the capture"])
    assert sorted(done.stderr.splitlines()) == sorted([*ERR_LINES, "after the capture"])


def test_python_level_only_captures_python_writes_and_shows_everything(tmp_path: Path) -> None:
    done = run_child(tmp_path, EVERY_KIND, "python")
    out, err = read(tmp_path)
    assert out == "print to stdout\n"
    assert sorted(err.splitlines()) == ["handler made in the step", "write to stderr"]
    assert sorted(done.stdout.splitlines()) == sorted([*OUT_LINES, "after the capture"])
    assert sorted(done.stderr.splitlines()) == sorted([*ERR_LINES, "after the capture"])


@posix_only
def test_output_is_shown_live_not_at_the_end(tmp_path: Path) -> None:
    go_on = tmp_path / "go-on"
    script = child_script(
        tmp_path,
        """
        with manager.capture("run1", "step.compute"):
            print("first line", flush=True)
            os.write(1, b"fd line\\n")
            deadline = time.monotonic() + 30
            while not os.path.exists(sys.argv[3]):
                if time.monotonic() > deadline:
                    sys.exit("the parent never saw the step's output while it ran")
                time.sleep(0.01)
            print("second line")
        """,
    )
    with subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "home"), "fd", str(go_on)],
        stdout=subprocess.PIPE,
        cwd=REPO,
    ) as child:
        assert child.stdout is not None
        seen = b""
        deadline = time.monotonic() + 30
        while b"fd line\n" not in seen and time.monotonic() < deadline:
            if select.select([child.stdout], [], [], 1.0)[0]:
                seen += os.read(child.stdout.fileno(), 4096)
        assert seen == b"first line\nfd line\n"  # while the step is still waiting
        go_on.touch()
        rest, _ = child.communicate(timeout=30)
    assert child.returncode == 0
    assert rest == b"second line\n"
    assert read(tmp_path) == ("first line\nfd line\nsecond line\n", "")


@posix_only
def test_under_a_terminal_python_streams_still_say_tty(tmp_path: Path) -> None:
    script = child_script(
        tmp_path,
        """
        with manager.capture("run1", "step.compute"):
            print("isatty", sys.stdout.isatty(), sys.stderr.isatty(), "fd 1 is a tty:", os.isatty(1))
        print("after", sys.stdout.isatty(), os.isatty(1))
        """,
    )
    leader, follower = os.openpty()
    with subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "home"), "fd"],
        stdout=follower,
        stderr=follower,
        cwd=REPO,
    ) as child:
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        child.wait(timeout=30)
    os.close(leader)
    assert child.returncode == 0, shown
    lines = shown.decode().replace("\r\n", "\n").splitlines()
    # Python's streams answer for the terminal; fd 1 itself is the capture's pipe meanwhile
    assert lines == ["isatty True True fd 1 is a tty: False", "after True True"]
    assert read(tmp_path) == ("isatty True True fd 1 is a tty: False\n", "")


@posix_only
def test_a_child_process_that_outlives_the_step_does_not_hold_it_up(tmp_path: Path) -> None:
    done = run_child(
        tmp_path,
        """
        with manager.capture("run1", "step.compute"):
            late = subprocess.Popen(
                [sys.executable, "-c", "import time; time.sleep(1.5); print('late', flush=True)"]
            )
            start = time.monotonic()
        print(f"capture ended after {time.monotonic() - start:.1f}s", flush=True)
        late.wait()
        """,
    )
    ended, *rest = done.stdout.splitlines()
    assert ended.startswith("capture ended after ")
    assert float(ended.removeprefix("capture ended after ").removesuffix("s")) < 1.0
    assert rest == ["late"]  # shown, after the step; not in the step's log
    assert read(tmp_path) == ("", "")


# --- in this process ------------------------------------------------------------------------------


def test_log_paths_layout(tmp_path: Path, manager: ComputeLogManager) -> None:
    paths = manager.log_paths("run1", "outer.inner.compute")
    logs = tmp_path / "storage" / "run1" / "compute_logs"
    assert paths == ComputeLogPaths(
        str(logs / "outer.inner.compute.out"), str(logs / "outer.inner.compute.err")
    )
    with pytest.raises(DagsterInvariantViolationError, match="step key"):
        manager.log_paths("run1", "../escape")


def test_nothing_written_means_no_files(tmp_path: Path, manager: ComputeLogManager) -> None:
    with manager.capture("run1", "quiet.compute") as paths:
        pass
    assert not os.path.exists(os.path.dirname(paths.out))
    assert manager.read_logs("run1", "quiet.compute") == ("", "")
    with manager.capture("run1", "only_err.compute") as paths:
        print("to stderr", file=sys.stderr)
    assert not os.path.exists(paths.out)
    assert manager.read_logs("run1", "only_err.compute") == ("", "to stderr\n")


def test_a_stream_without_a_file_descriptor_is_captured_at_the_python_level(
    manager: ComputeLogManager,
) -> None:
    # like a notebook's OutStream: what is written to it never reaches fd 1
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown), manager.capture("run1", "step.compute"):
        print("to the notebook")
        sys.stdout.write("written\n")
    assert shown.getvalue() == "to the notebook\nwritten\n"
    assert manager.read_logs("run1", "step.compute") == ("to the notebook\nwritten\n", "")


@posix_only
def test_fd_writes_are_captured_in_this_process_too(manager: ComputeLogManager) -> None:
    with manager.capture("run1", "step.compute"):
        print("python")
        os.write(1, b"fd one\n")
        os.write(2, "fd two \u00e9\n".encode())
    assert manager.read_logs("run1", "step.compute") == ("python\nfd one\n", "fd two \u00e9\n")


def test_invalid_utf8_is_read_back_with_replacement(manager: ComputeLogManager) -> None:
    with manager.capture("run1", "step.compute") as paths:
        pass
    os.makedirs(os.path.dirname(paths.out))
    Path(paths.out).write_bytes(b"ok \xff\n")
    assert manager.read_logs("run1", "step.compute") == ("ok \ufffd\n", "")


def test_the_tee_behaves_like_the_stream_it_stands_for(manager: ComputeLogManager) -> None:
    original = sys.stdout
    with manager.capture("run1", "step.compute"):
        tee = sys.stdout
        assert isinstance(tee, TeeStream)
        assert tee.original is original
        assert tee.encoding == (getattr(original, "encoding", None) or "utf-8")
        try:
            expected_fd: Any = original.fileno()
        except (OSError, ValueError) as error:
            expected_fd = type(error)
        if isinstance(expected_fd, int):
            assert tee.fileno() == expected_fd
        else:
            with pytest.raises(expected_fd):
                tee.fileno()
        assert tee.writable() and not tee.readable()
        with pytest.raises(TypeError, match="str"):
            tee.write(b"bytes")  # type: ignore[arg-type]
        tee.writelines(["a\n", "b\n"])
        tee.flush()
        tee.close()  # closes nothing
        print("still open")
    assert not original.closed
    assert manager.read_logs("run1", "step.compute") == ("a\nb\nstill open\n", "")


def process_state() -> dict[str, Any]:
    state: dict[str, Any] = {
        "stdout": sys.stdout,
        "stderr": sys.stderr,
        "threads": threading.active_count(),
    }
    for fd in (1, 2):
        st = os.fstat(fd)
        state[f"fd{fd}"] = (st.st_dev, st.st_ino)
    if os.path.isdir("/proc/self/fd"):
        state["open fds"] = len(os.listdir("/proc/self/fd"))
    return state


@pytest.mark.parametrize("fd_level", [True, False])
def test_streams_restored_after_an_error_and_an_interrupt(tmp_path: Path, fd_level: bool) -> None:
    manager = ComputeLogManager(persistent_instance(tmp_path), fd_level=fd_level)
    before = process_state()
    with pytest.raises(ValueError, match="boom"), manager.capture("run1", "fails.compute"):
        print("before the error")
        raise ValueError("boom")
    assert process_state() == before
    with pytest.raises(KeyboardInterrupt), manager.capture("run1", "interrupted.compute"):
        print("before the interrupt")
        raise KeyboardInterrupt
    assert process_state() == before
    assert manager.read_logs("run1", "fails.compute") == ("before the error\n", "")
    assert manager.read_logs("run1", "interrupted.compute") == ("before the interrupt\n", "")


def test_wrap_captures_only_while_the_iterator_computes(manager: ComputeLogManager) -> None:
    def step() -> Iterator[int]:
        print("computing 1")
        yield 1
        print("computing 2")
        yield 2
        print("finishing")

    before = process_state()
    run = manager.run_capture("run1")
    assert run is not None
    consumer_saw = []
    for item in run.wrap("step.compute", step()):
        assert process_state()["stdout"] is before["stdout"]  # the consumer's own streams
        print(f"consumer got {item}")
        consumer_saw.append(item)
    run.close()
    assert consumer_saw == [1, 2]
    assert manager.read_logs("run1", "step.compute") == (
        "computing 1\ncomputing 2\nfinishing\n",
        "",
    )
    assert process_state() == before


@pytest.mark.parametrize("how", ["close the step", "close the run", "raise in the step"])
def test_wrap_restores_streams_when_stopped_early(manager: ComputeLogManager, how: str) -> None:
    closed = []

    def step() -> Iterator[int]:
        try:
            print("started")
            yield 1
            if how == "raise in the step":
                raise RuntimeError("step failed")
            yield 2
        finally:
            closed.append(True)

    before = process_state()
    run = manager.run_capture("run1")
    assert run is not None
    events = run.wrap("step.compute", step())
    assert next(events) == 1
    if how == "close the step":
        events.close()  # type: ignore[attr-defined]
    elif how == "raise in the step":
        with pytest.raises(RuntimeError, match="step failed"):
            next(events)
    run.close()
    del events
    assert closed == [True]
    assert process_state() == before
    assert manager.read_logs("run1", "step.compute") == ("started\n", "")


def test_nested_captures_send_output_to_the_innermost(manager: ComputeLogManager) -> None:
    before = process_state()
    with manager.capture("run1", "outer.compute"):
        print("outer before")
        with manager.capture("run1", "inner.compute"):
            print("inner")
            logging.StreamHandler().emit(logging.makeLogRecord({"msg": "inner log"}))
        print("outer after")
    assert process_state() == before
    assert manager.read_logs("run1", "outer.compute") == ("outer before\nouter after\n", "")
    assert manager.read_logs("run1", "inner.compute") == ("inner\n", "inner log\n")


@pytest.mark.parametrize("first_to_end", ["A", "B"])
def test_captures_in_two_threads_do_not_corrupt_the_streams(
    manager: ComputeLogManager, first_to_end: str
) -> None:
    """Output is process-wide: while B (started after A) is active, all output goes to B."""
    before = process_state()
    a_started, b_started, a_printed, a_may_end, b_may_end = (threading.Event() for _ in range(5))
    a_ended, b_ended = threading.Event(), threading.Event()

    def a() -> None:
        with manager.capture("run1", "a.compute"):
            print("A alone")
            a_started.set()
            b_started.wait(10)
            print("A while B runs")
            a_printed.set()
            a_may_end.wait(10)
        a_ended.set()

    def b() -> None:
        a_started.wait(10)
        with manager.capture("run1", "b.compute"):
            b_started.set()
            b_may_end.wait(10)
            print("B last")
        b_ended.set()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for thread in threads:
        thread.start()
    a_printed.wait(10)
    if first_to_end == "A":
        a_may_end.set()
        a_ended.wait(10)
        b_may_end.set()
    else:
        b_may_end.set()
        b_ended.wait(10)
        a_may_end.set()
    for thread in threads:
        thread.join(10)
    assert process_state() == before
    a_out, _ = manager.read_logs("run1", "a.compute")
    b_out, _ = manager.read_logs("run1", "b.compute")
    assert a_out == "A alone\n"
    assert "A while B runs\n" in b_out and "B last\n" in b_out


def test_an_ephemeral_instance_captures_nothing(tmp_path: Path) -> None:
    manager = ComputeLogManager(DagsterInstance.ephemeral(tempdir=tmp_path))
    assert not manager.enabled
    assert manager.run_capture("run1") is None
    stdout = sys.stdout
    with manager.capture("run1", "step.compute") as paths:
        assert sys.stdout is stdout
        print("not captured")
    assert not os.path.exists(os.path.dirname(paths.out))
    assert manager.read_logs("run1", "step.compute") == ("", "")


def test_a_run_capture_installs_once_for_all_its_steps(manager: ComputeLogManager) -> None:
    run = manager.run_capture("run1")
    assert run is not None
    with run.step("a.compute"):
        first = output_capture._current
        print("a")
    assert output_capture._current is first  # still installed between steps
    with run.step("b.compute"):
        assert output_capture._current is first
        print("b")
    run.close()
    assert output_capture._current is None
    assert manager.read_logs("run1", "a.compute") == ("a\n", "")
    assert manager.read_logs("run1", "b.compute") == ("b\n", "")


def test_unwritable_log_folder_does_not_fail_the_step(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "storage").write_text("a file where the run folders should go")
    manager = ComputeLogManager(persistent_instance(home))
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown), manager.capture("run1", "step.compute"):
        print("still shown")
    assert shown.getvalue() == "still shown\n"


def test_logging_to_stderr_during_capture_is_recorded(manager: ComputeLogManager) -> None:
    logger = logging.getLogger("tests.compute_logs")
    with manager.capture("run1", "step.compute"):
        handler = logging.StreamHandler()  # binds sys.stderr as it is now
        logger.addHandler(handler)
        try:
            logger.warning("careful")
        finally:
            logger.removeHandler(handler)
    assert manager.read_logs("run1", "step.compute") == ("", "careful\n")
