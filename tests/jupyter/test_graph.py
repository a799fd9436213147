"""Graphviz display of the notebook layer: SVG really rendered by the system `dot`, parsed."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import graphviz
import pytest

from notebook_pipelines import (
    DagsterInstance,
    InputDefinition,
    composite_solid,
    create_execution_plan,
    execute_pipeline,
    pipeline,
    solid,
)
from notebook_pipelines.definitions.dot import STATUS_COLORS
from notebook_pipelines.jupyter.graph import GraphvizNotFoundError, to_graphviz

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="needs the Graphviz `dot`")
SVG = "{http://www.w3.org/2000/svg}"


@solid
def one(_: Any) -> int:
    return 1


@solid(input_defs=[InputDefinition("x", int)])
def inc(_: Any, x: int) -> int:
    return x + 1


@solid(input_defs=[InputDefinition("x", int)])
def boom(_: Any, x: int) -> int:
    raise ValueError("boom")


@composite_solid
def twice(x: Any) -> Any:
    return inc.alias("second")(inc.alias("first")(x))


@pipeline
def nested() -> None:
    inc.alias("last")(twice(one()))


@pipeline
def failing() -> None:
    inc.alias("after")(boom(one()))


def parse(svg: str) -> dict[str, dict[str, ET.Element]]:
    """{"node"|"edge"|"cluster": {title: <g>}} of an SVG drawn by dot."""
    found: dict[str, dict[str, ET.Element]] = {"node": {}, "edge": {}, "cluster": {}}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        kind = group.get("class")
        title = group.find(f"{SVG}title")
        if kind in found and title is not None and title.text:
            found[kind][title.text] = group
    return found


def fill(group: ET.Element) -> str:
    shapes = (e for e in group.iter() if e.tag in (f"{SVG}path", f"{SVG}polygon"))
    return next(e.get("fill", "") for e in shapes if e.get("fill") not in (None, "none"))


def test_pipeline_svg_has_solids_edges_and_composite_clusters() -> None:
    digraph = to_graphviz(nested)
    assert isinstance(digraph, graphviz.Digraph)
    found = parse(digraph.svg())
    assert set(found["node"]) == {"one", "twice.first", "twice.second", "last"}
    assert set(found["edge"]) == {
        "one->twice.first",
        "twice.first->twice.second",
        "twice.second->last",
    }
    assert set(found["cluster"]) == {"cluster_twice"}
    texts = [t.text for t in found["node"]["twice.first"].iter(f"{SVG}text")]
    assert texts == ["first (inc)", "(x: Int) -> Int"]


def test_definitions_display_through_the_hook() -> None:
    bundle = nested._repr_mimebundle_()
    assert bundle["text/plain"] == "<PipelineDefinition nested>"
    assert "twice.second" in parse(bundle["image/svg+xml"])["node"]
    assert isinstance(nested.to_graphviz(), graphviz.Digraph)
    found = parse(twice._repr_mimebundle_()["image/svg+xml"])
    assert set(found["node"]) == {"first", "second"}
    assert set(found["cluster"]) == {"cluster_twice"}


def test_execution_plan_nodes_are_steps() -> None:
    found = parse(to_graphviz(create_execution_plan(nested)).svg())
    assert "twice.first.compute" in found["node"]
    assert "twice.second.compute->last.compute" in found["edge"]
    assert "cluster_twice" in found["cluster"]


def check_failed_run_colours(svg: str) -> None:
    nodes = parse(svg)["node"]
    assert fill(nodes["one"]) == STATUS_COLORS["succeeded"]
    assert fill(nodes["boom"]) == STATUS_COLORS["failed"]
    assert fill(nodes["after"]) == STATUS_COLORS["skipped"]


def test_failed_run_is_coloured_by_step_status() -> None:
    result = execute_pipeline(failing, raise_on_error=False)
    check_failed_run_colours(to_graphviz(result).svg())


def test_stored_run_is_drawn_from_its_snapshot(tmp_path: Path) -> None:
    instance = DagsterInstance.local_temp(tmp_path)
    result = execute_pipeline(failing, raise_on_error=False, instance=instance)
    check_failed_run_colours(to_graphviz(result.run_id, instance=instance).svg())
    bundle = to_graphviz(result.run_id, instance=instance)._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "text/plain"}


def test_missing_dot_is_a_clear_error_and_text_still_displays(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` here
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        to_graphviz(nested).svg()
    with pytest.raises(GraphvizNotFoundError, match="system graphviz package"):
        to_graphviz(nested).render(tmp_path / "dag", format="svg")
    bundle = nested._repr_mimebundle_()
    assert set(bundle) == {"text/plain"}
    assert bundle["text/plain"].startswith("<PipelineDefinition nested>")
    assert "apt-get install graphviz" in bundle["text/plain"]
    assert set(to_graphviz(nested)._repr_mimebundle_()) == {"text/plain"}


def test_execution_plan_displays_inline() -> None:
    plan = create_execution_plan(nested)
    assert isinstance(plan.to_graphviz(), graphviz.Digraph)
    bundle = plan._repr_mimebundle_(include=None, exclude=None)
    assert bundle["text/plain"] == repr(plan)
    found = parse(bundle["image/svg+xml"])
    assert "twice.second.compute->last.compute" in found["edge"]


def test_finished_run_displays_inline_coloured_by_step_status() -> None:
    result = execute_pipeline(failing, raise_on_error=False)
    assert isinstance(result.to_graphviz(), graphviz.Digraph)
    check_failed_run_colours(result.to_graphviz().svg())
    bundle = result._repr_mimebundle_(include=None, exclude=None)
    assert bundle["text/plain"] == repr(result)
    check_failed_run_colours(bundle["image/svg+xml"])


def test_plan_and_run_fall_back_to_text_without_dot(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    plan = create_execution_plan(nested)
    result = execute_pipeline(failing, raise_on_error=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` here
    for obj in (plan, result):
        bundle = obj._repr_mimebundle_()
        assert set(bundle) == {"text/plain"}
        assert bundle["text/plain"].startswith(repr(obj))
        assert "apt-get install graphviz" in bundle["text/plain"]


def test_plan_and_run_fall_back_to_text_without_the_renderer() -> None:
    from notebook_pipelines.definitions import display
    from notebook_pipelines.errors import DagsterInvariantViolationError

    renderer = display.get_renderer()
    plan = create_execution_plan(nested)
    result = execute_pipeline(failing, raise_on_error=False)
    display.register_renderer(None)  # the module is imported already: it registers nothing
    try:
        for obj in (plan, result):
            assert obj._repr_mimebundle_() == {"text/plain": repr(obj)}
            with pytest.raises(DagsterInvariantViolationError, match="pip install 'graphviz'"):
                obj.to_graphviz()
    finally:
        display.register_renderer(renderer)
