"""Results of a run: views over its event list (:class:`PipelineExecutionResult`,
:class:`CompositeSolidExecutionResult`, :class:`SolidExecutionResult`). Output values are read from
the run's intermediate storage when asked for."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from ..definitions import display
from ..errors import DagsterInvariantViolationError
from ..events import (
    FAILURE_EVENTS,
    DagsterEvent,
    DagsterEventType,
    StepOutputHandle,
    StepStatus,
    step_status,
)

OutputReader = Callable[[Any, StepOutputHandle], Any]


class _GraphResult:
    """What pipeline and composite results share: results of the solids at one graph level."""

    def __init__(
        self, graph: Any, prefix: str, event_list: Sequence[DagsterEvent], reader: OutputReader
    ):
        self._graph = graph
        self._prefix = prefix
        self.event_list = list(event_list)
        self._reader = reader

    @cached_property
    def events_by_step_key(self) -> dict[str | None, list[DagsterEvent]]:
        """Every event by its step key; the run's own events (no step) under ``None``."""
        by_key: dict[str | None, list[DagsterEvent]] = {}
        for event in self.event_list:
            by_key.setdefault(event.step_key, []).append(event)
        return by_key

    @property
    def step_event_list(self) -> list[DagsterEvent]:
        """The events of steps' computes (no run, engine or hook events)."""
        return [e for e in self.event_list if e.is_step_event]

    @property
    def solid_result_list(self) -> list[SolidExecutionResult | CompositeSolidExecutionResult]:
        return [self.result_for_solid(name) for name in self._graph.order]

    def result_for_solid(self, name: str) -> SolidExecutionResult | CompositeSolidExecutionResult:
        """The result of the solid ``name`` at this level (use result_for_handle for nested ones)."""
        solid = self._graph.solids.get(name)
        if solid is None:
            raise DagsterInvariantViolationError(
                f'There is no solid "{name}" here; the solids are {sorted(self._graph.solids)}. '
                "For a solid inside a composite use result_for_handle('outer.inner')."
            )
        handle = f"{self._prefix}{name}"
        if solid.is_composite:
            inner_prefix = f"{handle}."
            events = [e for e in self.event_list if (e.step_key or "").startswith(inner_prefix)]
            return CompositeSolidExecutionResult(solid, handle, events, self._reader)
        events = self.events_by_step_key.get(f"{handle}.compute", [])
        return SolidExecutionResult(
            solid, handle, [e for e in events if e.is_step_event], self._reader
        )

    def result_for_handle(
        self, handle: str
    ) -> SolidExecutionResult | CompositeSolidExecutionResult:
        """The result of the solid at a dotted handle relative to here (``outer.inner``)."""
        first, _, rest = handle.partition(".")
        result = self.result_for_solid(first)
        if rest:
            if not isinstance(result, CompositeSolidExecutionResult):
                raise DagsterInvariantViolationError(
                    f'Solid "{result.handle}" is not a composite; handle "{handle}" does not exist.'
                )
            return result.result_for_handle(rest)
        return result

    def output_for_solid(self, handle_str: str, output_name: str = "result") -> Any:
        """The value of ``output_name`` of the solid at ``handle_str`` (None if it did not
        succeed, as ``output_value``)."""
        return self.result_for_handle(handle_str).output_value(output_name)


class PipelineExecutionResult(_GraphResult):
    """The result of executing a pipeline. Returned by ``execute_pipeline``; do not build one."""

    def __init__(
        self,
        pipeline_def: Any,
        run_id: str,
        event_list: Sequence[DagsterEvent],
        reader: OutputReader,
        instance: Any = None,
    ):
        super().__init__(pipeline_def.graph, "", event_list, reader)
        self.pipeline_def = pipeline_def
        self.run_id = run_id
        self.instance = instance

    def debug_step(self, step_key: str) -> BaseException | None:
        """Run the compute of ``step_key`` again in this process, with the inputs and config it had
        in this run, and stop in the debugger where it raises (post-mortem, like ``%debug``);
        return the exception. See :mod:`.postmortem`."""
        from .postmortem import debug_step

        return debug_step(
            self.run_id, step_key, self.instance, self.pipeline_def, reader=self._reader
        )

    @property
    def success(self) -> bool:
        """Whether no step (and the run itself) failed."""
        return not any(e.event_type_value in FAILURE_EVENTS for e in self.event_list)

    def to_graphviz(self) -> Any:
        """The pipeline's DAG coloured by step status in this run, as a ``graphviz.Digraph``
        (needs the notebook layer: graphviz)."""
        return display.to_graphviz(self)

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, str]:
        """Jupyter's rich display: the DAG coloured by step status as SVG when graphviz can draw
        it, and text/plain."""
        return display.mimebundle(self, lambda: repr(self))

    def __repr__(self) -> str:
        return f"<PipelineExecutionResult {self.pipeline_def.name} run={self.run_id} success={self.success}>"


