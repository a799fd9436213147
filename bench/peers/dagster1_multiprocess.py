"""The multiprocess workloads of bench/mp_workloads.py on Dagster 1.x (jobs and ops), run with
bench/peers/.venv-dagster1 by bench_multiprocess.py.

    python dagster1_multiprocess.py REPS START_METHODS WORKLOAD...   (START_METHODS: "spawn,forkserver")

The same three shapes in today's vocabulary: a chain of 8 trivial steps (a source and 8 `add_one`
aliases), a fan-out of 8 (source, 8 branches, a fan-in `total`) and 4 independent steps each burning
about 1 s of CPU. Each job names `multiprocess_executor` explicitly; the run config gives
`max_concurrent: 2`, the start method (`spawn: {}` or `forkserver: {}`, the latter with the
executor's default preload) and the console logger at CRITICAL. Each figure is the wall time of
one `execute_job(reconstructable(job), instance)` call; the job's default io manager (the filesystem
one, under the instance's storage folder) keeps the intermediates, as a multiprocess run needs.
One `DagsterInstance.local_temp(folder)` serves every run (made outside the timing), with telemetry
off so nothing is written under the home folder. Prints one JSON object on stdout:
{"version": ..., "figures": {start_method: {workload: [seconds, ...]}}}; stderr is left alone here
and bench_multiprocess.py captures it (never shown unless the script fails).

The `__main__` guard is required: the spawned step processes re-import this file (reconstructable
points at it by path) and must not start a benchmark of their own.
"""

import json
import sys
import tempfile
import time

import dagster

CPU_SECONDS = 1.0


@dagster.op
def source() -> int:
    return 0


@dagster.op
def add_one(x: int) -> int:
    return x + 1


@dagster.op
def total(xs: list) -> int:
    return sum(xs)


@dagster.op
def burn() -> int:
    end = time.process_time() + CPU_SECONDS
    n = 0
    while time.process_time() < end:
        n += 1
    return n


@dagster.job(executor_def=dagster.multiprocess_executor)
def chain_8() -> None:
    value = source()
    for i in range(8):
        value = add_one.alias(f"add_{i}")(value)


@dagster.job(executor_def=dagster.multiprocess_executor)
def fanout_8() -> None:
    start = source()
    total([add_one.alias(f"branch_{i}")(start) for i in range(8)])


@dagster.job(executor_def=dagster.multiprocess_executor)
def cpu_4x1s() -> None:
    for i in range(4):
        burn.alias(f"burn_{i}")()


JOBS = {"chain_8": chain_8, "fanout_8": fanout_8, "cpu_4x1s": cpu_4x1s}
EXPECTED = {"chain_8": ("add_7", 8), "fanout_8": ("total", 8)}


def run_config(start_method: str) -> dict:
    return {
        "execution": {
            "config": {"max_concurrent": 2, "start_method": {start_method: {}}},
        },
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
    }


def measure(
    instance: dagster.DagsterInstance, name: str, start_method: str, reps: int
) -> list[float]:
    target = dagster.reconstructable(JOBS[name])
    config = run_config(start_method)
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        result = dagster.execute_job(target, instance=instance, run_config=config)
        samples.append(time.perf_counter() - start)
        # Outside the timing: the result has to be entered to read outputs back from the io manager.
        with result:
            assert result.success, (name, start_method)
            if name in EXPECTED:
                node, value = EXPECTED[name]
                assert result.output_for_node(node) == value, (name, start_method)
    return samples


def main() -> None:
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    methods = sys.argv[2].split(",") if len(sys.argv) > 2 else ["spawn"]
    names = sys.argv[3:] or list(JOBS)
    figures: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as home:
        instance = dagster.DagsterInstance.local_temp(
            home, overrides={"telemetry": {"enabled": False}}
        )
        try:
            for method in methods:
                figures[method] = {name: measure(instance, name, method, reps) for name in names}
        finally:
            instance.dispose()
    print(json.dumps({"version": dagster.__version__, "figures": figures}))


if __name__ == "__main__":
    main()
