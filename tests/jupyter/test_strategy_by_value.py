"""Notebook pipelines by value (:mod:`notebook_pipelines.jupyter.by_value`) through a real IPython
InteractiveShell: plain ``@solid`` cells and everything else a pipeline holds travel to a fresh
process; what cannot leave the kernel, or a name the notebook lacks, is named before any run;
stale plain ``@solid`` cells warn."""

from __future__ import annotations

import linecache
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from notebook_pipelines import execute_pipeline
from notebook_pipelines.errors import DagsterInvariantViolationError
from notebook_pipelines.jupyter import by_value
from notebook_pipelines.jupyter.cell_modules import StaleSolidWarning
from notebook_pipelines.jupyter.strategy import notebook_strategy, stale_solids

from .ipython_shell import run

IMPORTS = (
    "from notebook_pipelines import (ModeDefinition, composite_solid, configured, pipeline,\n"
    "    reconstructable, resource, solid, success_hook)\n"
)

EVERYTHING = [
    IMPORTS + "class Box:\n    def __init__(self, v):\n        self.v = v\n"
    "FACTOR = 3\n"
    "def triple(v):\n    return v * FACTOR\n"
    "@resource(config_schema={'start': int})\n"
    "def numbers(init_context):\n    return list(range(init_context.resource_config['start'], 5))\n",
    "@solid(required_resource_keys={'numbers'})\n"
    "def load(context) -> list:\n    return [triple(n) for n in context.resources.numbers]\n"
    "@solid(config_schema={'k': int})\n"
    "def scale(context, xs: list) -> Box:\n    return Box([x * context.solid_config['k'] for x in xs])\n"
    "scale_by_ten = configured(scale, name='scale_by_ten')({'k': 10})\n"
    "@composite_solid\n"
    "def prepare(xs: list) -> Box:\n    return scale_by_ten(xs)\n"
    "@success_hook\n"
    "def noted(context):\n    context.log.info('NOTED ' + context.solid.name)\n",
    "%%solid\ndef finish(context, box) -> int:\n    return half(sum(box.v))\n",
    "@pipeline(mode_defs=[ModeDefinition(resource_defs={'numbers': numbers})])\n"
    "def everything():\n    finish(prepare.with_hooks({noted})(load()))\n",
]

REBUILD = (
    "import pickle, sys\n"
    "from notebook_pipelines import execute_pipeline\n"
    "recon = pickle.loads(sys.stdin.buffer.read())\n"
    "config = {'resources': {'numbers': {'config': {'start': 2}}}}\n"
    "result = execute_pipeline(recon.get_definition(), run_config=config)\n"
    "box = result.result_for_solid('prepare').output_value()\n"
    "print(result.success, type(box).__name__, box.v, result.result_for_solid('finish').output_value())\n"
)


def _define(shell: InteractiveShell, cells: list[str]) -> None:
    for cell in cells:
        if cell.startswith("%%solid"):
            line, body = cell.split("\n", 1)
            shell.run_cell_magic("solid", line[len("%%solid") :].strip(), body)
        else:
            run(shell, cell)


