"""A pipeline's DAG as a small drawing model (:class:`DotGraph`) and as Graphviz DOT text: our own
code, pure text, no graphviz Python package. The command line writes the DOT text; the notebook
layer turns the same model into a ``graphviz.Digraph``.

Solids are nodes (id: the solid handle, ``outer.inner``) labelled with their name and signature
(``add\\n(x: Int, y: Int) -> Int``); composite solids are clusters holding their inner solids; each
edge goes from the solid producing a value to the solid consuming it (through composite mappings)
and is labelled with the input's name (``output -> input`` when the output is not ``result``).

The same model is built from a stored ``pipeline_snapshot`` (:func:`snapshot_graph`, for runs whose
code is gone) and coloured by step status (:func:`color_by_status`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..events import DagsterEvent, StepStatus, next_step_status
from .composite import CompositeSolidDefinition
from .graph import Graph
from .pipeline import PipelineDefinition

#: the status of a node whose step is not in the run
NOT_RUN = "not_run"

#: Step statuses (:class:`~..events.StepStatus`, and ``not_run`` for a step outside the run) and
#: their fill colours: the run graphs and the run widget (keyed by the plain strings it sends).
STATUS_COLORS: dict[str, str] = {
    StepStatus.SUCCEEDED.value: "#b7e4c7",  # green
    StepStatus.FAILED.value: "#f28b82",  # red
    StepStatus.SKIPPED.value: "#d9d9d9",  # grey
    StepStatus.UP_FOR_RETRY.value: "#ffd166",  # amber
    StepStatus.RUNNING.value: "#a0c4ff",  # blue
    StepStatus.PENDING.value: "#ffffff",
    StepStatus.CANCELED.value: "#e9c46a",  # sand
    StepStatus.IN_DEBUGGER.value: "#c77dff",  # violet
    NOT_RUN: "#ffffff",
}

GRAPH_ATTRS: dict[str, str] = {"rankdir": "TB", "labelloc": "t", "fontname": "Helvetica"}
NODE_ATTRS: dict[str, str] = {
    "shape": "box",
    "style": "rounded",
    "fontname": "Helvetica",
    "fontsize": "11",
}
EDGE_ATTRS: dict[str, str] = {"fontname": "Helvetica", "fontsize": "9"}
CLUSTER_ATTRS: dict[str, str] = {"style": "dashed,rounded"}


@dataclass
class DotNode:
    """A leaf node: ``id`` (a solid handle or step key), its label and extra attributes."""

    id: str
    label: str
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class DotCluster:
    """A cluster (a composite solid): nodes and nested clusters, in order."""

    id: str  # without the ``cluster_`` prefix
    label: str
    items: list[DotNode | DotCluster] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=lambda: dict(CLUSTER_ATTRS))

    @property
    def name(self) -> str:
        """The DOT subgraph name (``cluster_`` makes Graphviz draw a box around it)."""
        return f"cluster_{self.id}"


@dataclass
class DotEdge:
    tail: str
    head: str
    label: str = ""
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class DotGraph:
    """A whole drawing: nodes and clusters (in order), edges, and default attributes."""

    name: str
    label: str
    items: list[DotNode | DotCluster] = field(default_factory=list)
    edges: list[DotEdge] = field(default_factory=list)
    graph_attrs: dict[str, str] = field(default_factory=lambda: dict(GRAPH_ATTRS))
    node_attrs: dict[str, str] = field(default_factory=lambda: dict(NODE_ATTRS))
    edge_attrs: dict[str, str] = field(default_factory=lambda: dict(EDGE_ATTRS))

    def nodes(self) -> Iterator[DotNode]:
        """Every leaf node, clusters included, in order."""
        yield from _leaves(self.items)

    def node(self, node_id: str) -> DotNode:
        for node in self.nodes():
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def to_dot(self) -> str:
        """The DOT text of this drawing."""
        lines = [f"digraph {quote(self.name)} {{"]
        lines += [f"  {key}={quote(value)};" for key, value in self.graph_attrs.items()]
        lines.append(f"  label={quote(self.label)};")
        lines.append(f"  node [{_attr_list(self.node_attrs)}];")
        lines.append(f"  edge [{_attr_list(self.edge_attrs)}];")
        lines += _item_lines(self.items, "  ")
        for edge in self.edges:
            attrs = {"label": edge.label, **edge.attrs} if edge.label else dict(edge.attrs)
            suffix = f" [{_attr_list(attrs)}]" if attrs else ""
            lines.append(f"  {quote(edge.tail)} -> {quote(edge.head)}{suffix};")
        lines.append("}")
        return "\n".join(lines) + "\n"


def _leaves(items: Sequence[DotNode | DotCluster]) -> Iterator[DotNode]:
    for item in items:
        if isinstance(item, DotCluster):
            yield from _leaves(item.items)
        else:
            yield item


def _item_lines(items: Sequence[DotNode | DotCluster], pad: str) -> list[str]:
    lines: list[str] = []
    for item in items:
        if isinstance(item, DotCluster):
            lines.append(f"{pad}subgraph {quote(item.name)} {{")
            lines.append(f"{pad}  label={quote(item.label)};")
            lines += [f"{pad}  {key}={quote(value)};" for key, value in item.attrs.items()]
            lines += _item_lines(item.items, pad + "  ")
            lines.append(f"{pad}}}")
        else:
            attrs = {"label": item.label, **item.attrs}
            lines.append(f"{pad}{quote(item.id)} [{_attr_list(attrs)}];")
    return lines


def _attr_list(attrs: Mapping[str, str]) -> str:
    return ", ".join(f"{key}={quote(value)}" for key, value in attrs.items())


def quote(text: str) -> str:
    """A DOT double-quoted string (newlines become ``\\n`` line breaks)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


