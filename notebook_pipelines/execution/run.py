"""A run's lifecycle: set up (loggers, resources, storage, executor — any failure is
``PIPELINE_INIT_FAILURE``), ``PIPELINE_START``, the executor's events, ``PIPELINE_SUCCESS`` or
``PIPELINE_FAILURE``, then resource teardown. Every event is stored as it happens, so nothing is
lost when the caller stops iterating or the run raises."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..definitions.environment import EnvironmentConfig
from ..definitions.pipeline import PipelineDefinition
from ..errors import DagsterError, serializable_error_info_from_exc_info
from ..events import DagsterEvent, DagsterEventType, PipelineFailureData
from ..plan.plan import ExecutionPlan
from ..storage.instance import DagsterInstance
from ..storage.runs import PipelineRun, PipelineRunStatus
from .contexts import PlanExecutionContext
from .reexecution import copy_parent_intermediates
from .setup import RunSetup


def execute_run_iterator(
    pipeline_def: PipelineDefinition,
    pipeline_run: PipelineRun,
    instance: DagsterInstance,
    environment_config: EnvironmentConfig,
    execution_plan: ExecutionPlan,
    raise_on_error: bool,
    on_ready: Callable[[PlanExecutionContext], None] | None = None,
    *,
    pipeline: Any = None,
    notices: Sequence[str] = (),
) -> Iterator[DagsterEvent]:
    """Execute ``pipeline_run`` (already added to ``instance``); yield its events as they happen.

    ``on_ready`` is called with the run's context once it is built (results use it to read
    outputs); ``pipeline`` is what the executor gets (a reconstructable pipeline when there is
    one); ``notices`` are reported as engine events once the run starts (e.g. what the API chose
    on the user's behalf).
    """
    name = pipeline_def.name
    setup = RunSetup(
        pipeline_def,
        pipeline_run,
        instance,
        environment_config,
        execution_plan,
        raise_on_error,
        pipeline=pipeline,
    )
    events = setup.events
    try:
        yield from setup.initialize()
        plan_context = setup.context
        assert plan_context is not None
        if on_ready is not None:
            on_ready(plan_context)
        if execution_plan.is_subset and pipeline_run.parent_run_id:
            yield from copy_parent_intermediates(plan_context, execution_plan)
    except DagsterError as error:
        yield events.emit(
            DagsterEventType.PIPELINE_INIT_FAILURE,
            PipelineFailureData(serializable_error_info_from_exc_info()),
            f'Pipeline failure during initialization of pipeline "{name}": {error}',
        )
        yield from setup.teardown()
        if raise_on_error:
            raise
        return

    yield events.emit(
        DagsterEventType.PIPELINE_START, None, f'Started execution of pipeline "{name}".'
    )
    for notice in notices:
        yield events.engine(notice)
    failed = False
    closing = False
    interrupted = False
    error_info = None
    step_failure = DagsterEventType.STEP_FAILURE  # looked up once, not for each event
    start = time.perf_counter()
    try:
        for event in setup.executor.execute(plan_context, execution_plan):
            if event.event_type_value == step_failure:
                failed = True
            yield event
    except GeneratorExit:
        closing = failed = True
        raise
    except KeyboardInterrupt:
        interrupted = failed = True
        error_info = serializable_error_info_from_exc_info()
        raise
    except BaseException:
        failed = True
        error_info = serializable_error_info_from_exc_info()
        raise
    finally:
        elapsed = (time.perf_counter() - start) * 1000
        if failed:
            reason = "was interrupted" if interrupted else "failed"
            if closing:
                reason = "was stopped before it finished"
            final = events.emit(
                DagsterEventType.PIPELINE_FAILURE,
                PipelineFailureData(error_info),
                f'Execution of pipeline "{name}" {reason} after {elapsed:.0f}ms.',
            )
        else:
            final = events.emit(
                DagsterEventType.PIPELINE_SUCCESS,
                None,
                f'Finished execution of pipeline "{name}" in {elapsed:.0f}ms.',
            )
        if interrupted:
            instance.update_run_status(pipeline_run.run_id, PipelineRunStatus.CANCELED)
        teardown = list(setup.teardown())
        if not closing:
            yield final
            yield from teardown
