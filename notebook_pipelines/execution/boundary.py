"""The user-code boundary: every call into user code goes through here, so its errors come out
wrapped with where they happened (step key, resource, type) and keep the original traceback.

``Failure``, ``RetryRequested`` and the engine's own errors pass through unwrapped. The per-step hot
path (compute, type checks) uses :func:`wrap_user_error` in a plain ``try`` instead of the context
manager, which costs a few microseconds per use.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import DagsterError, DagsterUserCodeExecutionError
from ..user_events import Failure, RetryRequested

PASS_THROUGH = (DagsterError, Failure, RetryRequested)


def wrap_user_error(
    error_cls: type[DagsterUserCodeExecutionError], message: str, exc: Exception, **kwargs: Any
) -> DagsterUserCodeExecutionError:
    """The ``error_cls`` wrapping ``exc`` (call inside its ``except`` block, for the traceback)."""
    return error_cls(
        f"{message}: {type(exc).__name__}: {exc}",
        user_exception=exc,
        original_exc_info=sys.exc_info(),  # type: ignore[arg-type]
        **kwargs,
    )


@contextmanager
def user_code_error_boundary(
    error_cls: type[DagsterUserCodeExecutionError],
    message: Callable[[], str] | str,
    **kwargs: Any,
) -> Iterator[None]:
    """Wrap any non-control-flow exception raised inside as ``error_cls``."""
    try:
        yield
    except PASS_THROUGH:
        raise
    except Exception as exc:
        text = message() if callable(message) else message
        raise wrap_user_error(error_cls, text, exc, **kwargs) from exc
