"""Pipelines: a graph of solids with modes, presets, tags and hooks (``@pipeline`` or
:class:`PipelineDefinition`), and subsets of them for solid selection."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..errors import (
    DagsterInvalidDefinitionError,
    DagsterInvalidSubsetError,
    DagsterInvariantViolationError,
)
from . import display
from .composite import CompositeSolidDefinition
from .composition import run_composition
from .dependency import (
    DependencyDefinition,
    MultiDependencyDefinition,
    Solid,
    SolidInvocation,
)
from .graph import Graph, build_graph
from .hook import HookDefinition
from .mode import ModeDefinition
from .names import check_step_key_length, check_valid_name
from .node import NodeDefinition, definition_list, validate_tags
from .preset import PresetDefinition
from .selection import select


class PipelineDefinition:
    """A runnable graph of solids."""

    def __init__(
        self,
        solid_defs: Sequence[NodeDefinition],
        name: str | None = None,
        description: str | None = None,
        dependencies: Mapping[Any, Mapping[str, Any]] | None = None,
        mode_defs: Sequence[ModeDefinition] | None = None,
        preset_defs: Sequence[PresetDefinition] | None = None,
        tags: Mapping[str, Any] | None = None,
        hook_defs: Iterable[HookDefinition] | None = None,
        _parent_pipeline_def: PipelineDefinition | None = None,
        _solid_selection: Sequence[str] | None = None,
    ):
        # a pipeline given no name is "__pipeline", as in the reference
        self.name = check_valid_name(name or "__pipeline", "pipeline")
        owner = f'pipeline "{self.name}"'
        self.description = description
        self.hook_defs = frozenset(hook_defs or ())
        self.graph: Graph = build_graph(
            owner, definition_list(solid_defs, "solid_defs", owner), dependencies, self.hook_defs
        )
        self.mode_definitions = _modes(owner, mode_defs)
        self.preset_defs = _presets(owner, preset_defs, self.mode_definitions)
        self.tags = validate_tags(tags, owner)
        self.parent_pipeline_def = _parent_pipeline_def
        self.solid_selection = list(_solid_selection) if _solid_selection is not None else None
        _check_unique_definition_names(owner, self.graph)
        _check_step_key_lengths(owner, self.graph)
        _check_inputs_have_sources(owner, self.graph, is_subset=_parent_pipeline_def is not None)
        _check_resources(owner, self.graph, self.mode_definitions)
        self.defining_module: str = (
            _parent_pipeline_def.defining_module if _parent_pipeline_def else _caller_module()
        )

    @property
    def display_name(self) -> str:
        """The name shown to people (the reference's name for it); the same as :attr:`name`."""
        return self.name

    # --- structure ---------------------------------------------------------------------------

    @property
    def solids(self) -> list[Solid]:
        return [self.graph.solids[name] for name in self.graph.order]

    @property
    def solid_defs(self) -> list[NodeDefinition]:
        return self.all_solid_defs

    @property
    def all_solid_defs(self) -> list[NodeDefinition]:
        seen: dict[str, NodeDefinition] = {}
        for solid in self.graph.solids.values():
            for definition in solid.definition.iterate_solid_defs():
                seen.setdefault(definition.name, definition)
        return list(seen.values())

    def has_solid_named(self, name: str) -> bool:
        return name in self.graph.solids

    def solid_named(self, name: str) -> Solid:
        solid = self.graph.solids.get(name)
        if solid is None:
            raise DagsterInvariantViolationError(
                f'Pipeline "{self.name}" has no solid named "{name}"; its solids: '
                f"{sorted(self.graph.solids)}."
            )
        return solid

    def get_solid(self, handle: str) -> Solid:
        """The solid at a dotted handle, e.g. ``outer.inner``."""
        parts = handle.split(".")
        solid = self.solid_named(parts[0])
        for part in parts[1:]:
            graph = getattr(solid.definition, "graph", None)
            if graph is None or part not in graph.solids:
                raise DagsterInvariantViolationError(
                    f'Pipeline "{self.name}" has no solid at handle "{handle}".'
                )
            solid = graph.solids[part]
        return solid

    # --- modes and presets -------------------------------------------------------------------

    @property
    def mode_defs(self) -> list[ModeDefinition]:
        return self.mode_definitions

    @property
    def available_modes(self) -> list[str]:
        return [m.name for m in self.mode_definitions]

    @property
    def is_single_mode(self) -> bool:
        return len(self.mode_definitions) == 1

    def has_mode_definition(self, mode: str) -> bool:
        return mode in self.available_modes

    def get_mode_definition(self, mode: str | None = None) -> ModeDefinition:
        if mode is None:
            if not self.is_single_mode:
                raise DagsterInvariantViolationError(
                    f'Pipeline "{self.name}" has several modes ({", ".join(self.available_modes)}); '
                    "say which one to run with mode=..."
                )
            return self.mode_definitions[0]
        for mode_def in self.mode_definitions:
            if mode_def.name == mode:
                return mode_def
        raise DagsterInvariantViolationError(
            f'Pipeline "{self.name}" has no mode "{mode}"; its modes: '
            f"{', '.join(self.available_modes)}."
        )

    @property
    def presets(self) -> list[PresetDefinition]:
        return self.preset_defs

    def has_preset(self, name: str) -> bool:
        return any(p.name == name for p in self.preset_defs)

    def get_preset(self, name: str) -> PresetDefinition:
        for preset in self.preset_defs:
            if preset.name == name:
                return preset
        raise DagsterInvariantViolationError(
            f'Pipeline "{self.name}" has no preset "{name}"; its presets: '
            f"{', '.join(p.name for p in self.preset_defs) or 'none'}."
        )

    # --- derived pipelines -------------------------------------------------------------------

    @property
    def is_subset_pipeline(self) -> bool:
        return self.parent_pipeline_def is not None

    @property
    def solids_to_execute(self) -> frozenset[str] | None:
        return frozenset(self.graph.solids) if self.is_subset_pipeline else None

    def get_pipeline_subset_def(
        self, solids_to_execute: Iterable[str] | None
    ) -> PipelineDefinition:
        """The pipeline restricted to the named top-level solids (or this one for ``None``)."""
        if solids_to_execute is None:
            return self
        return self._subset(frozenset(solids_to_execute), None)

    def subset_for_execution(self, solid_selection: Sequence[str] | None) -> PipelineDefinition:
        """The pipeline restricted to what ``solid_selection`` clauses select (``*a+``...)."""
        if solid_selection is None:
            return self
        if isinstance(solid_selection, str):
            raise DagsterInvalidSubsetError(
                f"solid_selection must be a list of clauses, not the string {solid_selection!r}."
            )
        base = self.parent_pipeline_def or self
        selected = select(list(solid_selection), base.graph.upstream(), what="solid")
        return base._subset(selected, solid_selection)

    def _subset(
        self, selected: frozenset[str], solid_selection: Sequence[str] | None
    ) -> PipelineDefinition:
        base = self.parent_pipeline_def or self
        unknown = sorted(selected - set(base.graph.solids))
        if unknown:
            raise DagsterInvalidSubsetError(
                f'Pipeline "{base.name}" has no solids named {unknown}.'
            )
        try:
            return PipelineDefinition(
                [base.graph.solids[n].definition for n in base.graph.order if n in selected],
                name=base.name,
                description=base.description,
                dependencies=dependencies_of(base.graph, selected),
                mode_defs=base.mode_definitions,
                preset_defs=base.preset_defs,
                tags=base.tags,
                hook_defs=base.hook_defs,
                _parent_pipeline_def=base,
                _solid_selection=(
                    list(solid_selection) if solid_selection is not None else sorted(selected)
                ),
            )
        except DagsterInvalidDefinitionError as exc:
            raise DagsterInvalidSubsetError(
                f'The selection {sorted(selected)} of pipeline "{base.name}" cannot run: {exc}'
            ) from exc

    def with_hooks(self, hook_defs: Iterable[HookDefinition]) -> PipelineDefinition:
        """A copy whose every solid also runs ``hook_defs``."""
        hooks = frozenset(hook_defs)
        for hook in hooks:
            if not isinstance(hook, HookDefinition):
                raise DagsterInvalidDefinitionError(
                    f"with_hooks takes hook definitions, got {hook!r}"
                )
        return PipelineDefinition(
            [self.graph.solids[n].definition for n in self.graph.order],
            name=self.name,
            description=self.description,
            dependencies=dependencies_of(self.graph, None),
            mode_defs=self.mode_definitions,
            preset_defs=self.preset_defs,
            tags=self.tags,
            hook_defs=self.hook_defs | hooks,
            _parent_pipeline_def=self.parent_pipeline_def,
            _solid_selection=self.solid_selection,
        )

    def to_graphviz(self) -> Any:
        """This pipeline's DAG as a ``graphviz.Digraph`` (needs the notebook layer: graphviz)."""
        return display.to_graphviz(self)

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, str]:
        """Jupyter's rich display: the DAG as SVG when graphviz can draw it, and text/plain."""
        return display.mimebundle(self, lambda: repr(self))

    def __repr__(self) -> str:
        return f"<PipelineDefinition {self.name}>"


