"""Watching processes in tests: is a pid alive (zombies count as gone), its descendants, and
waiting until a set of processes has gone; starting a child that Ctrl-C (SIGINT) interrupts
whatever the signal state of the shell that started pytest, and ending a child with its
descendants when a test gives up on it."""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie counts as gone)."""
    try:
        psutil = importlib.import_module("psutil")
    except ImportError:  # pragma: no cover - psutil is a test dependency here
        try:
            with open(f"/proc/{pid}/stat") as stat:
                return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
        except (FileNotFoundError, ProcessLookupError):
            return False
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, grandchildren, ...)."""
    try:
        psutil = importlib.import_module("psutil")
    except ImportError:  # pragma: no cover - psutil is a test dependency here
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(entry.name))
        found, todo = [], [pid]
        while todo:
            kids = children.get(todo.pop(), [])
            found += kids
            todo += kids
        return found
    return [p.pid for p in psutil.Process(pid).children(recursive=True)]


def survivors(pids: list[int], timeout: float = 5.0) -> list[int]:
    """The processes of ``pids`` still alive after waiting up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]


def default_sigint() -> None:
    """``preexec_fn`` of a child that a test interrupts: SIGINT back to its default disposition.

    A shell that starts pytest as a background job (``pytest &`` in a script, as some CI runners
    do) has it ignored, an ignored signal stays ignored across ``exec``, and Python then installs
    no KeyboardInterrupt handler: the child would never see the test's Ctrl-C. With the default
    disposition, the child's Python installs its handler as in a terminal (and the child's own
    children inherit the default, as they do from any Python with a handler)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextlib.contextmanager
def sigint_raises() -> Iterator[None]:
    """Within the block, SIGINT to this process raises KeyboardInterrupt (see
    :func:`default_sigint`: under a shell that ignores SIGINT, pytest ignores it too)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def kill_tree(proc: subprocess.Popen[Any]) -> None:
    """Kill ``proc`` and every process below it, if it still runs (a test that gave up on it
    leaves no workers, nannies or kernels behind to load the machine for the next tests)."""
    if proc.poll() is not None:
        return
    below = descendants(proc.pid)
    for pid in [proc.pid, *below]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    proc.wait()
    survivors(below, timeout=10.0)


def wait_for(condition: Callable[[], bool], timeout: float, what: str, proc: Any = None) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds, or at
    once when ``proc`` (a ``Popen``) ends first."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process ended (exit code {proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.05)
