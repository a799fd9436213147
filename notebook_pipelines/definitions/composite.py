"""Composite solids: a graph of solids used as one solid, with input/output mappings and an optional
config mapping (``@composite_solid`` or :class:`CompositeSolidDefinition`). Composites are flattened
into their leaf solids' steps (``outer.inner.compute``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..config import Field, convert_to_field
from ..errors import DagsterInvalidDefinitionError
from . import display
from .composition import InputMappingNode, InvokedSolidOutputHandle, run_composition
from .graph import Graph, build_graph
from .io import InputDefinition, InputMapping, OutputDefinition, OutputMapping
from .node import NodeDefinition, definition_list, positional_order


class ConfigMapping:
    """Maps the composite's config (validated against ``config_schema``) to its solids' config."""

    def __init__(self, config_fn: Callable[[Any], Any], config_schema: Any = None):
        if not callable(config_fn):
            raise DagsterInvalidDefinitionError("ConfigMapping: config_fn must be callable.")
        self.config_fn = config_fn
        self.config_field: Field | None = (
            convert_to_field(config_schema, where="ConfigMapping config_schema")
            if config_schema is not None
            else None
        )

    @property
    def config_schema(self) -> Field | None:
        return self.config_field


class CompositeSolidDefinition(NodeDefinition):
    """Solids wired into a graph, exposed through input and output mappings as one solid."""

    def __init__(
        self,
        name: str,
        solid_defs: Sequence[NodeDefinition],
        input_mappings: Sequence[InputMapping] | None = None,
        output_mappings: Sequence[OutputMapping] | None = None,
        config_mapping: ConfigMapping | None = None,
        dependencies: Mapping[Any, Mapping[str, Any]] | None = None,
        description: str | None = None,
        tags: Mapping[str, Any] | None = None,
        positional_inputs: Sequence[str] | None = None,
    ):
        owner = f'composite solid "{name}"'
        self.graph: Graph = build_graph(
            owner, definition_list(solid_defs, "solid_defs", owner), dependencies
        )
        self.input_mappings = list(input_mappings or [])
        self.output_mappings = list(output_mappings or [])
        self._check_mappings(owner)
        input_defs: dict[str, InputDefinition] = {}
        for mapping in self.input_mappings:
            input_defs.setdefault(mapping.definition.name, mapping.definition)
        super().__init__(
            name,
            list(input_defs.values()),
            [m.definition for m in self.output_mappings],
            description=description,
            tags=tags,
            positional_inputs=positional_inputs,
        )
        if config_mapping is not None and not isinstance(config_mapping, ConfigMapping):
            raise DagsterInvalidDefinitionError(f"{owner}: config_mapping must be a ConfigMapping.")
        self.config_mapping = config_mapping
        self.config_field = config_mapping.config_field if config_mapping else None

    @property
    def is_composite(self) -> bool:
        return True

    @property
    def has_config_mapping(self) -> bool:
        return self.config_mapping is not None

    @property
    def solids(self) -> list[Any]:
        return [self.graph.solids[name] for name in self.graph.order]

    @property
    def required_resource_keys(self) -> frozenset[str]:
        keys: set[str] = set()
        for solid in self.graph.solids.values():
            keys |= getattr(solid.definition, "required_resource_keys", frozenset())
        return frozenset(keys)

    def solid_named(self, name: str) -> Any:
        return self.graph.solids[name]

    def input_mapping_for(self, solid_name: str, input_name: str) -> InputMapping | None:
        for mapping in self.input_mappings:
            if mapping.solid_name == solid_name and mapping.input_name == input_name:
                return mapping
        return None

    def input_defaults_inside(self, input_name: str) -> bool:
        """Whether every inner input that the composite input ``input_name`` feeds has a default
        value (directly, or through a nested composite's input), so the composite input may be
        left out of run config: the inner defaults are used."""
        inner = [m for m in self.input_mappings if m.definition.name == input_name]
        for mapping in inner:
            definition = self.graph.solids[mapping.solid_name].definition
            if definition.input_def_named(mapping.input_name).has_default_value:
                continue
            if isinstance(definition, CompositeSolidDefinition) and (
                definition.input_defaults_inside(mapping.input_name)
            ):
                continue
            return False
        return bool(inner)

    def output_mapping_for(self, output_name: str) -> OutputMapping:
        for mapping in self.output_mappings:
            if mapping.definition.name == output_name:
                return mapping
        raise DagsterInvalidDefinitionError(
            f'Composite solid "{self.name}" has no output "{output_name}".'
        )

    def to_graphviz(self) -> Any:
        """This composite solid's DAG as a ``graphviz.Digraph`` (needs the notebook layer: graphviz)."""
        return display.to_graphviz(self)

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, str]:
        """Jupyter's rich display: the DAG as SVG when graphviz can draw it, and text/plain."""
        return display.mimebundle(self, lambda: repr(self))

    def iterate_solid_defs(self) -> list[NodeDefinition]:
        defs: list[NodeDefinition] = [self]
        for solid in self.graph.solids.values():
            defs.extend(solid.definition.iterate_solid_defs())
        return defs

    def _check_mappings(self, owner: str) -> None:
        for mapping in self.input_mappings:
            if not isinstance(mapping, InputMapping):
                raise DagsterInvalidDefinitionError(
                    f"{owner}: input_mappings must be InputMapping objects "
                    f"(InputDefinition(...).mapping_to(solid, input)), got {mapping!r}"
                )
            solid = self.graph.solids.get(mapping.solid_name)
            if solid is None:
                raise DagsterInvalidDefinitionError(
                    f'{owner}: input "{mapping.definition.name}" maps to solid '
                    f'"{mapping.solid_name}", which is not in the composite.'
                )
            if not solid.definition.has_input(mapping.input_name):
                raise DagsterInvalidDefinitionError(
                    f'{owner}: input "{mapping.definition.name}" maps to input '
                    f'"{mapping.input_name}" of solid "{mapping.solid_name}", which has no such '
                    "input."
                )
            if self.graph.source_of(mapping.solid_name, mapping.input_name) is not None:
                raise DagsterInvalidDefinitionError(
                    f'{owner}: input "{mapping.input_name}" of solid "{mapping.solid_name}" is '
                    "both mapped from the composite and fed by another solid."
                )
        names: set[str] = set()
        for output_mapping in self.output_mappings:
            if not isinstance(output_mapping, OutputMapping):
                raise DagsterInvalidDefinitionError(
                    f"{owner}: output_mappings must be OutputMapping objects "
                    f"(OutputDefinition(...).mapping_from(solid, output)), got {output_mapping!r}"
                )
            if output_mapping.definition.name in names:
                raise DagsterInvalidDefinitionError(
                    f'{owner}: two output mappings are named "{output_mapping.definition.name}".'
                )
            names.add(output_mapping.definition.name)
            solid = self.graph.solids.get(output_mapping.solid_name)
            if solid is None or not solid.definition.has_output(output_mapping.output_name):
                raise DagsterInvalidDefinitionError(
                    f'{owner}: output "{output_mapping.definition.name}" maps from output '
                    f'"{output_mapping.output_name}" of solid "{output_mapping.solid_name}", which does not exist.'
                )