class CompositeSolidExecutionResult(_GraphResult):
    """The result of a composite solid: its inner solids' results and its mapped outputs."""

    def __init__(
        self, solid: Any, handle: str, event_list: Sequence[DagsterEvent], reader: OutputReader
    ):
        super().__init__(solid.definition.graph, f"{handle}.", event_list, reader)
        self.solid = solid
        self.handle = handle

    @property
    def success(self) -> bool:
        return all(not r.skipped and r.success for r in self._leaf_results())

    @property
    def skipped(self) -> bool:
        return all(r.skipped for r in self._leaf_results())

    def _leaf_results(self) -> list[SolidExecutionResult]:
        leaves: list[SolidExecutionResult] = []
        for result in self.solid_result_list:
            if isinstance(result, CompositeSolidExecutionResult):
                leaves.extend(result._leaf_results())
            else:
                leaves.append(result)
        return leaves

    def output_value(self, output_name: str = "result") -> Any:
        """The value of one of the composite's outputs (through its output mapping)."""
        definition = self.solid.definition
        if not definition.has_output(output_name):
            raise DagsterInvariantViolationError(
                f'Composite solid "{self.handle}" has no output "{output_name}"; its outputs: '
                f"{[d.name for d in definition.output_defs] or 'none (no output mappings)'}."
            )
        mapping = definition.output_mapping_for(output_name)
        return self.result_for_solid(mapping.solid_name).output_value(mapping.output_name)

    @property
    def output_values(self) -> dict[str, Any] | None:
        if not self.success:
            return None
        return {d.name: self.output_value(d.name) for d in self.solid.definition.output_defs}

    def output_value_for_solid(self, name: str, output_name: str = "result") -> Any:
        return self.result_for_solid(name).output_value(output_name)

    def output_values_for_solid(self, name: str) -> dict[str, Any] | None:
        return self.result_for_solid(name).output_values

    def output_value_for_handle(self, handle_str: str, output_name: str = "result") -> Any:
        return self.result_for_handle(handle_str).output_value(output_name)

    def output_values_for_handle(self, handle_str: str) -> dict[str, Any] | None:
        return self.result_for_handle(handle_str).output_values


class SolidExecutionResult:
    """The result of one (leaf) solid: a view over its step's compute events (not its hooks')."""

    def __init__(
        self, solid: Any, handle: str, step_events: Sequence[DagsterEvent], reader: OutputReader
    ):
        self.solid = solid
        self.handle = handle
        self.step_events = list(step_events)
        self._reader = reader

    @property
    def step_key(self) -> str:
        return f"{self.handle}.compute"

    def _of(self, kind: DagsterEventType) -> list[DagsterEvent]:
        return [e for e in self.step_events if e.event_type_value == kind]

    @property
    def compute_step_events(self) -> list[DagsterEvent]:
        """Every event of the solid's compute step."""
        return self.step_events

    @property
    def success(self) -> bool:
        return step_status(self.step_events) is StepStatus.SUCCEEDED

    @property
    def skipped(self) -> bool:
        """True if its events leave it skipped, or it has none (it did not run). As in the
        reference, a solid whose outputs a re-execution copied from its parent run (outside the
        step selection) is not skipped."""
        return not self.step_events or step_status(self.step_events) is StepStatus.SKIPPED

    @property
    def input_events_during_compute(self) -> list[DagsterEvent]:
        return self._of(DagsterEventType.STEP_INPUT)

    @property
    def output_events_during_compute(self) -> list[DagsterEvent]:
        return self._of(DagsterEventType.STEP_OUTPUT)

    @property
    def compute_input_event_dict(self) -> dict[str, DagsterEvent]:
        return {e.event_specific_data.input_name: e for e in self.input_events_during_compute}

    @property
    def compute_output_event_dict(self) -> dict[str, DagsterEvent]:
        return {e.event_specific_data.output_name: e for e in self.output_events_during_compute}

    compute_output_events_dict = compute_output_event_dict

    @property
    def materialization_events_during_compute(self) -> list[DagsterEvent]:
        return self._of(DagsterEventType.STEP_MATERIALIZATION)

    @property
    def materializations_during_compute(self) -> list[Any]:
        return [
            e.event_specific_data.materialization
            for e in self.materialization_events_during_compute
        ]

    @property
    def expectation_events_during_compute(self) -> list[DagsterEvent]:
        return self._of(DagsterEventType.STEP_EXPECTATION_RESULT)

    @property
    def expectation_results_during_compute(self) -> list[Any]:
        return [
            e.event_specific_data.expectation_result for e in self.expectation_events_during_compute
        ]

    def get_output_event_for_compute(self, output_name: str = "result") -> DagsterEvent:
        event = self.compute_output_event_dict.get(output_name)
        if event is None:
            raise DagsterInvariantViolationError(
                f'Solid "{self.handle}" has no STEP_OUTPUT event for output "{output_name}".'
            )
        return event

    def get_step_success_event(self) -> DagsterEvent:
        for event in self.step_events:
            if event.event_type_value == DagsterEventType.STEP_SUCCESS:
                return event
        raise DagsterInvariantViolationError(f'Step "{self.step_key}" has no STEP_SUCCESS event.')

    @property
    def compute_step_failure_event(self) -> DagsterEvent:
        for event in self.step_events:
            if event.event_type_value == DagsterEventType.STEP_FAILURE:
                return event
        raise DagsterInvariantViolationError(f'Step "{self.step_key}" did not fail.')

    @property
    def failure_data(self) -> Any:
        for event in self.step_events:
            if event.event_type_value == DagsterEventType.STEP_FAILURE:
                return event.event_specific_data
        return None

    def output_value(self, output_name: str = "result") -> Any:
        """The value of ``output_name``; None if the solid did not succeed or did not yield it."""
        definition = self.solid.definition
        if not definition.has_output(output_name):
            raise DagsterInvariantViolationError(
                f'Solid "{self.handle}" has no output "{output_name}"; its outputs: '
                f"{[d.name for d in definition.output_defs] or 'none'}."
            )
        if not self.success or output_name not in self.compute_output_event_dict:
            return None
        dagster_type = definition.output_def_named(output_name).dagster_type
        return self._reader(dagster_type, StepOutputHandle(self.step_key, output_name))

    @property
    def output_values(self) -> dict[str, Any] | None:
        """Values of every output the solid yielded; None if it did not succeed."""
        if not self.success:
            return None
        return {name: self.output_value(name) for name in self.compute_output_event_dict}

    def __repr__(self) -> str:
        return f"<SolidExecutionResult {self.handle} success={self.success}>"
