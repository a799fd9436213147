"""Pipelines for the multiprocess executor's tests, at the top level of an importable module so
worker processes rebuild them. ``NP_TEST_IMPORT_LOG`` (when set) names a file every import of this
module appends its pid to: that is how the tests count pipeline loads per worker. ``NP_TEST_DIR``
is where solids leave files (pids, markers) for the tests to read."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from notebook_pipelines import InputDefinition, pipeline, solid

if os.environ.get("NP_TEST_IMPORT_LOG"):
    with open(os.environ["NP_TEST_IMPORT_LOG"], "a") as _log:
        _log.write(f"{os.getpid()}\n")


def _mark(name: str) -> None:
    folder = os.environ.get("NP_TEST_DIR")
    if folder:
        with open(os.path.join(folder, name), "w") as file:
            file.write(str(os.getpid()))


@solid
def killed(_context: Any) -> int:
    os.kill(os.getpid(), signal.SIGKILL)
    return 1


@solid
def exits(_context: Any) -> int:
    os._exit(3)


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


@pipeline
def dying_pipeline() -> None:
    after_killed(killed())
    exits()
    after_independent(independent())


@solid
def sleeper(_context: Any) -> int:
    _mark(f"sleeping-{os.getpid()}")
    time.sleep(60)
    return 1


@solid
def sleeper_two(_context: Any) -> int:
    _mark(f"sleeping-{os.getpid()}")
    time.sleep(60)
    return 1


@pipeline
def sleeping_pipeline() -> None:
    sleeper()
    sleeper_two()


@solid
def one(_context: Any) -> int:
    return 1


@solid(input_defs=[InputDefinition("value")])
def add_one(_context: Any, value: int) -> int:
    return value + 1


@pipeline
def chain_pipeline() -> None:
    add_one.alias("d")(add_one.alias("c")(add_one.alias("b")(add_one.alias("a")(one()))))


@solid
def boom(_context: Any) -> int:
    raise ValueError("boom in a worker")


@pipeline
def failing_pipeline() -> None:
    boom()
    after_independent(independent())