def composite_solid(
    name: Any = None,
    input_defs: Sequence[InputDefinition] | None = None,
    output_defs: Sequence[OutputDefinition] | None = None,
    description: str | None = None,
    config_schema: Any = None,
    config_fn: Callable[[Any], Any] | None = None,
    tags: Mapping[str, Any] | None = None,
) -> Any:
    """Compose solids in a function body into a :class:`CompositeSolidDefinition`.

    The body's parameters are the composite's inputs; it returns the handle of the output to
    expose (or a dict of them by output name, for several outputs).
    """
    if callable(name) and not isinstance(name, str):
        return _make_composite(name, None, None, None, None, None, None, None)

    def decorate(fn: Callable[..., Any]) -> CompositeSolidDefinition:
        return _make_composite(
            fn, name, input_defs, output_defs, description, config_schema, config_fn, tags
        )

    return decorate


def _make_composite(
    fn: Callable[..., Any],
    name: str | None,
    input_defs: Sequence[InputDefinition] | None,
    output_defs: Sequence[OutputDefinition] | None,
    description: str | None,
    config_schema: Any,
    config_fn: Callable[[Any], Any] | None,
    tags: Mapping[str, Any] | None,
) -> CompositeSolidDefinition:
    composite_name = name or fn.__name__
    owner = f'composite solid "{composite_name}"'
    params = [p.name for p in inspect.signature(fn).parameters.values()]
    if input_defs is None:
        input_defs = [InputDefinition(p) for p in params]
    input_defs = definition_list(input_defs, "input_defs", owner)
    if output_defs is not None:
        output_defs = definition_list(output_defs, "output_defs", owner)
    declared = {d.name for d in input_defs}
    if set(params) != declared:
        raise DagsterInvalidDefinitionError(
            f"{owner}: input_defs {sorted(declared)} do not match the function's parameters "
            f"{params}."
        )
    context, returned = run_composition(
        owner, fn, {d.name: InputMappingNode(d) for d in input_defs}
    )
    input_mappings = [
        InputMapping(input_def, solid_name, input_name)
        for input_def, solid_name, input_name in context.input_mappings()
    ]
    _check_inputs_mapped(owner, input_defs, input_mappings)
    output_mappings = _output_mappings(owner, returned, output_defs)
    if (config_schema is None) != (config_fn is None):
        raise DagsterInvalidDefinitionError(
            f"{owner}: config_schema and config_fn go together (a config mapping needs both)."
        )
    return CompositeSolidDefinition(
        composite_name,
        context.solid_defs(),
        input_mappings=input_mappings,
        output_mappings=output_mappings,
        config_mapping=ConfigMapping(config_fn, config_schema) if config_fn else None,
        dependencies=context.dependencies(),
        description=description or inspect.getdoc(fn),
        tags=tags,
        positional_inputs=positional_order(params, input_defs),
    )


