"""The warm-kernel pool: started kernels kept between notebooks, reset in between (layer 5).

A fresh kernel per notebook costs its start (about 0.6 s here); a warm kernel costs a reset (a
few milliseconds). The pool is opt-in (``define_notebook_solid(..., warm_kernel=True)``, or the
run tag :data:`WARM_KERNELS_TAG`), one per process (:func:`kernel_pool`), thread-safe, keyed by
kernel name. Between two notebooks a kernel is reset by :func:`~.kernel_state.restore` (see there:
user namespace, execution count, cell modules and user modules, ``sys.path``, the bound run and
its resources; the next notebook's bind cell moves to its folder). The reset is sent when a
notebook ends, without waiting: the kernel runs it while the step reports back, and the pool reads
its reply when it lends the kernel again (a kernel handles requests in order, so the next notebook
cannot start before the reset is done). A kernel that died, failed its reset, or was left by anything
but a failing cell (a timeout, an interrupt) is shut down instead of being reused. Idle kernels are
shut down when the process exits.

Kernels are managed by ``jupyter_client``'s ``AsyncKernelManager``, what nbclient expects for its
``km``: nbclient makes its client from the manager, and only an asynchronous client lets nbclient
notice, while it waits for a cell's output, that the kernel died or that the cell's
``execution_timeout`` ran out (a blocking client blocks nbclient's event loop: both never happen,
and the run hangs). Outside nbclient the manager's coroutines are run to completion by
:func:`wait_for` (:func:`is_alive`, :func:`shut_down`), and the pool talks to a kernel between
notebooks with a blocking client of its own.

``jupyter_client`` is imported only when a kernel is started.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from ..errors import DagsterNotebookError

#: A run tag that opts every notebook solid of the run into the warm-kernel pool ("true").
WARM_KERNELS_TAG = "notebook_pipelines/warm_kernels"
#: Seconds a kernel may take to start, and a reset to answer.
START_TIMEOUT = 60.0
RESET_TIMEOUT = 30.0

_STATE_MODULE = "__import__('notebook_pipelines.notebooks.kernel_state', fromlist=['_'])"
_PRIME = f"{_STATE_MODULE}.snapshot()"
_RESTORE = f"{_STATE_MODULE}.restore()"

T = TypeVar("T")


def wait_for(call: Callable[[], Awaitable[T]]) -> T:
    """Run ``call()`` (a coroutine of a kernel manager) to completion, from synchronous code: on
    this thread's event loop, as nbclient does (or on a helper thread when a loop is running)."""
    from jupyter_core.utils import run_sync

    async def waiting() -> T:
        return await call()

    return run_sync(waiting)()


def cancel_pending() -> None:
    """After an interrupt (Ctrl-C) stopped :func:`wait_for` or nbclient mid-notebook: cancel what
    is left on this thread's event loop (nbclient's cell task, its output and kernel watchers) and
    let it finish, before the kernel is shut down. Left pending, that task would end later, when
    the loop next runs, with ``DeadKernelError`` and print ``Task exception was never retrieved``
    and its traceback. (Where the loop runs on a helper thread, as in a kernel, there is nothing
    to cancel here.)"""
    import asyncio

    from jupyter_core.utils import ensure_event_loop

    loop = ensure_event_loop()
    if loop.is_running() or loop.is_closed():
        return
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def is_alive(km: Any) -> bool:
    """Whether the kernel of ``km`` (an ``AsyncKernelManager``) is running."""
    return bool(wait_for(km.is_alive))


def exit_code(km: Any) -> int | None:
    """The exit code of the kernel process of ``km``, if it has ended and it is known."""
    process = getattr(getattr(km, "provisioner", None), "process", None)
    try:
        return None if process is None else process.poll()
    except Exception:  # not a local process
        return None


def shut_down(km: Any) -> None:
    """Stop the clients made from ``km`` and shut its kernel down (now), if it is still there."""
    close_clients(km)
    try:
        wait_for(lambda: km.shutdown_kernel(now=True))
    except Exception:  # already gone
        pass


class _Warm:
    """A pooled kernel: its manager, a client kept connected, and the reset sent to it (if
    any) whose reply has not been read yet."""

    def __init__(self, km: Any, kc: Any):
        self.km = km
        self.kc = kc
        self.pending: str | None = None

    def send(self, code: str) -> None:
        self.pending = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)

    def settled(self, timeout: float) -> bool:
        """Wait for the reply to what was sent; whether it ran without error."""
        msg_id, self.pending = self.pending, None
        if msg_id is None:
            return True
        try:
            while True:
                reply = self.kc.get_shell_msg(timeout=timeout)
                if reply["parent_header"].get("msg_id") == msg_id:
                    return bool(reply["content"]["status"] == "ok")
        except Exception:  # no reply in time, or the kernel is gone
            return False

    def close(self) -> None:
        shut_down(self.km)


