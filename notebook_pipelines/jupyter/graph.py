"""Graphviz display (L7): pipelines, composite solids, execution plans and finished runs as a
``graphviz.Digraph`` built from the shared drawing model of :mod:`..definitions.dot`, shown inline
in Jupyter as SVG (``_repr_mimebundle_``).

A run is coloured by step status (succeeded, failed, skipped, up for retry, not run) from its
events; a run given by id is drawn from the ``pipeline_snapshot`` stored with it, so the code that
defined it need not be loaded. Importing this module registers it as the definitions' renderer
(:mod:`..definitions.display`), which gives ``PipelineDefinition.to_graphviz()`` and the rich
display of pipelines and composites.

Drawing needs the system Graphviz program ``dot``; without it, rendering raises
:class:`GraphvizNotFoundError` saying how to install it, and the rich display falls back to text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import graphviz

from ..definitions import display
from ..definitions.composite import CompositeSolidDefinition
from ..definitions.dot import (
    DotCluster,
    DotEdge,
    DotGraph,
    DotNode,
    color_by_status,
    composite_graph,
    pipeline_graph,
    signature,
    snapshot_graph,
    step_statuses,
)
from ..definitions.pipeline import PipelineDefinition
from ..errors import DagsterInvariantViolationError
from ..execution.results import PipelineExecutionResult
from ..plan.plan import ExecutionPlan
from ..storage.instance import DagsterInstance

__all__ = [
    "GraphvizNotFoundError",
    "PipelineDigraph",
    "dot_graph",
    "step_statuses",
    "to_graphviz",
]

INSTALL_HINT = (
    "install the system graphviz package (Debian/Ubuntu: apt-get install graphviz; macOS: brew "
    "install graphviz; conda: conda install -c conda-forge graphviz; Binder: add graphviz to "
    "apt.txt) so that the `dot` program is on the PATH"
)


class GraphvizNotFoundError(DagsterInvariantViolationError):
    """The Graphviz program ``dot`` is not installed (or not on the PATH)."""


class PipelineDigraph(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose rendering, when ``dot`` is missing, raises
    :class:`GraphvizNotFoundError` with install instructions, and whose rich display then falls
    back to ``text/plain``."""

    plain_text: str = ""

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as exc:
            raise _not_found(exc) from exc

    def render(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as exc:
            raise _not_found(exc) from exc

    def svg(self) -> str:
        """The drawing as SVG text."""
        return str(self.pipe(format="svg", encoding="utf-8"))

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, str]:
        return _bundle(self, self.plain_text or self.source)


def _not_found(exc: Exception) -> GraphvizNotFoundError:
    return GraphvizNotFoundError(
        f"Drawing the graph needs the Graphviz program `dot`, which was not found ({exc}): "
        f"{INSTALL_HINT}."
    )


def _bundle(digraph: PipelineDigraph, plain: str) -> dict[str, str]:
    try:
        svg = digraph.svg()
    except GraphvizNotFoundError:
        note = "(not drawn: the Graphviz program `dot` is missing; " + INSTALL_HINT + ")"
        return {"text/plain": f"{plain}\n{note}"}
    return {"image/svg+xml": svg, "text/plain": plain}


# --- what to draw --------------------------------------------------------------------------------


def dot_graph(obj: Any, instance: DagsterInstance | None = None) -> DotGraph:
    """The drawing model of ``obj``: a pipeline, a composite solid, an execution plan, a
    :class:`PipelineExecutionResult`, or a run id (with the ``instance`` that stored it)."""
    if isinstance(obj, DotGraph):
        return obj
    if isinstance(obj, PipelineDefinition):
        return pipeline_graph(obj)
    if isinstance(obj, CompositeSolidDefinition):
        return composite_graph(obj)
    if isinstance(obj, ExecutionPlan):
        return plan_graph(obj)
    if isinstance(obj, PipelineExecutionResult):
        graph = pipeline_graph(obj.pipeline_def)
        graph.label = f"run {obj.run_id} of pipeline {obj.pipeline_def.name}"
        color_by_status(graph, step_statuses(obj.event_list))
        return graph
    if isinstance(obj, str):
        return run_graph(obj, instance if instance is not None else DagsterInstance.get())
    raise DagsterInvariantViolationError(
        f"to_graphviz() draws a PipelineDefinition, a CompositeSolidDefinition, an ExecutionPlan, "
        f"a PipelineExecutionResult or a run id (with instance=); got {obj!r}."
    )


def to_graphviz(obj: Any, instance: DagsterInstance | None = None) -> PipelineDigraph:
    """``obj`` (see :func:`dot_graph`) as a ``graphviz.Digraph``."""
    plain = repr(obj) if not isinstance(obj, str) else f"<run {obj}>"
    return _digraph(dot_graph(obj, instance), plain)


#: SVGs of stored pipeline snapshots already drawn (a notebook runs the same pipeline again and
#: again; ``dot`` takes tens of milliseconds for a few hundred solids)
_SNAPSHOT_SVGS: dict[str, str] = {}
_SNAPSHOT_SVGS_MAX = 32


