"""A real kernel running a pipeline of plain ``@solid`` cells on a local Dask cluster: what a step
prints reaches the cell tagged with its step, and a failing step's traceback shows the cell and
its line (from the Dask worker), the user's code first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .test_debug_kernel import Kernel, set_up_kernel

pytest.importorskip("distributed", reason="the dask extra is not installed")

pytestmark = [pytest.mark.slow, pytest.mark.kernel, pytest.mark.dask]

SETUP = """
%load_ext notebook_pipelines
from notebook_pipelines import ModeDefinition, default_executors, pipeline, solid, execute_pipeline
from notebook_pipelines.executors.dask import dask_executor
DASK = {"execution": {"dask": {"config": {"cluster": {"local": {"n_workers": 1}}}}}}
MODES = [ModeDefinition(executor_defs=default_executors + [dask_executor])]

@solid
def shout(context):
    print("HELLO FROM", "DASK")
    return 2

@solid
def explode(context, n):
    half = n / 2
    raise ValueError(f"half was {half}")

@pipeline(mode_defs=MODES)
def loud():
    shout()

@pipeline(mode_defs=MODES)
def exploding():
    explode(shout())
"""


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    with set_up_kernel(tmp_path_factory.mktemp("dask_output_home"), SETUP) as started:
        yield started


def test_a_steps_print_reaches_the_cell_tagged_with_the_step(kernel: Kernel) -> None:
    run = kernel.run("r = execute_pipeline(loud, run_config=DASK)\nprint('RESULT', r.success)")
    assert run.status == "ok", run.text
    assert "[shout.compute] HELLO FROM DASK\n" in run.text, run.text
    assert "RESULT True" in run.text


def test_a_dask_failure_names_the_cell_and_its_line(kernel: Kernel) -> None:
    run = kernel.run(
        "r = execute_pipeline(exploding, run_config=DASK, raise_on_error=False)\n"
        "error = r.result_for_solid('explode').failure_data.error\n"
        "print('CLASS', error.cls_name)\n"
        "print(error.to_string())\n"
        "import linecache\n"
        "print('CELL FILE', [s.split('\"')[1] for s in error.stack if 'in explode' in s][0] "
        "in [k for k in linecache.cache if 'ipykernel' in k])"
    )
    assert run.status == "ok", run.text
    assert "CLASS ValueError" in run.text, run.text
    assert 'raise ValueError(f"half was {half}")' in run.text, run.text  # the cell's line
    assert "<dynamic-code>" not in run.text, run.text
    assert "CELL FILE True" in run.text, run.text  # the kernel's own file name of the cell
