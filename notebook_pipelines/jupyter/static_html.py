"""The run widget's static fallback (L7): one run as plain HTML — its DAG coloured by step status
(an SVG image), a progress line, the step table, the errors — for where no widget can be drawn: a
notebook executed by papermill or nbclient and opened without a kernel, an untrusted notebook in
Lab, GitHub, nbviewer, ``nbconvert --to html``. The widget puts it in its mime bundle as
``text/html`` next to its view (which a live Lab prefers).

Only inline styles and a ``data:`` image: notebook renderers sanitise HTML (no ``<style>``, no
scripts), and an ``<img>`` keeps the DAG's colours wherever inline SVG would be stripped.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from typing import Any

from ..events import StepStatus

__all__ = ["run_html"]

#: how a step ended, in the order the progress text names them
_ENDINGS = (StepStatus.SUCCEEDED, StepStatus.FAILED, StepStatus.SKIPPED, StepStatus.CANCELED)

#: characters of each error shown
ERROR_CHARS = 1500
_STATUS_BG = {
    "SUCCESS": "#b7e4c7",
    "FAILURE": "#f28b82",
    "STARTED": "#a0c4ff",
    "CANCELED": "#e9c46a",
}


def run_html(
    *,
    pipeline_name: str,
    run_id: str,
    status: str,
    steps: Mapping[str, Mapping[str, Any]],
    progress: Mapping[str, int],
    colors: Mapping[str, str],
    svg: str = "",
    notes: tuple[str, ...] = (),
) -> str:
    """The HTML of one run (see the module docstring)."""
    esc = html.escape
    head = (
        f"<div style='font-weight:bold'>{esc(pipeline_name or 'run')} "
        f"<code>{esc(run_id)}</code> "
        f"<span style='padding:1px 6px;border-radius:3px;"
        f"background:{_STATUS_BG.get(status, '#eee')}'>{esc(status)}</span></div>"
        f"<div style='color:#444'>{esc(progress_text(progress))}</div>"
    )
    parts = [head]
    parts.extend(f"<div style='font-style:italic'>{esc(note)}</div>" for note in notes if note)
    if svg:
        data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        parts.append(
            f"<img alt='DAG of pipeline {esc(pipeline_name)}' style='max-width:100%' "
            f"src='data:image/svg+xml;base64,{data}'>"
        )
    rows = []
    errors = []
    for key, step in steps.items():
        step_status = str(step.get("status", ""))
        colour = colors.get(step_status, "#ffffff")
        rows.append(
            "<tr>"
            f"<td><span style='display:inline-block;width:10px;height:10px;border-radius:50%;"
            f"border:1px solid #999;background:{colour}'></span> <code>{esc(key)}</code></td>"
            f"<td>{esc(step_status.replace('_', ' '))}</td>"
            f"<td style='text-align:right'>{esc(_ms(step.get('duration_ms')))}</td>"
            "</tr>"
        )
        if step.get("error"):
            errors.append(
                f"<div style='font-weight:bold'>{esc(key)}</div>"
                f"<pre style='background:#fdecea;padding:4px;white-space:pre-wrap'>"
                f"{esc(str(step['error'])[-ERROR_CHARS:])}</pre>"
            )
    if rows:
        parts.append(
            "<table><thead><tr><th style='text-align:left'>Step</th>"
            "<th style='text-align:left'>Status</th><th style='text-align:right'>Duration</th>"
            "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        )
    parts.extend(errors)
    return "<div class='np-run-static'>" + "".join(parts) + "</div>"


def progress_text(progress: Mapping[str, int]) -> str:
    """``"10 steps: 7 succeeded, 1 failed, 2 skipped"`` (the kinds that occur)."""
    total = int(progress.get("total", 0))
    kinds = [f"{progress[k]} {k.value}" for k in _ENDINGS if progress.get(k)]
    pending = total - int(progress.get("done", 0))
    if pending:
        kinds.append(f"{pending} not finished")
    return f"{total} step{'s' if total != 1 else ''}" + (": " + ", ".join(kinds) if kinds else "")


def _ms(value: Any) -> str:
    if not isinstance(value, (int, float)):
        return ""
    return f"{value:.0f} ms" if value < 1000 else f"{value / 1000:.2f} s"
