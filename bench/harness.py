"""Timing harness shared by bench_engine.py and the peers' scripts (standard library only).

Every engine is measured the same way: the workloads below, built once outside the timing, then
executed `reps` times, the same number for every engine (fewer only when a workload exceeds its
time budget; always at least once; the table says how many); we report the median.
While a workload is timed, file descriptor 2 (stderr) points at a temporary file, so no console
log output reaches the terminal or costs terminal time; the number of bytes that landed there is
reported, which shows whether the engine's console logger was really quiet.

The "pchain" workloads are the chain on a persistent instance (SQLite run and event storage in a
folder of its own, made by `persistent_home`) with intermediates on the file system: one instance
per workload, created outside the timing and reused by all its repetitions (as a user's instance
accumulates runs), then disposed of and deleted. After each run the harness checks that the run
really left one intermediate file per step on disk.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

# (kind, size): "chain" is N solids in a line, each returning its input + 1; "fanout" is one source,
# `size` solids reading it, and one fan-in solid taking the list of their outputs; "pchain" is the
# chain on a persistent SQLite instance with filesystem intermediates.
KINDS = ("chain", "fanout", "pchain")
WORKLOADS: list[tuple[str, int]] = [
    ("chain", 10),
    ("chain", 100),
    ("chain", 1000),
    ("fanout", 100),
    ("pchain", 10),
    ("pchain", 100),
    ("pchain", 1000),
]

# Run config that turns the reference's default console logger down to CRITICAL. Dagster 0.9,
# Dagster 1.x and notebook-pipelines all accept it.
QUIET_RUN_CONFIG: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}

# The same, with intermediates on the file system under the instance (the "pchain" workloads of the
# engines with the 0.9 API: Dagster 0.9.22 and notebook-pipelines accept it).
PERSISTENT_RUN_CONFIG: dict[str, Any] = {
    **QUIET_RUN_CONFIG,
    "intermediate_storage": {"filesystem": {}},
}

# Where persistent_home() makes the instances' folders (--dir; None: the system temporary folder).
# The file system matters: every step writes an intermediate file and SQLite rows.
PERSISTENT_BASE_DIR: str | None = None


def steps_in(kind: str, size: int) -> int:
    """Number of steps (solids) the workload runs."""
    return size + 2 if kind == "fanout" else size


def expected_result(kind: str, size: int) -> int:
    """What the last solid returns: the chain starts at 0; the fan-out sums 0 + i over i < size."""
    return sum(range(size)) if kind == "fanout" else size - 1


def persistent_home(size: int) -> str:
    """A new, empty folder for one persistent instance (PersistentWorkload.close deletes it)."""
    return tempfile.mkdtemp(prefix=f"bench-pchain{size}-", dir=PERSISTENT_BASE_DIR)


@dataclass
class PersistentWorkload:
    """What `build` returns for a "pchain": the pipeline (or job) and the instance it runs on."""

    definition: Any
    instance: Any
    home: str

    def close(self) -> None:
        dispose = getattr(self.instance, "dispose", None)
        if callable(dispose):
            dispose()
        shutil.rmtree(self.home, ignore_errors=True)


@dataclass
class PersistentOutcome:
    """What `run` returns for a "pchain": the engine's result and the instance's folder."""

    result: Any
    home: str


def check_intermediates(home: str, run_id: str, size: int) -> None:
    """Fail unless the run left at least `size` intermediate files under `home`/storage/`run_id`.

    All three engines keep a run's files in `storage/<run_id>/` of the instance's folder: the
    intermediates (0.9 API: `intermediates/<step>.compute/result`; Dagster 1.x fs_io_manager:
    `<op>/result`) and the captured compute logs (`compute_logs/`, not counted).
    """
    folder = os.path.join(home, "storage", run_id)
    found = 0
    for _root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != "compute_logs"]
        found += len(files)
    if found < size:
        raise RuntimeError(
            f"pchain {size}: expected {size} intermediate files under {folder}, found {found}: "
            "the run did not use filesystem intermediates"
        )


def filesystem_of(path: str | None) -> str:
    """The file system type holding `path` (default: the temporary folder), from /proc/mounts."""
    target = os.path.realpath(path or tempfile.gettempdir())
    best, kind = "", "unknown"
    try:
        with open("/proc/mounts") as mounts:
            for line in mounts:
                parts = line.split()
                if len(parts) < 3:
                    continue
                point = parts[1]
                inside = target == point or target.startswith(point.rstrip("/") + "/")
                if inside and len(point) > len(best):
                    best, kind = point, parts[2]
    except OSError:
        pass
    return kind


@dataclass
class Figure:
    workload: str
    steps: int
    reps: int
    median_s: float
    min_s: float
    build_s: float
    ms_per_step: float
    stderr_bytes: int
    samples_s: list[float] = field(default_factory=list)


@contextlib.contextmanager
def stderr_to_file() -> Iterator[list[int]]:
    """Point fd 2 (where sys.stderr writes) at a temporary file; yields a list that gets its size."""
    size: list[int] = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield size
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            size.append(os.fstat(sink.fileno()).st_size)


def measure(
    kind: str,
    size: int,
    build: Callable[[str, int], Any],
    run: Callable[[Any], object],
    result_of: Callable[[object, str, int], object],
    reps: int,
    budget_s: float,
) -> Figure:
    """Build once, then time `run(built)` up to `reps` times (at least once, at most `budget_s`)."""
    name, steps = f"{kind} {size}", steps_in(kind, size)
    t0 = time.perf_counter()
    built = build(kind, size)
    build_s = time.perf_counter() - t0
    samples: list[float] = []
    stderr_bytes = 0
    while _more(samples, reps, budget_s):
        gc.collect()
        with stderr_to_file() as size_of_stderr:
            t0 = time.perf_counter()
            outcome = run(built)
            elapsed = time.perf_counter() - t0
        stderr_bytes += size_of_stderr[0]
        if isinstance(outcome, PersistentOutcome):
            check_intermediates(outcome.home, outcome.result.run_id, size)
        got = result_of(outcome, kind, size)
        if got != expected_result(kind, size):
            raise RuntimeError(
                f"{name}: expected {expected_result(kind, size)!r} from the last solid, got {got!r}"
            )
        samples.append(elapsed)
    if isinstance(built, PersistentWorkload):
        built.close()
    median = statistics.median(samples)
    return Figure(
        workload=name,
        steps=steps,
        reps=len(samples),
        median_s=median,
        min_s=min(samples),
        build_s=build_s,
        ms_per_step=1000.0 * median / steps,
        stderr_bytes=stderr_bytes,
        samples_s=samples,
    )


def _more(samples: list[float], reps: int, budget_s: float) -> bool:
    """Whether to time one more run: `reps` runs, as many for every engine, within the budget."""
    if not samples:
        return True
    if sum(samples) + samples[-1] > budget_s:
        return False
    return len(samples) < reps


def run_workloads(
    build: Callable[[str, int], Any],
    run: Callable[[Any], object],
    result_of: Callable[[object, str, int], object],
    reps: int,
    budget_s: float,
    workloads: list[tuple[str, int]] | None = None,
) -> list[Figure]:
    """Warm up on a small chain, then measure every workload.

    `build(kind, size)` returns a definition, `run(definition)` executes it, `result_of(outcome,
    kind, size)` returns the final solid's output (None when the run failed).
    """
    workloads = workloads or WORKLOADS
    warm = build("chain", 10)
    for _ in range(3):
        with stderr_to_file():
            run(warm)
    if any(kind == "pchain" for kind, _ in workloads):
        warm = build("pchain", 10)  # the persistent code paths (SQLite, files) once
        for _ in range(2):
            with stderr_to_file():
                run(warm)
        warm.close()
    return [measure(kind, size, build, run, result_of, reps, budget_s) for kind, size in workloads]


def import_time(python: str, module: str, runs: int = 7) -> dict[str, float]:
    """Import cost of `module` in fresh interpreters, medians in seconds.

    `import_s`: time around `import module` inside the process (what the import target means);
    `process_s`: wall time of `python -c "import module"`; `baseline_s`: of `python -c pass`;
    `net_s` = process_s - baseline_s.
    """
    code = (
        "import time, sys\n"
        "t = time.perf_counter()\n"
        f"import {module}\n"
        "sys.stdout.write(repr(time.perf_counter() - t))\n"
    )

    def wall(args: list[str]) -> tuple[float, str]:
        t0 = time.perf_counter()
        done = subprocess.run(
            [python, *args], capture_output=True, text=True, check=True, env=clean_env()
        )
        return time.perf_counter() - t0, done.stdout

    wall(["-c", code])  # warm the bytecode cache and the file system
    inner, process, baseline = [], [], []
    for _ in range(runs):
        elapsed, out = wall(["-c", code])
        process.append(elapsed)
        inner.append(float(out))
        baseline.append(wall(["-c", "pass"])[0])
    med = statistics.median
    return {
        "import_s": med(inner),
        "process_s": med(process),
        "baseline_s": med(baseline),
        "net_s": med(process) - med(baseline),
    }


def clean_env() -> dict[str, str]:
    """The environment for a measured subprocess, ours and the peers' alike: no DAGSTER_HOME, no
    inherited PYTHONPATH, and no PYTHONDONTWRITEBYTECODE (set on some machines: without the
    bytecode cache every import compiles, which is not what users see)."""
    env = dict(os.environ)
    for key in ("DAGSTER_HOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONDONTWRITEBYTECODE"):
        env.pop(key, None)
    return env


def peer_main(
    engine: str,
    version: str,
    build: Callable[[str, int], Any],
    run: Callable[[Any], object],
    result_of: Callable[[object, str, int], object],
) -> None:
    """Command line of a peer script: measure, print one JSON object on stdout."""
    parser = argparse.ArgumentParser(description=f"Engine benchmark on {engine}")
    add_common_arguments(parser)
    args = parser.parse_args()
    global PERSISTENT_BASE_DIR
    PERSISTENT_BASE_DIR = args.dir
    figures = run_workloads(build, run, result_of, args.reps, args.budget, parse_sizes(args.sizes))
    json.dump(
        {
            "engine": engine,
            "version": version,
            "python": sys.version.split()[0],
            "figures": [asdict(f) for f in figures],
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reps", type=int, default=7, help="repetitions per workload (median)")
    parser.add_argument(
        "--budget",
        type=float,
        default=30.0,
        help="seconds a workload may take before repetitions stop (at least one is made)",
    )
    parser.add_argument(
        "--sizes",
        default=",".join(f"{k}:{n}" for k, n in WORKLOADS),
        help="workloads as kind:size, comma-separated (default: %(default)s)",
    )
    parser.add_argument(
        "--dir",
        default=None,
        help="folder for the pchain workloads' instances (default: the system temporary folder)",
    )


def parse_sizes(text: str) -> list[tuple[str, int]]:
    workloads = []
    for item in text.split(","):
        kind, _, size = item.strip().partition(":")
        if kind not in KINDS or not size.isdigit() or int(size) < 1:
            raise SystemExit(f"bad workload {item!r}: expected chain:N, fanout:N or pchain:N")
        workloads.append((kind, int(size)))
    return workloads
