"""Notebooks as steps: a trivial notebook solid with a fresh kernel and with the warm-kernel pool,
a papermill batch of 16 parameter sets on 2 workers, against plain papermill and, in the same run,
dagstermill on Dagster 1.x (bench/peers/.venv-dagster1, made by bench/peers/setup.sh).

    .venv/bin/python bench/bench_notebooks.py [--reps 5] [--peer-reps N (default: --reps)]

Workloads (the notebook is bench/notebooks/trivial.ipynb: `x = 1`, then `yield_result(x + 1)`):

- papermill_fresh: `papermill.execute_notebook` alone, a new kernel each time (the floor);
- solid_fresh: `execute_pipeline` of a pipeline holding one `define_notebook_solid` (in process, a
  new kernel per run: what the step adds on top of papermill is the difference);
- solid_warm: the same with `warm_kernel=True` (after one warm-up run that starts the kernel);
- batch16_first / batch16_next: `run_notebook_batch` over 16 sets, multiprocess with 2 workers,
  warm kernels: the first batch of the process (the forkserver imports papermill once) and the
  following ones;
- import_papermill: `import papermill` in a new interpreter (every process that runs notebooks
  pays it once; here 1.4 s of it is jsonschema importing rfc3987_syntax, an optional dependency).

Ours: medians of --reps runs (the in-process figures after papermill is imported). The peer:
dagstermill's op in a job (`execute_job`, in-process executor, fresh kernel per run, the only mode
dagstermill has), median of --peer-reps runs (as many as ours by default) after one that imports
papermill, whole run and its notebook step. dagstermill has only fresh kernels, so its one ratio
(peer / ours) is against our fresh kernel (solid_fresh), never against the warm one.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from bench_multiprocess import run_peer  # noqa: E402

NOTEBOOK = BENCH / "notebooks" / "trivial.ipynb"
TARGETS = {"solid_fresh": 1.2, "solid_warm": 0.35, "batch16_next": 4.0}
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def timed(fn, reps: int) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def _one_solid_pipeline(name: str, definition: object) -> object:
    from notebook_pipelines import pipeline

    @pipeline(name=name)
    def one() -> None:
        definition()  # type: ignore[operator]

    return one


def measure(reps: int) -> dict[str, list[float]]:
    import papermill

    from notebook_pipelines import (
        DagsterInstance,
        OutputDefinition,
        define_notebook_solid,
        execute_pipeline,
        run_notebook_batch,
    )

    figures: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as home:
        out = Path(home) / "out.ipynb"
        figures["papermill_fresh"] = timed(
            lambda: papermill.execute_notebook(str(NOTEBOOK), str(out), progress_bar=False), reps
        )
        instance = DagsterInstance.local_temp(Path(home) / "instance")
        for name, warm in (("solid_fresh", False), ("solid_warm", True)):
            trivial = define_notebook_solid(
                "trivial", NOTEBOOK, output_defs=[OutputDefinition(int)], warm_kernel=warm
            )

            one = _one_solid_pipeline(name, trivial)

            def run(one: object = one) -> None:
                result = execute_pipeline(one, run_config=QUIET, instance=instance)
                assert result.result_for_solid("trivial").output_value() == 2

            if warm:
                run()  # starts the warm kernel
            figures[name] = timed(run, reps)

        def batch() -> None:
            result = run_notebook_batch(
                NOTEBOOK,
                [{"x": i} for i in range(16)],
                executor="multiprocess",
                max_concurrent=2,
                instance=instance,
            )
            assert result.success and result.rows[15].values == {"result": 16}

        figures["batch16_first"] = timed(batch, 1)
        figures["batch16_next"] = timed(batch, max(1, reps // 2))
        instance.dispose()
    figures["import_papermill"] = timed(
        lambda: subprocess.run([sys.executable, "-c", "import papermill"], check=True), 1
    )
    return figures


def main() -> None:
    warnings.simplefilter("ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument(
        "--peer-reps", type=int, default=None, help="peer runs (default: --reps; 0: no peer)"
    )
    args = parser.parse_args()
    if args.peer_reps is None:
        args.peer_reps = args.reps
    ours = measure(args.reps)
    peer: dict[str, list[float]] = {}
    note = "not run (--peer-reps 0)"
    if args.peer_reps > 0:
        # one more run than measured: the first imports papermill (ours does so before timing)
        data, note = run_peer(".venv-dagster1", "dagster1_notebooks.py", [str(args.peer_reps + 1)])
        if data:
            peer = data["figures"]
            note = f"Dagster {data['version']}, dagstermill {data['dagstermill']}: {note}"
    peer_run = (
        statistics.median(peer["notebook_op_run"][1:] or peer["notebook_op_run"]) if peer else None
    )
    peer_step = (
        statistics.median(peer["notebook_op_step"][1:] or peer["notebook_op_step"])
        if peer
        else None
    )
    print(
        f"{'workload':<17} {'ours (s)':>9} {'min':>7} {'target':>8}  {'dagstermill run':>15} {'ratio':>6}"
    )
    for name, samples in ours.items():
        median = statistics.median(samples)
        target = TARGETS.get(name)
        verdict = "" if target is None else ("ok" if median <= target else "MISSED")
        target_text = f"{target:.2f}s" if target is not None else "-"
        row = f"{name:<17} {median:>9.3f} {min(samples):>7.3f} {target_text:>8} {verdict:<6}"
        if name == "solid_fresh" and peer_run is not None:  # fresh against fresh
            row += f" {peer_run:>9.2f} {peer_run / median:>5.1f}x"
        print(row)
    if peer_step is not None:
        print(f"dagstermill notebook step alone (STEP_START to STEP_SUCCESS): {peer_step:.2f} s")
    print(f"ours: median and min of {args.reps} runs (batch16_next: {max(1, args.reps // 2)}).")
    print(
        f"peer: {note}; run figure = median of {args.peer_reps} runs after the first (which "
        "imports papermill). dagstermill starts a fresh kernel for every run (it has no warm "
        "ones): its ratio is against solid_fresh only."
    )


if __name__ == "__main__":
    main()
