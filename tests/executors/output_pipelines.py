"""Pipelines whose steps write to stdout and stderr in every way a step can, for the multiprocess
output tests (top level of an importable module, so worker processes rebuild them). ``NP_TEST_DIR``
is where the ``waits`` step looks for the file that lets it finish."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from notebook_pipelines import InputDefinition, ModeDefinition, pipeline, resource, solid


@resource
def noisy(_init_context: Any) -> int:
    print("resource is starting")
    return 1


@solid(required_resource_keys={"noisy"})
def talks(_context: Any) -> int:
    print("print to stdout")
    print("print to stderr", file=sys.stderr)
    os.write(1, b"os.write to fd 1\n")
    os.write(2, b"os.write to fd 2\n")
    sys.stdout.write("no newline at the end")
    return 1


@solid(input_defs=[InputDefinition("value")])
def adds_one(context: Any, value: int) -> int:
    print("first line\nsecond line")
    context.log.info("a log record")
    return value + 1


@pipeline(mode_defs=[ModeDefinition(resource_defs={"noisy": noisy})])
def talking_pipeline() -> None:
    adds_one(talks())


@solid
def waits(_context: Any) -> int:
    print("waiting for the parent")
    release = os.path.join(os.environ["NP_TEST_DIR"], "release")
    deadline = time.monotonic() + 30
    while not os.path.exists(release):
        if time.monotonic() > deadline:
            raise RuntimeError("the parent never saw the line")
        time.sleep(0.02)
    print("released")
    return 1


@pipeline
def waiting_pipeline() -> None:
    waits()