def dependencies_of(graph: Graph, keep: frozenset[str] | None) -> dict[SolidInvocation, dict]:
    """The ``dependencies`` dict that rebuilds ``graph`` (restricted to the solids in ``keep``)."""
    deps: dict[SolidInvocation, dict] = {}
    for name in graph.order:
        if keep is not None and name not in keep:
            continue
        solid = graph.solids[name]
        inputs: dict[str, Any] = {}
        for input_name, source in graph.sources.get(name, {}).items():
            refs = [r for r in source.refs if keep is None or r.solid_name in keep]
            if not refs:
                continue
            if source.is_fan_in:
                inputs[input_name] = MultiDependencyDefinition(
                    [DependencyDefinition(r.solid_name, r.output_name) for r in refs]
                )
            else:
                inputs[input_name] = DependencyDefinition(refs[0].solid_name, refs[0].output_name)
        key = SolidInvocation(solid.definition.name, name, solid.tags, solid.hook_defs)
        deps[key] = inputs
    return deps


def _caller_module() -> str:
    """The module of the first caller outside this package (where the pipeline is defined)."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if not name.startswith("notebook_pipelines.definitions"):
            return str(name)
        frame = frame.f_back  # type: ignore[assignment]
    return "__main__"


def _modes(owner: str, mode_defs: Sequence[ModeDefinition] | None) -> list[ModeDefinition]:
    modes = definition_list(mode_defs, "mode_defs", owner) if mode_defs else [ModeDefinition()]
    names: set[str] = set()
    for mode in modes:
        if not isinstance(mode, ModeDefinition):
            raise DagsterInvalidDefinitionError(
                f"{owner}: mode_defs must hold ModeDefinition objects, got {mode!r}"
            )
        if mode.name in names:
            raise DagsterInvalidDefinitionError(f'{owner}: two modes are named "{mode.name}".')
        names.add(mode.name)
    return modes


def _presets(
    owner: str, preset_defs: Sequence[PresetDefinition] | None, modes: list[ModeDefinition]
) -> list[PresetDefinition]:
    presets = definition_list(preset_defs or [], "preset_defs", owner)
    names: set[str] = set()
    mode_names = {m.name for m in modes}
    for preset in presets:
        if not isinstance(preset, PresetDefinition):
            raise DagsterInvalidDefinitionError(
                f"{owner}: preset_defs must hold PresetDefinition objects, got {preset!r}"
            )
        if preset.name in names:
            raise DagsterInvalidDefinitionError(f'{owner}: two presets are named "{preset.name}".')
        names.add(preset.name)
        if preset.mode not in mode_names:
            raise DagsterInvalidDefinitionError(
                f'{owner}: preset "{preset.name}" uses mode "{preset.mode}", which the pipeline '
                f"does not have (modes: {', '.join(sorted(mode_names))})."
            )
    return presets


def _check_step_key_lengths(owner: str, graph: Graph, prefix: str = "") -> None:
    """Every leaf step key (``outer.inner.compute``) fits in a file name, where storage and
    compute logs put it: nested composites make keys longer than any one name."""
    for name, solid in graph.solids.items():
        inner = getattr(solid.definition, "graph", None)
        if isinstance(inner, Graph):
            _check_step_key_lengths(owner, inner, f"{prefix}{name}.")
        else:
            check_step_key_length(f"{prefix}{name}.compute", owner)


def _check_unique_definition_names(owner: str, graph: Graph) -> None:
    """One name, one definition, at every depth: two different definitions with one name (say
    inside two composites) would be confused wherever definitions are looked up by name."""
    first_use: dict[str, tuple[NodeDefinition, str]] = {}

    def visit(graph: Graph, prefix: str) -> None:
        for name in graph.order:
            definition = graph.solids[name].definition
            handle = f"{prefix}{name}"
            seen = first_use.setdefault(definition.name, (definition, handle))
            if seen[0] is not definition:
                raise DagsterInvalidDefinitionError(
                    f'{owner}: two different solid definitions are named "{definition.name}" '
                    f'(at solids "{seen[1]}" and "{handle}"); rename one of them.'
                )
            if isinstance(definition, CompositeSolidDefinition):
                visit(definition.graph, f"{handle}.")

    visit(graph, "")


def _check_inputs_have_sources(
    owner: str,
    graph: Graph,
    is_subset: bool,
    prefix: str = "",
    mapped: frozenset[tuple[str, str]] = frozenset(),
) -> None:
    """Every input must come from somewhere: a solid, a composite mapping, config, or a default."""
    for name in graph.order:
        solid = graph.solids[name]
        definition = solid.definition
        for input_def in definition.input_defs:
            if graph.source_of(name, input_def.name) is not None:
                continue
            if (name, input_def.name) in mapped:
                continue
            dagster_type = input_def.dagster_type
            if dagster_type.is_nothing or input_def.has_default_value or dagster_type.loader:
                continue
            # the reference's sentence first (users match it), then ours with the pipeline
            raise DagsterInvalidDefinitionError(
                f'Input "{input_def.name}" in solid "{prefix}{name}" is not connected to the '
                "output of a previous solid and can not be loaded from configuration, creating an "
                "impossible to execute pipeline. Possible solutions are: connect it to an upstream "
                "output, give it a default_value, or give its type a loader. "
                f'{owner}: input "{input_def.name}" of solid "{prefix}{name}" is not connected to '
                "the output of a previous solid and cannot be loaded from run config (its type "
                f"{dagster_type.display_name} has no loader), so the pipeline cannot run."
                + (" It lost its upstream solid in this selection." if is_subset else "")
            )
        if isinstance(definition, CompositeSolidDefinition):
            inner_mapped = frozenset(
                (m.solid_name, m.input_name) for m in definition.input_mappings
            )
            _check_inputs_have_sources(
                owner, definition.graph, False, f"{prefix}{name}.", inner_mapped
            )


def _check_resources(owner: str, graph: Graph, modes: Sequence[ModeDefinition]) -> None:
    """Every mode must provide the resources that solids (and their hooks and types), the mode's
    own resources, executors and storages require; the reference checks this at definition time."""
    solid_needs = list(_resource_needs(graph, ""))
    for mode in modes:
        needs = solid_needs + [
            (key, f'{what} "{name}"')
            for what, defs in (
                ("resource", mode.resource_defs.items()),
                ("executor", [(d.name, d) for d in mode.executor_defs]),
                ("system storage", [(d.name, d) for d in mode.system_storage_defs]),
                ("intermediate storage", [(d.name, d) for d in mode.intermediate_storage_defs]),
            )
            for name, definition in defs
            for key in sorted(definition.required_resource_keys)
        ]
        for key, needed_by in needs:
            if key not in mode.resource_defs:
                raise DagsterInvalidDefinitionError(
                    f'{owner}: resource "{key}" is required by {needed_by}, but mode '
                    f'"{mode.name}" does not provide it (its resources: '
                    f"{sorted(mode.resource_defs) or 'none'})."
                )


def _resource_needs(graph: Graph, prefix: str) -> Iterable[tuple[str, str]]:
    """(resource key, who needs it) for every solid of ``graph``, nested solids included."""
    for name in graph.order:
        solid = graph.solids[name]
        handle = f"{prefix}{name}"
        definition = solid.definition
        for hook in sorted(solid.hook_defs, key=lambda h: h.name):
            for key in sorted(hook.required_resource_keys):
                yield key, f'hook "{hook.name}" of solid "{handle}"'
        if isinstance(definition, CompositeSolidDefinition):
            yield from _resource_needs(definition.graph, f"{handle}.")
            continue
        for key in sorted(getattr(definition, "required_resource_keys", ())):
            yield key, f'solid "{handle}"'
        dagster_types = [d.dagster_type for d in definition.input_defs] + [
            d.dagster_type for d in definition.output_defs
        ]
        for dagster_type in dagster_types:
            for key in sorted(dagster_type.required_resource_keys):
                yield key, f'type "{dagster_type.display_name}" of solid "{handle}"'


def pipeline(
    name: Any = None,
    description: str | None = None,
    mode_defs: Sequence[ModeDefinition] | None = None,
    preset_defs: Sequence[PresetDefinition] | None = None,
    tags: Mapping[str, Any] | None = None,
    hook_defs: Iterable[HookDefinition] | None = None,
) -> Any:
    """Compose solids by calling them in a function body; returns a :class:`PipelineDefinition`."""
    if callable(name) and not isinstance(name, str):
        return _make_pipeline(name, None, None, None, None, None, None)

    def decorate(fn: Callable[[], Any]) -> PipelineDefinition:
        return _make_pipeline(fn, name, description, mode_defs, preset_defs, tags, hook_defs)

    return decorate


def _make_pipeline(
    fn: Callable[[], Any],
    name: str | None,
    description: str | None,
    mode_defs: Sequence[ModeDefinition] | None,
    preset_defs: Sequence[PresetDefinition] | None,
    tags: Mapping[str, Any] | None,
    hook_defs: Iterable[HookDefinition] | None,
) -> PipelineDefinition:
    pipeline_name = name or fn.__name__
    owner = f'pipeline "{pipeline_name}"'
    if inspect.signature(fn).parameters:
        raise DagsterInvalidDefinitionError(
            f"{owner}: a @pipeline function takes no parameters; feed inputs through run config "
            "or solids."
        )
    context, _ = run_composition(owner, fn, {})
    return PipelineDefinition(
        context.solid_defs(),
        name=pipeline_name,
        description=description or inspect.getdoc(fn),
        dependencies=context.dependencies(),
        mode_defs=mode_defs,
        preset_defs=preset_defs,
        tags=tags,
        hook_defs=hook_defs,
    )
