"""The in-process executor: every step in this process, one at a time, by ``dagster/priority``.

Its :class:`InProcessLauncher` is the whole of what an executor adds to the run's one scheduling
loop (:func:`..execution.loop.run_steps`): ``launch`` notes the step, ``poll`` runs it here (its
events, already stored, are messages of their own for the loop, as they happen). Each step's stdout/stderr is captured into the instance's compute logs while it computes
(decided once per run; with an ephemeral instance there is no capture work at all)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any

from ..definitions import registry
from ..definitions.executor import Executor, in_process_executor
from ..errors import SerializableErrorInfo
from ..events import DagsterEvent, EngineEventData
from ..execution.contexts import PlanExecutionContext
from ..execution.loop import elapsed_ms, run_steps
from ..execution.messages import Done, Message
from ..execution.step_runner import run_step
from ..plan.plan import ExecutionPlan
from ..plan.retries import Retries
from ..plan.steps import ExecutionStep
from ..user_events import EventMetadataEntry


class InProcessLauncher:
    """Runs each launched step here, when the loop polls."""

    capacity: int | None = 1  # the launched step runs in the next poll
    where: str | None = None  # a failed step raises its own error here (raise_on_error)

    def __init__(self, ctx: PlanExecutionContext, retries: Retries):
        self.ctx = ctx
        self.retries = retries
        self.compute_logs = ctx.instance.compute_log_manager.run_capture(ctx.run_id)
        self.step: tuple[ExecutionStep, int] | None = None

    def launch(self, step: ExecutionStep, attempt: int) -> tuple[()]:
        self.step = (step, attempt)
        return ()

    def poll(self, timeout: float | None) -> Iterable[Message]:
        if self.step is None:
            return ()
        (step, attempt), self.step = self.step, None
        events = run_step(self.ctx.for_step(step), self.retries, self.compute_logs)
        return chain(events, (Done(step.key, attempt),))  # no frame of ours per event

    def shutdown(self, error: BaseException | None) -> tuple[()]:
        if self.compute_logs is not None:
            self.compute_logs.close()
        return ()

    def stopped(self, error: BaseException) -> tuple[SerializableErrorInfo | None, str]:
        return None, f"the run was stopped ({type(error).__name__})"


class InProcessExecutor(Executor):
    """Submits each step by running it here."""

    def __init__(self, retries: Retries, marker_to_close: str | None = None):
        self._retries = retries
        self.marker_to_close = marker_to_close

    @property
    def retries(self) -> Retries:
        return self._retries

    def execute(
        self, pipeline_context: PlanExecutionContext, execution_plan: ExecutionPlan
    ) -> Iterator[DagsterEvent]:
        pid = os.getpid()
        keys = execution_plan.step_keys_to_execute
        yield pipeline_context.engine_event(
            f"Executing steps in process (pid: {pid})",
            EngineEventData((EventMetadataEntry.text(str(pid), "pid"),), marker_start="in_process"),
        )
        start = time.perf_counter()
        launcher = InProcessLauncher(pipeline_context, self._retries)
        yield from run_steps(pipeline_context, execution_plan, self._retries, launcher)
        yield pipeline_context.engine_event(
            f"Finished steps in process (pid: {pid}) in {elapsed_ms(start)}",
            EngineEventData(
                (EventMetadataEntry.text(str(len(keys)), "steps"),), marker_end="in_process"
            ),
        )


def create(init_context: Any) -> InProcessExecutor:
    """Creation function of ``in_process_executor``."""
    config = init_context.executor_config
    return InProcessExecutor(
        Retries.from_config(config.get("retries")), config.get("marker_to_close")
    )


registry.executors.register(in_process_executor.name, create)
