"""``breakpoint()`` inside a solid behaves like ``context.pdb.set_trace()``.

:func:`install` puts :func:`breakpoint_hook` in ``sys.breakpointhook`` (once per process; the
hook it replaces is kept). Inside a solid's compute the hook finds the running step (by walking the
stack up to the engine frame that calls the compute — nothing is done per step to make this
possible) and stops in that step's debugger; anywhere else, or when ``PYTHONBREAKPOINT`` is set,
or when ``defer()`` says so (a kernel whose visual debugger is on), it calls the hook it replaced.
Plain ``breakpoint()`` is thus a silent no-op in a kernel no more, and in a worker process it
reaches the user through the parent.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

_state: dict[str, Any] = {"previous": None, "defer": None}


def install(defer: Callable[[], bool] | None = None) -> None:
    """Make ``breakpoint()`` in a solid stop in the step's debugger (idempotent). ``defer``: when
    it returns True, ``breakpoint()`` goes to the hook that was there before."""
    if defer is not None:
        _state["defer"] = defer
    if sys.breakpointhook is not breakpoint_hook:
        _state["previous"] = sys.breakpointhook
        sys.breakpointhook = breakpoint_hook


def uninstall() -> None:
    """Put back the hook :func:`install` replaced."""
    if sys.breakpointhook is breakpoint_hook:
        sys.breakpointhook = _state["previous"] or sys.__breakpointhook__
    _state.update(previous=None, defer=None)


def breakpoint_hook(*args: Any, **kwargs: Any) -> Any:
    """``sys.breakpointhook``: the step's debugger inside a solid, the previous hook elsewhere."""
    caller = sys._getframe(1)
    context = None if os.environ.get("PYTHONBREAKPOINT") else solid_context(caller)
    defer = _state["defer"]
    if context is None or (defer is not None and defer()):
        previous = _state["previous"] or sys.__breakpointhook__
        return previous(*args, **kwargs)
    context.pdb.set_trace(caller)
    return None


def solid_context(frame: FrameType | None) -> Any:
    """The ``SolidExecutionContext`` of the solid whose compute runs below ``frame`` (or None)."""
    from .step import _run_compute

    code = _run_compute.__code__
    while frame is not None:
        if frame.f_code is code:
            return frame.f_locals.get("context")
        frame = frame.f_back
    return None
