"""An executed notebook (a notebook solid's output notebook) as a compact HTML fragment for the run
widget: each cell's source with its execution count, and its outputs — streams, text, HTML tables,
PNG/SVG images, errors with their traceback (ANSI colours removed). Markdown is shown as text.

Made here rather than with nbconvert (not a dependency): the widget shows a run's notebook next to
its events, not a publication. The fragment is cut at :data:`MAX_CHARS`.
"""

from __future__ import annotations

import html
import re
from typing import Any

import nbformat

#: characters of HTML at most (the rest of the notebook is summarised)
MAX_CHARS = 400_000
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def notebook_html(path: str) -> str:
    """The notebook at ``path`` as HTML; a readable message when it cannot be read."""
    try:
        notebook = nbformat.read(path, as_version=4)
    except (OSError, ValueError) as exc:
        return f'<div class="np-nb-error">Cannot read {html.escape(path)}: {html.escape(str(exc))}</div>'
    parts: list[str] = []
    size = 0
    cells = list(notebook.cells)
    for index, cell in enumerate(cells):
        part = _cell(index, cell)
        size += len(part)
        if size > MAX_CHARS:
            parts.append(
                f'<div class="np-nb-more">… {len(cells) - index} more cells: open '
                f"{html.escape(path)}</div>"
            )
            break
        parts.append(part)
    return '<div class="np-nb">' + "".join(parts) + "</div>"


def _cell(index: int, cell: Any) -> str:
    source = html.escape(cell.get("source", ""))
    if cell.get("cell_type") != "code":
        return f'<div class="np-nb-cell np-nb-markdown"><pre>{source}</pre></div>'
    count = cell.get("execution_count")
    prompt = f"In [{count if count is not None else ' '}]"
    tags = cell.get("metadata", {}).get("tags", [])
    injected = " np-nb-injected" if "injected-parameters" in tags else ""
    outputs = "".join(_output(output) for output in cell.get("outputs", []))
    return (
        f'<div class="np-nb-cell{injected}" data-cell-index="{index}">'
        f'<div class="np-nb-prompt">{prompt}</div><pre class="np-nb-source">{source}</pre>'
        f"{outputs}</div>"
    )


def _output(output: Any) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        name = html.escape(output.get("name", "stdout"))
        return f'<pre class="np-nb-stream np-nb-{name}">{html.escape(output.get("text", ""))}</pre>'
    if kind == "error":
        trace = _ANSI.sub("", "\n".join(output.get("traceback", [])))
        return f'<pre class="np-nb-err">{html.escape(trace)}</pre>'
    data = output.get("data", {})
    if "text/html" in data:
        return f'<div class="np-nb-html">{_text(data["text/html"])}</div>'
    if "image/png" in data:
        png = _text(data["image/png"]).strip()
        return f'<img class="np-nb-img" src="data:image/png;base64,{png}"/>'
    if "image/svg+xml" in data:
        return f'<div class="np-nb-svg">{_text(data["image/svg+xml"])}</div>'
    if "text/plain" in data:
        return f'<pre class="np-nb-text">{html.escape(_text(data["text/plain"]))}</pre>'
    return ""


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)
