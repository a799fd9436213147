"""Compute-log capture: what capturing each step's stdout/stderr costs per step.

A chain of N solids (default 200) whose solids print nothing, or print one line each, run in
process on an instance whose storages are in memory, so the difference between the rows is the
capture alone:

    no capture      instance typed ephemeral (the engine does no capture work)
    python level    instance typed persistent, capture of sys.stdout/sys.stderr only
    fd + python     instance typed persistent, the default: fds 1/2 through pipes as well

While timed, fds 1 and 2 point at a temporary file (no terminal cost, the same for every row).
The instance root is a temporary folder under --root (default: this folder; /tmp can be a slow
file system, which would measure the file system rather than the capture).

    python bench/bench_compute_logs.py [--steps 200] [--reps 15] [--root DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import notebook_pipelines as api
from notebook_pipelines.storage.compute_logs import ComputeLogManager
from notebook_pipelines.storage.event_log import InMemoryEventLogStorage
from notebook_pipelines.storage.instance import DagsterInstance, InstanceType
from notebook_pipelines.storage.runs import InMemoryRunStorage

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def chain(size: int, prints: bool) -> Any:
    @api.solid
    def source(_context: Any) -> int:
        if prints:
            print("source ran")
        return 0

    @api.solid
    def add_one(_context: Any, x: int) -> int:
        if prints:
            print(f"add_one got {x}")
        return x + 1

    @api.pipeline(name=f"chain_{size}_{'print' if prints else 'quiet'}")
    def the_chain() -> None:
        value = source()
        for i in range(1, size):
            value = add_one.alias(f"add_one_{i}")(value)

    return the_chain


@contextlib.contextmanager
def std_fds_to_file() -> Iterator[None]:
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, copy in zip((1, 2), saved, strict=True):
                os.dup2(copy, fd)
                os.close(copy)


def time_runs(
    pipeline: Any, instance_type: InstanceType, fd_level: bool, reps: int, root_parent: str
) -> float:
    """Seconds of one run: the fastest of ``reps`` (the least disturbed by a busy machine)."""
    samples = []
    with tempfile.TemporaryDirectory(dir=root_parent, prefix=".compute_logs_bench-") as root:
        for _ in range(reps):
            instance = DagsterInstance(
                InMemoryRunStorage(),
                InMemoryEventLogStorage(),
                root,
                instance_type=instance_type,
            )
            instance.compute_log_manager = ComputeLogManager(instance, fd_level=fd_level)
            gc.collect()
            with std_fds_to_file():
                t0 = time.perf_counter()
                result = api.execute_pipeline(pipeline, run_config=QUIET, instance=instance)
                elapsed = time.perf_counter() - t0
            assert result.success
            samples.append(elapsed)
    return min(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--root", default=os.path.dirname(os.path.abspath(__file__)))
    args = parser.parse_args()
    rows = [
        ("no capture", InstanceType.EPHEMERAL, True),
        ("python level", InstanceType.PERSISTENT, False),
        ("fd + python", InstanceType.PERSISTENT, True),
    ]
    print(f"chain of {args.steps} steps, fastest of {args.reps} runs, µs per step")
    print(f"{'':14}{'quiet':>12}{'overhead':>10}{'one line':>12}{'overhead':>10}")
    with std_fds_to_file():
        for prints in (False, True):
            api.execute_pipeline(chain(args.steps, prints), run_config=QUIET)  # warm up
    base: dict[bool, float] = {}
    for label, instance_type, fd_level in rows:
        cells = []
        for prints in (False, True):
            per_step = (
                time_runs(chain(args.steps, prints), instance_type, fd_level, args.reps, args.root)
                / args.steps
                * 1e6
            )
            base.setdefault(prints, per_step)
            cells.append(f"{per_step:12.1f}{per_step - base[prints]:+10.1f}")
        print(f"{label:14}{''.join(cells)}")


if __name__ == "__main__":
    main()
