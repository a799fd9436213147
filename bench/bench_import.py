"""Import benchmark: `import notebook_pipelines` against `import dagster` of the peers, with ratios.

What is measured: the time around the import statement inside a fresh interpreter (the figure
the import target is about), the median over --runs interpreters; also the wall time of the whole
`python -c "import X"` process and of `python -c pass` (the interpreter's own start), so that
`net` = process - baseline. Every interpreter is new, so nothing is imported yet; the bytecode
cache is warm: one run before the timed ones writes the `__pycache__` files, and the environment
of the measured processes has no PYTHONDONTWRITEBYTECODE (with it set, as on some machines, every
import compiles its source again and the figure roughly doubles; --no-bytecode measures that case
on purpose). The benchmark says so if the cache could not be written (a read-only checkout).

Peers: Dagster 0.9.22 (the reference) and Dagster 1.x, each from its own virtual environment
under bench/peers/ (bench/peers/setup.sh, run by `make bench`); a peer whose environment is
missing is skipped, saying so.

    python bench/bench_import.py              # ours and every peer whose environment exists
    python bench/bench_import.py --runs 31    # more interpreters per figure
    python bench/bench_import.py --importtime # and ours' slowest imports (python -X importtime)
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import harness

HERE = Path(__file__).resolve().parent
PEERS = [
    # label, virtual environment
    ("dagster 0.9", HERE / "peers" / ".venv-dagster09"),
    ("dagster 1.x", HERE / "peers" / ".venv-dagster1"),
]
TARGET_IMPORT_S = 0.06  # `import notebook_pipelines`, inside the process, bytecode cached

TIMED = (
    "import time, sys\n"
    "t = time.perf_counter()\n"
    "import {module}\n"
    "sys.stdout.write(repr(time.perf_counter() - t))\n"
)


def environment(no_bytecode: bool) -> dict[str, str]:
    env = harness.clean_env()  # without PYTHONDONTWRITEBYTECODE
    if no_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def measure(python: str, module: str, runs: int, env: dict[str, str]) -> dict[str, float]:
    """Medians (and the spread of the inner figure) over `runs` fresh interpreters, in seconds."""

    def wall(code: str) -> tuple[float, str]:
        t0 = time.perf_counter()
        done = subprocess.run(
            [python, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        return time.perf_counter() - t0, done.stdout

    code = TIMED.format(module=module)
    wall(code)  # writes the bytecode cache, warms the file system
    inner, process, baseline = [], [], []
    for _ in range(runs):
        elapsed, out = wall(code)
        process.append(elapsed)
        inner.append(float(out))
        baseline.append(wall("pass")[0])
    med = statistics.median
    return {
        "import_s": med(inner),
        "min_s": min(inner),
        "max_s": max(inner),
        "process_s": med(process),
        "baseline_s": med(baseline),
        "net_s": med(process) - med(baseline),
    }


def bytecode_cached(python: str, env: dict[str, str]) -> bool:
    """Whether notebook_pipelines' __init__ has its __pycache__ file (after the warm-up run)."""
    probe = (
        "import importlib.util, os, notebook_pipelines as m\n"
        "print(os.path.exists(importlib.util.cache_from_source(m.__file__)))"
    )
    done = subprocess.run([python, "-c", probe], capture_output=True, text=True, env=env)
    return done.stdout.strip() == "True"


def modules_loaded(python: str, module: str, env: dict[str, str]) -> int:
    code = (
        f"import sys; before = len(sys.modules); import {module}; print(len(sys.modules) - before)"
    )
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env)
    return int(done.stdout.strip() or 0)


def slowest_imports(python: str, env: dict[str, str], count: int = 15) -> list[tuple[int, str]]:
    """The modules with the largest cumulative time under `python -X importtime` (microseconds)."""
    done = subprocess.run(
        [python, "-X", "importtime", "-c", "import notebook_pipelines"],
        capture_output=True,
        text=True,
        env=env,
    )
    rows = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _self, cumulative, name = line.split(":", 1)[1].split("|")
            if cumulative.strip().isdigit():
                rows.append((int(cumulative), name.rstrip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh interpreters per figure")
    parser.add_argument(
        "--no-bytecode", action="store_true", help="with PYTHONDONTWRITEBYTECODE=1 (no cache)"
    )
    parser.add_argument("--importtime", action="store_true", help="show ours' slowest imports")
    args = parser.parse_args()
    env = environment(args.no_bytecode)
    if importlib.util.find_spec("notebook_pipelines") is None:
        raise SystemExit("bench: notebook_pipelines is not installed here (make setup)")

    results: list[tuple[str, str, dict[str, Any], int]] = []
    print(f"bench: import notebook_pipelines ({args.runs} fresh interpreters) ...", flush=True)
    ours = measure(sys.executable, "notebook_pipelines", args.runs, env)
    results.append(
        (
            "ours",
            "notebook_pipelines",
            ours,
            modules_loaded(sys.executable, "notebook_pipelines", env),
        )
    )
    if not args.no_bytecode and not bytecode_cached(sys.executable, env):
        print("bench: NOTE: the bytecode cache of notebook_pipelines could not be written here;")
        print("       the figures include compiling the sources")
    for label, venv in PEERS:
        python = venv / "bin" / "python"
        if not python.exists():
            print(f"bench: {label}: no environment at {venv} (run bench/peers/setup.sh); skipped")
            continue
        check = subprocess.run([str(python), "-c", "import dagster"], capture_output=True, env=env)
        if check.returncode != 0:
            print(f"bench: {label}: `import dagster` fails in {venv}; skipped")
            continue
        print(f"bench: import dagster in {label} ...", flush=True)
        figures = measure(str(python), "dagster", args.runs, env)
        results.append((label, "dagster", figures, modules_loaded(str(python), "dagster", env)))

    cache = (
        "no bytecode cache (PYTHONDONTWRITEBYTECODE=1)" if args.no_bytecode else "bytecode cached"
    )
    print()
    print(f"Import time, in a fresh interpreter, {cache}; medians of {args.runs} runs (seconds)")
    print(
        f"  {'':<34}{'import':>8}{'min':>8}{'max':>8}{'process':>9}{'net':>8}{'modules':>9}   ratio"
    )
    for label, module, fig, modules in results:
        ratio = "1.0x" if label == "ours" else f"{fig['import_s'] / ours['import_s']:.1f}x"
        print(
            f"  {label + ': import ' + module:<34}{fig['import_s']:>8.3f}{fig['min_s']:>8.3f}"
            f"{fig['max_s']:>8.3f}{fig['process_s']:>9.3f}{fig['net_s']:>8.3f}{modules:>9}   {ratio}"
        )
    print(
        "  import = around the import statement inside the process (the target is about this one);"
        "\n  process = wall time of `python -c 'import X'`; net = process - `python -c pass`"
        f" ({ours['baseline_s']:.3f} s here); modules = entries it adds to sys.modules;"
        "\n  ratio = the peer's import over ours."
    )
    if not args.no_bytecode:
        met = "met" if ours["import_s"] <= TARGET_IMPORT_S else "NOT met"
        print(
            f"  target: import notebook_pipelines <= {TARGET_IMPORT_S} s: {ours['import_s']:.3f} s -> {met}"
        )
    if args.importtime:
        print("\nOurs' slowest imports (python -X importtime, cumulative, one run):")
        for cumulative, name in slowest_imports(sys.executable, env):
            print(f"  {cumulative / 1000:>7.1f} ms {name}")


if __name__ == "__main__":
    os.chdir(HERE)  # never measure a notebook_pipelines folder of the current directory
    main()