class KernelPool:
    """Started kernels by kernel name; :meth:`kernel` lends one for one notebook."""

    def __init__(self, max_idle_per_kernel: int = 8):
        self.max_idle_per_kernel = max_idle_per_kernel
        self._idle: dict[str, list[_Warm]] = {}
        self._lock = threading.Lock()
        self.started = 0  # kernels this pool started (for tests and benchmarks)
        self.reused = 0

    @contextmanager
    def kernel(self, kernel_name: str) -> Iterator[Any]:
        """A started kernel manager (reset since its last notebook), returned to the pool
        afterwards unless the notebook left it in doubt (see the module docstring)."""
        warm = self._take(kernel_name)
        if warm is None:
            warm = self._start(kernel_name)
        else:
            self.reused += 1
        reusable = False
        try:
            yield warm.km
            reusable = True
        except Exception as exc:
            # a failing cell leaves the kernel idle (it is reset before its next notebook);
            # anything else (a timeout, a dead kernel, an interrupt) may leave it busy
            reusable = type(exc).__name__ == "PapermillExecutionError"
            raise
        finally:
            close_clients(warm.km, keep=warm.kc)
            if reusable and is_alive(warm.km):
                warm.send(_RESTORE)  # runs while the step goes on; checked by the next taker
                self._give_back(kernel_name, warm)
            else:
                warm.close()

    def _take(self, kernel_name: str) -> _Warm | None:
        while True:
            with self._lock:
                idle = self._idle.get(kernel_name, [])
                if not idle:
                    return None
                warm = idle.pop()
            if is_alive(warm.km) and warm.settled(RESET_TIMEOUT):
                return warm
            warm.close()

    def _give_back(self, kernel_name: str, warm: _Warm) -> None:
        with self._lock:
            idle = self._idle.setdefault(kernel_name, [])
            if len(idle) < self.max_idle_per_kernel:
                idle.append(warm)
                return
        warm.close()

    def _start(self, kernel_name: str) -> _Warm:
        from jupyter_client.blocking import BlockingKernelClient
        from jupyter_client.session import Session

        km = start_kernel(kernel_name, None)
        # a blocking client (the manager makes asynchronous ones), with a session of its own: a
        # client sharing the manager's session (as nbclient's does) has the same socket
        # identity, and the kernel's replies would go to the other client
        session = Session(key=km.session.key, signature_scheme=km.session.signature_scheme)
        kc = BlockingKernelClient(session=session)
        kc.load_connection_info(km.get_connection_info())
        km.__dict__.setdefault("_np_clients", []).append(kc)  # closed with the kernel
        kc.start_channels()
        warm = _Warm(km, kc)
        self.started += 1
        try:
            kc.wait_for_ready(timeout=START_TIMEOUT)
            warm.send(_PRIME)
            ready = warm.settled(START_TIMEOUT)
        except Exception:
            ready = False
        if not ready:
            warm.close()
            raise DagsterNotebookError(
                f'The warm-kernel pool could not start a usable "{kernel_name}" kernel (it did '
                "not answer, or cannot import notebook_pipelines: install notebook-pipelines in "
                "the kernel's environment)."
            )
        return warm

    def idle_count(self, kernel_name: str | None = None) -> int:
        with self._lock:
            if kernel_name is not None:
                return len(self._idle.get(kernel_name, []))
            return sum(len(v) for v in self._idle.values())

    def shutdown(self) -> None:
        """Shut every idle kernel down."""
        with self._lock:
            kernels = [warm for idle in self._idle.values() for warm in idle]
            self._idle.clear()
        for warm in kernels:
            warm.close()


def start_kernel(kernel_name: str, cwd: str | None) -> Any:
    """A started ``AsyncKernelManager`` (see the module docstring). The kernel's own
    stdout/stderr (its start-up warnings, its log when it is shut down) go nowhere: what cells
    print reaches the notebook over the protocol. The clients made from it (nbclient makes one per
    notebook and leaves it open when the kernel is not its own) are closed by
    :func:`close_clients`."""
    import subprocess

    from jupyter_client.manager import AsyncKernelManager

    class _KernelManager(AsyncKernelManager):
        def client(self, **kwargs: Any) -> Any:
            kc = super().client(**kwargs)
            self.__dict__.setdefault("_np_clients", []).append(kc)
            return kc

    km = _KernelManager(kernel_name=kernel_name)
    wait_for(lambda: km.start_kernel(cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return km


def close_clients(km: Any, keep: Any = None) -> None:
    """Stop the channels of every client made from ``km`` (but ``keep``)."""
    clients = km.__dict__.get("_np_clients", [])
    for kc in [c for c in clients if c is not keep]:
        try:
            kc.stop_channels()
        except Exception:  # already stopped
            pass
    km.__dict__["_np_clients"] = [c for c in clients if c is keep]


@contextmanager
def fresh_kernel(kernel_name: str, cwd: str) -> Iterator[Any]:
    """A kernel for one notebook, started in ``cwd`` and shut down afterwards."""
    km = start_kernel(kernel_name, cwd)
    try:
        yield km
    finally:
        shut_down(km)


_pool: KernelPool | None = None
_pool_lock = threading.Lock()


def kernel_pool() -> KernelPool:
    """This process's warm-kernel pool (created on first use; emptied when the process exits)."""
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = KernelPool()
                atexit.register(_pool.shutdown)
    return _pool