# --- from definitions ----------------------------------------------------------------------------


def pipeline_graph(pipeline_def: PipelineDefinition) -> DotGraph:
    """The drawing of ``pipeline_def``'s DAG."""
    return DotGraph(
        name=pipeline_def.name,
        label=f"pipeline {pipeline_def.name}",
        items=_graph_items(pipeline_def.graph, ""),
        edges=list(_edges(pipeline_def.graph, "")),
    )


def composite_graph(composite_def: CompositeSolidDefinition) -> DotGraph:
    """The drawing of a composite solid: one cluster holding its inner solids."""
    cluster = DotCluster(
        id=composite_def.name,
        label=f"{composite_def.name} [composite]",
        items=_graph_items(composite_def.graph, ""),
    )
    return DotGraph(
        name=composite_def.name,
        label=f"composite {composite_def.name}",
        items=[cluster],
        edges=list(_edges(composite_def.graph, "")),
    )


def pipeline_to_dot(pipeline_def: PipelineDefinition) -> str:
    """The DOT text of ``pipeline_def``'s DAG."""
    return pipeline_graph(pipeline_def).to_dot()


def _title(name: str, definition_name: str) -> str:
    return name if definition_name == name else f"{name} ({definition_name})"


def _graph_items(graph: Graph, prefix: str) -> list[DotNode | DotCluster]:
    items: list[DotNode | DotCluster] = []
    for name in graph.order:
        definition = graph.solids[name].definition
        handle = f"{prefix}{name}"
        title = _title(name, definition.name)
        if isinstance(definition, CompositeSolidDefinition):
            inner = _graph_items(definition.graph, f"{handle}.")
            items.append(DotCluster(id=handle, label=f"{title} [composite]", items=inner))
        else:
            items.append(DotNode(id=handle, label=f"{title}\n{signature(definition)}"))
    return items


def signature(definition: Any) -> str:
    """``(x: Int, y: Int) -> Int``; several outputs: ``-> (sum: Int, count: Int)``."""
    return _signature(
        [(d.name, d.dagster_type.display_name) for d in definition.input_defs],
        [(d.name, d.dagster_type.display_name) for d in definition.output_defs],
    )


def _signature(inputs: Sequence[tuple[str, str]], outputs: Sequence[tuple[str, str]]) -> str:
    shown_inputs = ", ".join(f"{name}: {type_name}" for name, type_name in inputs)
    if not outputs:
        returns = "-> none"
    elif len(outputs) == 1 and outputs[0][0] == "result":
        returns = f"-> {outputs[0][1]}"
    else:
        returns = "-> (" + ", ".join(f"{name}: {type_name}" for name, type_name in outputs) + ")"
    return f"({shown_inputs}) {returns}"


def _edge_label(output_name: str, input_name: str) -> str:
    return input_name if output_name == "result" else f"{output_name} -> {input_name}"


def _edges(graph: Graph, prefix: str) -> Iterator[DotEdge]:
    for name in graph.order:
        solid = graph.solids[name]
        for input_name, source in graph.sources.get(name, {}).items():
            consumers = list(_consumers(graph, prefix, name, input_name))
            for ref in source.refs:
                producer, output_name = _producer(graph, prefix, ref.solid_name, ref.output_name)
                for consumer in consumers:
                    yield DotEdge(producer, consumer, _edge_label(output_name, input_name))
        if isinstance(solid.definition, CompositeSolidDefinition):
            yield from _edges(solid.definition.graph, f"{prefix}{name}.")


def _producer(graph: Graph, prefix: str, solid_name: str, output_name: str) -> tuple[str, str]:
    """The leaf solid (handle) and output that really produce ``solid_name``'s output."""
    definition = graph.solids[solid_name].definition
    if not isinstance(definition, CompositeSolidDefinition):
        return f"{prefix}{solid_name}", output_name
    mapping = definition.output_mapping_for(output_name)
    return _producer(
        definition.graph, f"{prefix}{solid_name}.", mapping.solid_name, mapping.output_name
    )


