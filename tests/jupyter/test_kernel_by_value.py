"""Real notebooks in real kernels (nbclient): pipelines written with plain ``@solid`` cells (and
mixed with ``%%solid`` cells) leave the kernel by value — under the multiprocess executor with a
notebook-defined mode, resource, composite, hook, ``configured`` solid and class, and under Dask —
worker tracebacks show the cell's lines, and what cannot leave the kernel is named before the run."""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = [pytest.mark.slow, pytest.mark.kernel]

DEFINITIONS = (
    "import os\n"
    "from notebook_pipelines import (ModeDefinition, composite_solid, configured,\n"
    "    execute_pipeline, pipeline, resource, solid, success_hook)\n"
    "class Box:\n    def __init__(self, v):\n        self.v = v\n"
    "FACTOR = 3\n"
    "def triple(v):\n    return v * FACTOR\n"
    "def half(v):\n    return v // 2\n"
)

MULTIPROCESS_CELLS = [
    "%load_ext notebook_pipelines",
    DEFINITIONS + "@resource(config_schema={'start': int})\n"
    "def numbers(init_context):\n    return list(range(init_context.resource_config['start'], 5))\n"
    "@solid(required_resource_keys={'numbers'})\n"
    "def load(context) -> list:\n    return [triple(n) for n in context.resources.numbers]\n"
    "@solid(config_schema={'k': int})\n"
    "def scale(context, xs: list) -> Box:\n"
    "    return Box([x * context.solid_config['k'] for x in xs])\n"
    "scale_by_ten = configured(scale, name='scale_by_ten')({'k': 10})\n"
    "@composite_solid\ndef prepare(xs: list) -> Box:\n    return scale_by_ten(xs)\n"
    "@success_hook\ndef noted(context):\n    context.log.info('NOTED ' + context.solid.name)\n",
    "%%solid --outputs total pid\n"
    "def finish(context, box):\n    return half(sum(box.v)), os.getpid()\n",
    "@pipeline(mode_defs=[ModeDefinition(resource_defs={'numbers': numbers})])\n"
    "def everything():\n    finish(prepare.with_hooks({noted})(load()))\n"
    "config = {'execution': {'multiprocess': {}},\n"
    "          'resources': {'numbers': {'config': {'start': 2}}}}\n"
    "result = execute_pipeline(everything, run_config=config)\n"
    "finish_result = result.result_for_solid('finish')\n"
    "box = result.result_for_solid('prepare').output_value()\n"
    "print('MULTI', result.success, isinstance(box, Box), box.v,\n"
    "      finish_result.output_value('total'), finish_result.output_value('pid') != os.getpid())",
    "@solid\ndef boom(context):\n    x = 1\n    raise ValueError('kaboom from the cell')\n"
    "@pipeline\ndef failing():\n    boom()\n"
    "failed = execute_pipeline(failing, run_config={'execution': {'multiprocess': {}}},\n"
    "                          raise_on_error=False)\n"
    "print('TRACEBACK', failed.result_for_solid('boom').failure_data.error.to_string())",
    "import threading\nguard = threading.Lock()\n"
    "def locked():\n    with guard:\n        return 1\n"
    "@solid\ndef uses_lock(context):\n    return locked()\n"
    "@solid\ndef uses_typo(context):\n    return tripel(1)\n"
    "@pipeline\ndef bad_lock():\n    uses_lock()\n"
    "@pipeline\ndef bad_name():\n    uses_typo()\n"
    "for bad in (bad_lock, bad_name):\n"
    "    try:\n"
    "        execute_pipeline(bad, run_config={'execution': {'multiprocess': {}}})\n"
    "    except Exception as exc:\n"
    "        print('REFUSED', type(exc.__cause__).__name__, exc)\n",
]

DASK_CELLS = [
    "%load_ext notebook_pipelines",
    DEFINITIONS
    + "@solid\ndef load(context) -> Box:\n    return Box([triple(n) for n in range(4)])\n",
    "%%solid\ndef total(context, box) -> int:\n    return half(sum(box.v))\n",
    "from notebook_pipelines import default_executors\n"
    "from notebook_pipelines.executors.dask import dask_executor\n"
    "@pipeline(mode_defs=[ModeDefinition(executor_defs=default_executors + [dask_executor])])\n"
    "def dask_pipe():\n    total(load())\n"
    "run_config = {'execution': {'dask': {'config': {'cluster': {'local': {'n_workers': 1}}}}}}\n"
    "result = execute_pipeline(dask_pipe, run_config=run_config)\n"
    "print('DASK', result.success, result.result_for_solid('total').output_value())",
]


def _run_notebook(cells: list[str], home: Path) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    env = {
        **os.environ,
        "NOTEBOOK_PIPELINES_HOME": str(home),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(home)}}
    )
    client.km = client.km or client.create_kernel_manager()
    client.execute(env=env)
    return "".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", []))


def test_plain_solid_pipelines_leave_the_kernel_under_multiprocess(tmp_path: Path) -> None:
    text = _run_notebook(MULTIPROCESS_CELLS, tmp_path)
    assert "MULTI True True [60, 90, 120] 135 True" in text, text
    assert "NOTED scale_by_ten" in text, text
    traceback = text[text.index("TRACEBACK") :]
    # The worker's traceback shows the line of the notebook cell that raised.
    assert re.search(r'File "[^"]*ipykernel_\d+[^"]*", line 4, in boom', traceback), traceback
    assert "raise ValueError('kaboom from the cell')" in traceback, traceback
    assert (
        'REFUSED DagsterInvariantViolationError The "multiprocess" executor' in text
        and 'solid "uses_lock" uses the notebook variable "guard" (lock) through locked()' in text
    ), text
    assert 'solid "uses_typo" uses the name "tripel"' in text, text


@pytest.mark.dask
def test_mixed_pipeline_leaves_the_kernel_under_dask(tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    text = _run_notebook(DASK_CELLS, tmp_path)
    assert "DASK True 9" in text, text
