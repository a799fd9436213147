"""The execution plan: composites flattened into one step per leaf solid, in topological order.

:meth:`ExecutionPlan.build` resolves every step input to its source — another step's output (through
composite input and output mappings), several outputs (fan-in), run config, or a default — and
attaches the ``outputs`` config entries (of the solid and of every composite that exposes the
output) to the step outputs they materialize.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..definitions import display
from ..definitions.composite import CompositeSolidDefinition
from ..definitions.environment import EnvironmentConfig
from ..definitions.graph import Graph
from ..definitions.pipeline import PipelineDefinition
from ..errors import (
    DagsterExecutionStepNotFoundError,
    DagsterInvalidDefinitionError,
    DagsterInvariantViolationError,
)
from ..events import StepOutputHandle
from .steps import (
    ExecutionStep,
    FromConfig,
    FromDefaultValue,
    FromMultipleSources,
    FromStepOutput,
    StepInput,
    StepInputSource,
    StepOutput,
)

PRIORITY_TAG = "dagster/priority"


@dataclass(frozen=True)
class _Scope:
    """One graph level while flattening: its handle prefix and the composite that contains it."""

    graph: Graph
    prefix: str
    composite: Any = None  # the CompositeSolidDefinition whose graph this is
    composite_name: str | None = None
    parent: _Scope | None = None
    tags: Mapping[str, str] | None = None
    hook_defs: frozenset[Any] = frozenset()


class ExecutionPlan:
    """Steps in topological order, the dependencies between them, and which of them to execute."""

    def __init__(
        self,
        pipeline_def: PipelineDefinition,
        steps: list[ExecutionStep],
        step_keys_to_execute: Iterable[str] | None = None,
        environment_config: EnvironmentConfig | None = None,
    ):
        self.pipeline_def = pipeline_def
        self.environment_config = environment_config
        self._all_steps = steps
        self.step_dict = {step.key: step for step in steps}
        keys = list(step_keys_to_execute) if step_keys_to_execute is not None else None
        if keys is not None:
            missing = [k for k in keys if k not in self.step_dict]
            if missing:
                raise DagsterExecutionStepNotFoundError(
                    f'Execution plan of pipeline "{pipeline_def.name}" has no steps {missing}; '
                    f"its steps: {sorted(self.step_dict)}.",
                    step_keys=missing,
                )
        self.step_keys_to_execute = _execution_order(steps, keys)
        self._executed = frozenset(self.step_keys_to_execute)

    @staticmethod
    def build(
        pipeline_def: PipelineDefinition,
        environment_config: EnvironmentConfig,
        step_keys_to_execute: Iterable[str] | None = None,
    ) -> ExecutionPlan:
        builder = _PlanBuilder(environment_config)
        builder.add_graph(_Scope(pipeline_def.graph, ""))
        return ExecutionPlan(pipeline_def, builder.steps, step_keys_to_execute, environment_config)

    # --- queries ---------------------------------------------------------------------------------

    @property
    def steps(self) -> list[ExecutionStep]:
        """Every step of the full plan, in topological order."""
        return self._all_steps

    @property
    def is_subset(self) -> bool:
        return len(self.step_keys_to_execute) != len(self._all_steps)

    def executes(self, key: str) -> bool:
        """Whether step ``key`` is one of the steps to execute."""
        return key in self._executed

    def has_step(self, key: str) -> bool:
        return key in self.step_dict

    def get_step_by_key(self, key: str) -> ExecutionStep:
        step = self.step_dict.get(key)
        if step is None:
            raise DagsterExecutionStepNotFoundError(
                f'No step "{key}" in the plan of pipeline "{self.pipeline_def.name}".', [key]
            )
        return step

    def topological_steps(self) -> list[ExecutionStep]:
        """The steps to execute, in the order they run: topological levels (a step's level is one
        more than its deepest upstream step among those executed), by step key within a level —
        for a subset, by its position in the selection instead (as the reference)."""
        return [self.step_dict[k] for k in self.step_keys_to_execute]

    def execution_deps(self) -> dict[str, set[str]]:
        """Step key → keys of the steps it depends on (over the whole plan)."""
        return {step.key: set(step.upstream_step_keys) for step in self._all_steps}

    def build_subset_plan(self, step_keys: Iterable[str]) -> ExecutionPlan:
        """The same plan, executing only ``step_keys`` (their other inputs come from storage)."""
        return ExecutionPlan(self.pipeline_def, self._all_steps, step_keys, self.environment_config)

    # --- display ---------------------------------------------------------------------------------

    def to_graphviz(self) -> Any:
        """This plan's steps as a ``graphviz.Digraph`` (needs the notebook layer: graphviz)."""
        return display.to_graphviz(self)

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, str]:
        """Jupyter's rich display: the steps as SVG when graphviz can draw them, and text/plain."""
        return display.mimebundle(self, lambda: repr(self))

    def __repr__(self) -> str:
        return f"<ExecutionPlan {self.pipeline_def.name}: {len(self.step_keys_to_execute)} steps>"


