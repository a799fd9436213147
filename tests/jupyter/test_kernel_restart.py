"""After a kernel restart: ``load_step_inputs`` reads a failed step's inputs from what the run
stored (its plan snapshot and filesystem intermediates) without the cells that define the
pipeline being run again — a notebook class in the inputs included (it was stored by value); a
value of a ``%%solid`` cell's class names the module to load first; ``%pipeline_debug``, which
needs the solid's code, says so and points at ``load_step_inputs``; once the cells have run again,
both work as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_debug_kernel import Kernel

pytestmark = [pytest.mark.slow, pytest.mark.kernel]

CELL_CLASS = """%%solid
class Tag:
    def __init__(self, name):
        self.name = name
def tag(context) -> object:
    return Tag("t")
"""

DEFINITIONS = """
from notebook_pipelines import pipeline, solid, execute_pipeline, load_step_inputs
class Point:
    def __init__(self, x):
        self.x = x
@solid
def nums(context):
    return [1, 2]
@solid
def pt(context):
    return Point(3)
@solid
def boom(context, xs, p):
    total = sum(xs) + p.x
    raise ValueError(f"total {total}")
@solid
def named(context, t):
    raise ValueError(t.name)
@pipeline
def pp():
    boom(nums(), pt())
    named(tag())
"""


def test_post_mortem_after_a_kernel_restart(tmp_path: Path) -> None:
    kernel = Kernel(tmp_path)
    try:
        kernel.run("%load_ext notebook_pipelines")
        kernel.run(CELL_CLASS)
        run = kernel.run(
            DEFINITIONS + "r = execute_pipeline(pp, raise_on_error=False)\n"
            "print('RUN', r.run_id, r.result_for_solid('boom').failure_data is not None)"
        )
        assert "True" in run.text, run.text
        run_id = run.text.split("RUN ")[1].split()[0]
        stored = list(tmp_path.rglob(f"{run_id}/intermediates/nums.compute/result"))
        assert len(stored) == 1, list(tmp_path.rglob("*"))  # the session's filesystem default

        kernel.km.restart_kernel(now=True)
        kernel.kc.wait_for_ready(timeout=60)
        kernel.run("%load_ext notebook_pipelines\nfrom notebook_pipelines import load_step_inputs")
        # nothing of the pipeline is defined: the inputs come from what the run stored
        inputs = kernel.run(
            f"i = load_step_inputs('{run_id}', 'boom.compute')\n"
            "print('XS', i['xs'], type(i['p']).__name__, i['p'].x, 'pp' in dir())"
        )
        assert "XS [1, 2] Point 3 False" in inputs.text, inputs.text
        cell_value = kernel.run(f"load_step_inputs('{run_id}', 'named.compute')")
        assert 'output "result" of step "tag.compute" refers to module "__np_cell_' in (
            cell_value.text
        ), cell_value.text
        assert "the module of a %%solid cell: run that cell first" in cell_value.text
        debug = kernel.run(f"%pipeline_debug {run_id} boom.compute")
        assert "%pipeline_debug needs the solid's code" in debug.text, debug.text
        assert "run the cells that define its solids and the pipeline" in debug.text
        assert f'load_step_inputs("{run_id}", "boom.compute") works without them' in debug.text

        kernel.run(CELL_CLASS)  # the same cell again: the same module, so its values load
        named = kernel.run(f"print('TAG', load_step_inputs('{run_id}', 'named.compute')['t'].name)")
        assert "TAG t" in named.text, named.text

        kernel.run(DEFINITIONS.replace("class Point", "class _Unused"))  # no Point this time
        inputs = kernel.run(
            f"i = load_step_inputs('{run_id}', 'boom.compute')\nprint('XS', i['xs'], i['p'].x)"
        )
        assert "XS [1, 2] 3" in inputs.text, inputs.text
        debug = kernel.run(f"%pipeline_debug {run_id} boom.compute", ["p total", "q"])
        assert debug.prompts == ["[boom.compute] (Pdb) "] * 2, debug.text
        assert "\n6\n" in debug.text, debug.text
    finally:
        kernel.shutdown()
