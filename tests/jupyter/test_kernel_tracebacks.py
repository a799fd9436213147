"""Errors in a real kernel show the user's code first (:mod:`notebook_pipelines.jupyter.tracebacks`):
a failed step in process and in a worker process, a config error; ``%tb``, ``%pipeline_tb`` and
``%xmode Verbose`` still give the full chain; errors that are not a pipeline's are IPython's own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .test_debug_kernel import Kernel, set_up_kernel

pytestmark = [pytest.mark.slow, pytest.mark.kernel]

SETUP = """
%load_ext notebook_pipelines
from notebook_pipelines import pipeline, solid, execute_pipeline
MULTI = {"execution": {"multiprocess": {}}}

@solid
def boom(context):
    x = 1
    raise ValueError("bad value")

@pipeline
def exploding():
    boom()
"""


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    with set_up_kernel(tmp_path_factory.mktemp("tracebacks_home"), SETUP) as started:
        yield started


def _library_free(text: str) -> None:
    assert "notebook_pipelines/" not in text, text
    assert "site-packages" not in text, text


def test_in_process_failure_starts_at_the_users_frames(kernel: Kernel) -> None:
    run = kernel.run("execute_pipeline(exploding)")
    assert run.status == "error"
    error = run.error and kernel_text(run.error)
    lines = error.splitlines()
    assert lines[0].startswith('Step "boom.compute" failed (run '), error
    assert "ValueError" in lines[2] and "Traceback" in lines[2], error
    assert lines[3].startswith("Cell In["), error  # the cell that ran the pipeline
    assert "library frames hidden (%tb or %pipeline_tb for the full chain)" in error
    assert "in boom(context)" in error and '----> 8     raise ValueError("bad value")' in error
    assert lines[-1] == "ValueError: bad value", error
    assert len(lines) < 20, error
    _library_free(error)

    full = kernel.run("%tb")
    assert "notebook_pipelines/execution/step.py" in full.text, full.text


def test_worker_failure_shows_the_users_exception_from_the_worker(kernel: Kernel) -> None:
    run = kernel.run("execute_pipeline(exploding, run_config=MULTI)")
    assert run.status == "error"
    error = kernel_text(run.error)
    lines = error.splitlines()
    assert lines[0].startswith('Step "boom.compute" failed in a worker process (run '), error
    assert lines[2].startswith("ValueError ") and lines[2].endswith(
        "Traceback (most recent call last)"
    )
    assert "Cell In[" in error and "in boom" in error, error
    assert '----> 8     raise ValueError("bad value")' in error, error
    assert lines[-1] == "ValueError: bad value", error
    assert "DagsterSubprocessError" not in error, error
    assert len(lines) < 20, error
    _library_free(error)

    full = kernel.run("%pipeline_tb")
    assert 'Step "boom.compute" in its worker process:' in full.text, full.text
    assert "notebook_pipelines/execution/step.py" in full.text  # the worker's frames, all of them
    assert "notebook_pipelines/executors/multiprocess.py" in full.text  # and the parent's


def test_config_error_is_its_message_under_the_users_line(kernel: Kernel) -> None:
    run = kernel.run('execute_pipeline(exploding, run_config={"solids": {"nope": {}}})')
    error = kernel_text(run.error)
    lines = error.splitlines()
    assert lines[2].startswith("Cell In["), error
    assert lines[5].startswith("… ") and "library frames hidden" in lines[5], error
    assert 'unexpected config entry "nope"' in lines[-1], error
    assert len(lines) < 10, error


def test_verbose_mode_and_other_errors_are_ipythons_own(kernel: Kernel) -> None:
    plain = kernel.run("def f():\n    return 1 / 0\nf()")
    assert "ZeroDivisionError" in plain.text and "library frames hidden" not in plain.text

    kernel.run("%xmode Verbose")
    try:
        run = kernel.run("execute_pipeline(exploding)")
        assert "library frames hidden" not in run.text, run.text
        assert "notebook_pipelines/execution/step.py" in run.text, run.text
    finally:
        kernel.run("%xmode Context")


def kernel_text(error: str) -> str:
    """An error's traceback as plain text (no ANSI colours)."""
    from .test_debug_kernel import ANSI

    return ANSI.sub("", error)


UNPICKLABLE = """
import sqlite3

@solid
def connect(context):
    return sqlite3.connect(":memory:")

@solid
def count(context, conn):
    return conn.execute("select 1").fetchone()[0]

@pipeline
def with_connection():
    count(connect())

r = execute_pipeline(with_connection, raise_on_error=False)
print("FAILED", [e.message for e in r.event_list if e.event_type_value == "STEP_FAILURE"])
kept = execute_pipeline(with_connection, run_config={"intermediate_storage": {"in_memory": {}}})
print("IN MEMORY", kept.success, kept.result_for_solid("count").output_value())
"""


def test_an_output_that_cannot_be_pickled_says_how_to_keep_it_in_memory(kernel: Kernel) -> None:
    run = kernel.run(UNPICKLABLE)
    assert run.status == "ok", run.text
    failed = run.text.split("FAILED ")[1].splitlines()[0]
    assert 'Output "result" of solid "connect" (step "connect.compute") cannot be stored' in failed
    assert "cannot pickle" in failed and "sqlite3.Connection" in failed
    assert "intermediate_storage" in failed and "in_memory" in failed and "resource" in failed
    assert "IN MEMORY True 1" in run.text, run.text
