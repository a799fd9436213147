"""Persistent-instance benchmark: what the SQLite instance costs the engine (ours only).

The headline figures, ours against the peers with their ratios, come from bench_engine.py (its
"pchain" workloads, the same chain, instance and run config as here); this script is the
breakdown behind ours.

Measured in this process, interleaved so that machine noise hits every variant alike:

1. ``handle_new_event`` throughput: the 6 002 records of a real chain-1000 run (filesystem
   intermediates) replayed into a fresh run of a SQLite instance (``DagsterInstance.local_temp``)
   and, for comparison, of an ephemeral instance; microseconds per event (median of the reps).
2. The chain workload through ``execute_pipeline`` with filesystem intermediates, on an ephemeral
   instance and on a persistent SQLite instance; milliseconds per step (median), and the share
   the SQLite instance adds.

Target (issue 3): at most 1 ms per step at N = 1000 with the persistent instance.

    python bench/bench_persistent.py [--sizes chain:100,chain:1000] [--reps 5] [--dir DIR]

``--dir`` puts the instances under DIR (default: the system temporary folder); the file system
matters, since every step writes an intermediate file.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from typing import Any

import harness
import solids_workloads

import notebook_pipelines as api
from notebook_pipelines.events import EventRecord

TARGET_MS_PER_STEP = 1.0
FS_RUN_CONFIG: dict[str, Any] = harness.PERSISTENT_RUN_CONFIG  # the pchain workloads' config


def replay_records(size: int) -> list[EventRecord]:
    """The records of one chain run with filesystem intermediates."""
    instance = api.DagsterInstance.ephemeral()
    pipeline = solids_workloads.build(api, "chain", size)
    result = api.execute_pipeline(pipeline, run_config=FS_RUN_CONFIG, instance=instance)
    assert result.success
    return instance.all_logs(result.run_id)


def time_handle_new_event(instance: api.DagsterInstance, records: list[EventRecord]) -> float:
    """Microseconds per ``handle_new_event`` for ``records`` moved into a fresh run."""
    run = instance.create_run("chain")
    moved = [
        EventRecord(
            run.run_id,
            r.timestamp,
            r.level,
            r.user_message,
            r.pipeline_name,
            r.step_key,
            r.dagster_event,
            r.error_info,
        )
        for r in records
    ]
    gc.collect()
    start = time.perf_counter()
    for record in moved:
        instance.handle_new_event(record)
    flush = getattr(instance.event_log_storage, "flush", None)
    if flush is not None:
        flush()  # everything committed
    return (time.perf_counter() - start) / len(moved) * 1e6


def time_chain(pipeline: Any, instance: api.DagsterInstance, size: int) -> float:
    """Milliseconds per step of one run."""
    gc.collect()
    start = time.perf_counter()
    result = api.execute_pipeline(pipeline, run_config=FS_RUN_CONFIG, instance=instance)
    elapsed = time.perf_counter() - start
    assert result.success
    return elapsed * 1000 / size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="chain:100,chain:1000")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--dir", default=None, help="folder for the instances")
    args = parser.parse_args()
    sizes = [size for kind, size in harness.parse_sizes(args.sizes) if kind == "chain"]

    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        persistent = api.DagsterInstance.local_temp(f"{folder}/persistent")
        ephemeral = api.DagsterInstance.ephemeral(f"{folder}/ephemeral")

        records = replay_records(1000)
        per_event: dict[str, list[float]] = {"sqlite": [], "ephemeral": []}
        for _ in range(args.reps):
            per_event["sqlite"].append(time_handle_new_event(persistent, records))
            per_event["ephemeral"].append(time_handle_new_event(ephemeral, records))
        sqlite_us = statistics.median(per_event["sqlite"])
        memory_us = statistics.median(per_event["ephemeral"])
        print(f"handle_new_event, {len(records)} records of a chain-1000 run:")
        print(f"  sqlite     {sqlite_us:7.1f} us/event")
        print(f"  ephemeral  {memory_us:7.1f} us/event")

        print("\nchain, filesystem intermediates (median ms/step):")
        print(f"  {'N':>5}  {'ephemeral':>9}  {'sqlite':>9}  {'sqlite adds':>11}  target")
        for size in sizes:
            pipeline = solids_workloads.build(api, "chain", size)
            time_chain(pipeline, persistent, size)  # warm up both
            time_chain(pipeline, ephemeral, size)
            samples: dict[str, list[float]] = {"sqlite": [], "ephemeral": []}
            for _ in range(args.reps):
                samples["sqlite"].append(time_chain(pipeline, persistent, size))
                samples["ephemeral"].append(time_chain(pipeline, ephemeral, size))
            sqlite_ms = statistics.median(samples["sqlite"])
            memory_ms = statistics.median(samples["ephemeral"])
            verdict = "ok" if sqlite_ms <= TARGET_MS_PER_STEP else "OVER"
            print(
                f"  {size:>5}  {memory_ms:9.3f}  {sqlite_ms:9.3f}  {sqlite_ms - memory_ms:11.3f}"
                f"  <= {TARGET_MS_PER_STEP} {verdict}"
            )
        persistent.dispose()
        ephemeral.dispose()


if __name__ == "__main__":
    main()
