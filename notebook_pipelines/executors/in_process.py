"""The in-process executor: every step in this process, one at a time, by ``dagster/priority``."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

from ..definitions import registry
from ..definitions.executor import Executor, in_process_executor
from ..events import DagsterEvent, EngineEventData
from ..execution.contexts import PlanExecutionContext
from ..execution.loop import inner_plan_execution_iterator
from ..plan.plan import ExecutionPlan
from ..plan.retries import Retries
from ..user_events import EventMetadataEntry


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
        yield from inner_plan_execution_iterator(pipeline_context, execution_plan, self._retries)
        elapsed = (time.perf_counter() - start) * 1000
        yield pipeline_context.engine_event(
            f"Finished steps in process (pid: {pid}) in {elapsed:.0f}ms",
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