def _consumers(graph: Graph, prefix: str, solid_name: str, input_name: str) -> Iterator[str]:
    """The leaf solids (handles) that really consume ``solid_name``'s input."""
    definition = graph.solids[solid_name].definition
    if not isinstance(definition, CompositeSolidDefinition):
        yield f"{prefix}{solid_name}"
        return
    for mapping in definition.input_mappings:
        if mapping.definition.name == input_name:
            yield from _consumers(
                definition.graph, f"{prefix}{solid_name}.", mapping.solid_name, mapping.input_name
            )


# --- from a stored pipeline snapshot -------------------------------------------------------------


def snapshot_graph(snapshot: Mapping[str, Any]) -> DotGraph:
    """The drawing of a stored ``pipeline_snapshot`` (:mod:`.snapshot`).

    The snapshot does not record composite input/output mappings, so an edge into or out of a
    composite is drawn to or from its cluster's border (Graphviz ``compound``) rather than to the
    inner solid that really consumes or produces the value.
    """
    graph = DotGraph(
        name=str(snapshot["name"]),
        label=f"pipeline {snapshot['name']}",
        items=_snapshot_items(snapshot["solids"], ""),
    )
    clusters = {
        cluster.id: cluster for cluster in _clusters(graph.items) if any(_leaves(cluster.items))
    }
    for tail, head, label in _snapshot_edges(snapshot["solids"], ""):
        attrs: dict[str, str] = {}
        if tail in clusters:
            attrs["ltail"] = clusters[tail].name
            tail = next(_leaves(clusters[tail].items)).id
        if head in clusters:
            attrs["lhead"] = clusters[head].name
            head = next(_leaves(clusters[head].items)).id
        graph.edges.append(DotEdge(tail, head, label, attrs))
    if clusters:
        graph.graph_attrs["compound"] = "true"
    return graph


def _clusters(items: Sequence[DotNode | DotCluster]) -> Iterator[DotCluster]:
    for item in items:
        if isinstance(item, DotCluster):
            yield item
            yield from _clusters(item.items)


def _snapshot_items(solids: Sequence[Mapping[str, Any]], prefix: str) -> list[DotNode | DotCluster]:
    items: list[DotNode | DotCluster] = []
    for solid in solids:
        handle = f"{prefix}{solid['name']}"
        title = _title(solid["name"], solid["definition"])
        if "solids" in solid:
            inner = _snapshot_items(solid["solids"], f"{handle}.")
            items.append(DotCluster(id=handle, label=f"{title} [composite]", items=inner))
        else:
            shown = _signature(
                [(i["name"], i["type"]) for i in solid["inputs"]],
                [(o["name"], o["type"]) for o in solid["outputs"]],
            )
            items.append(DotNode(id=handle, label=f"{title}\n{shown}"))
    return items


def _snapshot_edges(
    solids: Sequence[Mapping[str, Any]], prefix: str
) -> Iterator[tuple[str, str, str]]:
    for solid in solids:
        for solid_input in solid["inputs"]:
            for source_name, output_name in solid_input["sources"]:
                yield (
                    f"{prefix}{source_name}",
                    f"{prefix}{solid['name']}",
                    _edge_label(output_name, solid_input["name"]),
                )
        if "solids" in solid:
            yield from _snapshot_edges(solid["solids"], f"{prefix}{solid['name']}.")


# --- colouring -----------------------------------------------------------------------------------


def step_statuses(events: Iterable[DagsterEvent]) -> dict[str, StepStatus]:
    """Solid handle -> the status its step's events leave it in (:func:`~..events.next_step_status`),
    for :func:`color_by_status`; steps without a status event are left out."""
    statuses: dict[str, StepStatus] = {}
    for event in events:
        if event.step_key is None:
            continue
        handle = event.solid_handle or event.step_key.rsplit(".", 1)[0]
        status = next_step_status(statuses.get(handle, StepStatus.PENDING), event)
        if status is not None:
            statuses[handle] = status
    return statuses


def color_by_status(graph: DotGraph, statuses: Mapping[str, str], default: str = NOT_RUN) -> None:
    """Fill each node of ``graph`` with the colour of its status (``statuses``: node id -> one of
    :data:`STATUS_COLORS`; nodes not in it get ``default``). The status is added to the label."""
    for node in graph.nodes():
        status = statuses.get(node.id, default)
        node.attrs["style"] = "rounded,filled" if status != NOT_RUN else "rounded,filled,dashed"
        node.attrs["fillcolor"] = STATUS_COLORS[status]
        node.attrs["tooltip"] = f"{node.id}: {status.replace('_', ' ')}"
        node.label = f"{node.label}\n[{status.replace('_', ' ')}]"
