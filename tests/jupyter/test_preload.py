"""``%%solid`` cells that use notebook names while they are defined (annotations, decorators,
default values), through a real IPython InteractiveShell: the kernel keeps its own objects, a fresh
process (as a worker) gets them from the cell module's preload file."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from IPython.core.interactiveshell import InteractiveShell

from notebook_pipelines import execute_pipeline
from notebook_pipelines.errors import DagsterInvariantViolationError
from notebook_pipelines.jupyter import cell_modules
from notebook_pipelines.jupyter.preload import module_level_reads

from .ipython_shell import run


def test_module_level_reads_are_what_runs_at_definition() -> None:
    source = (
        "import os\n"
        "LIMIT = 3\n"
        "@decorate(LIMIT)\n"
        "def f(context, p: Point = DEFAULT, n: int = 1) -> co.Counter:\n"
        "    return later_name(p, os)\n"
        "class Box:\n"
        "    size: Size = 2\n"
    )
    assert module_level_reads(source) == {"decorate", "Point", "DEFAULT", "co", "Size"}


def test_annotations_with_notebook_classes_and_modules(
    shell: InteractiveShell, tmp_path: Path
) -> None:
    run(
        shell,
        "import collections as co\nclass Point:\n    def __init__(self, x):\n        self.x = x",
    )
    run(shell, "%%solid\ndef make(context) -> Point:\n    return Point(3)")
    run(
        shell,
        "%%solid\ndef count(context, p: Point) -> co.Counter:\n    return co.Counter('x' * p.x)",
    )
    run(
        shell,
        "from notebook_pipelines import pipeline\n@pipeline\ndef points():\n    count(make())",
    )
    result = execute_pipeline(shell.user_ns["points"])
    made = result.result_for_solid("make").output_value()
    assert isinstance(made, shell.user_ns["Point"])  # the notebook's own class, in the kernel
    assert result.result_for_solid("count").output_value() == {"x": 3}

    # a fresh process imports the cell module as a worker does: the preload file provides Point
    (path,) = [
        p
        for p in (tmp_path / "cell_modules").glob(f"{cell_modules.CELL_PREFIX}*.py")
        if "def count" in p.read_text()
    ]
    code = (
        "from notebook_pipelines.jupyter.cell_modules import import_cell_module\n"
        f"m = import_cell_module({str(path)!r})\n"
        "print(m.Point.__name__, m.co.__name__, m.__np_solid__.name)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout.split() == ["Point", "collections", "count"], done.stderr

    multi = execute_pipeline(
        shell.user_ns["points"], run_config={"execution": {"multiprocess": {}}}
    )
    assert multi.success
    assert multi.result_for_solid("count").output_value() == {"x": 3}


def test_a_definition_time_name_that_cannot_be_saved_is_named(shell: InteractiveShell) -> None:
    shell.user_ns["guard"] = threading.Lock()
    result = shell.run_cell("%%solid\ndef locked(context, x: int = guard) -> int:\n    return 1")
    assert isinstance(result.error_in_exec, DagsterInvariantViolationError)
    message = str(result.error_in_exec)
    assert "%%solid locked" in message and "guard" in message and "Import it in the cell" in message
