"""``pipeline graph``: a pipeline's DAG as Graphviz DOT text (built by
:mod:`notebook_pipelines.definitions.dot`, no graphviz Python package), rendered to SVG (or
PNG/PDF) by the system ``dot`` program when asked.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from ..definitions.dot import pipeline_to_dot, quote, signature
from ..definitions.pipeline import PipelineDefinition
from ..errors import DagsterInvariantViolationError

__all__ = [
    "DOT_SUFFIXES",
    "RENDERED_SUFFIXES",
    "check_output_path",
    "pipeline_to_dot",
    "quote",
    "render",
    "signature",
    "write_graph",
]

#: Output suffixes we write ourselves.
DOT_SUFFIXES = (".dot", ".gv")
#: Output suffixes rendered by the ``dot`` program (suffix = its ``-T`` format).
RENDERED_SUFFIXES = (".svg", ".png", ".pdf")

_INSTALL_HINT = (
    "install the system graphviz package (Debian/Ubuntu: apt-get install graphviz; macOS: brew "
    "install graphviz; conda: conda install -c conda-forge graphviz), or write DOT text with "
    "-o dag.dot"
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