def _check_inputs_mapped(
    owner: str, input_defs: Sequence[InputDefinition], mappings: Sequence[InputMapping]
) -> None:
    """Refuse a composite input that the body never passes to a solid (it would vanish)."""
    mapped = {m.definition.name for m in mappings}
    unmapped = [d.name for d in input_defs if d.name not in mapped]
    if unmapped:
        raise DagsterInvalidDefinitionError(
            f"{owner}: input(s) {unmapped} are not passed to any solid in the body; pass each "
            "one to a solid's input or remove it."
        )


def _output_mappings(
    owner: str, returned: Any, output_defs: Sequence[OutputDefinition] | None
) -> list[OutputMapping]:
    if returned is None:
        if output_defs:
            raise DagsterInvalidDefinitionError(
                f"{owner}: output_defs are declared but the body returns nothing."
            )
        return []
    if isinstance(returned, InvokedSolidOutputHandle):
        handles = {"result": returned}
    elif isinstance(returned, Mapping):
        handles = dict(returned)
    elif isinstance(returned, tuple) and hasattr(returned, "_asdict"):
        handles = dict(returned._asdict())
    else:
        raise DagsterInvalidDefinitionError(
            f"{owner}: the body must return a solid's output, a dict of them by output name, "
            f"or nothing; got {returned!r}"
        )
    for key, handle in handles.items():
        if not isinstance(handle, InvokedSolidOutputHandle):
            raise DagsterInvalidDefinitionError(
                f'{owner}: returned output "{key}" is not the output of a solid: {handle!r}'
            )
    if output_defs is None:
        if len(handles) == 1 and isinstance(returned, InvokedSolidOutputHandle):
            handle = handles["result"]
            return [
                OutputDefinition(handle.output_def.dagster_type).mapping_from(
                    handle.solid_name, handle.output_name
                )
            ]
        return [
            OutputDefinition(h.output_def.dagster_type, name=k).mapping_from(
                h.solid_name, h.output_name
            )
            for k, h in handles.items()
        ]
    defs = {d.name: d for d in output_defs}
    if len(defs) == 1 and len(handles) == 1:
        handles = {next(iter(defs)): next(iter(handles.values()))}
    if set(defs) != set(handles):
        raise DagsterInvalidDefinitionError(
            f"{owner}: returned outputs {sorted(handles)} do not match output_defs {sorted(defs)}."
        )
    return [defs[k].mapping_from(h.solid_name, h.output_name) for k, h in handles.items()]
