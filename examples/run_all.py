"""Execute the example notebooks headless, each in a fresh kernel, and keep the executed copies.

    python examples/run_all.py [--out build/examples] [NOTEBOOK ...]      (or: make demo)

Every notebook of this folder (``examples/*.ipynb``, in name order; or the ones named) runs in a new
kernel of the Python that runs this script (its ``python3`` kernel), with this folder as the working
directory, as in JupyterLab. Cells tagged ``skip-in-tests`` (cells that need a person, e.g. a
debugger prompt) are not run. The executed notebooks, outputs included, are written to ``--out``;
a notebook that fails is written too, up to the failing cell, and the others still run. They are
signed as ``jupyter trust`` would (the notary database in the user's Jupyter data folder), so that
JupyterLab opens them trusted and draws their DAGs and run widgets (kept in the notebook's widget
state); an unsigned copy still shows each run as the widget's static HTML summary. The runs go
to the run history in ``$NOTEBOOK_PIPELINES_HOME`` (default ``~/.notebook_pipelines``).

Exit status 0 when every notebook ran to its end, 1 otherwise. ``tests/test_examples.py`` and
``tests/test_binder.py`` use :func:`execute_notebook` and this script.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import zmq
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat.sign import NotebookNotary
from traitlets.config import Config

EXAMPLES = Path(__file__).resolve().parent
SKIP_TAG = "skip-in-tests"


@dataclass
class Executed:
    """A notebook after it ran: the notebook with its outputs, the time it took, its error."""

    path: Path
    notebook: nbformat.NotebookNode
    seconds: float
    error: str | None


def example_notebooks() -> list[Path]:
    """The example notebooks, in name order (``examples/*.ipynb``; not the notebooks that the
    examples run as solids, which live in ``examples/notebooks/``)."""
    return sorted(EXAMPLES.glob("*.ipynb"))


def _encrypted_kernels() -> Config:
    """The kernels' traffic encrypted (CurveZMQ keys provisioned by the kernel manager, where the
    kernel declares support, as ipykernel does): the kernel then does not warn that it runs over
    TCP without encryption."""
    config = Config()
    config.KernelManager.transport_encryption = "auto" if zmq.has("curve") else "disabled"
    return config


def execute_notebook(path: Path, timeout: int = 300) -> Executed:
    """Run ``path`` in a fresh kernel with the examples folder as working directory, skipping the
    cells tagged ``skip-in-tests``. Errors are returned, not raised."""
    notebook = nbformat.read(path, as_version=4)
    kernel = notebook.metadata.get("kernelspec", {}).get("name", "python3")
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name=kernel,
        resources={"metadata": {"path": str(EXAMPLES)}},
        skip_cells_with_tag=SKIP_TAG,
        config=_encrypted_kernels(),
    )
    started = time.monotonic()
    error = None
    try:
        client.execute()
    except CellExecutionError as exc:
        error = str(exc)
    return Executed(path, notebook, time.monotonic() - started, error)


def write_signed(notebook: nbformat.NotebookNode, path: Path) -> None:
    """Write ``notebook`` to ``path`` and sign it as ``jupyter trust`` does (the notary database
    of the user's Jupyter data folder, ``$JUPYTER_DATA_DIR``): Lab then trusts its outputs."""
    nbformat.write(notebook, path)
    NotebookNotary().sign(nbformat.read(path, as_version=4))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path("build/examples"), help="where to write them"
    )
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: all of examples/")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    failed = []
    for path in args.notebooks or example_notebooks():
        print(f"== {path.name}", flush=True)
        done = execute_notebook(path.resolve())
        write_signed(done.notebook, args.out / path.name)
        if done.error is None:
            print(f"   ran in {done.seconds:.1f}s -> {args.out / path.name}", flush=True)
        else:
            failed.append(path.name)
            print(f"   FAILED after {done.seconds:.1f}s -> {args.out / path.name}", flush=True)
            print(done.error, file=sys.stderr, flush=True)
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
