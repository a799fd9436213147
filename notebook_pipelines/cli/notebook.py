"""``notebook batch`` and ``notebook show``: papermill batch runs and executed notebooks, against
the persistent instance.

- ``notebook batch NOTEBOOK --grid params.yaml [--parallel N] [--out DIR]`` runs the notebook once
  per parameter set (the file holds a grid — a mapping of lists — or a list of mappings) and prints
  the summary table; ``notebook batch --rerun-failed RUN_ID`` re-executes the sets of a batch run
  that failed. Exit code 0 when every set succeeded, 1 otherwise.
- ``notebook show RUN_ID STEP_KEY`` prints the path of the notebook a notebook solid's step
  executed (``--text``: its cells and their text outputs).
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from ..batch import EXECUTORS, NotebookBatchResult, rerun_failed_sets, run_notebook_batch
from ..errors import DagsterInvariantViolationError
from ..notebooks.protocol import executed_notebook_path
from .arguments import argument_type, positive_int
from .pipeline_commands import open_instance
from .steps import find_run


def register(groups: Any) -> None:
    """Add the ``notebook`` command group to the parser's command groups."""
    group = groups.add_parser("notebook", help="papermill batch runs and executed notebooks")
    commands = group.add_subparsers(dest="command", metavar="COMMAND", required=True)

    batch = commands.add_parser(
        "batch",
        help="run a notebook over a grid of parameters (one run, one notebook per set)",
        description="Run NOTEBOOK once per parameter set as one pipeline run, keep every "
        "executed notebook under the instance, and print one row per set. Exit code 0 if every "
        "set succeeded, 1 otherwise.",
    )
    batch.add_argument("notebook", nargs="?", metavar="NOTEBOOK", help="the .ipynb to run")
    batch.add_argument(
        "--grid",
        metavar="PARAMS.yaml",
        help="YAML/JSON file: a grid ({alpha: [0.1, 0.5], n: [10, 100]} → 4 sets) or a list of sets",
    )
    batch.add_argument(
        "--parallel",
        type=argument_type(positive_int),
        metavar="N",
        help="run up to N sets at once in worker processes (default: one after the other)",
    )
    batch.add_argument(
        "--executor", choices=EXECUTORS, help="in_process, multiprocess or dask (default: by N)"
    )
    batch.add_argument("--out", metavar="DIR", help="also copy each executed notebook to DIR")
    batch.add_argument(
        "--kernel", metavar="NAME", help="the Jupyter kernel (default: the notebook's)"
    )
    batch.add_argument(
        "--fresh-kernels",
        action="store_true",
        help="start a new kernel for every set instead of reusing (reset) warm ones",
    )
    batch.add_argument(
        "--rerun-failed",
        metavar="RUN_ID",
        help="re-execute the sets of this batch run that did not succeed",
    )
    batch.add_argument("--json", action="store_true", help="print the rows as JSON")
    batch.set_defaults(handler=run_batch)

    show = commands.add_parser(
        "show", help="the executed notebook of a notebook solid's step in a run"
    )
    show.add_argument("run_id", metavar="RUN_ID", help="the run's id (or a unique prefix of it)")
    show.add_argument("step_key", metavar="STEP_KEY", help="the step, e.g. set_3.compute")
    show.add_argument("--text", action="store_true", help="print its cells and text outputs")
    show.set_defaults(handler=show_notebook)


def run_batch(args: argparse.Namespace) -> int:
    """Run (or re-run the failed sets of) a batch; print the table."""
    executor = args.executor or ("multiprocess" if (args.parallel or 1) > 1 else "in_process")
    with open_instance() as instance:
        if args.rerun_failed:
            run = find_run(instance, args.rerun_failed)
            result = rerun_failed_sets(
                run.run_id,
                instance=instance,
                executor=args.executor or (executor if args.parallel else None),
                max_concurrent=args.parallel,
                output_dir=args.out,
            )
        else:
            if not args.notebook or not args.grid:
                raise DagsterInvariantViolationError(
                    "notebook batch needs NOTEBOOK and --grid PARAMS.yaml (or --rerun-failed "
                    "RUN_ID)."
                )
            result = run_notebook_batch(
                args.notebook,
                args.grid,
                executor=executor,
                max_concurrent=args.parallel,
                output_dir=args.out,
                instance=instance,
                kernel_name=args.kernel,
                warm_kernels=not args.fresh_kernels,
            )
    _print(result, args.json)
    return 0 if result.success else 1


def _print(result: NotebookBatchResult, as_json: bool) -> None:
    if as_json:
        rows = [row.__dict__ for row in result.rows]
        print(json.dumps({"run_id": result.run_id, "rows": rows}, indent=2, default=repr))
        return
    print(result.table())
    ok = len(result.rows) - len(result.failed)
    print(f"\nRun {result.run_id}: {ok}/{len(result.rows)} parameter sets succeeded.")
    if result.failed:
        print(
            "Re-run the failed sets with: notebook-pipelines notebook batch --rerun-failed "
            f"{result.run_id}"
        )


def show_notebook(args: argparse.Namespace) -> int:
    """Print the path (or the text) of a step's executed notebook."""
    with open_instance() as instance:
        run = find_run(instance, args.run_id)
        path = executed_notebook_path(instance.storage_directory(), run.run_id, args.step_key)
    if not os.path.isfile(path):
        raise DagsterInvariantViolationError(
            f'Run {run.run_id} has no executed notebook for step "{args.step_key}" (looked at '
            f"{path}); is it a notebook solid's step, and did it run?"
        )
    if not args.text:
        print(path)
        return 0
    with open(path, encoding="utf-8") as file_obj:
        nb = json.load(file_obj)
    for index, cell in enumerate(nb.get("cells", [])):
        count = cell.get("execution_count")
        label = f"In [{count}]" if cell.get("cell_type") == "code" else cell.get("cell_type")
        print(f"--- cell {index} {label}")
        print("".join(cell.get("source", "")))
        for output in cell.get("outputs", []):
            text = output.get("text") or (output.get("data") or {}).get("text/plain") or ""
            if output.get("output_type") == "error":
                text = f"{output.get('ename')}: {output.get('evalue')}"
            if text:
                print("> " + "".join(text).rstrip().replace("\n", "\n> "))
    return 0
