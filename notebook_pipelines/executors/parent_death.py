"""A worker process ends when the run's process dies (layer 5).

A worker whose parent is killed (``kill -9``, the OOM killer, a crashed kernel) would otherwise run
its step to the end as an orphan, holding memory, files and connections, and only then notice that
no one listens. :func:`die_with` makes the calling process end within about a second of the run's:

- when the run's process is this process's parent (the ``spawn`` start method), on Linux,
  ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills this process as soon as its parent ends.
  PDEATHSIG fires when the *thread* that started the child ends: the multiprocess executor starts
  its workers from the thread that runs the run and stops them before that thread is done. A
  parent that died before the call is caught by checking it is still there afterwards;
- otherwise a daemon thread waits for the run's process to end and then ends this one
  (``os._exit``): on a pidfd (Linux), else polling every :data:`POLL_SECONDS`. That is the case of
  ``forkserver``, where the parent is the fork server, which stays up as long as any worker it
  forked does (each holds its "alive" pipe): a PDEATHSIG on it would never fire.
"""

from __future__ import annotations

import os
import select
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
    """End this process when the process ``run_pid`` (the run's) dies; how (for tests)."""
    parent = os.getppid()
    if parent == run_pid and _set_parent_death_signal():
        if os.getppid() != parent:  # it died before the call
            os._exit(ORPHAN_EXIT_CODE)
        return "prctl"
    thread = threading.Thread(
        target=_watch, args=(run_pid,), name="notebook-pipelines-run-watch", daemon=True
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


def _watch(run_pid: int) -> None:
    try:
        fd = os.pidfd_open(run_pid)  # readable once the process has ended
    except (AttributeError, OSError):
        fd = -1
    if fd >= 0:
        select.select([fd], [], [])
    else:
        while _exists(run_pid):
            time.sleep(POLL_SECONDS)
    os._exit(ORPHAN_EXIT_CODE)
