"""A new executor is one module implementing the launcher protocol of the run's one scheduling loop
(:class:`notebook_pipelines.execution.loop.Launcher`), plus the conformance suite: this file is
both, for an executor that runs each step through a :class:`StepWorker` in this process — what a
worker process does, its messages crossing the wire protocol as bytes — and passes
:class:`ExecutorSuite` with nothing else: ordering, skips, retries (``seconds_to_wait`` included),
``raise_on_error`` and interrupts come from the loop."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from notebook_pipelines import Executor, executor
from notebook_pipelines.definitions.executor import retries_config_field
from notebook_pipelines.errors import SerializableErrorInfo
from notebook_pipelines.events import DagsterEvent
from notebook_pipelines.execution.contexts import PlanExecutionContext
from notebook_pipelines.execution.loop import run_steps, step_failures_error
from notebook_pipelines.execution.messages import Done, Message, Record, decode, encode
from notebook_pipelines.execution.worker import StepWorker, worker_instance
from notebook_pipelines.plan.plan import ExecutionPlan
from notebook_pipelines.plan.retries import Retries
from notebook_pipelines.plan.steps import ExecutionStep
from notebook_pipelines.testing.executor_suite import ExecutorSuite

from .suite_faults import RealFaults


class StepWorkerLauncher:
    """Each launched step runs, at the next poll, in a StepWorker of this process."""

    capacity: int | None = 1
    where: str | None = "a step worker"

    def __init__(self, ctx: PlanExecutionContext):
        self.wire: list[bytes] = []  # what the "worker" sent
        instance = worker_instance(ctx.instance.root_directory, False)
        send = self.wire.append
        self.worker = StepWorker(
            ctx.pipeline_def, ctx.pipeline_run, instance, lambda r: send(encode(Record(r)))
        )
        self.step: tuple[str, int] | None = None

    def launch(self, step: ExecutionStep, attempt: int) -> tuple[()]:
        self.step = (step.key, attempt)
        return ()

    def poll(self, timeout: float | None) -> Iterator[Message]:
        if self.step is not None:
            (key, attempt), self.step = self.step, None
            self.worker.run(key, attempt)
            self.wire.append(encode(Done(key, attempt)))
        yield from self._received()

    def shutdown(self, error: BaseException | None) -> Iterator[Message]:
        self.worker.close()
        yield from self._received()

    def stopped(self, error: BaseException) -> tuple[SerializableErrorInfo | None, str]:
        return None, f"the run was stopped ({type(error).__name__})"

    def _received(self) -> Iterator[Message]:
        while self.wire:
            yield from decode(self.wire.pop(0))


class StepWorkerExecutor(Executor):
    def __init__(self, retries: Retries):
        self._retries = retries

    @property
    def retries(self) -> Retries:
        return self._retries

    def execute(self, ctx: PlanExecutionContext, plan: ExecutionPlan) -> Iterator[DagsterEvent]:
        failures = yield from run_steps(ctx, plan, self._retries, StepWorkerLauncher(ctx))
        if failures:
            raise step_failures_error(failures, "a step worker")


@executor(name="step_worker", config_schema={"retries": retries_config_field()})
def step_worker_executor(init_context: Any) -> StepWorkerExecutor:
    return StepWorkerExecutor(Retries.from_config(init_context.executor_config.get("retries")))


class TestStepWorkerExecutor(RealFaults, ExecutorSuite):
    executor_def = step_worker_executor

    @pytest.fixture
    def run_config_for_executor(self) -> dict[str, Any]:
        return {"execution": {"step_worker": {}}, "intermediate_storage": {"filesystem": {}}}
