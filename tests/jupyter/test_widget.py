"""The run widget's model (traits and state messages), without a browser."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from notebook_pipelines import (
    DagsterInstance,
    InputDefinition,
    execute_pipeline,
    pipeline,
    solid,
)
from notebook_pipelines.jupyter.widget import RunWidget, extension_file

HAS_DOT = shutil.which("dot") is not None


@solid
def one(_: Any) -> int:
    print("one says hello")
    return 1


@solid(input_defs=[InputDefinition("x", int)])
def boom(_: Any, x: int) -> int:
    print("about to fail")
    raise ValueError("boom went the solid")


@solid(input_defs=[InputDefinition("x", int)])
def after(_: Any, x: int) -> int:
    return x


@pipeline
def failing() -> None:
    after(boom(one()))


@solid
def noop(_: Any) -> int:
    time.sleep(0.001)  # so that the run spans several flush intervals
    return 0


STEPS = 300


@pipeline
def wide() -> None:
    for i in range(STEPS):
        noop.alias(f"s{i}")()


def test_front_end_is_an_es_module() -> None:
    esm = str(RunWidget._esm)
    assert "export default" in esm and "render" in esm
    assert ".np-run-widget" in str(RunWidget._css)
    assert extension_file("run_widget.js").read_text() == esm


def test_past_failed_run_is_replayed(tmp_path: Path) -> None:
    instance = DagsterInstance.local_temp(tmp_path)
    result = execute_pipeline(failing, raise_on_error=False, instance=instance)
    widget = RunWidget.for_run(result.run_id, instance)

    assert widget.run_id == result.run_id
    assert widget.pipeline_name == "failing"
    assert widget.status == "FAILURE"
    statuses = {key: step["status"] for key, step in widget.steps.items()}
    assert statuses == {
        "one.compute": "succeeded",
        "boom.compute": "failed",
        "after.compute": "skipped",
    }
    assert widget.steps["one.compute"]["duration_ms"] >= 0
    assert widget.steps["boom.compute"]["handle"] == "boom"
    assert widget.progress == {
        "done": 3,
        "total": 3,
        "succeeded": 1,
        "failed": 1,
        "skipped": 1,
        "canceled": 0,
    }
    assert widget.elapsed > 0
    if HAS_DOT:
        assert "<svg" in widget.svg and "<title>boom</title>" in widget.svg

    widget.selected_step = "boom.compute"
    detail = widget.step_detail
    assert detail["step_key"] == "boom.compute"
    assert detail["status"] == "failed"
    assert 'raise ValueError("boom went the solid")' in detail["error"]
    assert "boom went the solid" in detail["error"]
    assert "about to fail" in detail["stdout"]
    types = [e["type"] for e in detail["events"]]
    assert types[0] == "STEP_START" and types[-1] == "STEP_FAILURE"

    widget.selected_step = "one.compute"
    assert widget.step_detail["stdout"] == "one says hello\n"
    assert widget.step_detail["error"] is None
    widget.selected_step = ""
    assert widget.step_detail == {}
    widget.close()


def test_selecting_from_the_front_end_fills_the_detail(tmp_path: Path) -> None:
    instance = DagsterInstance.local_temp(tmp_path)
    result = execute_pipeline(failing, raise_on_error=False, instance=instance)
    widget = RunWidget.for_run(result.run_id, instance)
    sent: list[dict[str, Any]] = []
    widget._send = lambda msg, buffers=None: sent.append(msg)  # type: ignore[method-assign]
    # what the comm does with {"method": "update"} from the browser's model.save_changes()
    widget.set_state({"selected_step": "boom.compute"})
    assert widget.step_detail["step_key"] == "boom.compute"
    assert any("step_detail" in m.get("state", {}) for m in sent)
    widget.close()


def test_live_run_is_throttled_and_complete(tmp_path: Path) -> None:
    instance = DagsterInstance.local_temp(tmp_path)
    widget = RunWidget.live(instance)
    pushes: list[list[str]] = []
    deltas: list[int] = []
    events: list[Any] = []
    original = widget.send_state

    def counting_send_state(key: Any = None) -> None:
        pushes.append(list(key) if isinstance(key, (list, tuple, set)) else [key])
        original(key)

    widget.send_state = counting_send_state  # type: ignore[method-assign]
    widget.observe(lambda c: deltas.append(len(c["new"]["steps"])), names="step_updates")
    instance.subscribe(events.append)

    result = execute_pipeline(wide, instance=instance)
    assert result.success

    assert len(events) > 4 * STEPS
    assert 1 <= len(pushes) < len(events) / 20, (len(pushes), len(events))
    # deltas, not the whole dict each time: together they cover every step change, and
    # no delta but possibly one holds all steps
    assert sum(deltas) < 4 * STEPS
    # the first delta is the plan (every step pending); later ones hold what changed in ~100 ms
    assert deltas[0] == STEPS
    assert len(deltas) >= 3 and max(deltas[1:]) < STEPS, deltas

    assert widget.run_id == result.run_id
    assert widget.status == "SUCCESS"
    assert len(widget.steps) == STEPS
    assert all(step["status"] == "succeeded" for step in widget.steps.values())
    assert all(step["duration_ms"] is not None for step in widget.steps.values())
    assert widget.progress["done"] == widget.progress["succeeded"] == STEPS
    assert widget._listening is None and widget._timer is None

    widget.selected_step = "s7.compute"
    assert widget.step_detail["status"] == "succeeded"
    assert widget.step_detail["events"][0]["type"] == "STEP_START"
    widget.close()


def test_live_widget_given_a_run_id_replays_what_is_stored(tmp_path: Path) -> None:
    instance = DagsterInstance.local_temp(tmp_path)
    result = execute_pipeline(failing, raise_on_error=False, instance=instance)
    widget = RunWidget.live(instance, result.run_id)
    assert (widget.progress["done"], widget.progress["total"]) == (3, 3)
    assert widget.steps["boom.compute"]["status"] == "failed"
    widget.close()
    assert widget._listening is None


@pytest.mark.parametrize("name", ["run_widget.js", "run_widget.css"])
def test_extension_files_exist(name: str) -> None:
    assert extension_file(name).stat().st_size > 0


# --- re-execution from the buttons, the selection query, previews, live output -------------------

FS = {"intermediate_storage": {"filesystem": {}}}
FLAKY = {"fail": True}


@solid(input_defs=[InputDefinition("x", int)])
def flaky(_: Any, x: int) -> int:
    if FLAKY["fail"]:
        raise RuntimeError("flaky failed")
    return x + 1


@pipeline
def flaky_pipe() -> None:
    after(flaky(one()))


def _message(widget: RunWidget, content: dict[str, Any]) -> None:
    """What the comm does with a custom message from the front end's ``model.send``."""
    widget._handle_custom_msg(content, [])


