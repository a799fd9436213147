"""Multiprocess executor benchmark: chain of 8, fan-out of 8, 4 x 1 s of CPU, on 2 workers.

Each figure is the wall time of one whole `execute_pipeline` call (starting the worker pool
included), median of `--reps` runs, on a persistent local instance made outside the timing.
Targets (issue 4): chain <= 0.5 s, fan-out <= 0.6 s, 4 x 1 s CPU <= 2.3 s on 2 cores.

Peers: the reference (Dagster 0.9.22, `bench/peers/dagster09_multiprocess.py` in
`bench/peers/.venv-dagster09`, the same workload module with `dagster` as the API) when its venv
exists; Dagster 1.x is not measured here yet (its jobs/ops API needs workloads of its own).

    .venv/bin/python bench/bench_multiprocess.py [--reps 5] [--peer-reps 1]
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

TARGETS = {"chain_8": 0.5, "fanout_8": 0.6, "cpu_4x1s": 2.3}
RUN_CONFIG = {
    "execution": {"multiprocess": {"config": {"max_concurrent": 2}}},
    "intermediate_storage": {"filesystem": {}},
    "loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
}


def measure(name: str, reps: int) -> list[float]:
    import mp_workloads

    from notebook_pipelines import DagsterInstance, execute_pipeline, reconstructable

    target = reconstructable(getattr(mp_workloads, name))
    samples = []
    with tempfile.TemporaryDirectory() as home:
        instance = DagsterInstance.local_temp(home)
        for _ in range(reps):
            start = time.perf_counter()
            result = execute_pipeline(target, run_config=RUN_CONFIG, instance=instance)
            samples.append(time.perf_counter() - start)
            assert result.success, name
    return samples


def measure_reference(reps: int) -> dict[str, list[float]]:
    python = BENCH / "peers" / ".venv-dagster09" / "bin" / "python"
    if not python.exists():
        return {}
    script = BENCH / "peers" / "dagster09_multiprocess.py"
    done = subprocess.run(
        [str(python), str(script), str(reps), *TARGETS],
        cwd=BENCH,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])["figures"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--peer-reps", type=int, default=1)
    args = parser.parse_args()
    ours = {name: measure(name, args.reps) for name in TARGETS}
    reference = measure_reference(args.peer_reps) if args.peer_reps > 0 else {}
    print(
        f"{'workload':<10} {'ours (s)':>9} {'min':>7} {'target':>7}         {'0.9.22 (s)':>10} {'ratio':>7}"
    )
    for name, target in TARGETS.items():
        median = statistics.median(ours[name])
        verdict = "ok" if median <= target else "MISSED"
        ref = reference.get(name)
        ref_text = (
            f"{statistics.median(ref):>10.2f} {statistics.median(ref) / median:>6.1f}x"
            if ref
            else f"{'n/m':>10} {'':>7}"
        )
        print(
            f"{name:<10} {median:>9.3f} {min(ours[name]):>7.3f} {target:>6.1f}s {verdict:<6} {ref_text}"
        )
    print("Dagster 1.x: not measured (needs jobs/ops workloads of its own).")


if __name__ == "__main__":
    main()
