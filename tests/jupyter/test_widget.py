"""The run widget's model (traits and state messages), without a browser."""

from __future__ import annotations

import shutil
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
    assert widget.progress == {"done": 3, "total": 3}
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
    assert widget.progress == {"done": STEPS, "total": STEPS}
    assert widget._listening is None and widget._timer is None

    widget.selected_step = "s7.compute"
    assert widget.step_detail["status"] == "succeeded"
    assert widget.step_detail["events"][0]["type"] == "STEP_START"
    widget.close()


def test_live_widget_given_a_run_id_replays_what_is_stored(tmp_path: Path) -> None:
    instance = DagsterInstance.local_temp(tmp_path)
    result = execute_pipeline(failing, raise_on_error=False, instance=instance)
    widget = RunWidget.live(instance, result.run_id)
    assert widget.progress == {"done": 3, "total": 3}
    assert widget.steps["boom.compute"]["status"] == "failed"
    widget.close()
    assert widget._listening is None


@pytest.mark.parametrize("name", ["run_widget.js", "run_widget.css"])
def test_extension_files_exist(name: str) -> None:
    assert extension_file(name).stat().st_size > 0
