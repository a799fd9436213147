"""The notebook session ``%load_ext notebook_pipelines`` turns on, through a real IPython
InteractiveShell: runs without an instance go to the home instance with their outputs on disk,
each ``execute_pipeline`` gets a live widget, Ctrl-C leaves a canceled run and says so."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from notebook_pipelines import (
    DagsterInstance,
    PipelineRunStatus,
    execute_pipeline,
    execute_solid,
    pipeline,
    reexecute_pipeline,
    solid,
)
from notebook_pipelines.jupyter import session
from tests.executors.processes import sigint_raises


@solid
def one(_: object) -> int:
    return 1


@solid
def plus_one(_: object, x: int) -> int:
    return x + 1


@pipeline
def small() -> None:
    plus_one(one())


@solid
def interrupted(_: object) -> None:
    os.kill(os.getpid(), signal.SIGINT)  # what a kernel interrupt does to the running cell
    raise AssertionError("not reached: SIGINT raises KeyboardInterrupt first")


@pipeline
def interrupted_pipe() -> None:
    interrupted()


def test_runs_without_an_instance_go_to_the_home_instance(
    shell: InteractiveShell, tmp_path: Path
) -> None:
    result = execute_pipeline(small)
    assert result.success
    home = DagsterInstance.get()
    assert home.get_run_by_id(result.run_id) is not None
    # outputs on disk, so the run can be re-executed from this or a later kernel
    stored = list((tmp_path / "storage" / result.run_id).rglob("*"))
    assert any("plus_one" in str(path) for path in stored), stored
    notices = [e.message for e in result.event_list if e.event_type_value == "ENGINE_EVENT"]
    assert any("stored on disk under the instance so that it can" in m for m in notices), notices
    assert f"keeps the run in its instance at {tmp_path}" in " ".join(notices)

    again = reexecute_pipeline(small, result.run_id, step_selection=["plus_one.compute"])
    assert again.success and again.result_for_solid("plus_one").output_value() == 2
    assert home.get_run_by_id(again.run_id).parent_run_id == result.run_id  # type: ignore[union-attr]

    # execute_solid is a unit test of one solid: it stays out of the history
    before = len(home.get_runs())
    assert execute_solid(one).success
    assert len(home.get_runs()) == before


def test_an_explicit_storage_or_instance_is_respected(shell: InteractiveShell) -> None:
    in_memory = execute_pipeline(small, run_config={"intermediate_storage": {"in_memory": {}}})
    notices = [e.message for e in in_memory.event_list if e.event_type_value == "ENGINE_EVENT"]
    assert not any("stored on disk" in m for m in notices)
    assert DagsterInstance.get().get_run_by_id(in_memory.run_id) is not None

    own = DagsterInstance.ephemeral()
    result = execute_pipeline(small, instance=own)
    assert own.get_run_by_id(result.run_id) is not None
    assert DagsterInstance.get().get_run_by_id(result.run_id) is None


def test_each_run_gets_a_live_widget(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    session.configure(widget=True)  # a plain shell is not a kernel: ask for the widget
    first = execute_pipeline(small)
    widget = session.last_widget()
    assert widget is not None and widget.run_id == first.run_id
    assert widget.status == "SUCCESS" and widget.progress["succeeded"] == 2
    assert widget.can_reexecute
    widget.selected_step = "plus_one.compute"
    assert widget.step_detail["outputs"] == [{"name": "result", "type": "int", "text": "2"}]
    assert "RunWidget run" in capsys.readouterr().out  # displayed (as text, outside a kernel)

    second = execute_pipeline(small)
    assert session.last_widget() is not widget
    assert session.last_widget().run_id == second.run_id  # type: ignore[union-attr]

    session.configure(widget=False)
    execute_pipeline(small)
    assert session.last_widget().run_id == second.run_id  # type: ignore[union-attr]


def test_ctrl_c_cancels_the_run_and_the_widget_says_so(shell: InteractiveShell) -> None:
    session.configure(widget=True)
    with pytest.raises(KeyboardInterrupt), sigint_raises():
        execute_pipeline(interrupted_pipe)
    widget = session.last_widget()
    assert widget is not None
    run = DagsterInstance.get().get_run_by_id(widget.run_id)
    assert run is not None and run.status == PipelineRunStatus.CANCELED
    assert widget.status == "CANCELED"
    assert widget.steps["interrupted.compute"]["status"] == "canceled"
    assert "canceled" in widget.message
    events = [r.dagster_event.event_type_value for r in DagsterInstance.get().all_logs(run.run_id)]
    assert events[-1] == "PIPELINE_FAILURE" and "STEP_START" in events  # events kept