def snapshot_svg(pipeline_snapshot: Mapping[str, Any]) -> str:
    """The SVG of a stored pipeline snapshot (no label, no status colours), drawn once per
    distinct snapshot in this process."""
    key = json.dumps(pipeline_snapshot, sort_keys=True, default=str)
    svg = _SNAPSHOT_SVGS.get(key)
    if svg is None:
        svg = _digraph(snapshot_graph(pipeline_snapshot), "<pipeline snapshot>").svg()
        if len(_SNAPSHOT_SVGS) >= _SNAPSHOT_SVGS_MAX:
            _SNAPSHOT_SVGS.pop(next(iter(_SNAPSHOT_SVGS)))
        _SNAPSHOT_SVGS[key] = svg
    return svg


def _digraph(graph: DotGraph, plain_text: str) -> PipelineDigraph:
    digraph = PipelineDigraph(name=graph.name)
    digraph.plain_text = plain_text
    digraph.graph_attr.update(graph.graph_attrs)
    digraph.graph_attr["label"] = _dot_text(graph.label)
    digraph.node_attr.update(graph.node_attrs)
    digraph.edge_attr.update(graph.edge_attrs)
    _add_items(digraph, graph.items)
    for edge in graph.edges:
        attrs = dict(edge.attrs)
        if edge.label:
            attrs["label"] = _dot_text(edge.label)
        digraph.edge(edge.tail, edge.head, **attrs)
    return digraph


def _add_items(digraph: graphviz.Digraph, items: Iterable[DotNode | DotCluster]) -> None:
    for item in items:
        if isinstance(item, DotCluster):
            with digraph.subgraph(name=item.name) as sub:
                sub.attr(label=_dot_text(item.label), **item.attrs)
                _add_items(sub, item.items)
        else:
            digraph.node(item.id, label=_dot_text(item.label), **item.attrs)


def _dot_text(text: str) -> str:
    """A label for the graphviz package, which passes backslash escapes through to DOT."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def run_graph(run_id: str, instance: DagsterInstance) -> DotGraph:
    """The drawing of stored run ``run_id``: its ``pipeline_snapshot`` coloured by its events."""
    run = instance.get_run_by_id(run_id)
    if run is None:
        raise DagsterInvariantViolationError(f'No run "{run_id}" in the instance {instance!r}.')
    if not isinstance(run.pipeline_snapshot, Mapping):
        raise DagsterInvariantViolationError(
            f'Run "{run_id}" of pipeline "{run.pipeline_name}" has no stored pipeline_snapshot '
            "to draw (runs stored by execute_pipeline with an instance have one)."
        )
    graph = snapshot_graph(run.pipeline_snapshot)
    graph.label = f"run {run_id} of pipeline {run.pipeline_name} ({run.status.value})"
    events = [r.dagster_event for r in instance.all_logs(run_id) if r.dagster_event is not None]
    color_by_status(graph, step_statuses(events))
    return graph


def plan_graph(plan: ExecutionPlan) -> DotGraph:
    """The drawing of an execution plan: one node per step (id: the step key), clustered by
    composite, an edge per input dependency; steps outside the plan's subset are dashed."""
    graph = DotGraph(
        name=plan.pipeline_def.name, label=f"execution plan of {plan.pipeline_def.name}"
    )
    clusters: dict[str, DotCluster] = {}
    executed = set(plan.step_keys_to_execute)
    for step in plan.topological_steps():
        label = f"{step.key}\n{signature(step.solid_def)}"
        node = DotNode(id=step.key, label=label)
        if step.key not in executed:
            node.attrs["style"] = "rounded,dashed"
            node.label += "\n(not in this plan)"
        _container(graph, clusters, step.solid_handle).append(node)
        for step_input in step.step_inputs:
            for handle in step_input.upstream_handles:
                text = (
                    step_input.name
                    if handle.output_name == "result"
                    else f"{handle.output_name} -> {step_input.name}"
                )
                graph.edges.append(DotEdge(handle.step_key, step.key, text))
    return graph


def _container(
    graph: DotGraph, clusters: dict[str, DotCluster], solid_handle: str
) -> list[DotNode | DotCluster]:
    """The item list a step's node goes into: the cluster of its innermost composite."""
    items = graph.items
    parts = solid_handle.split(".")[:-1]
    for depth in range(1, len(parts) + 1):
        prefix = ".".join(parts[:depth])
        if prefix not in clusters:
            clusters[prefix] = DotCluster(id=prefix, label=f"{parts[depth - 1]} [composite]")
            items.append(clusters[prefix])
        items = clusters[prefix].items
    return items


class _Renderer:
    """The renderer registered with :mod:`..definitions.display`."""

    def to_graphviz(self, obj: Any) -> Any:
        return to_graphviz(obj)

    def mimebundle(self, obj: Any) -> dict[str, str]:
        return _bundle(to_graphviz(obj), repr(obj))


display.register_renderer(_Renderer())