def _execution_order(steps: list[ExecutionStep], keys: list[str] | None) -> list[str]:
    """Keys of the steps to execute (all of ``steps`` when ``keys`` is None) by level, then by
    step key (all steps) or by position in ``keys`` (a subset)."""
    if keys is None:
        chosen = [s.key for s in steps]
        rank: dict[str, Any] = {k: k for k in chosen}
    else:
        rank = {}
        for key in keys:
            rank.setdefault(key, len(rank))
        chosen = [s.key for s in steps if s.key in rank]
    by_key = {s.key: s for s in steps}
    level: dict[str, int] = {}
    for key in chosen:  # ``steps`` is topological: upstream levels are known
        upstream = [level[u] for u in by_key[key].upstream_step_keys if u in level]
        level[key] = max(upstream) + 1 if upstream else 0
    return sorted(chosen, key=lambda k: (level[k], rank[k]))


class _PlanBuilder:
    def __init__(self, environment_config: EnvironmentConfig):
        self.env = environment_config
        self.steps: list[ExecutionStep] = []

    def add_graph(self, scope: _Scope) -> None:
        for name in scope.graph.order:
            solid = scope.graph.solids[name]
            handle = f"{scope.prefix}{name}"
            tags = {**(scope.tags or {}), **solid.tags}
            hooks = scope.hook_defs | solid.hook_defs
            if isinstance(solid.definition, CompositeSolidDefinition):
                self.add_graph(
                    _Scope(
                        solid.definition.graph,
                        f"{handle}.",
                        solid.definition,
                        name,
                        scope,
                        tags,
                        hooks,
                    )
                )
                continue
            inputs = tuple(
                StepInput(d.name, d.dagster_type, self._input_source(scope, name, d))
                for d in solid.definition.input_defs
            )
            outputs = tuple(
                StepOutput(
                    d.name,
                    d.dagster_type,
                    d.is_required,
                    tuple(self._materializations(scope, name, d.name)),
                )
                for d in solid.definition.output_defs
            )
            upstream = frozenset(h.step_key for i in inputs for h in i.upstream_handles)
            self.steps.append(
                ExecutionStep(
                    key=f"{handle}.compute",
                    solid_handle=handle,
                    solid=solid,
                    step_inputs=inputs,
                    step_outputs=outputs,
                    tags=tags,
                    hook_defs=hooks,
                    priority=_priority(tags, handle),
                    upstream_step_keys=upstream,
                )
            )

    def _input_source(
        self, scope: _Scope, solid_name: str, input_def: Any
    ) -> StepInputSource | None:
        source = scope.graph.source_of(solid_name, input_def.name)
        if source is not None:
            refs = tuple(
                FromStepOutput(_output_handle(scope, r.solid_name, r.output_name))
                for r in source.refs
            )
            return FromMultipleSources(refs) if source.is_fan_in else refs[0]
        if scope.composite is not None:
            mapping = scope.composite.input_mapping_for(solid_name, input_def.name)
            if mapping is not None:
                assert scope.parent is not None and scope.composite_name is not None
                outer = self._input_source(scope.parent, scope.composite_name, mapping.definition)
                if outer is not None:
                    return outer
                if input_def.has_default_value:
                    return FromDefaultValue(input_def.default_value)
                return None
        handle = f"{scope.prefix}{solid_name}"
        inputs_config = self.env.solid_config(handle).inputs
        if input_def.name in inputs_config:
            return FromConfig(inputs_config[input_def.name], handle)
        if input_def.has_default_value:
            return FromDefaultValue(input_def.default_value)
        if input_def.dagster_type.is_nothing:
            return None
        definition = scope.graph.solids[solid_name].definition
        if isinstance(definition, CompositeSolidDefinition) and definition.input_defaults_inside(
            input_def.name
        ):
            return None  # the inner solids' default values are used
        raise DagsterInvariantViolationError(
            f'Input "{input_def.name}" of solid "{handle}" has no value: it is not connected, not '
            f"in run config (solids.{handle.replace('.', '.solids.')}.inputs.{input_def.name}), "
            "and has no default."
        )

    def _materializations(self, scope: _Scope, solid_name: str, output_name: str) -> list[Any]:
        found: list[Any] = []
        current: _Scope | None = scope
        name: str | None = solid_name
        while current is not None and name is not None:
            handle = f"{current.prefix}{name}"
            for entry in self.env.solid_config(handle).outputs:
                if output_name in entry:
                    found.append(entry[output_name])
            composite = current.composite
            if composite is None:
                break
            exposed = [
                m.definition.name
                for m in composite.output_mappings
                if m.solid_name == name and m.output_name == output_name
            ]
            if not exposed:
                break
            output_name = exposed[0]
            name = current.composite_name
            current = current.parent
        return found


def _output_handle(scope: _Scope, solid_name: str, output_name: str) -> StepOutputHandle:
    solid = scope.graph.solids[solid_name]
    if isinstance(solid.definition, CompositeSolidDefinition):
        mapping = solid.definition.output_mapping_for(output_name)
        inner = _Scope(solid.definition.graph, f"{scope.prefix}{solid_name}.", solid.definition)
        return _output_handle(inner, mapping.solid_name, mapping.output_name)
    return StepOutputHandle(f"{scope.prefix}{solid_name}.compute", output_name)


def _priority(tags: Mapping[str, str], handle: str) -> int:
    value = tags.get(PRIORITY_TAG)
    if value is None:
        return 0
    try:
        return int(value)
    except ValueError:
        raise DagsterInvalidDefinitionError(
            f'Solid "{handle}": tag "{PRIORITY_TAG}" must be an integer, got "{value}".'
        ) from None