def test_reexecute_failed_follows_the_new_run(tmp_path: Path) -> None:
    instance = DagsterInstance.local_temp(tmp_path)
    FLAKY["fail"] = True
    first = execute_pipeline(flaky_pipe, FS, instance=instance, raise_on_error=False)
    widget = RunWidget.for_run(first.run_id, instance, pipeline=flaky_pipe)
    assert widget.can_reexecute and widget.status == "FAILURE"

    FLAKY["fail"] = False
    _message(widget, {"type": "reexecute", "from": "failed"})
    assert widget.run_id != first.run_id
    assert widget.parent_run_id == first.run_id
    assert widget.runs == [first.run_id, widget.run_id]
    assert widget.status == "SUCCESS"
    assert sorted(widget.steps) == ["after.compute", "flaky.compute"]  # not one.compute
    assert "succeeded" in widget.message and not widget.busy
    widget.selected_step = "after.compute"
    assert widget.step_detail["outputs"][0]["text"] == "2"

    _message(widget, {"type": "reexecute", "from": "failed"})  # nothing left to do
    assert "every step succeeded" in widget.message
    widget.close()


def test_selection_query_is_previewed_then_reexecuted(tmp_path: Path) -> None:
    instance = DagsterInstance.local_temp(tmp_path)
    FLAKY["fail"] = False
    first = execute_pipeline(flaky_pipe, FS, instance=instance)
    widget = RunWidget.for_run(first.run_id, instance, pipeline=flaky_pipe)

    _message(widget, {"type": "preview_query", "query": "flaky.compute+"})
    assert widget.query_preview == {
        "query": "flaky.compute+",
        "steps": ["flaky.compute", "after.compute"],
        "problem": None,
    }
    # solid names select their compute steps
    _message(widget, {"type": "preview_query", "query": "*flaky"})
    assert widget.query_preview["steps"] == ["one.compute", "flaky.compute"]
    _message(widget, {"type": "preview_query", "query": "flaky.compute+ nope"})
    assert widget.query_preview["steps"] == [] and '"nope"' in widget.query_preview["error"]

    _message(widget, {"type": "reexecute", "from": "selected", "query": "after.compute"})
    assert widget.status == "SUCCESS" and list(widget.steps) == ["after.compute"]
    run = instance.get_run_by_id(widget.run_id)
    assert run is not None and list(run.step_keys_to_execute or ()) == ["after.compute"]

    _message(widget, {"type": "reexecute", "from": "selected", "steps": []})
    assert "Nothing selected" in widget.message
    widget.close()


