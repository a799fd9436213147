"""The notebook side of debugging, without a kernel: the run model's "in debugger" status from the
debugger's engine events, and ``%pipeline_debug`` (defaults, explicit run and step, errors) through
a real IPython InteractiveShell with a scripted prompter."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from notebook_pipelines import (
    DagsterInstance,
    execute_pipeline,
    pipeline,
    solid,
)
from notebook_pipelines.execution import debug_io
from notebook_pipelines.jupyter import debug
from notebook_pipelines.jupyter.run_model import RunModel
from tests.execution.test_debugger import Scripted


@solid
def one(_context):
    return 1


@solid
def stops(context, x):
    context.pdb.set_trace()
    return x


@solid
def boom(_context, x):
    doubled = x * 2
    raise ValueError(f"doubled was {doubled}")


@pipeline
def stopping():
    stops(one())


@pipeline
def exploding():
    boom(one())


def test_run_model_shows_the_step_in_the_debugger() -> None:
    prompter = Scripted(["c"])
    debug_io.set_prompter(prompter)
    try:
        with DagsterInstance.ephemeral() as instance:
            result = execute_pipeline(stopping, instance=instance)
            records = instance.all_logs(result.run_id)
    finally:
        debug_io.set_prompter(None)
    model = RunModel()
    statuses = []
    for record in records:
        model.apply(record)
        if record.step_key == "stops.compute":
            statuses.append(model.steps["stops.compute"].status)
    assert "in_debugger" in statuses
    first = statuses.index("in_debugger")
    assert statuses[first + 1] == "running"  # left the debugger
    assert statuses[-1] == "succeeded"
    assert model.steps["stops.compute"].duration_ms is not None

    stuck = RunModel()
    for record in records:
        stuck.apply(record)
        if (
            stuck.steps.get("stops.compute")
            and stuck.steps["stops.compute"].status == "in_debugger"
        ):
            break
    assert stuck.running() == ["stops.compute"]
    stuck.end("CANCELED")
    assert stuck.steps["stops.compute"].status == "canceled"


def test_load_ext_turns_the_notebook_debugger_on(shell: InteractiveShell) -> None:
    assert isinstance(debug_io.prompter(), debug.KernelPrompter)
    # no kernel here: the terminal's rule (pytest's stdin is not a terminal)
    assert debug_io.prompter().unavailable() is not None


def test_pipeline_debug_defaults_to_the_last_failed_run(shell: InteractiveShell) -> None:
    with pytest.raises(UsageError, match="no run of this notebook session failed"):
        shell.run_line_magic("pipeline_debug", "")
    shell.user_ns.update(exploding=exploding, execute_pipeline=execute_pipeline)
    shell.run_cell("r = execute_pipeline(exploding, raise_on_error=False)").raise_error()
    prompter = Scripted(["p doubled", "q"])
    debug_io.set_prompter(prompter)
    shell.run_line_magic("pipeline_debug", "")
    assert prompter.prompts == ["[boom.compute] (Pdb) "] * 2
    assert '-> raise ValueError(f"doubled was {doubled}")' in prompter.text
    assert "\n2\n" in prompter.text
    assert isinstance(shell.user_ns["_pipeline_debug_error"], ValueError)

    run_id = shell.user_ns["r"].run_id
    debug._runs.clear()  # a run of another session: found in the home instance, by name
    prompter.lines = ["c"]
    shell.run_line_magic("pipeline_debug", f"{run_id} boom.compute")
    assert prompter.prompts[-1] == "[boom.compute] (Pdb) "
    with pytest.raises(UsageError, match="usage"):
        shell.run_line_magic("pipeline_debug", "a b c")


def test_pipeline_debug_of_a_run_without_a_failure(shell: InteractiveShell) -> None:
    shell.user_ns.update(stopping=stopping, execute_pipeline=execute_pipeline)
    debug_io.set_prompter(Scripted(["c"]))
    shell.run_cell("r = execute_pipeline(stopping)").raise_error()
    run_id = shell.user_ns["r"].run_id
    with pytest.raises(UsageError, match="no step of run"):
        shell.run_line_magic("pipeline_debug", run_id)


def test_pipeline_debug_of_a_run_that_does_not_exist(shell: InteractiveShell) -> None:
    with pytest.raises(UsageError, match='no run "nope" in the instance at ') as info:
        shell.run_line_magic("pipeline_debug", "nope")
    assert "no step" not in str(info.value)
    with pytest.raises(UsageError, match='no run "nope" in the instance at '):
        shell.run_line_magic("pipeline_debug", "nope boom.compute")


def test_the_debugger_runs_the_cells_as_they_are_now(shell: InteractiveShell) -> None:
    """Fail, fix the %%solid cell, debug: %pipeline_debug and result.debug_step run the fixed
    code (the notebook's current definition of the pipeline), not the run's old one."""
    shell.run_cell_magic("solid", "", "def flaky(context):\n    raise ValueError('old code')\n")
    shell.run_cell(
        "from notebook_pipelines import execute_pipeline, pipeline\n"
        "@pipeline\ndef fixing():\n    flaky()\n"
        "r = execute_pipeline(fixing, raise_on_error=False)\n"
    ).raise_error()
    assert not shell.user_ns["r"].success
    shell.run_cell_magic("solid", "", "def flaky(context):\n    raise KeyError('fixed code')\n")
    prompter = Scripted(["q"])
    debug_io.set_prompter(prompter)
    shell.run_line_magic("pipeline_debug", "")
    assert "KeyError" in prompter.text and "old code" not in prompter.text
    assert isinstance(shell.user_ns["_pipeline_debug_error"], KeyError)
    prompter.lines = ["q"]
    error = shell.user_ns["r"].debug_step("flaky.compute")
    assert isinstance(error, KeyError)
