"""The shared drawing model (definitions/dot.py, pure DOT text) and the display hook
(definitions/display.py) when no renderer can be imported."""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest

from notebook_pipelines import (
    InputDefinition,
    OutputDefinition,
    composite_solid,
    pipeline,
    solid,
)
from notebook_pipelines.definitions import display
from notebook_pipelines.definitions.dot import (
    STATUS_COLORS,
    DotCluster,
    color_by_status,
    composite_graph,
    pipeline_graph,
    pipeline_to_dot,
    snapshot_graph,
    step_statuses,
)
from notebook_pipelines.definitions.snapshot import pipeline_snapshot
from notebook_pipelines.errors import DagsterInvariantViolationError, SerializableErrorInfo
from notebook_pipelines.events import (
    DagsterEvent,
    DagsterEventType,
    DebuggerEventData,
    StepFailureData,
    StepStatus,
    StepSuccessData,
)


@solid
def one(_: Any) -> int:
    return 1


@solid(input_defs=[InputDefinition("x", int)], output_defs=[OutputDefinition(int)])
def inc(_: Any, x: int) -> int:
    return x + 1


@composite_solid
def twice(x: Any) -> Any:
    return inc.alias("second")(inc.alias("first")(x))


@pipeline
def nested() -> None:
    inc.alias("last")(twice(one()))


def test_pipeline_text_has_nodes_clusters_and_edges_through_mappings() -> None:
    dot = pipeline_to_dot(nested)
    assert dot.startswith('digraph "nested" {')
    assert 'subgraph "cluster_twice" {' in dot
    assert '"twice.first" [label="first (inc)\\n(x: Int) -> Int"];' in dot
    # into the composite: to the inner consumer; out of it: from the inner producer
    assert '"one" -> "twice.first" [label="x"];' in dot
    assert '"twice.first" -> "twice.second" [label="x"];' in dot
    assert '"twice.second" -> "last" [label="x"];' in dot


def test_composite_graph_is_one_cluster() -> None:
    graph = composite_graph(twice)
    assert [type(item) for item in graph.items] == [DotCluster]
    assert [n.id for n in graph.nodes()] == ["first", "second"]
    assert '"first" -> "second"' in graph.to_dot()


def test_snapshot_graph_draws_composite_edges_to_the_cluster() -> None:
    graph = snapshot_graph(pipeline_snapshot(nested))
    assert [n.id for n in graph.nodes()] == ["one", "twice.first", "twice.second", "last"]
    edges = {(e.tail, e.head): e.attrs for e in graph.edges}
    assert edges[("one", "twice.first")] == {"lhead": "cluster_twice"}
    assert edges[("twice.first", "twice.second")] == {}
    assert edges[("twice.first", "last")] == {"ltail": "cluster_twice"}
    assert graph.graph_attrs["compound"] == "true"


def test_color_by_status() -> None:
    graph = pipeline_graph(nested)
    color_by_status(graph, {"one": "succeeded", "twice.first": "failed"}, default="skipped")
    assert graph.node("one").attrs["fillcolor"] == STATUS_COLORS["succeeded"]
    assert graph.node("twice.first").attrs["fillcolor"] == STATUS_COLORS["failed"]
    assert graph.node("last").attrs["fillcolor"] == STATUS_COLORS["skipped"]
    assert graph.node("last").label.endswith("[skipped]")
    assert 'fillcolor="#f28b82"' in graph.to_dot()


def test_step_statuses_colour_a_run_by_its_events() -> None:
    """Each solid handle gets the status its step's events leave it in (events.next_step_status):
    a step interrupted by Ctrl-C is canceled, one stopped in the debugger is in it."""

    def made(kind: DagsterEventType, key: str, data: Any = None) -> DagsterEvent:
        return DagsterEvent(kind.value, "nested", key, key.rsplit(".", 1)[0], "COMPUTE", {}, data)

    interrupted = StepFailureData(SerializableErrorInfo("\n", (), "KeyboardInterrupt"))
    events = [
        made(DagsterEventType.PIPELINE_START, "one.compute"),
        made(DagsterEventType.STEP_START, "one.compute"),
        made(DagsterEventType.STEP_SUCCESS, "one.compute", StepSuccessData(1.0)),
        made(DagsterEventType.STEP_START, "twice.first.compute"),
        made(DagsterEventType.ENGINE_EVENT, "twice.first.compute", DebuggerEventData()),
        made(DagsterEventType.STEP_START, "twice.second.compute"),
        made(DagsterEventType.STEP_FAILURE, "twice.second.compute", interrupted),
    ]
    statuses = step_statuses(events)
    assert statuses == {
        "one": StepStatus.SUCCEEDED,
        "twice.first": StepStatus.IN_DEBUGGER,
        "twice.second": StepStatus.CANCELED,
    }
    graph = pipeline_graph(nested)
    color_by_status(graph, statuses)
    assert graph.node("twice.first").attrs["fillcolor"] == STATUS_COLORS["in_debugger"]
    assert graph.node("twice.second").label.endswith("[canceled]")
    assert graph.node("last").label.endswith("[not run]")


def test_without_renderer_to_graphviz_is_a_clear_error_and_display_is_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(display, "_renderer", None)
    monkeypatch.setattr(display, "_import_error", None)
    monkeypatch.setattr(display, "_default_loader", lambda: import_module("no_such_module"))
    with pytest.raises(DagsterInvariantViolationError, match="apt-get install graphviz"):
        nested.to_graphviz()
    with pytest.raises(DagsterInvariantViolationError, match="no_such_module"):
        twice.to_graphviz()
    assert nested._repr_mimebundle_() == {"text/plain": "<PipelineDefinition nested>"}
    assert twice._repr_mimebundle_() == {"text/plain": repr(twice)}
