"""Real faults of the environment for tests: small tmpfs mounts (a disk that fills), read-only
bind mounts (an archived history), filling a disk. Shared by every test of issue 14's faults.

Mounting needs root (and a kernel that lets this process mount): where it cannot, the fixtures
skip and say why. Every mount is unmounted when its fixture (or context manager) ends, also when
the test fails. Root ignores file permissions, so "read-only" is always a read-only *mount*.

Use the fixtures (``small_tmpfs``, ``read_only_bind``) by importing them into a test module or a
``conftest.py``, or the context managers :func:`tmpfs` and :func:`read_only_view` directly.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

#: Size of :func:`small_tmpfs` (enough for an instance's SQLite files, little more).
SMALL_TMPFS_SIZE = "4m"


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


def mount_problem() -> str | None:
    """Why this process cannot mount a tmpfs, or ``None`` if it can."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "mounting a tmpfs needs root (the fault tests use real mounts)"
    return None


@contextlib.contextmanager
def tmpfs(path: Path, size: str = SMALL_TMPFS_SIZE) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``path`` (created), unmounted at the end."""
    problem = mount_problem()
    if problem:
        pytest.skip(problem)
    path.mkdir(parents=True, exist_ok=True)
    done = _run("mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path))
    if done.returncode != 0:
        pytest.skip(f"mount -t tmpfs is not permitted here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        _unmount(path)


@contextlib.contextmanager
def read_only_view(source: Path, view: Path) -> Iterator[Path]:
    """``source`` seen read-only at ``view`` (a read-only bind mount), unmounted at the end."""
    problem = mount_problem()
    if problem:
        pytest.skip(problem)
    view.mkdir(parents=True, exist_ok=True)
    done = _run("mount", "--bind", str(source), str(view))
    if done.returncode != 0:
        pytest.skip(f"mount --bind is not permitted here: {done.stderr.strip()}")
    try:
        done = _run("mount", "-o", "remount,bind,ro", str(view))
        if done.returncode != 0:
            pytest.skip(f"a read-only remount is not permitted here: {done.stderr.strip()}")
        yield view
    finally:
        _unmount(view)


def _unmount(path: Path) -> None:
    done = _run("umount", str(path))
    if done.returncode != 0:  # busy (a file still open): detach it now, freed when closed
        _run("umount", "-l", str(path))


def fill_disk(folder: Path, name: str = "filler", chunk: int = 1 << 16) -> Path:
    """Write ``folder/name`` until the disk is full (``ENOSPC``); the file's path."""
    path = folder / name
    block = b"\0" * chunk
    with open(path, "ab", buffering=0) as file:
        while True:
            try:
                file.write(block)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                if chunk == 1:
                    break
                chunk //= 2
                block = block[:chunk]
    return path


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A fresh 4 MiB tmpfs (a disk that fills up), unmounted after the test."""
    with tmpfs(tmp_path / "tmpfs") as path:
        yield path


@pytest.fixture
def read_only_bind(tmp_path: Path) -> Iterator[Callable[[Path], Path]]:
    """``make(source)``: ``source`` seen through a read-only bind mount (several allowed); every
    mount made is unmounted after the test."""
    with contextlib.ExitStack() as stack:
        made: list[Path] = []

        def make(source: Path) -> Path:
            view = tmp_path / f"read-only-{len(made)}"
            made.append(view)
            return stack.enter_context(read_only_view(source, view))

        yield make
