"""Which process executes a run, and whether it still exists (for runs whose process died).

A process is identified by its host name, its pid and, on Linux, its start time in clock ticks
since boot (``/proc/<pid>/stat``, field 22): a pid can be reused, the pair (pid, start ticks)
cannot. Start ticks are independent of the wall clock, so a clock change never makes a live
process look like another one.
"""

from __future__ import annotations

import os

_hostname: str | None = None


def this_host() -> str:
    """This machine's host name (looked up once)."""
    global _hostname
    if _hostname is None:
        import socket

        _hostname = socket.gethostname()
    return _hostname


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in ticks since boot) of ``pid``, or ``None`` (not Linux, gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as file:
            stat = file.read()
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may itself contain spaces or parentheses
    fields = stat[stat.rfind(")") + 2 :].split()
    try:
        return fields[0], int(fields[19])  # fields 3 and 22 of the whole line
    except (IndexError, ValueError):
        return None


def process_start_ticks(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks since boot (Linux), else ``None``."""
    stat = _proc_stat(pid)
    return None if stat is None else stat[1]


def process_is_gone(pid: int, start_ticks: int | None = None) -> bool:
    """Whether process ``pid`` of this host — the one that started at ``start_ticks``, when
    known — no longer exists. A zombie is gone; a pid now held by a process that started at
    another time is gone. Unsure answers are ``False``; on Windows nothing is checked (``os.kill``
    with signal 0 would terminate the process)."""
    if os.name != "posix" or pid <= 0:
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # a process of another user holds the pid
    except OSError:
        return False
    stat = _proc_stat(pid)
    if stat is None:
        return False
    state, ticks = stat
    if state in ("Z", "X"):
        return True
    return start_ticks is not None and ticks != start_ticks
