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
