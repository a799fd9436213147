"""Previews of step outputs for the run widget: a bounded ``repr`` for any value, and HTML for
values that render themselves as tables (pandas DataFrames and Series: their first rows).

Values come from the run's result (a run of this kernel, also with in-memory intermediates) or,
for a stored run, from its filesystem intermediates; a value that cannot be read says why.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable
from typing import Any

#: characters of ``repr`` shown at most
MAX_TEXT = 2000
#: rows of a table shown at most
MAX_ROWS = 20

_repr = reprlib.Repr()
_repr.maxstring = 400
_repr.maxother = 400
_repr.maxlist = _repr.maxtuple = _repr.maxset = _repr.maxdict = 20
_repr.maxlevel = 4

OutputReader = Callable[[str, str], Any]


def preview(value: Any) -> dict[str, str]:
    """``{"text": ..., "html": ...}`` of ``value`` (``html`` only for tables)."""
    out: dict[str, str] = {"type": type(value).__name__}
    html = _table_html(value)
    if html:
        out["html"] = html
    try:
        text = _repr.repr(value) if isinstance(value, (list, tuple, set, dict)) else repr(value)
    except Exception as exc:  # a broken __repr__ must not break the widget
        text = f"<{type(value).__name__}: repr failed: {type(exc).__name__}: {exc}>"
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + f"… ({len(text) - MAX_TEXT} more characters)"
    out["text"] = text
    return out


def _table_html(value: Any) -> str | None:
    head = getattr(value, "head", None)
    renders = callable(getattr(value, "_repr_html_", None)) or hasattr(value, "to_frame")
    if not callable(head) or not renders:
        return None
    try:
        shown = head(MAX_ROWS)
        html = shown._repr_html_() if hasattr(shown, "_repr_html_") else None
        if html is None and hasattr(shown, "to_frame"):  # a Series renders as a one-column frame
            html = shown.to_frame()._repr_html_()
    except Exception:
        return None
    return html if isinstance(html, str) else None


def output_previews(
    output_names: list[str], step_key: str, read: OutputReader | None
) -> list[dict[str, str]]:
    """A preview per output of ``step_key``, read with ``read(step_key, output_name)``."""
    previews = []
    for name in output_names:
        entry: dict[str, str] = {"name": name}
        if read is None:
            entry["text"] = "(the value is not available: the run kept its outputs in memory)"
        else:
            try:
                entry.update(preview(read(step_key, name)))
            except Exception as exc:
                entry["text"] = f"(cannot read the value: {type(exc).__name__}: {exc})"
        previews.append(entry)
    return previews
