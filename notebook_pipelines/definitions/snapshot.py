"""A pipeline's structure as plain JSON-able data, stored with every run so that run history, the
command line and the widget can show a run's graph without the code that defined it.

The snapshot is computed once per pipeline definition (definitions do not change) and cached.
"""

from __future__ import annotations

from typing import Any

from .composite import CompositeSolidDefinition
from .graph import Graph
from .pipeline import PipelineDefinition


def pipeline_snapshot(pipeline_def: PipelineDefinition) -> dict[str, Any]:
    """``{"name", "description", "tags", "modes", "solids": [...]}`` for ``pipeline_def``."""
    cached: dict[str, Any] | None = pipeline_def.__dict__.get("_snapshot")
    if cached is None:
        cached = {
            "name": pipeline_def.name,
            "description": pipeline_def.description,
            "tags": dict(pipeline_def.tags),
            "modes": pipeline_def.available_modes,
            "solid_selection": pipeline_def.solid_selection,
            "solids": _graph_snapshot(pipeline_def.graph),
        }
        pipeline_def.__dict__["_snapshot"] = cached
    return cached


def _sources(graph: Graph, solid_name: str, input_name: str) -> list[list[str]]:
    source = graph.source_of(solid_name, input_name)
    return [[ref.solid_name, ref.output_name] for ref in source.refs] if source else []


def _graph_snapshot(graph: Graph) -> list[dict[str, Any]]:
    solids = []
    for name in graph.order:
        solid = graph.solids[name]
        definition = solid.definition
        entry: dict[str, Any] = {
            "name": name,
            "definition": definition.name,
            "description": definition.description,
            "tags": dict(solid.tags),
            "inputs": [
                {
                    "name": d.name,
                    "type": d.dagster_type.display_name,
                    "sources": _sources(graph, name, d.name),
                }
                for d in definition.input_defs
            ],
            "outputs": [
                {"name": d.name, "type": d.dagster_type.display_name, "is_required": d.is_required}
                for d in definition.output_defs
            ],
        }
        if isinstance(definition, CompositeSolidDefinition):
            entry["solids"] = _graph_snapshot(definition.graph)
        solids.append(entry)
    return solids
