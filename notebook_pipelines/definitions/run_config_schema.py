"""The run-config schema of a pipeline in a mode, as in the reference::

    execution: {<executor>: {config: ...}}          one of the mode's executors (default in_process)
    loggers: {<logger>: {config: ...}}
    resources: {<resource>: {config: ...}}          resources that have a config schema
    solids: {<solid>: {config, inputs, outputs}}    composites nest ``solids`` (or take ``config``
                                                    when they have a config mapping)
    storage: {<system storage>: {config: ...}}      older key, default in_memory
    intermediate_storage: {<storage>: {config: ...}}

The schema is built once per pipeline and mode and cached on the pipeline.
"""

from __future__ import annotations

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
                "execution": _selector_field(mode_def.executor_defs, "in_process"),
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
                "storage": _selector_field(mode_def.system_storage_defs, "in_memory"),
                "intermediate_storage": _selector_field(
                    mode_def.intermediate_storage_defs, "in_memory"
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


def _selector_field(defs: list[Any], default_name: str) -> Field:
    choices = {d.name: Field(_config_shape(d.config_field)) for d in defs}
    names = [d.name for d in defs]
    chosen = default_name if default_name in names else (names[0] if len(names) == 1 else None)
    if chosen is not None and not choices[chosen].is_required:
        return Field(Selector(choices), default_value={chosen: {}})
    return Field(Selector(choices))
