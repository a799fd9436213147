"""The multiprocess benchmark's pipelines, at module level so worker processes rebuild them:
a chain of 8 trivial steps, a fan-out of 8 (source, 8 branches, fan-in), and 4 independent steps
each burning about 1 s of CPU. Written against the 0.9 API: the module named by the environment
variable ``MP_BENCH_API`` (``notebook_pipelines`` by default, ``dagster`` for the reference peer)
provides the names; worker processes inherit the variable, so they rebuild the same pipelines."""

import importlib
import os
import time

_api = importlib.import_module(os.environ.get("MP_BENCH_API", "notebook_pipelines"))
InputDefinition, List, pipeline, solid = _api.InputDefinition, _api.List, _api.pipeline, _api.solid

CPU_SECONDS = 1.0


@solid
def source(_context) -> int:
    return 0


@solid(input_defs=[InputDefinition("x")])
def add_one(_context, x: int) -> int:
    return x + 1


@solid(input_defs=[InputDefinition("xs", List[int])])
def total(_context, xs: list) -> int:
    return sum(xs)


@solid
def burn(_context) -> int:
    end = time.process_time() + CPU_SECONDS
    n = 0
    while time.process_time() < end:
        n += 1
    return n


@pipeline
def chain_8():
    value = source()
    for i in range(8):
        value = add_one.alias(f"add_{i}")(value)


@pipeline
def fanout_8():
    start = source()
    total([add_one.alias(f"branch_{i}")(start) for i in range(8)])


@pipeline
def cpu_4x1s():
    for i in range(4):
        burn.alias(f"burn_{i}")()
