"""Engine benchmark: notebook-pipelines against its peers, in one run, with ratios.

Workloads (bench/harness.py): chains of 10, 100 and 1000 solids (each returns its input + 1) and a
fan-out of 100 solids between one source and one fan-in solid, run in process with the default
ephemeral instance. Ours run in this process through `notebook_pipelines.execute_pipeline`; the
peers (Dagster 0.9.22, the reference, and Dagster 1.x) run the same workloads in their own virtual
environments (bench/peers/setup.sh creates them) through bench/peers/*_engine.py.

Persistent workloads ("pchain", issue 3): the chains of 10, 100 and 1000 on a persistent instance,
`DagsterInstance.local_temp(folder)` (SQLite run and event storage), with the intermediates on the
file system: run config `intermediate_storage: {filesystem: {}}` for ours and Dagster 0.9.22,
`resources={"io_manager": FilesystemIOManager()}` for Dagster 1.x (whose `execute_in_process` would swap
its default filesystem io manager for the in-memory one); after every run the harness checks that
the intermediate files are on disk. The peers run them only up to N = --peer-pchain-max (100 by
default): Dagster 0.9 costs about 100 ms per step there, so one chain of 1000 would take over a
minute and a half. bench/bench_persistent.py breaks our persistent cost down further (per event
written, ephemeral against SQLite instance).

Also measured: the cost of importing each package in a fresh interpreter.

    python bench/bench_engine.py               # ours and every peer whose environment exists
    python bench/bench_engine.py --peers-only  # the peers alone (no notebook_pipelines needed)
    python bench/bench_engine.py --sizes pchain:10,pchain:100,pchain:1000  # persistent only
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import asdict
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

import harness
import solids_workloads

HERE = Path(__file__).resolve().parent
PEERS = [
    # label, virtual environment, script
    ("dagster 0.9", HERE / "peers" / ".venv-dagster09", HERE / "peers" / "dagster09_engine.py"),
    ("dagster 1.x", HERE / "peers" / ".venv-dagster1", HERE / "peers" / "dagster1_engine.py"),
]

TARGET_MS_PER_STEP = 0.1  # at N = 1000
TARGET_GROWTH = 1.3  # ms/step at N = 1000 over ms/step at N = 10
TARGET_IMPORT_S = 0.15  # `import notebook_pipelines`, timed around the import in a fresh process
TARGET_PERSISTENT_MS_PER_STEP = 1.0  # pchain (SQLite instance, filesystem intermediates), N = 1000
PEER_PCHAIN_MAX = 100  # default cap on the peers' pchain sizes (--peer-pchain-max)


def load_ours() -> Any:
    """notebook_pipelines, or exit with a clear message when its engine is not there yet."""
    try:
        import notebook_pipelines
    except ImportError as error:
        raise SystemExit(
            f"bench: cannot import notebook_pipelines ({error}).\n"
            "Install it (make setup) or measure the peers alone: bench_engine.py --peers-only"
        ) from error
    if not callable(getattr(notebook_pipelines, "execute_pipeline", None)):
        raise SystemExit(
            "bench: notebook_pipelines.execute_pipeline does not exist yet (the engine has not "
            "landed).\nMeasure the peers alone with: bench_engine.py --peers-only"
        )
    return notebook_pipelines


def measure_ours(args: argparse.Namespace) -> dict[str, Any]:
    api = load_ours()
    print("bench: measuring ours ...", flush=True)
    figures = harness.run_workloads(
        partial(solids_workloads.build, api),
        partial(solids_workloads.run, api),
        solids_workloads.result_of,
        args.reps,
        args.budget,
        harness.parse_sizes(args.sizes),
    )
    return {
        "label": "ours",
        "engine": "notebook-pipelines",
        "version": getattr(api, "__version__", None) or metadata.version("notebook-pipelines"),
        "figures": [asdict(f) for f in figures],
        "import": harness.import_time(sys.executable, "notebook_pipelines", args.import_runs),
    }


def measure_peer(
    label: str, venv: Path, script: Path, args: argparse.Namespace
) -> dict[str, Any] | None:
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"bench: {label}: no environment at {venv} (run bench/peers/setup.sh); skipped")
        return None
    print(f"bench: measuring {label} ...", flush=True)
    command = [str(python), str(script), "--reps", str(args.reps), "--budget", str(args.budget)]
    sizes = peer_sizes(args.sizes, args.peer_pchain_max)
    if not sizes:
        print(f"bench: {label}: no workload left after --peer-pchain-max; skipped")
        return None
    command += ["--sizes", sizes]
    if args.dir:
        command += ["--dir", str(args.dir)]
    # The peer's stderr (import warnings, anything its loggers print outside the timed runs) goes
    # to a file, never to the terminal; it is shown only if the peer fails.
    with tempfile.TemporaryFile(mode="w+") as err:
        done = subprocess.run(
            command, stdout=subprocess.PIPE, stderr=err, text=True, env=harness.clean_env()
        )
        err.seek(0)
        stderr_text = err.read()
    if done.returncode != 0:
        print(f"bench: {label} failed (exit {done.returncode}); its stderr ends with:")
        print("\n".join(stderr_text.splitlines()[-15:]))
        return None
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    data["label"] = label
    data["subprocess_stderr_bytes"] = len(stderr_text.encode())
    data["import"] = harness.import_time(str(python), "dagster", args.import_runs)
    return data


def peer_sizes(sizes: str, pchain_max: int) -> str:
    """`sizes` without the pchain workloads larger than `pchain_max` (0: no cap)."""
    kept = [
        f"{kind}:{size}"
        for kind, size in harness.parse_sizes(sizes)
        if kind != "pchain" or not pchain_max or size <= pchain_max
    ]
    return ",".join(kept)


def ms(value: float) -> str:
    return f"{value:.4f}" if value < 0.1 else f"{value:.3f}" if value < 10 else f"{value:.1f}"


def report(
    ours: dict[str, Any] | None, peers: list[dict[str, Any]], args: argparse.Namespace
) -> None:
    engines = ([ours] if ours else []) + peers
    if not engines:
        print("bench: nothing was measured")
        return
    print()
    where = f"{args.dir or tempfile.gettempdir()} ({harness.filesystem_of(args.dir)})"
    print(
        f"Engine benchmark: in process; python {platform.python_version()}, {os.cpu_count()} "
        "cores. Medians; ms per step = median seconds\nper run / steps. "
        "Ratio = peer / ours (how many times faster ours is).\n"
        "chain, fanout: default ephemeral instance, intermediates in memory.\n"
        "pchain: persistent SQLite instance (DagsterInstance.local_temp, one per workload) and "
        f"filesystem\nintermediates, under {where}."
    )
    header = f"{'workload':<12}{'steps':>6}"
    for engine in engines:
        name = f"{engine['label']} ({engine['version']})"
        header += f" | {name:>26}"
        if ours and engine is not ours:
            header += f" {'ratio':>7}"
    print()
    print(header)
    print(
        f"{'':<18}"
        + "".join(
            f" | {'ms/step   s/run  reps':>26}" + (f" {'':>7}" if ours and e is not ours else "")
            for e in engines
        )
    )
    print("-" * len(header))
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    for engine in engines:
        for figure in engine["figures"]:
            rows.setdefault(figure["workload"], {})[engine["label"]] = figure
    for workload, by_engine in rows.items():
        steps = next(iter(by_engine.values()))["steps"]
        line = f"{workload:<12}{steps:>6}"
        for engine in engines:
            figure = by_engine.get(engine["label"])
            if figure is None:
                line += f" | {'-':>26}"
            else:
                cell = f"{ms(figure['ms_per_step'])} {figure['median_s']:>7.3f} {figure['reps']:>5}"
                line += f" | {cell:>26}"
            if ours and engine is not ours:
                ours_figure = by_engine.get("ours")
                if figure and ours_figure:
                    line += f" {figure['ms_per_step'] / ours_figure['ms_per_step']:>6.1f}x"
                else:
                    line += f" {'-':>7}"
        print(line)
    if peers and args.peer_pchain_max:
        capped = [n for k, n in harness.parse_sizes(args.sizes) if k == "pchain"]
        if any(n > args.peer_pchain_max for n in capped):
            print(
                f"  The peers ran pchain only up to N = {args.peer_pchain_max} (--peer-pchain-max, "
                "0 lifts the cap): at ~100 ms/step\n  Dagster 0.9 would take minutes per run "
                "at N = 1000 ('-' above)."
            )
    print_persistent(ours, peers)
    print()
    print("Import, fresh interpreter, medians in seconds:")
    print(f"  {'':<32}{'import':>9}{'process':>9}{'baseline':>10}{'net':>8}   ratio")
    for engine in engines:
        imp = engine["import"]
        ratio = ""
        if ours and engine is not ours:
            ratio = f"{imp['import_s'] / ours['import']['import_s']:.1f}x"
        module = "notebook_pipelines" if engine is ours else "dagster"
        print(
            f"  {engine['label'] + ': import ' + module:<32}{imp['import_s']:>9.3f}"
            f"{imp['process_s']:>9.3f}{imp['baseline_s']:>10.3f}{imp['net_s']:>8.3f}   {ratio}"
        )
    print(
        "  import = time around the import statement inside the process (the target applies to "
        "this one);\n  process = wall time of `python -c 'import X'`; baseline = of "
        "`python -c pass`; net = process - baseline."
    )
    print()
    print(
        "Console logs: every engine ran with its console logger at CRITICAL (run config\n"
        "loggers.console.config.log_level) and with stderr (fd 2) sent to a file while a run was\n"
        "timed, never to the terminal. Bytes that still reached stderr during timed runs:"
    )
    for engine in engines:
        extra = ""
        if "subprocess_stderr_bytes" in engine:
            extra = (
                f"; the peer's whole stderr was redirected to a file, not shown "
                f"({engine['subprocess_stderr_bytes']} bytes outside timed runs)"
            )
        total = sum(f["stderr_bytes"] for f in engine["figures"])
        print(f"  {engine['label']}: {total}{extra}")
    if ours:
        print_targets(ours)


def print_persistent(ours: dict[str, Any] | None, peers: list[dict[str, Any]]) -> None:
    """The persistent figures (issue 3) and their ratio to each peer, also across sizes when the
    peers stopped short of our largest chain."""
    if not ours:
        return
    mine = {f["steps"]: f for f in ours["figures"] if f["workload"].startswith("pchain ")}
    if not mine:
        return
    largest = mine[max(mine)]
    print()
    print(
        "Persistent (SQLite instance, filesystem intermediates), ms per step; ratio = peer / ours:"
    )
    print(f"  ours at N = {largest['steps']}: {ms(largest['ms_per_step'])} ms/step")
    for peer in peers:
        theirs = {f["steps"]: f for f in peer["figures"] if f["workload"].startswith("pchain ")}
        parts = []
        for n in sorted(theirs):
            figure = theirs[n]
            if n in mine:
                ratio = figure["ms_per_step"] / mine[n]["ms_per_step"]
                parts.append(f"N = {n}: {ms(figure['ms_per_step'])} ({ratio:.0f}x)")
        if theirs and max(theirs) < largest["steps"]:
            top = theirs[max(theirs)]
            ratio = top["ms_per_step"] / largest["ms_per_step"]
            parts.append(f"N = {max(theirs)} against ours at N = {largest['steps']}: {ratio:.0f}x")
        print(f"  {peer['label']}: " + ("; ".join(parts) if parts else "not measured"))
    print(
        "  Breakdown of ours (us per event written, SQLite against ephemeral instance): "
        "python bench/bench_persistent.py"
    )


def print_targets(ours: dict[str, Any]) -> None:
    by_workload = {f["workload"]: f for f in ours["figures"]}
    print()
    print("Targets (printed, not asserted):")
    persistent = by_workload.get("pchain 1000")
    if persistent:
        value = persistent["ms_per_step"]
        met = "met" if value <= TARGET_PERSISTENT_MS_PER_STEP else "NOT met"
        print(
            f"  <= {TARGET_PERSISTENT_MS_PER_STEP} ms/step at N = 1000, persistent (pchain): "
            f"{ms(value)} ms/step -> {met}"
        )
    big, small = by_workload.get("chain 1000"), by_workload.get("chain 10")
    if big:
        value = big["ms_per_step"]
        met = "met" if value <= TARGET_MS_PER_STEP else "NOT met"
        print(f"  <= {TARGET_MS_PER_STEP} ms/step at N = 1000: {ms(value)} ms/step -> {met}")
    if big and small:
        growth = big["ms_per_step"] / small["ms_per_step"]
        met = "met" if growth <= TARGET_GROWTH else "NOT met"
        print(f"  ms/step at N = 1000 within {TARGET_GROWTH}x of N = 10: {growth:.2f}x -> {met}")
    value = ours["import"]["import_s"]
    met = "met" if value < TARGET_IMPORT_S else "NOT met"
    print(f"  import notebook_pipelines < {TARGET_IMPORT_S} s: {value:.3f} s -> {met}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    harness.add_common_arguments(parser)
    parser.add_argument("--peers-only", action="store_true", help="do not measure ours")
    parser.add_argument("--no-peers", action="store_true", help="measure ours only")
    parser.add_argument("--import-runs", type=int, default=7, help="fresh interpreters per import")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument(
        "--peer-pchain-max",
        type=int,
        default=PEER_PCHAIN_MAX,
        help="largest pchain the peers run (default: %(default)s; 0: no cap)",
    )
    args = parser.parse_args()
    harness.parse_sizes(args.sizes)  # fail early on a bad --sizes
    harness.PERSISTENT_BASE_DIR = args.dir

    ours = None if args.peers_only else measure_ours(args)
    peers = []
    if not args.no_peers:
        for label, venv, script in PEERS:
            measured = measure_peer(label, venv, script, args)
            if measured:
                peers.append(measured)
    report(ours, peers, args)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"ours": ours, "peers": peers}, indent=2) + "\n")
        print(f"\nbench: figures written to {args.json}")


if __name__ == "__main__":
    main()
