"""What an executor that runs steps in other processes raises at the end of a run with
``raise_on_error`` (layer 5): one :class:`~..errors.DagsterSubprocessError` carrying the error of
every step that failed (the user's exception crossed the process boundary as data only). The
multiprocess and the Dask executors raise it alike."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import DagsterSubprocessError, SerializableErrorInfo


def step_failures_error(
    failures: Sequence[tuple[str, SerializableErrorInfo | None]], where: str
) -> DagsterSubprocessError:
    """The error for ``failures`` (step key, error info) of steps that ran in ``where``."""
    keys = ", ".join(f'"{key}"' for key, _ in failures)
    detail = "; ".join(f"{key}: {info.message.strip()}" for key, info in failures if info)
    return DagsterSubprocessError(
        f"Step(s) {keys} failed in {where}: {detail}",
        [info for _, info in failures if info is not None],
    )
