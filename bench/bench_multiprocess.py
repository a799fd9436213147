"""Multiprocess executor benchmark: chain of 8, fan-out of 8, 4 x 1 s of CPU, on 2 workers.

Each figure is the wall time of one whole `execute_pipeline` call (starting the worker pool
included), median of `--reps` runs, on a persistent local instance made outside the timing.
Targets (issue 4): chain <= 0.5 s, fan-out <= 0.6 s, 4 x 1 s CPU <= 2.3 s on 2 cores.

Peers, each when its venv exists (bench/peers/setup.sh makes them): the reference (Dagster 0.9.22,
`bench/peers/dagster09_multiprocess.py` in `bench/peers/.venv-dagster09`, the same workload module
with `dagster` as the API) and Dagster 1.x (`bench/peers/dagster1_multiprocess.py` in
`bench/peers/.venv-dagster1`: the same shapes as ops and jobs, `execute_job(reconstructable(job),
instance)` with the multiprocess executor, max_concurrent 2, once per start method of
`--dagster1-start-methods`, spawn and forkserver by default). Peers' figures are medians of
`--peer-reps` runs each; ratio = peer / ours. Each peer runs in a subprocess of its own with the
console logger at CRITICAL and its whole stderr captured (never shown unless it fails; its size is
printed below the table).

    .venv/bin/python bench/bench_multiprocess.py [--reps 5] [--peer-reps 1]
        [--dagster1-start-methods spawn,forkserver]
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

import harness  # noqa: E402

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


def run_peer(venv: str, script: str, arguments: list[str]) -> tuple[dict | None, str]:
    """Run a peer script in its venv; its JSON (or None) and a line about what happened."""
    python = BENCH / "peers" / venv / "bin" / "python"
    if not python.exists():
        return None, f"no environment at bench/peers/{venv} (run bench/peers/setup.sh)"
    done = subprocess.run(
        [str(python), str(BENCH / "peers" / script), *arguments],
        cwd=BENCH,
        capture_output=True,
        text=True,
        env=harness.clean_env(),
    )
    if done.returncode != 0:
        tail = "\n    ".join(done.stderr.splitlines()[-15:])
        return None, f"failed (exit {done.returncode}); its stderr ends with:\n    {tail}"
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return data, f"stderr captured, not shown: {len(done.stderr.encode())} bytes"


def peer_cell(samples: list[float] | None, ours: float) -> str:
    if not samples:
        return f" {'n/m':>19} {'':>7}"
    median = statistics.median(samples)
    return f" {median:>19.2f} {median / ours:>6.1f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument(
        "--peer-reps", type=int, default=None, help="runs per peer (default: --reps; 0: no peers)"
    )
    parser.add_argument("--dagster1-start-methods", default="spawn,forkserver")
    args = parser.parse_args()
    if args.peer_reps is None:
        args.peer_reps = args.reps  # like with like: as many runs, and their median, for each
    ours = {name: measure(name, args.reps) for name in TARGETS}
    # (header, figures) per peer column; a peer that is absent or fails keeps its column as n/m.
    columns: list[tuple[str, dict[str, list[float]]]] = []
    notes: list[str] = []
    if args.peer_reps > 0:
        reps = str(args.peer_reps)
        data, note = run_peer(".venv-dagster09", "dagster09_multiprocess.py", [reps, *TARGETS])
        columns.append(("0.9.22", data["figures"] if data else {}))
        notes.append(f"Dagster {data['version'] if data else '0.9.22'}: {note}")
        methods = [m for m in args.dagster1_start_methods.split(",") if m]
        data, note = run_peer(
            ".venv-dagster1", "dagster1_multiprocess.py", [reps, ",".join(methods), *TARGETS]
        )
        version = data["version"] if data else "1.x"
        for method in methods:
            figures = data["figures"].get(method, {}) if data else {}
            columns.append((f"{version.rsplit('.', 1)[0]} {method}", figures))
        notes.append(f"Dagster {version} (spawn/forkserver = executor start_method): {note}")
    header = f"{'workload':<10} {'ours (s)':>9} {'min':>7} {'target':>7} {'':<6}"
    header += "".join(f" {title + ' (s)':>19} {'ratio':>7}" for title, _ in columns)
    print(header)
    for name, target in TARGETS.items():
        median = statistics.median(ours[name])
        verdict = "ok" if median <= target else "MISSED"
        row = f"{name:<10} {median:>9.3f} {min(ours[name]):>7.3f} {target:>6.1f}s {verdict:<6}"
        row += "".join(peer_cell(figures.get(name), median) for _, figures in columns)
        print(row)
    print(f"ours: median and min of {args.reps} runs; peers: median of {args.peer_reps} run(s).")
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
