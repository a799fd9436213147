"""After a kernel restart: ``load_step_inputs`` and ``%pipeline_debug`` say which cells to run
again when the pipeline's definition is gone, and work from the stored values once the cells
defining the solids and the pipeline have run again (a notebook class in the inputs included:
it was stored by value)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_debug_kernel import Kernel

pytestmark = [pytest.mark.slow, pytest.mark.kernel]

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
@pipeline
def pp():
    boom(nums(), pt())
"""


def test_post_mortem_after_a_kernel_restart(tmp_path: Path) -> None:
    kernel = Kernel(tmp_path)
    try:
        run = kernel.run(
            "%load_ext notebook_pipelines\n" + DEFINITIONS + "r = execute_pipeline(pp, "
            "raise_on_error=False)\nprint('RUN', r.run_id)"
        )
        run_id = run.text.split("RUN ")[1].split()[0]
        kernel.km.restart_kernel(now=True)
        kernel.kc.wait_for_ready(timeout=60)
        kernel.run("%load_ext notebook_pipelines\nfrom notebook_pipelines import load_step_inputs")
        gone = kernel.run(f"load_step_inputs('{run_id}', 'boom.compute')")
        assert 'Cannot find the definition of pipeline "pp"' in gone.text, gone.text
        assert "Run the cells that define its solids and the pipeline first" in gone.text
        debug = kernel.run(f"%pipeline_debug {run_id} boom.compute")
        assert "after a kernel restart they are gone" in debug.text, debug.text

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
