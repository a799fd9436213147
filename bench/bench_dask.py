"""Dask executor benchmark: the chain of 8 trivial steps and the fan-out of 8 (one source, 8 steps
reading it, one fan-in) on a local Dask cluster of 2 worker processes, measured after the cluster
is up (target of issue 4: the chain of 8 in at most 1.5 s).

The cluster is started once (its start-up time is printed apart); every run connects to it with
``cluster: {existing: {address}}``, as a notebook user with a running cluster would. The first run of
each workload is printed apart ("cold": the workers import the pipeline and set the run up the first
time); the figure is the median of the warm runs. One run with ``cluster: {local: {}}`` (the
executor starts and stops a cluster of its own) is timed too, for reference.

    python bench/bench_dask.py [--reps 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from distributed import LocalCluster

from notebook_pipelines import (
    DagsterInstance,
    ModeDefinition,
    default_executors,
    execute_pipeline,
    lambda_solid,
    pipeline,
    reconstructable,
)
from notebook_pipelines.executors.dask import dask_executor

MODE = ModeDefinition(executor_defs=[*default_executors, dask_executor])
SIZE = 8
CHAIN_TARGET_S = 1.5


@lambda_solid
def source() -> int:
    return 0


@lambda_solid
def add_one(x: int) -> int:
    return x + 1


@lambda_solid
def gather(values: list) -> int:
    return sum(values)


@pipeline(mode_defs=[MODE])
def dask_chain_8() -> None:
    value = source()
    for i in range(SIZE):
        value = add_one.alias(f"add_one_{i}")(value)


@pipeline(mode_defs=[MODE])
def dask_fanout_8() -> None:
    value = source()
    gather([add_one.alias(f"branch_{i}")(value) for i in range(SIZE)])


EXPECTED = {"dask_chain_8": ("add_one_7", SIZE), "dask_fanout_8": ("gather", SIZE)}


def run_once(pipeline_def: Any, cluster: dict[str, Any], instance: DagsterInstance) -> float:
    config = {
        "execution": {"dask": {"config": {"cluster": cluster}}},
        "intermediate_storage": {"filesystem": {}},
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
    }
    start = time.perf_counter()
    result = execute_pipeline(reconstructable(pipeline_def), run_config=config, instance=instance)
    elapsed = time.perf_counter() - start
    solid, value = EXPECTED[pipeline_def.name]
    assert result.success and result.output_for_solid(solid) == value, pipeline_def.name
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="warm runs per workload")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as tmp:
        instance = DagsterInstance.ephemeral(tempdir=tmp)
        start = time.perf_counter()
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
        up = time.perf_counter() - start
        print(f"local cluster (2 worker processes) up in {up:.2f}s")
        existing = {"existing": {"address": cluster.scheduler_address}}
        try:
            for pipeline_def in (dask_chain_8, dask_fanout_8):
                cold = run_once(pipeline_def, existing, instance)
                warm = [run_once(pipeline_def, existing, instance) for _ in range(args.reps)]
                median = statistics.median(warm)
                line = (
                    f"{pipeline_def.name:<14} cold {cold:.3f}s  warm median {median:.3f}s "
                    f"(min {min(warm):.3f}s, max {max(warm):.3f}s, {args.reps} runs)"
                )
                if pipeline_def is dask_chain_8:
                    verdict = "meets" if median <= CHAIN_TARGET_S else "MISSES"
                    line += f"  {verdict} the {CHAIN_TARGET_S}s target"
                print(line)
        finally:
            cluster.close()
        own = run_once(dask_chain_8, {"local": {"n_workers": 2}}, instance)
        print(f"dask_chain_8   with cluster: {{local: {{}}}} (starts its own cluster) {own:.3f}s")


if __name__ == "__main__":
    main()