def test_everything_a_notebook_pipeline_holds_travels_to_a_fresh_process(
    shell: InteractiveShell, tmp_path: Path
) -> None:
    run(shell, "def half(v):\n    return v // 2\n")  # a plain helper a %%solid cell captures
    _define(shell, EVERYTHING)
    run(shell, "recon = reconstructable(everything)\n")
    recon = shell.user_ns["recon"]
    assert Path(recon.pointer.target).name.startswith("__np_pipeline_")
    done = subprocess.run(
        [sys.executable, "-c", REBUILD],
        input=pickle.dumps(recon),
        capture_output=True,
        env={**os.environ, "NOTEBOOK_PIPELINES_HOME": str(tmp_path)},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().split("\n")[0] == "True Box [60, 90, 120] 135"
    assert "NOTED scale_by_ten" in done.stderr.decode()


def test_the_pipeline_file_seeds_linecache_with_the_cells(shell: InteractiveShell) -> None:
    run(shell, IMPORTS + "@solid\ndef boom(context):\n    raise ValueError('from the cell')\n")
    run(shell, "@pipeline\ndef failing():\n    boom()\n")
    filename = shell.user_ns["boom"].compute_fn.__closure__[0].cell_contents.__code__.co_filename
    recon = notebook_strategy(shell.user_ns["failing"])
    assert recon is not None
    value_files = list(Path(recon.pointer.target).parent.glob(f"{by_value.VALUE_PREFIX}*.pkl"))
    saved = linecache.cache.pop(filename)
    try:
        rebuilt = by_value.load_pipeline(str(value_files[0]))
        assert "    raise ValueError('from the cell')\n" in linecache.getlines(filename)
    finally:
        linecache.cache[filename] = saved
    result = execute_pipeline(rebuilt, raise_on_error=False)
    error = result.result_for_solid("boom").failure_data.error.to_string()
    assert "raise ValueError('from the cell')" in error
    # the frame names the cell and its line, whatever cloudpickle does with code file names
    assert f'File "{filename}", line 5, in boom' in error
    assert "<dynamic-code>" not in error


def test_a_pipeline_built_without_the_decorator_travels_too(shell: InteractiveShell) -> None:
    run(
        shell,
        IMPORTS + "from notebook_pipelines import PipelineDefinition\n"
        "@solid\ndef one(context) -> int:\n    return 1\n"
        "built = PipelineDefinition(solid_defs=[one], name='built')\n",
    )
    recon = notebook_strategy(shell.user_ns["built"])
    assert recon is not None
    assert execute_pipeline(recon.get_definition()).result_for_solid("one").output_value() == 1


def test_a_configured_copy_of_a_cell_solid_keeps_its_config(shell: InteractiveShell) -> None:
    shell.run_cell_magic(
        "solid", '--config-schema \'{"k": "Int"}\'', "def times(context):\n    return 2\n"
    )
    shell.run_cell_magic("solid", "", "def base(context):\n    return context.solid_config\n")
    run(
        shell,
        IMPORTS + "fixed = configured(base, name='fixed')({'k': 7})\n"
        "@pipeline\ndef configured_pipe():\n    fixed()\n",
    )
    recon = notebook_strategy(shell.user_ns["configured_pipe"])
    assert recon is not None
    result = execute_pipeline(recon.get_definition())
    assert result.result_for_solid("fixed").output_value() == {"k": 7}


BAD = [
    (
        "import threading\nguard = threading.Lock()\n"
        "def locked():\n    with guard:\n        return 1\n"
        "@solid\ndef uses(context):\n    return locked()\n",
        r'solid "uses" uses the notebook variable "guard" \(lock\) through locked\(\)',
    ),
    (
        "import socket\nconn = socket.socket()\n@solid\ndef uses(context):\n    return conn\n",
        r'solid "uses" uses the notebook variable "conn" \(socket\)',
    ),
    (
        "handle = open(__import__('os').devnull)\n"
        "@solid\ndef uses(context):\n    return handle.read()\n",
        r'solid "uses" uses the notebook variable "handle" \(TextIOWrapper\)',
    ),
    (
        "import threading\nguard = threading.Lock()\n"
        "@resource\ndef db(init_context):\n    return guard\n"
        "@solid(required_resource_keys={'db'})\ndef uses(context):\n    return 1\n"
        "mode = ModeDefinition(resource_defs={'db': db})\n",
        r'resource "db" uses the notebook variable "guard" \(lock\)',
    ),
    (
        "@solid\ndef uses(context):\n    return helpr(1)\n",
        r'solid "uses" uses the name "helpr" \(in uses\(\)\), which the notebook does not define',
    ),
]


@pytest.mark.parametrize(("setup", "message"), BAD, ids=["lock", "socket", "file", "res", "name"])
def test_what_cannot_leave_the_kernel_is_named_before_the_run(
    shell: InteractiveShell, setup: str, message: str
) -> None:
    run(shell, IMPORTS + setup)
    try:
        modes = "mode_defs=[mode]" if "mode =" in setup else ""
        run(shell, f"@pipeline({modes})\ndef leaving():\n    uses()\n")
        with pytest.raises(DagsterInvariantViolationError, match=message):
            notebook_strategy(shell.user_ns["leaving"])
        run_config = {"execution": {"multiprocess": {}}}
        with pytest.raises(Exception, match=message) as info:
            execute_pipeline(shell.user_ns["leaving"], run_config=run_config)
        assert isinstance(info.value.__cause__, DagsterInvariantViolationError)
    finally:
        for name in ("handle", "conn"):
            if name in shell.user_ns:
                shell.user_ns[name].close()


def test_a_generator_a_cell_solid_reaches_through_a_helper_is_named(
    shell: InteractiveShell,
) -> None:
    run(shell, "ticks = (n for n in range(3))\ndef tick():\n    return next(ticks)\n")
    shell.run_cell_magic("solid", "", "def uses(context):\n    return tick()\n")
    run(shell, IMPORTS + "@pipeline\ndef leaving():\n    uses()\n")
    with pytest.raises(
        DagsterInvariantViolationError,
        match=r'solid "uses" uses the notebook variable "ticks" \(generator\) through tick\(\)',
    ):
        notebook_strategy(shell.user_ns["leaving"])


def test_rerunning_a_plain_solid_cell_warns(shell: InteractiveShell) -> None:
    cell = IMPORTS + "@solid\ndef one(context):\n    return {}\n"
    run(shell, cell.format(1))
    run(shell, "@pipeline\ndef uses_one():\n    one()\n")
    run(shell, cell.format(1))  # the same code again: not stale
    assert stale_solids(shell.user_ns["uses_one"], shell.user_ns) == []
    with pytest.warns(StaleSolidWarning, match='Pipeline "uses_one" uses an old version of solid'):
        run(shell, cell.format(2))
    with pytest.warns(StaleSolidWarning, match='Solid "one" is stale'):
        recon = notebook_strategy(shell.user_ns["uses_one"])
    assert recon is not None
    assert execute_pipeline(recon.get_definition()).result_for_solid("one").output_value() == 1
    run(shell, "@pipeline\ndef uses_one():\n    one()\n")
    assert stale_solids(shell.user_ns["uses_one"], shell.user_ns) == []
