"""The run-config schema of a pipeline in a mode, as in the reference::

    execution: {<executor>: {config: ...}}          one of the mode's executors (default in_process)
    loggers: {<logger>: {config: ...}}
    resources: {<resource>: {config: ...}}          resources that have a config schema
    solids: {<solid>: {config, inputs, outputs}}    composites nest ``solids`` (or take ``config``
                                                    when they have a config mapping)
    storage: {<system storage>: {config: ...}}      older key, default in_memory
    intermediate_storage: {<storage>: {config: ...}}

The schema is built once per pipeline and mode and cached on the pipeline.

:func:`selector_choice` and :func:`storage_key` read, from a raw (not yet validated) run config,
which executor and which storage validation will choose — what a run request is resolved from
before its run config is validated, once (:mod:`..execution.request`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..config import Array, Field, Selector, Shape
from .composite import CompositeSolidDefinition

if TYPE_CHECKING:
    from .graph import Graph
    from .mode import ModeDefinition
    from .pipeline import PipelineDefinition


def run_config_schema(pipeline_def: PipelineDefinition, mode_def: ModeDefinition) -> Shape:
    """The schema that a run config of ``pipeline_def`` in ``mode_def`` must satisfy (cached)."""
    cache: dict[str, Shape] = pipeline_def.__dict__.setdefault("_run_config_schemas", {})
    schema = cache.get(mode_def.name)
    if schema is None:
        schema = Shape(
            {
                "execution": _selector_field(mode_def.executor_defs, EXECUTION_DEFAULT),
                "loggers": Field(
                    Shape(
                        {
                            name: Field(_config_shape(ld.config_field), is_required=False)
                            for name, ld in mode_def.loggers.items()
                        }
                    ),
                    is_required=False,
                ),
                "resources": Field(
                    Shape(
                        {
                            name: Field(_config_shape(rd.config_field))
                            for name, rd in mode_def.resource_defs.items()
                            if rd.config_field is not None
                        }
                    )
                ),
                "solids": Field(Shape(solid_fields(pipeline_def.graph))),
                "storage": _selector_field(mode_def.system_storage_defs, STORAGE_DEFAULT),
                "intermediate_storage": _selector_field(
                    mode_def.intermediate_storage_defs, STORAGE_DEFAULT
                ),
            }
        )
        cache[mode_def.name] = schema
    return schema


def solid_fields(
    graph: Graph, mapped: frozenset[tuple[str, str]] = frozenset()
) -> dict[str, Field]:
    """The ``solids`` entries of one graph level (recursing into composites without mappings)."""
    fields: dict[str, Field] = {}
    for name in graph.order:
        definition = graph.solids[name].definition
        entry: dict[str, Any] = {}
        if isinstance(definition, CompositeSolidDefinition):
            if definition.config_mapping is not None:
                # the mapping's schema, or the schema a configured() copy replaced it with
                if definition.config_field is not None:
                    entry["config"] = definition.config_field
            else:
                inner_mapped = frozenset(
                    (m.solid_name, m.input_name) for m in definition.input_mappings
                )
                inner = solid_fields(definition.graph, inner_mapped)
                if inner:
                    entry["solids"] = Field(Shape(inner))
        elif definition.config_field is not None:
            entry["config"] = definition.config_field
        inputs: dict[str, Field] = {}
        for input_def in definition.input_defs:
            loader = input_def.dagster_type.loader
            if (
                loader is None
                or graph.source_of(name, input_def.name) is not None
                or (name, input_def.name) in mapped
            ):
                continue
            optional = (
                input_def.has_default_value
                or input_def.dagster_type.is_nothing
                or (
                    isinstance(definition, CompositeSolidDefinition)
                    and definition.input_defaults_inside(input_def.name)
                )
            )
            inputs[input_def.name] = Field(loader.schema_type, is_required=not optional)
        if inputs:
            entry["inputs"] = Field(Shape(inputs))
        outputs = {
            output_def.name: Field(
                output_def.dagster_type.materializer.schema_type, is_required=False
            )
            for output_def in definition.output_defs
            if output_def.dagster_type.materializer is not None
        }
        if outputs:
            entry["outputs"] = Field(Array(Shape(outputs)), is_required=False)
        if entry:
            fields[name] = Field(Shape(entry))
    return fields


def _config_shape(config_field: Field | None) -> Shape:
    return Shape({"config": config_field}) if config_field is not None else Shape({})


EXECUTION_DEFAULT = "in_process"
STORAGE_DEFAULT = "in_memory"


def storage_key(run_config: Mapping[str, Any]) -> str:
    """Which top-level key chooses the run's storage: ``storage`` (the older one) when only it is
    given, else ``intermediate_storage``."""
    only_storage = "storage" in run_config and "intermediate_storage" not in run_config
    return "storage" if only_storage else "intermediate_storage"


def selector_choice(raw: Any, defs: Sequence[Any], default_name: str) -> Any | None:
    """The definition (of ``defs``) a top-level selector entry ``raw`` of a raw run config chooses,
    as validation will (``None``/absent: the field's default); ``None`` when validation will reject
    the entry (malformed, unknown name, no default), so that its error says why."""
    if raw is None:
        default = _default_choice(defs, default_name)
        return None if default is None else _named(defs, default)
    if not isinstance(raw, Mapping):
        return None
    if not raw:
        return defs[0] if len(defs) == 1 else None
    names = list(raw)
    if len(names) != 1:
        return None
    return _named(defs, names[0])


def _named(defs: Sequence[Any], name: Any) -> Any | None:
    return next((d for d in defs if d.name == name), None)


def _default_choice(defs: Sequence[Any], default_name: str) -> str | None:
    names = [d.name for d in defs]
    chosen = default_name if default_name in names else (names[0] if len(names) == 1 else None)
    definition = _named(defs, chosen)
    if definition is None or Field(_config_shape(definition.config_field)).is_required:
        return None
    return chosen


def _selector_field(defs: list[Any], default_name: str) -> Field:
    choices = {d.name: Field(_config_shape(d.config_field)) for d in defs}
    chosen = _default_choice(defs, default_name)
    if chosen is not None:
        return Field(Selector(choices), default_value={chosen: {}})
    return Field(Selector(choices))
