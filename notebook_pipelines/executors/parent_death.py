"""A worker process ends when the run's process dies (layer 5).

A worker whose parent is killed (``kill -9``, the OOM killer, a crashed kernel) would otherwise run
its step to the end as an orphan, holding memory, files and connections, and only then notice that
no one listens. :func:`die_with` makes the calling process end within about a second of the run's:

- on Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills this process as soon as its
  parent ends. The parent is the process that started this one: the run's process with ``spawn``;
  the forkserver with ``forkserver`` (which exits when the run's process goes, so the worker follows
  it). PDEATHSIG fires when the *thread* that started the child ends: the multiprocess executor
  starts its workers from the thread that runs the run and stops them before that thread is done.
  A parent that died before the call is caught by checking it is still there afterwards;
- elsewhere (or where ``prctl`` cannot be called), a daemon thread checks every
  :data:`POLL_SECONDS` that the run's process still exists and that this process was not handed to
  another parent, and ends the process (``os._exit``) when either changes.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

#: ``PR_SET_PDEATHSIG`` of ``<linux/prctl.h>``
PR_SET_PDEATHSIG = 1
#: how often the watch thread looks (where there is no ``prctl``)
POLL_SECONDS = 0.5
#: the exit status of a worker that ended because the run's process went away
ORPHAN_EXIT_CODE = 70


def die_with(run_pid: int) -> str:
    """End this process when its parent (or the process ``run_pid``) dies; how (for tests)."""
    parent = os.getppid()
    if _set_parent_death_signal():
        if not _exists(run_pid) or os.getppid() != parent:  # it died before the call
            os._exit(ORPHAN_EXIT_CODE)
        return "prctl"
    thread = threading.Thread(
        target=_watch, args=(run_pid, parent), name="notebook-pipelines-parent-watch", daemon=True
    )
    thread.start()
    return "thread"


def _set_parent_death_signal() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    return True


def _watch(run_pid: int, parent: int) -> None:
    while _exists(run_pid) and os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    os._exit(ORPHAN_EXIT_CODE)
