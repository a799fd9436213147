"""``pipeline graph``: a pipeline's DAG as Graphviz DOT text (our own code, no graphviz Python
package), rendered to SVG (or PNG/PDF) by the system ``dot`` program when asked.

Solids are nodes labelled with their name and signature (``add\\n(x: Int, y: Int) -> Int``);
composite solids are clusters holding their inner solids; each edge goes from the solid producing a
value to the solid consuming it (through composite mappings) and is labelled with the input's name
(``output -> input`` when the output is not ``result``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

from ..definitions.composite import CompositeSolidDefinition
from ..definitions.graph import Graph
from ..definitions.pipeline import PipelineDefinition
from ..errors import DagsterInvariantViolationError

#: Output suffixes we write ourselves.
DOT_SUFFIXES = (".dot", ".gv")
#: Output suffixes rendered by the ``dot`` program (suffix = its ``-T`` format).
RENDERED_SUFFIXES = (".svg", ".png", ".pdf")

_INSTALL_HINT = (
    "install the system graphviz package (Debian/Ubuntu: apt-get install graphviz; macOS: brew "
    "install graphviz; conda: conda install -c conda-forge graphviz), or write DOT text with "
    "-o dag.dot"
)


def quote(text: str) -> str:
    """A DOT double-quoted string (newlines become ``\\n`` line breaks)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def pipeline_to_dot(pipeline_def: PipelineDefinition) -> str:
    """The DOT text of ``pipeline_def``'s DAG."""
    lines = [
        f"digraph {quote(pipeline_def.name)} {{",
        "  rankdir=TB;",
        f"  label={quote(f'pipeline {pipeline_def.name}')};",
        "  labelloc=t;",
        '  fontname="Helvetica";',
        '  node [shape=box, style="rounded", fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    lines += _nodes(pipeline_def.graph, "", "  ")
    lines += [f"  {edge}" for edge in _edges(pipeline_def.graph, "")]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _nodes(graph: Graph, prefix: str, pad: str) -> list[str]:
    lines: list[str] = []
    for name in graph.order:
        solid = graph.solids[name]
        handle = f"{prefix}{name}"
        definition = solid.definition
        title = name if definition.name == name else f"{name} ({definition.name})"
        if isinstance(definition, CompositeSolidDefinition):
            lines.append(f"{pad}subgraph {quote('cluster_' + handle)} {{")
            lines.append(f"{pad}  label={quote(title + ' [composite]')};")
            lines.append(f'{pad}  style="dashed,rounded";')
            lines += _nodes(definition.graph, f"{handle}.", pad + "  ")
            lines.append(f"{pad}}}")
        else:
            label = f"{title}\n{signature(definition)}"
            lines.append(f"{pad}{quote(handle)} [label={quote(label)}];")
    return lines


def signature(definition: Any) -> str:
    """``(x: Int, y: Int) -> Int``; several outputs: ``-> (sum: Int, count: Int)``."""
    inputs = ", ".join(f"{d.name}: {d.dagster_type.display_name}" for d in definition.input_defs)
    outputs = list(definition.output_defs)
    if not outputs:
        returns = "-> none"
    elif len(outputs) == 1 and outputs[0].name == "result":
        returns = f"-> {outputs[0].dagster_type.display_name}"
    else:
        shown = ", ".join(f"{d.name}: {d.dagster_type.display_name}" for d in outputs)
        returns = f"-> ({shown})"
    return f"({inputs}) {returns}"


def _edges(graph: Graph, prefix: str) -> Iterator[str]:
    for name in graph.order:
        solid = graph.solids[name]
        for input_name, source in graph.sources.get(name, {}).items():
            consumers = list(_consumers(graph, prefix, name, input_name))
            for ref in source.refs:
                producer, output_name = _producer(graph, prefix, ref.solid_name, ref.output_name)
                label = input_name if output_name == "result" else f"{output_name} -> {input_name}"
                for consumer in consumers:
                    yield f"{quote(producer)} -> {quote(consumer)} [label={quote(label)}];"
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
                definition.graph,
                f"{prefix}{solid_name}.",
                mapping.solid_name,
                mapping.input_name,
            )


def check_output_path(path: str) -> str:
    """``path`` if its suffix is one we can write; ``ValueError`` (a usage error) otherwise."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in DOT_SUFFIXES + RENDERED_SUFFIXES:
        raise ValueError(
            f"cannot write {path!r}: the output must end in one of "
            f"{', '.join(DOT_SUFFIXES + RENDERED_SUFFIXES)}"
        )
    return path


def write_graph(pipeline_def: PipelineDefinition, path: str) -> None:
    """Write the DAG to ``path``: DOT text for ``.dot``/``.gv``, else rendered by ``dot``."""
    dot_text = pipeline_to_dot(pipeline_def)
    suffix = os.path.splitext(path)[1].lower()
    if suffix in DOT_SUFFIXES:
        try:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(dot_text)
        except OSError as exc:
            raise DagsterInvariantViolationError(
                f"Cannot write {path}: {exc.strerror or exc}."
            ) from None
        return
    render(dot_text, path, suffix.lstrip("."))


def render(dot_text: str, path: str, fmt: str) -> None:
    """Run the system ``dot`` program to turn ``dot_text`` into ``path`` in format ``fmt``."""
    dot = shutil.which("dot")
    if dot is None:
        raise DagsterInvariantViolationError(
            f"Writing {path} needs the Graphviz program `dot`, which is not on the PATH: "
            f"{_INSTALL_HINT}."
        )
    try:
        done = subprocess.run(
            [dot, f"-T{fmt}", "-o", path],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            check=False,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DagsterInvariantViolationError(
            f"Running {dot} to write {path} failed: {exc}"
        ) from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip() or f"exit code {done.returncode}"
        raise DagsterInvariantViolationError(f"`dot` could not write {path}: {detail}")
