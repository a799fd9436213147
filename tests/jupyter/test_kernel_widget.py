"""The session in a real kernel (jupyter_client): ``execute_pipeline`` displays the live widget in
its cell and streams its state over the comm while the run goes on; interrupting the kernel
cancels the run cleanly, keeps its events, and the widget says so."""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager, start_new_kernel

from notebook_pipelines import DagsterInstance, PipelineRunStatus

pytestmark = [pytest.mark.slow, pytest.mark.kernel]

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

SETUP = """
%load_ext notebook_pipelines
import time
from notebook_pipelines import execute_pipeline, pipeline, solid
from notebook_pipelines.jupyter import session

@solid
def quick(context) -> int:
    print("quick ran")
    return 1

@solid
def slow(context, x: int) -> int:
    open("slow-started", "w").close()
    time.sleep(60)
    return x

@pipeline
def fast_pipe():
    quick()

@pipeline
def slow_pipe():
    slow(quick())
"""


@pytest.fixture
def kernel(tmp_path: Path) -> Iterator[tuple[KernelManager, BlockingKernelClient]]:
    env = {
        **os.environ,
        "NOTEBOOK_PIPELINES_HOME": str(tmp_path),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    km, kc = start_new_kernel(kernel_name="python3", env=env, cwd=str(tmp_path))
    try:
        reply = kc.execute_interactive(SETUP, timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _run(kc: BlockingKernelClient, code: str, timeout: float = 60) -> tuple[dict, list[dict]]:
    """Execute ``code``; its reply and every iopub message it produced."""
    messages: list[dict[str, Any]] = []
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=messages.append)
    return reply, messages


def _stdout(messages: list[dict[str, Any]]) -> str:
    return "".join(m["content"].get("text", "") for m in messages if m["msg_type"] == "stream")


def _widget_states(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        m["content"]["data"]["state"]
        for m in messages
        if m["msg_type"] in ("comm_open", "comm_msg") and "state" in m["content"].get("data", {})
    ]


def test_execute_pipeline_displays_a_live_widget(
    kernel: tuple[KernelManager, BlockingKernelClient],
) -> None:
    _km, kc = kernel
    reply, messages = _run(kc, "result = execute_pipeline(fast_pipe)")
    assert reply["content"]["status"] == "ok", reply["content"]
    shown = [m for m in messages if m["msg_type"] == "display_data"]
    assert len(shown) == 1 and WIDGET_MIME in shown[0]["content"]["data"], shown
    states = _widget_states(messages)
    statuses = [s["status"] for s in states if "status" in s]
    assert statuses[-1] == "SUCCESS", statuses
    updates = [s["step_updates"] for s in states if "step_updates" in s]
    assert any(u["steps"].get("quick.compute", {}).get("status") == "succeeded" for u in updates)

    reply, messages = _run(kc, "%pipeline_runs")
    assert reply["content"]["status"] == "ok"
    assert "fast_pipe" in str([m["content"] for m in messages])


def test_interrupting_the_kernel_cancels_the_run(
    kernel: tuple[KernelManager, BlockingKernelClient], tmp_path: Path
) -> None:
    km, kc = kernel
    msg_id = kc.execute("result = execute_pipeline(slow_pipe)")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (tmp_path / "slow-started").exists():
        time.sleep(0.05)
    assert (tmp_path / "slow-started").exists(), "the slow step never started"
    km.interrupt_kernel()

    reply = None
    while time.monotonic() < deadline:
        try:
            message = kc.get_shell_msg(timeout=1)
        except queue.Empty:
            continue
        if message["parent_header"].get("msg_id") == msg_id:
            reply = message
            break
    assert reply is not None and reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "KeyboardInterrupt"

    home = DagsterInstance.local_temp(tmp_path)  # the kernel's home, opened from here
    (run,) = home.get_runs()
    run_id = run.run_id
    assert run.status == PipelineRunStatus.CANCELED
    types = [r.dagster_event.event_type_value for r in home.all_logs(run_id) if r.dagster_event]
    assert types[-1] == "PIPELINE_FAILURE" and "STEP_START" in types

    reply, messages = _run(
        kc,
        "w = session.last_widget()\n"
        "print(w.run_id, w.status, w.steps['slow.compute']['status'], w.message)",
    )
    out = _stdout(messages)
    assert f"{run_id} CANCELED canceled The run was interrupted and canceled" in out, out


# --- the notebook loop: fail, fix the cell, re-execute ------------------------------------------

LOOP = """
from notebook_pipelines import last_result

@solid
def source(context) -> int:
    return 1
"""

BROKEN = """%%solid
def transform(context, x: int) -> int:
    raise ValueError("the old code ran")
"""

FIXED = """%%solid
def transform(context, x: int) -> int:
    return x + 41
"""

PIPE = """
@solid
def report(context, y: int) -> int:
    return y * 2

@pipeline
def loop():
    report(transform(source()))
"""


def _ok(kc: BlockingKernelClient, code: str) -> str:
    """Run ``code``; its stdout (the cell must succeed)."""
    reply, messages = _run(kc, code)
    assert reply["content"]["status"] == "ok", (code, reply["content"], _stdout(messages))
    return _stdout(messages)


def _failed_loop(kc: BlockingKernelClient) -> None:
    for code in (LOOP, BROKEN, PIPE, "first = execute_pipeline(loop, raise_on_error=False)"):
        _ok(kc, code)


def _next_cell(kc: BlockingKernelClient) -> int:
    """The In [n] of the next cell (while a cell runs, IPython's count is already the next)."""
    return int(_ok(kc, "print(get_ipython().execution_count)").strip())


def test_reexecute_after_fixing_a_solid_cell_runs_the_new_code(
    kernel: tuple[KernelManager, BlockingKernelClient],
) -> None:
    _km, kc = kernel
    _failed_loop(kc)
    fixed_in = _next_cell(kc)
    _ok(kc, FIXED)  # the @pipeline cell is NOT re-run: the pipeline is rebuilt with the fix
    out = _ok(
        kc,
        "w = session.last_widget()\n"
        "print('before:', w.definition_note)\n"
        "r = w.reexecute('failed')\n"
        "print('success:', r.success, r.output_for_solid('report'))\n"
        "print('message:', w.message)\n"
        "print('same:', w.result is r, last_result() is r)\n",
    )
    assert "success: True 84" in out, out
    before = next(line for line in out.splitlines() if line.startswith("before:"))
    assert f"will run with the cells as they are now: transform changed in In [{fixed_in}]" in (
        before
    ), out  # said in the widget after the fixed cell ran, before the click
    assert f"transform changed in In [{fixed_in}]" in out, out
    assert "with the cells as they are now" in out, out
    assert "same: True True" in out, out

    # the pipeline has lost the step: the widget says so and runs nothing
    _ok(kc, "first = execute_pipeline(loop, raise_on_error=False)")  # fails: the old pipeline
    _ok(kc, "@pipeline\ndef loop():\n    source()\n")
    out = _ok(
        kc,
        "w = session.last_widget()\n"
        "print('result:', w.reexecute('failed'))\n"
        "print('message:', w.message)\n"
        "print('failed:', w.failed_selection)\n",
    )
    assert "result: None" in out, out
    assert 'pipeline "loop" no longer has steps' in out and "transform.compute" in out, out


def test_reexecute_after_rerunning_the_pipeline_cell_too(
    kernel: tuple[KernelManager, BlockingKernelClient],
) -> None:
    _km, kc = kernel
    _failed_loop(kc)
    _ok(kc, FIXED)
    _ok(kc, PIPE)  # as the stale warning says
    out = _ok(
        kc,
        "w = session.last_widget()\n"
        "r = w.reexecute('failed')\n"
        "print('success:', r.success, r.output_for_solid('report'), w.message)\n",
    )
    assert "success: True 84" in out and "transform changed" in out, out


def test_the_stale_warning_is_shown_in_the_widget(
    kernel: tuple[KernelManager, BlockingKernelClient],
) -> None:
    _km, kc = kernel
    _failed_loop(kc)
    _ok(kc, FIXED)
    reply, messages = _run(kc, "again = execute_pipeline(loop, raise_on_error=False)")
    assert reply["content"]["status"] == "ok"
    notes = [s["stale_note"] for s in _widget_states(messages) if s.get("stale_note")]
    assert notes and "old version of transform" in notes[-1], _widget_states(messages)[:1]


def test_an_impossible_selection_is_refused_before_the_click(
    kernel: tuple[KernelManager, BlockingKernelClient],
) -> None:
    _km, kc = kernel
    _failed_loop(kc)
    out = _ok(
        kc,
        "w = session.last_widget()\n"
        "w._handle_custom_msg({'type': 'preview_query', 'query': 'report'}, [])\n"
        "print('report:', w.query_preview)\n"
        "w._handle_custom_msg({'type': 'preview_steps', 'steps': ['report.compute']}, [])\n"
        "print('picked:', w.query_preview.get('problem'))\n"
        "w._handle_custom_msg({'type': 'preview_query', 'query': 'nothing_here'}, [])\n"
        "print('none:', w.query_preview)\n"
        "w._handle_custom_msg({'type': 'preview_query', 'query': 'transform+'}, [])\n"
        "print('ok:', w.query_preview)\n"
        "print('run:', w.reexecute('selected', query='report'), w.message)\n",
    )
    report = next(line for line in out.splitlines() if line.startswith("report:"))
    assert "'steps': ['report.compute']" in report, out
    assert 'needs output "result" of step "transform.compute"' in report, out
    assert "add transform.compute to the selection" in report, out
    assert "picked: Step" in out, out
    none = next(line for line in out.splitlines() if line.startswith("none:"))
    assert "'steps': []" in none and "'error'" in none, out
    ok = next(line for line in out.splitlines() if line.startswith("ok:"))
    assert "'problem': None" in ok and "transform.compute" in ok, out
    assert "run: None Cannot re-execute: Step" in out, out


def test_progress_counts_failed_and_skipped_steps(
    kernel: tuple[KernelManager, BlockingKernelClient],
) -> None:
    _km, kc = kernel
    _failed_loop(kc)
    out = _ok(kc, "print(session.last_widget().progress)")
    assert "'failed': 1" in out and "'skipped': 1" in out and "'succeeded': 1" in out, out


def test_several_runs_in_one_cell_show_compact_widgets(
    kernel: tuple[KernelManager, BlockingKernelClient],
) -> None:
    _km, kc = kernel
    reply, messages = _run(kc, "for _ in range(3):\n    execute_pipeline(fast_pipe)\n")
    assert reply["content"]["status"] == "ok"
    opened = [
        m["content"]["data"]["state"]
        for m in messages
        if m["msg_type"] == "comm_open" and "pipeline_name" in m["content"]["data"]["state"]
    ]
    shown = [m for m in messages if m["msg_type"] == "display_data"]
    assert len(shown) == 3, shown
    compact: dict[str, bool] = {}  # comm id -> its latest `compact`, in the order opened
    for m in messages:
        if m["msg_type"] in ("comm_open", "comm_msg"):
            state = m["content"]["data"].get("state", {})
            if "compact" in state:
                compact[m["content"]["comm_id"]] = state["compact"]
    assert list(compact.values()) == [False, True, True], compact
    assert len(opened) == 3
    out = _ok(
        kc,
        "from notebook_pipelines import last_result\n"
        "print(last_result().run_id == session.last_widget().run_id)",
    )
    assert out.strip() == "True"


def test_a_run_reads_well_without_the_kernel(
    kernel: tuple[KernelManager, BlockingKernelClient],
) -> None:
    """The displayed bundle carries a static HTML summary next to the widget view, updated to
    the run's final state when it ends."""
    _km, kc = kernel
    _failed_loop(kc)
    _reply, messages = _run(kc, "again = execute_pipeline(loop, raise_on_error=False)")
    shown = [m for m in messages if m["msg_type"] == "display_data"]
    updated = [m for m in messages if m["msg_type"] == "update_display_data"]
    assert len(shown) == 1 and len(updated) == 1, [m["msg_type"] for m in messages]
    final = updated[0]["content"]["data"]
    assert WIDGET_MIME in final and "text/html" in final
    html = final["text/html"]
    assert "data:image/svg+xml;base64," in html  # the DAG, coloured by status
    assert "transform.compute" in html and "the old code ran" in html  # table and error
    assert "3 steps: 1 succeeded, 1 failed, 1 skipped" in html
    assert "RunWidget object at" not in final["text/plain"]
