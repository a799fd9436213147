"""The multiprocess executor's debugger relay: a step stopped in a worker's debugger talks to the
user through the parent's prompter (here a scripted one; the kernel and the terminal are in
tests/jupyter/test_debug_kernel.py and tests/test_cli_debug.py), one step at a time."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from notebook_pipelines import (
    DagsterDebuggerError,
    DagsterInstance,
    execute_pipeline,
    reconstructable,
)
from notebook_pipelines.execution import debug_io
from notebook_pipelines.execution.messages import DebugRequest
from notebook_pipelines.executors.debug_relay import DebugRelay
from tests.execution.test_debugger import Scripted
from tests.executors import debug_pipelines

MULTI = {"execution": {"multiprocess": {"config": {"max_concurrent": 2}}}}


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with DagsterInstance.local_temp() as temp:
        yield temp


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    prompter = Scripted([])
    debug_io.set_prompter(prompter)
    yield prompter
    debug_io.set_prompter(None)


@pytest.mark.slow
def test_worker_debugger_talks_through_the_parent(
    instance: DagsterInstance, scripted: Scripted
) -> None:
    scripted.lines = ["p x", "n", "p z", "p __import__('os').getpid()", "c", "p w", "c"]
    result = execute_pipeline(
        reconstructable(debug_pipelines.stepping), run_config=MULTI, instance=instance
    )
    assert result.success
    w, worker_pid = result.result_for_solid("with_breakpoint").output_value()
    assert w == 21 and worker_pid != os.getpid()
    assert (
        scripted.prompts == ["[add.compute] (Pdb) "] * 5 + ["[with_breakpoint.compute] (Pdb) "] * 2
    )
    lines = scripted.text.splitlines()
    assert "-> z = y * 10" in lines
    assert [line for line in lines if line.isdigit()][:2] == ["1", "20"]
    assert "[add.compute] stopped in the debugger in worker pid" in scripted.text
    events = [
        (e.step_key, e.event_specific_data.marker_start, e.event_specific_data.marker_end)
        for e in result.event_list
        if e.event_type_value == "ENGINE_EVENT" and e.step_key
    ]
    assert events == [
        ("add.compute", "debugger", None),
        ("add.compute", None, "debugger"),
        ("with_breakpoint.compute", "debugger", None),
        ("with_breakpoint.compute", None, "debugger"),
    ]


@pytest.mark.slow
def test_q_in_a_worker_fails_the_step(instance: DagsterInstance, scripted: Scripted) -> None:
    scripted.lines = ["q"]
    result = execute_pipeline(
        reconstructable(debug_pipelines.stepping),
        run_config=MULTI,
        instance=instance,
        raise_on_error=False,
    )
    failure = result.result_for_solid("add").compute_step_failure_event
    assert 'Step "add.compute" was stopped in the debugger (q).' in failure.message
    assert result.result_for_solid("with_breakpoint").skipped


@pytest.mark.slow
def test_no_one_to_answer_in_the_parent_fails_the_worker_step_fast(
    instance: DagsterInstance, scripted: Scripted
) -> None:
    scripted.why = "stdin is not a terminal"
    start = time.monotonic()
    result = execute_pipeline(
        reconstructable(debug_pipelines.stepping),
        run_config=MULTI,
        instance=instance,
        raise_on_error=False,
    )
    assert time.monotonic() - start < 30
    failure = result.result_for_solid("add").compute_step_failure_event
    assert "no one can answer the debugger: stdin is not a terminal" in failure.message
    assert scripted.prompts == []


# --- the relay's bookkeeping, with stand-in workers ----------------------------------------------


class _Conn:
    def __init__(self) -> None:
        self.sent: list[tuple[Any, ...]] = []

    def send(self, message: tuple[Any, ...]) -> None:
        self.sent.append(message)


class _Worker:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.conn = _Conn()


def test_one_step_talks_at_a_time_in_order() -> None:
    user = Scripted(["p a", "c"])
    relay = DebugRelay(user)
    a, b, c = _Worker(1), _Worker(2), _Worker(3)
    relay.handle(a, DebugRequest("a.compute", "begin", "x.py:1"))
    relay.handle(b, DebugRequest("b.compute", "begin", "x.py:2"))
    relay.handle(c, DebugRequest("c.compute", "begin", "x.py:3"))
    assert a.conn.sent == [("debug_go",)] and b.conn.sent == [] and c.conn.sent == []
    assert "[b.compute] stopped at a breakpoint (x.py:2); it waits its turn" in user.text
    relay.handle(b, DebugRequest("b.compute", "output", "ignored while waiting\n"))
    relay.handle(a, DebugRequest("a.compute", "output", "> x.py(1)\n"))
    relay.handle(a, DebugRequest("a.compute", "prompt", "[a.compute] (Pdb) "))
    assert relay.pending is not None
    relay.serve()
    assert a.conn.sent[-1] == ("debug_line", "p a") and relay.pending is None
    assert "> x.py(1)" in user.text and "ignored" not in user.text
    relay.release(b)  # b's worker died while waiting: c is next
    relay.handle(a, DebugRequest("a.compute", "end", ""))
    assert c.conn.sent == [("debug_go",)] and b.conn.sent == []
    relay.handle(c, DebugRequest("c.compute", "prompt", "[c.compute] (Pdb) "))
    relay.serve()
    assert c.conn.sent[-1] == ("debug_line", "c")
    relay.handle(c, DebugRequest("c.compute", "prompt", "[c.compute] (Pdb) "))
    relay.serve()  # the user's input ended
    assert c.conn.sent[-1] == ("debug_line", None)
    assert user.prompts == ["[a.compute] (Pdb) ", "[c.compute] (Pdb) ", "[c.compute] (Pdb) "]


def test_relay_refuses_when_no_one_can_answer() -> None:
    relay = DebugRelay(Scripted([], why="stdin is closed"))
    worker = _Worker(1)
    relay.handle(worker, DebugRequest("a.compute", "begin", "x.py:1"))
    assert worker.conn.sent == [("debug_unavailable", "stdin is closed")]
    assert relay.active is None

    class Refusing(Scripted):
        def readline(self, prompt: str) -> str:
            raise DagsterDebuggerError("No one can answer the debugger: no stdin")

    relay = DebugRelay(Refusing([]))
    relay.handle(worker, DebugRequest("a.compute", "begin", "x.py:1"))
    relay.handle(worker, DebugRequest("a.compute", "prompt", "[a.compute] (Pdb) "))
    relay.serve()
    assert worker.conn.sent[-1] == (
        "debug_unavailable",
        "No one can answer the debugger: no stdin",
    )
