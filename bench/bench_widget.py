"""Widget overhead benchmark (issue 5): a 200-step in-process run in a real kernel, with the live run
widget showing and without it; target: with the widget at most 1.5x the time without.

The kernel is a real ipykernel (jupyter_client), so every widget message is really serialised and
sent over ZeroMQ, as in JupyterLab (with no browser attached, nothing waits for a front end, as
Lab never makes the kernel wait either). Inside the kernel, after ``%load_ext notebook_pipelines``,
``execute_pipeline`` is timed around the call; ``session.configure(widget=...)`` switches the widget
on and off. Two configurations:

- ``session``: the notebook's defaults (home instance: SQLite history, outputs on disk);
- ``ephemeral``: ``instance=DagsterInstance.ephemeral()`` (in-memory: the fastest run, where the
  widget's fixed costs weigh most).

The first run of each configuration is a warm-up (imports, graphviz's first start); the figure is the
median of the others, interleaved with and without the widget.

    python bench/bench_widget.py [--reps 7] [--steps 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import start_new_kernel

ROOT = Path(__file__).resolve().parents[1]

SETUP = """
%load_ext notebook_pipelines
import json, time
from notebook_pipelines import DagsterInstance, execute_pipeline, lambda_solid, pipeline
from notebook_pipelines.jupyter import session

@lambda_solid
def start() -> int:
    return 0

@lambda_solid
def step(x: int) -> int:
    return x + 1

@pipeline
def chain():
    x = start()
    for i in range({steps} - 1):
        x = step.alias(f"s{{i}}")(x)

QUIET = {{"loggers": {{"console": {{"config": {{"log_level": "CRITICAL"}}}}}}}}

def timed(widget, ephemeral):
    session.configure(widget=widget)
    instance = DagsterInstance.ephemeral() if ephemeral else None
    t0 = time.perf_counter()
    result = execute_pipeline(chain, run_config=QUIET, instance=instance)
    elapsed = time.perf_counter() - t0
    assert result.success
    if widget:
        w = session.last_widget()
        assert w.run_id == result.run_id and w.status == "SUCCESS", (w.run_id, w.status)
        assert w.progress["done"] == {steps}, w.progress
    return elapsed
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="np-bench-widget-")
    env = {**os.environ, "NOTEBOOK_PIPELINES_HOME": home, "PYTHONPATH": str(ROOT)}
    km, kc = start_new_kernel(kernel_name="python3", env=env, cwd=home)
    try:
        run(kc, SETUP.format(steps=args.steps))
        print(f"widget overhead: {args.steps}-step chain, in process, real kernel")
        print(f"{'config':<10} {'no widget':>12} {'widget':>12} {'ratio':>7}  (target <= 1.5x)")
        for config, ephemeral in (("session", False), ("ephemeral", True)):
            times: dict[bool, list[float]] = {False: [], True: []}
            for rep in range(args.reps + 1):
                for widget in (False, True):
                    t = float(run(kc, f"print(json.dumps(timed({widget}, {ephemeral})))"))
                    if rep:  # the first round warms up
                        times[widget].append(t)
            off, on = statistics.median(times[False]), statistics.median(times[True])
            print(f"{config:<10} {off * 1000:>9.1f} ms {on * 1000:>9.1f} ms {on / off:>6.2f}x")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run(kc: object, code: str) -> str:
    """Execute ``code`` in the kernel; its stdout (errors raise)."""
    out: list[str] = []

    def hook(msg: dict) -> None:
        if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("\n".join(msg["content"]["traceback"]))

    reply = kc.execute_interactive(code, timeout=300, output_hook=hook)  # type: ignore[attr-defined]
    if reply["content"]["status"] != "ok":
        sys.exit(f"kernel error in {code[:60]!r}:\n{''.join(out)}")
    return "".join(out).strip().splitlines()[-1] if out else ""


if __name__ == "__main__":
    main()
