"""The user-code boundary: every call into user code goes through here, so its errors come out
wrapped with where they happened (step key, resource, type) and keep the original traceback.

``Failure``, ``RetryRequested`` and the engine's own errors pass through unwrapped.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import DagsterError, DagsterUserCodeExecutionError
from ..user_events import Failure, RetryRequested

_PASS_THROUGH = (DagsterError, Failure, RetryRequested)


@contextmanager
def user_code_error_boundary(
    error_cls: type[DagsterUserCodeExecutionError],
    message: Callable[[], str] | str,
    **kwargs: Any,
) -> Iterator[None]:
    """Wrap any non-control-flow exception raised inside as ``error_cls``."""
    try:
        yield
    except _PASS_THROUGH:
        raise
    except Exception as exc:
        text = message() if callable(message) else message
        raise error_cls(
            f"{text}: {type(exc).__name__}: {exc}",
            user_exception=exc,
            original_exc_info=sys.exc_info(),  # type: ignore[arg-type]
            **kwargs,
        ) from exc
