"""A resolved call, made a run (layer 4): :func:`prepare_run` builds the execution plan of a
:class:`~.request.RunRequest` (from the environment its one validation gave), creates the run in
the request's instance (with its pipeline and plan snapshots, and its parent and root for a
re-execution), and returns a :class:`PreparedRun` — iterated, executed into a result, or executed
with the session's run observers told."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..definitions.mode import ModeDefinition
from ..definitions.snapshot import pipeline_snapshot
from ..errors import DagsterInvariantViolationError
from ..events import DagsterEvent
from ..plan.plan import ExecutionPlan
from ..storage.runs import PipelineRun
from .contexts import PlanExecutionContext
from .observers import RunStart, observed
from .postmortem import inputs_snapshot
from .request import RunRequest
from .results import PipelineExecutionResult
from .run import execute_run_iterator


class PreparedRun:
    """A run created in the instance, ready to execute."""

    def __init__(self, request: RunRequest, plan: ExecutionPlan, pipeline_run: PipelineRun):
        self.request = request
        self.pipeline_def = request.pipeline_def
        self.instance = request.instance
        self.plan = plan
        self.pipeline_run = pipeline_run
        self.context: PlanExecutionContext | None = None

    def _ready(self, context: PlanExecutionContext) -> None:
        self.context = context

    def iterate(self, raise_on_error: bool) -> Iterator[DagsterEvent]:
        return execute_run_iterator(
            self.pipeline_def,
            self.pipeline_run,
            self.instance,
            self.request.env,
            self.plan,
            raise_on_error,
            self._ready,
            pipeline=self.request.target,
            notices=self.request.notices,
        )

    def execute(self, raise_on_error: bool) -> PipelineExecutionResult:
        events = list(self.iterate(raise_on_error))
        return PipelineExecutionResult(
            self.pipeline_def, self.pipeline_run.run_id, events, self._read_output, self.instance
        )

    def execute_observed(self, raise_on_error: bool) -> PipelineExecutionResult:
        """:meth:`execute`, with the session's run observers told (see :mod:`.observers`)."""
        start = RunStart(
            pipeline=self.request.given, run_id=self.pipeline_run.run_id, instance=self.instance
        )
        with observed(start) as box:
            result = self.execute(raise_on_error)
            box.append(result)
        return result

    def _read_output(self, dagster_type: Any, handle: Any) -> Any:
        if self.context is None:
            raise DagsterInvariantViolationError(
                f"Run {self.pipeline_run.run_id} failed before its storage was ready; it has no "
                "outputs."
            )
        return self.context.intermediate_storage.get_intermediate(dagster_type, handle)


def prepare_run(request: RunRequest) -> PreparedRun:
    """Plan ``request`` and create its run in its instance."""
    pipeline_def, mode_def, parent = request.pipeline_def, request.mode_def, request.parent_run
    step_keys = list(request.step_keys) if request.step_keys is not None else None
    plan = ExecutionPlan.build(pipeline_def, request.env, step_keys)
    lineage: dict[str, Any] = {}
    if parent is not None:
        lineage = {
            "step_keys_to_execute": step_keys,
            "root_run_id": parent.root_run_id or parent.run_id,
            "parent_run_id": parent.run_id,
        }
    pipeline_run = request.instance.create_run(
        pipeline_def.name,
        run_config=dict(request.run_config),
        mode=mode_def.name,
        solid_selection=pipeline_def.solid_selection,
        solids_to_execute=pipeline_def.solids_to_execute,
        tags=dict(request.tags),
        execution_plan_snapshot=plan_snapshot(plan, mode_def),
        pipeline_snapshot=pipeline_snapshot(pipeline_def),
        **lineage,
    )
    return PreparedRun(request, plan, pipeline_run)


def plan_snapshot(plan: ExecutionPlan, mode_def: ModeDefinition) -> dict[str, Any]:
    """The run's stored plan: each step's upstream steps (``step_deps``, for step selection in a
    re-execution), and where each step's inputs come from and where the run keeps its values (for
    ``load_step_inputs`` with no definition in the process: :func:`.postmortem.inputs_snapshot`)."""
    return {
        "step_deps": {s.key: sorted(s.upstream_step_keys) for s in plan.steps},
        **inputs_snapshot(plan, mode_def),
    }
