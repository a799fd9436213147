"""A script that runs a pipeline of one notebook solid whose cell sleeps for a minute, for the tests
that stop such a run from outside (Ctrl-C, ``kill -9``). The cell writes its kernel's pid into a
file ``kernel-<pid>`` of ``$NP_TEST_DIR`` when it starts sleeping."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_CELL = """import os, time
with open(os.path.join(os.environ["NP_TEST_DIR"], f"kernel-{os.getpid()}"), "w") as f:
    f.write(str(os.getpid()))
time.sleep(60)
"""

_SCRIPT = """
import sys
from notebook_pipelines import DagsterInstance, define_notebook_solid, execute_pipeline, pipeline

if __name__ == "__main__":
    notebook, home, warm = sys.argv[1], sys.argv[2], sys.argv[3] == "warm"
    sleeps = define_notebook_solid("sleeps", notebook, warm_kernel=warm)

    @pipeline
    def notebook_sleeps():
        sleeps()

    try:
        execute_pipeline(notebook_sleeps, instance=DagsterInstance.local_temp(home))
    except KeyboardInterrupt:
        sys.exit(130)
"""


def write_sleeping_run(folder: Path) -> tuple[Path, Path, Path]:
    """Write the notebook (a ``parameters`` cell, then the sleeping cell) and the script into
    ``folder``; return the script, the notebook and the (empty) folder for the cell's mark."""
    import nbformat

    notebook = folder / "sleeps.ipynb"
    nb = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell("")
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, nbformat.v4.new_code_cell(_CELL)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, str(notebook))
    marks = folder / "marks"
    marks.mkdir()
    script = folder / "run.py"
    script.write_text(_SCRIPT)
    return script, notebook, marks
