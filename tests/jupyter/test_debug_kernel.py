"""pdb in a real kernel, driven through jupyter_client like a notebook frontend: every
``input_request`` on the stdin channel is answered (the test's answers, or ``q``/EOF when they run
out), every wait is bounded, and the kernel is interrupted and the test failed if a cell overruns.

Covered: ``context.pdb.set_trace()`` in an in-process solid and in a multiprocess worker (``p``,
``n``, ``c``; ``q`` in another run fails the step), ``breakpoint()`` in both, the live widget
showing the step "in debugger" while it is stopped, two workers stopped at once (one talks at a
time, the prompt names the step), a cell run without stdin (fails fast), and the post-mortem
(``%pipeline_debug``, ``result.debug_step``, ``load_step_inputs``).
"""

from __future__ import annotations

import json
import os
import queue
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager, start_new_kernel

pytestmark = [pytest.mark.slow, pytest.mark.kernel]

ROOT = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

Answer = Callable[[str, int], str]


@dataclass
class CellRun:
    """What one cell did: its text output, the prompts it asked (in order), the answers given,
    its status, and every iopub message."""

    text: str = ""
    prompts: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    status: str = ""
    error: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


class Kernel:
    """A started kernel and a client that answers its input requests."""

    def __init__(self, home: Path):
        env = {**os.environ, "NOTEBOOK_PIPELINES_HOME": str(home), "PYTHONPATH": str(ROOT)}
        env.pop("PYTHONBREAKPOINT", None)
        self.home = home
        self.km: KernelManager
        self.km, self.kc = start_new_kernel(
            kernel_name="python3", startup_timeout=60, env=env, cwd=str(home)
        )

    def run(
        self,
        code: str,
        answers: list[str] | Answer | None = None,
        allow_stdin: bool = True,
        timeout: float = 90.0,
        on_prompt: Callable[[CellRun], None] | None = None,
    ) -> CellRun:
        """Execute ``code``; answer each prompt with the next of ``answers`` (or
        ``answers(prompt, index)``); when they run out, answer ``q``."""
        kc = self.kc
        run = CellRun()
        given = list(answers) if isinstance(answers, list) else []
        msg_id = kc.execute(code, allow_stdin=allow_stdin)
        start = time.monotonic()
        deadline = start + timeout
        replied = idle = False
        while not (replied and idle):
            if time.monotonic() > deadline:
                self.km.interrupt_kernel()
                self._drain_after_interrupt(msg_id)
                raise AssertionError(f"cell overran {timeout}s; so far:\n{run.text}\n{run.prompts}")
            try:
                request = kc.get_stdin_msg(timeout=0.01)
            except queue.Empty:
                request = None
            if request is not None and request["msg_type"] == "input_request":
                prompt = ANSI.sub("", request["content"]["prompt"])
                run.prompts.append(prompt)
                if on_prompt is not None:
                    on_prompt(run)
                if callable(answers):
                    answer = answers(prompt, len(run.prompts) - 1)
                else:
                    answer = given.pop(0) if given else "q"
                run.answers.append(answer)
                kc.input(answer)
            self._read_iopub(run, msg_id)
            if not replied:
                try:
                    reply = kc.get_shell_msg(timeout=0.01)
                except queue.Empty:
                    continue
                if reply["parent_header"].get("msg_id") == msg_id:
                    replied = True
                    run.status = reply["content"]["status"]
            idle = idle or any(
                m["msg_type"] == "status" and m["content"]["execution_state"] == "idle"
                for m in run.messages
            )
        run.seconds = time.monotonic() - start
        run.text = ANSI.sub("", run.text)
        return run

    def _read_iopub(self, run: CellRun, msg_id: str) -> None:
        while True:
            try:
                message = self.kc.get_iopub_msg(timeout=0.005)
            except queue.Empty:
                return
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            run.messages.append(message)
            content = message["content"]
            kind = message["msg_type"]
            if kind == "stream":
                run.text += content["text"]
            elif kind == "error":
                run.error = "\n".join(content["traceback"])
                run.text += ANSI.sub("", run.error)
            elif kind in ("execute_result", "display_data"):
                run.text += content["data"].get("text/plain", "") + "\n"

    def _drain_after_interrupt(self, msg_id: str) -> None:
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                request = self.kc.get_stdin_msg(timeout=0.05)
                self.kc.input("q")
            except queue.Empty:
                request = None
            try:
                reply = self.kc.get_shell_msg(timeout=0.05)
                if reply["parent_header"].get("msg_id") == msg_id:
                    return
            except queue.Empty:
                pass
            del request

    def shutdown(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


@contextmanager
def set_up_kernel(home: Path, setup: str) -> Iterator[Kernel]:
    """A kernel in ``home`` that has run the cell ``setup`` (asserted to succeed); shut down after."""
    started = Kernel(home)
    try:
        ran = started.run(setup)
        assert ran.status == "ok", ran.text
        yield started
    finally:
        started.shutdown()


SETUP = """
%load_ext notebook_pipelines
import os, time
from pathlib import Path
from notebook_pipelines import (
    pipeline, solid, execute_pipeline, load_step_inputs, DagsterEventType,
)
MULTI = {"execution": {"multiprocess": {"config": {"max_concurrent": 2}}}}

@solid
def one(context):
    return 1

@solid
def add(context, x):
    y = x + 1
    context.pdb.set_trace()
    z = y * 10
    print("COMPUTED", z)
    return z

@solid
def plain(context, x):
    w = x + 4
    breakpoint()
    return w

@pipeline
def stepping():
    add(one())

@pipeline
def with_breakpoint():
    plain(one())

def failures(result):
    return [e.message for e in result.event_list if e.event_type_value == "STEP_FAILURE"]
"""


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    with set_up_kernel(tmp_path_factory.mktemp("debug_home"), SETUP) as started:
        yield started


def test_in_process_breakpoint_p_n_c_and_widget_in_debugger(kernel: Kernel) -> None:
    seen_in_debugger: list[bool] = []

    def look_at_widget(run: CellRun) -> None:
        # the kernel is blocked at the prompt: the widget's timer thread still sends its state
        if seen_in_debugger:
            return
        end = time.monotonic() + 5
        while time.monotonic() < end:
            kernel._read_iopub(run, run.messages[0]["parent_header"]["msg_id"])
            if any(
                m["msg_type"] == "comm_msg" and "in_debugger" in json.dumps(m["content"])
                for m in run.messages
            ):
                seen_in_debugger.append(True)
                return
            time.sleep(0.05)
        seen_in_debugger.append(False)

    run = kernel.run(
        "r = execute_pipeline(stepping)\n"
        "print('RESULT', r.success, r.result_for_solid('add').output_value())",
        ["p x", "p y", "n", "p z", "c"],
        on_prompt=look_at_widget,
    )
    assert run.status == "ok", run.text
    assert run.prompts == ["[add.compute] (Pdb) "] * 5, run.prompts
    assert "-> z = y * 10" in run.text, run.text
    lines = run.text.splitlines()
    assert "1" in lines and "2" in lines and "20" in lines, run.text
    assert "COMPUTED 20" in run.text
    assert "RESULT True 20" in run.text
    assert seen_in_debugger == [True], "the widget did not show the step in the debugger"


def test_in_process_q_fails_the_step_and_breakpoint_stops(kernel: Kernel) -> None:
    run = kernel.run(
        "r = execute_pipeline(stepping, raise_on_error=False)\nprint('FAILED', failures(r))",
        ["q"],
    )
    assert run.status == "ok", run.text
    assert 'Step "add.compute" was stopped in the debugger (q).' in run.text, run.text
    assert "FAILED [" in run.text

    run = kernel.run(
        "r = execute_pipeline(with_breakpoint)\n"
        "print('RESULT', r.success, r.result_for_solid('plain').output_value())",
        ["p w", "c"],
    )
    assert run.prompts == ["[plain.compute] (Pdb) "] * 2, run.text
    assert "\n5\n" in run.text and "RESULT True 5" in run.text, run.text


def test_worker_breakpoint_through_the_parent(kernel: Kernel) -> None:
    run = kernel.run(
        "r = execute_pipeline(stepping, run_config=MULTI)\n"
        "print('RESULT', r.success, r.result_for_solid('add').output_value(), os.getpid())",
        ["p x", "n", "p z", "p __import__('os').getpid()", "c"],
    )
    assert run.status == "ok", run.text
    assert run.prompts == ["[add.compute] (Pdb) "] * 5, run.text
    assert "[add.compute] stopped in the debugger in worker pid" in run.text
    worker_pid = int(re.search(r"in worker pid (\d+)", run.text).group(1))  # type: ignore[union-attr]
    kernel_pid = int(run.text.split("RESULT True 20 ")[1].split()[0])
    assert worker_pid != kernel_pid
    assert f"\n{worker_pid}\n" in run.text  # `p ...getpid()` ran in the worker
    assert "[add.compute] COMPUTED 20" in run.text  # the worker's own stdout, tagged

    run = kernel.run(
        "r = execute_pipeline(with_breakpoint, run_config=MULTI, raise_on_error=False)\n"
        "print('FAILED', failures(r))",
        ["p w", "q"],
    )
    assert run.prompts == ["[plain.compute] (Pdb) "] * 2, run.text
    assert "\n5\n" in run.text
    assert 'Step "plain.compute" was stopped in the debugger (q).' in run.text, run.text


TWO_AT_ONCE = """
MEET = Path("meet").resolve()
MEET.mkdir()

def meet(me, other):
    Path(MEET, me).touch()
    end = time.monotonic() + 30
    while not Path(MEET, other).exists() and time.monotonic() < end:
        time.sleep(0.02)
    Path(MEET, me + "-stopping").touch()

@solid
def left(context):
    meet("left", "right")
    who = "left"
    context.pdb.set_trace()
    return who

@solid
def right(context):
    meet("right", "left")
    who = "right"
    context.pdb.set_trace()
    return who

@pipeline
def both():
    left()
    right()

r = execute_pipeline(both, run_config=MULTI)
print("RESULT", r.success)
"""


def test_two_workers_stopped_at_once_talk_one_at_a_time(kernel: Kernel) -> None:
    meet = kernel.home / "meet"

    def answer(prompt: str, index: int) -> str:
        if index == 0:  # while the first step is stopped, the other one stops too (and waits)
            end = time.monotonic() + 30
            while len(list(meet.glob("*-stopping"))) < 2 and time.monotonic() < end:
                time.sleep(0.02)
            time.sleep(0.5)
        return "p who" if index % 2 == 0 else "c"

    run = kernel.run(TWO_AT_ONCE, answer)
    assert run.status == "ok", run.text
    assert "RESULT True" in run.text, run.text
    keys = [p.split("]")[0].lstrip("[") for p in run.prompts]
    assert len(keys) == 4 and keys[0] == keys[1] and keys[2] == keys[3] != keys[0], run.prompts
    assert "it waits its turn" in run.text, run.text
    first, second = keys[0].split(".")[0], keys[2].split(".")[0]
    # each step's `p who` answered with its own name, in turn
    assert run.text.index(f"\n'{first}'\n") < run.text.index(f"\n'{second}'\n"), run.text


def test_no_one_to_answer_fails_fast(kernel: Kernel) -> None:
    for config in ("None", "MULTI"):
        run = kernel.run(
            f"r = execute_pipeline(stepping, run_config={config}, raise_on_error=False)\n"
            "print('FAILED', failures(r))",
            allow_stdin=False,
            timeout=60,
        )
        assert run.prompts == [], run.text
        assert "FAILED [" in run.text, run.text
        assert "no one can answer the debugger" in run.text, run.text
        assert "run without stdin" in run.text, run.text


POST_MORTEM = """
@solid
def numbers(context):
    return [1, 2, 3]

@solid(config_schema={"k": int})
def boom(context, xs):
    k = context.solid_config["k"]
    total = sum(xs) * k
    raise ValueError(f"total was {total}")

@pipeline
def exploding():
    boom(numbers())

r = execute_pipeline(exploding, run_config={"solids": {"boom": {"config": {"k": 7}}}},
                     raise_on_error=False)
print("INPUTS", load_step_inputs(r.run_id, "boom.compute"))
"""


def test_post_mortem_of_a_failed_step(kernel: Kernel) -> None:
    run = kernel.run(POST_MORTEM)
    assert run.status == "ok", run.text
    assert "INPUTS {'xs': [1, 2, 3]}" in run.text, run.text

    run = kernel.run("%pipeline_debug", ["p total", "p xs, k", "w", "q"])
    assert run.status == "ok", run.text
    assert run.prompts == ["[boom.compute] (Pdb) "] * 4, run.text
    assert 'raise ValueError(f"total was {total}")' in run.text, run.text
    assert "postmortem.py" not in run.text  # the stack starts in the user's code
    assert "\n42\n" in run.text and "([1, 2, 3], 7)" in run.text, run.text

    run = kernel.run("err = r.debug_step('boom.compute')\nprint('ERR', repr(err))", ["p k", "c"])
    assert run.prompts == ["[boom.compute] (Pdb) "] * 2, run.text
    assert "\n7\n" in run.text and "ERR ValueError('total was 42')" in run.text, run.text


def test_worker_debugger_lists_the_cells_source(kernel: Kernel) -> None:
    run = kernel.run("r = execute_pipeline(stepping, run_config=MULTI)", ["l", "c"])
    assert run.status == "ok", run.text
    assert "context.pdb.set_trace()" in run.text and "->\t    z = y * 10" in run.text, run.text
    assert "[EOF]" not in run.text and "<dynamic-code>" not in run.text, run.text
    assert re.search(r"> /\S+ipykernel_\d+/\d+\.py\(\d+\)add\(\)", run.text), run.text