def test_without_the_pipeline_the_buttons_explain(tmp_path: Path) -> None:
    instance = DagsterInstance.local_temp(tmp_path)
    first = execute_pipeline(failing, FS, instance=instance, raise_on_error=False)
    widget = RunWidget.for_run(first.run_id, instance)
    assert not widget.can_reexecute
    _message(widget, {"type": "reexecute", "from": "failed"})
    assert 'definition of pipeline "failing" is not known' in widget.message
    assert widget.run_id == first.run_id
    # a stored run's outputs are read back from its filesystem intermediates
    widget.selected_step = "one.compute"
    assert widget.step_detail["outputs"] == [{"name": "result", "type": "int", "text": "1"}]
    widget.close()


@solid
def chatty(_: Any) -> int:
    print("first line, while the step still runs", flush=True)
    time.sleep(1.5)
    return 0


@pipeline
def chatty_pipe() -> None:
    chatty()


def test_selected_running_step_shows_its_output_live(tmp_path: Path) -> None:
    instance = DagsterInstance.local_temp(tmp_path)
    widget = RunWidget.live(instance)
    widget.log_poll_interval = 0.1
    seen: list[str] = []

    def watch() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            step = widget._model.steps.get("chatty.compute")
            if step is not None and step.status == "running":
                widget.selected_step = "chatty.compute"
                break
            time.sleep(0.02)
        while time.monotonic() < deadline and widget.step_detail.get("status") == "running":
            if "first line" in widget.step_detail.get("stdout", ""):
                seen.append(widget.step_detail["status"])
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    assert execute_pipeline(chatty_pipe, instance=instance).success
    watcher.join()
    assert seen == ["running"]
    widget.close()


def test_step_state_carries_what_a_busy_kernel_cannot_answer(tmp_path: Path) -> None:
    """While a cell runs, the kernel takes no message from the front end: each step's state
    carries its latest events, its error and the end of its captured output."""
    instance = DagsterInstance.local_temp(tmp_path)
    widget = RunWidget.live(instance)
    execute_pipeline(failing, raise_on_error=False, instance=instance)
    boom_state = widget.steps["boom.compute"]
    assert boom_state["events"][0].startswith("STEP_START: ")
    assert boom_state["events"][-1].startswith("STEP_FAILURE: ")
    assert "boom went the solid" in boom_state["error"]
    assert boom_state["stdout"] == "about to fail\n"
    assert widget.steps["one.compute"]["stdout"] == "one says hello\n"
    assert "stdout" not in widget.steps["after.compute"]  # skipped: never ran

    _message(widget, {"type": "select", "step": "one.compute"})
    assert widget.selected_step == "one.compute"
    assert widget.step_detail["stdout"] == "one says hello\n"
    widget.close()
