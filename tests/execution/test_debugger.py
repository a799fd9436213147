"""``context.pdb`` and ``breakpoint()`` in solids run in this process, answered by a scripted
prompter (the kernel and terminal paths are in tests/jupyter/test_debug_kernel.py and
tests/test_cli_debug.py): commands, ``q``, fail-fast, the debugger's engine events, letting go of
the thread when the step ends, and the ``breakpoint()`` hook's delegation."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from notebook_pipelines import (
    DagsterDebuggerError,
    DagsterInstance,
    execute_pipeline,
    pipeline,
    solid,
)
from notebook_pipelines.events import DebuggerEventData
from notebook_pipelines.execution import breakpoints, debug_io
from notebook_pipelines.execution.debugger import MARKER, Debugger


class Scripted(debug_io.Prompter):
    """Answers prompts from a list (EOF when it runs out); keeps the transcript."""

    def __init__(self, lines: list[str], why: str | None = None):
        self.lines = list(lines)
        self.why = why
        self.out: list[str] = []
        self.prompts: list[str] = []

    def unavailable(self) -> str | None:
        return self.why

    def write(self, text: str) -> None:
        self.out.append(text)

    def readline(self, prompt: str) -> str:
        self.prompts.append(prompt)
        self.out.append(prompt)
        if not self.lines:
            raise EOFError
        line = self.lines.pop(0)
        self.out.append(line + "\n")
        return line

    @property
    def text(self) -> str:
        return "".join(self.out)


@pytest.fixture
def scripted() -> Iterator[list[Scripted]]:
    box: list[Scripted] = []
    yield box
    debug_io.set_prompter(None)


def use(box: list[Scripted], lines: list[str], why: str | None = None) -> Scripted:
    prompter = Scripted(lines, why)
    box.append(prompter)
    debug_io.set_prompter(prompter)
    return prompter


@solid
def one(_context):
    return 1


@solid
def add(context, x):
    y = x + 1
    context.pdb.set_trace()
    z = y * 10
    return z


@solid
def with_breakpoint(_context, z):
    w = z + 1
    breakpoint()
    return w


@solid
def after(_context, w):
    return sys.gettrace() is None and w


@pipeline
def stepping():
    after(with_breakpoint(add(one())))


def test_commands_reach_the_solid_and_the_prompt_names_the_step(scripted: list[Scripted]) -> None:
    prompter = use(scripted, ["p x", "p y", "n", "p z", "c", "p w", "c"])
    result = execute_pipeline(stepping)
    assert result.success
    assert result.result_for_solid("after").output_value() == 21  # no tracing left behind
    assert (
        prompter.prompts == ["[add.compute] (Pdb) "] * 5 + ["[with_breakpoint.compute] (Pdb) "] * 2
    )
    lines = prompter.text.splitlines()
    assert "-> z = y * 10" in lines and "-> return z" in lines
    assert [line for line in lines if line.isdigit()] == ["1", "2", "20", "21"]
    assert sys.gettrace() is None


def test_n_at_the_end_of_the_solid_does_not_stop_in_the_engine(scripted: list[Scripted]) -> None:
    prompter = use(scripted, ["n", "n", "n", "n", "c"])
    result = execute_pipeline(stepping)
    assert result.success
    assert all("notebook_pipelines" not in line for line in prompter.text.splitlines())
    # stepped off the end of `add`: the next stop is the breakpoint() of the next solid
    assert prompter.prompts[-1] == "[with_breakpoint.compute] (Pdb) "


def test_q_fails_the_step_stopped_in_the_debugger(scripted: list[Scripted]) -> None:
    use(scripted, ["q"])
    result = execute_pipeline(stepping, raise_on_error=False)
    assert not result.success
    failure = result.result_for_solid("add").compute_step_failure_event
    assert 'Step "add.compute" was stopped in the debugger (q).' in failure.message
    assert result.result_for_solid("with_breakpoint").skipped
    assert sys.gettrace() is None

    use(scripted, [])  # the end of input quits too; raise_on_error raises the debugger's error
    with pytest.raises(DagsterDebuggerError, match="stopped in the debugger") as raised:
        execute_pipeline(stepping)
    assert raised.value.quit and raised.value.step_key == "add.compute"


def test_no_one_to_answer_fails_fast(scripted: list[Scripted]) -> None:
    prompter = use(scripted, ["c"], why="stdin is closed")
    result = execute_pipeline(stepping, raise_on_error=False)
    message = result.result_for_solid("add").compute_step_failure_event.message
    assert "stopped at a breakpoint (test_debugger.py:" in message
    assert "no one can answer the debugger: stdin is closed" in message
    assert prompter.prompts == []


def test_default_prompter_needs_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("c\n"))
    assert "not a terminal" in (debug_io.Prompter().unavailable() or "")
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stdin", closed)
    assert debug_io.Prompter().unavailable() == "stdin is closed"
    monkeypatch.setattr("builtins.input", lambda prompt="": "c")  # a kernel's input(): trusted
    assert debug_io.Prompter().unavailable() is None


def test_stdin_not_implemented_becomes_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    class StdinNotImplementedError(Exception):
        pass

    def refuse(prompt: str = "") -> str:
        raise StdinNotImplementedError("raw_input was called, but this frontend does not support")

    monkeypatch.setattr("builtins.input", refuse)
    with pytest.raises(DagsterDebuggerError, match="No one can answer the debugger"):
        debug_io.Prompter().readline("(Pdb) ")


def test_engine_events_mark_the_step_in_and_out_of_the_debugger(
    scripted: list[Scripted],
) -> None:
    use(scripted, ["c", "c"])
    with DagsterInstance.ephemeral() as instance:
        result = execute_pipeline(stepping, instance=instance)
        records = instance.all_logs(result.run_id)
    marks = []
    for record in records:
        event = record.dagster_event
        if event is not None and event.event_type_value == "ENGINE_EVENT" and event.step_key:
            data = event.event_specific_data
            marks.append((event.step_key, data.marker_start or "-", data.marker_end or "-"))
            # the payload says "debugger" by its type: stopped, then going on
            assert type(data) is DebuggerEventData
            assert data.stopped is (data.marker_start == MARKER)
            assert (data.location is not None) is data.stopped
    assert marks == [
        ("add.compute", MARKER, "-"),
        ("add.compute", "-", MARKER),
        ("with_breakpoint.compute", MARKER, "-"),
        ("with_breakpoint.compute", "-", MARKER),
    ]


def test_breakpoint_outside_a_solid_goes_to_the_previous_hook(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(sys, "breakpointhook", lambda *a, **k: calls.append("previous"))
    breakpoints.install()
    try:
        breakpoint()
        assert calls == ["previous"]
    finally:
        breakpoints.uninstall()
    assert calls == ["previous"]


def test_pythonbreakpoint_is_respected(
    scripted: list[Scripted], monkeypatch: pytest.MonkeyPatch
) -> None:
    prompter = use(scripted, ["c", "c"])
    monkeypatch.setenv("PYTHONBREAKPOINT", "0")
    result = execute_pipeline(stepping)
    assert result.success
    assert prompter.prompts == ["[add.compute] (Pdb) "] * 1  # context.pdb only


def test_a_debugger_outside_a_step_talks_through_its_target(scripted: list[Scripted]) -> None:
    prompter = use(scripted, ["p value", "c"])

    def raises() -> None:
        value = 41 + 1
        raise KeyError(value)

    try:
        raises()
    except KeyError as exc:
        Debugger(step_key=None).post_mortem(exc.__traceback__)  # type: ignore[arg-type]
    assert prompter.prompts == ["(Pdb) ", "(Pdb) "]
    assert "42" in prompter.text.splitlines()
