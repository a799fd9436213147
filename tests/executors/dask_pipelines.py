"""The conformance suite's pipelines with the Dask executor added to their modes, rebuilt by name in
every Dask worker (``build_reconstructable_pipeline(__name__, "with_dask", [name])``), and the
pipelines of the tests that kill a worker or interrupt the run for real. ``NP_TEST_DIR`` is where
solids leave files (pids, markers) for the tests to read."""

from __future__ import annotations

import functools
import os
import signal
import time
from typing import Any

from notebook_pipelines import (
    InputDefinition,
    ModeDefinition,
    PipelineDefinition,
    default_executors,
    pipeline,
    solid,
)
from notebook_pipelines.executors.dask import dask_executor
from notebook_pipelines.testing import suite_pipelines
from notebook_pipelines.testing.executor_suite import with_executor

DASK_MODE = ModeDefinition(executor_defs=[*default_executors, dask_executor])


@functools.cache
def with_dask(name: str) -> PipelineDefinition:
    """``suite_pipelines.<name>`` whose every mode also offers the ``dask`` executor (or one of
    this module's pipelines, which have it already)."""
    own = globals().get(name)
    if isinstance(own, PipelineDefinition):
        return own
    base: PipelineDefinition = getattr(suite_pipelines, name)
    return with_executor(base, dask_executor)


def _mark(name: str) -> None:
    folder = os.environ.get("NP_TEST_DIR")
    if folder:
        with open(os.path.join(folder, name), "w") as file:
            file.write(str(os.getpid()))


@solid
def killed(_context: Any) -> int:
    _mark(f"killed-{os.getpid()}")  # a second attempt would leave a second file
    os.kill(os.getpid(), signal.SIGKILL)
    return 1


@solid
def independent(_context: Any) -> int:
    time.sleep(0.3)
    return 1


@solid(input_defs=[InputDefinition("value")])
def after_killed(_context: Any, value: int) -> int:
    return value + 1


@solid(input_defs=[InputDefinition("value")])
def after_independent(_context: Any, value: int) -> int:
    return value + 1


@pipeline(mode_defs=[DASK_MODE])
def dying_pipeline() -> None:
    after_killed(killed())
    after_independent(independent())


@solid
def sleeper(_context: Any) -> int:
    _mark(f"sleeping-{os.getpid()}")
    time.sleep(60)
    return 1


@solid(input_defs=[InputDefinition("value")])
def after_sleeper(_context: Any, value: int) -> int:
    return value + 1


@pipeline(mode_defs=[DASK_MODE])
def sleeping_pipeline() -> None:
    after_sleeper(sleeper())
    independent()


@solid
def stops_in_debugger(context: Any) -> int:
    context.pdb.set_trace()
    return 1


@solid
def calls_breakpoint(_context: Any) -> int:
    breakpoint()
    return 1


@pipeline(mode_defs=[DASK_MODE])
def debugging_pipeline() -> None:
    stops_in_debugger()
    calls_breakpoint()


@solid
def fails_at_once(_context: Any) -> int:
    raise ValueError("fails at once")


@solid
def slow(_context: Any) -> int:
    time.sleep(0.5)  # still running when the other step fails
    return 1


@solid(input_defs=[InputDefinition("value")])
def after_slow(_context: Any, value: int) -> int:
    return value + 1


@pipeline(mode_defs=[DASK_MODE])
def stop_after_failure_pipeline() -> None:
    fails_at_once()
    after_slow(slow())
