"""Pipelines with breakpoints for the debugger relay's tests, at the top level of an importable
module so worker processes rebuild them."""

from __future__ import annotations

import os
from typing import Any

from notebook_pipelines import pipeline, solid


@solid
def one(_context: Any) -> int:
    return 1


@solid
def add(context: Any, x: int) -> int:
    y = x + 1
    context.pdb.set_trace()
    z = y * 10
    print("COMPUTED", z)
    return z


@solid
def with_breakpoint(_context: Any, z: int) -> tuple[int, int]:
    w = z + 1
    breakpoint()
    return w, os.getpid()


@pipeline
def stepping() -> None:
    with_breakpoint(add(one()))
