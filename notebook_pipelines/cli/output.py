"""How the command line writes things: durations, times, tables, colour, errors and tracebacks."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import TextIO

from ..errors import DagsterError, SerializableErrorInfo

_RED = "\033[31m"
_RESET = "\033[0m"


def use_colour(stream: TextIO) -> bool:
    """Colour only for a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def red(text: str, enabled: bool) -> str:
    """``text`` in red if ``enabled``."""
    return f"{_RED}{text}{_RESET}" if enabled else text


def format_duration(seconds: float | None) -> str:
    """``0.4ms``, ``850ms``, ``1.25s``, ``2m05s``, ``1h02m``; ``-`` for ``None``."""
    if seconds is None:
        return "-"
    if seconds < 0.01:
        return f"{seconds * 1000:.1f}ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def format_time(timestamp: float | None, with_date: bool = True) -> str:
    """A timestamp in local time (``2024-05-01 13:45:12``, or ``13:45:12.345`` without date)."""
    if timestamp is None:
        return "-"
    if with_date:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))
    millis = int((timestamp % 1) * 1000)
    return time.strftime("%H:%M:%S", time.localtime(timestamp)) + f".{millis:03d}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table with left-aligned columns two spaces apart."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [headers, *rows]
    ]
    return "\n".join(lines)


def indent(text: str, prefix: str = "  ") -> str:
    """Every non-empty line of ``text`` prefixed."""
    return "\n".join(prefix + line if line.strip() else line for line in text.splitlines())


def error_paragraph(error: DagsterError) -> str:
    """A :class:`DagsterError` as one paragraph: ``Error: <message>``, without blank lines."""
    message = str(error).strip() or type(error).__name__
    lines = [line.rstrip() for line in message.splitlines() if line.strip()]
    return "Error: " + "\n".join(lines)


def traceback_text(error: SerializableErrorInfo) -> str:
    """An error with its causes as Python prints them: the innermost cause (the user's own
    exception) first, then each exception it caused."""
    chain: list[SerializableErrorInfo] = []
    current: SerializableErrorInfo | None = error
    while current is not None and len(chain) < 20:
        chain.append(current)
        current = current.cause
    parts = []
    for info in reversed(chain):
        stack = "".join(info.stack)
        head = "Traceback (most recent call last):\n" + stack if stack else ""
        parts.append(head + info.message.rstrip("\n"))
    separator = "\n\nThe above exception was the direct cause of the following exception:\n\n"
    return separator.join(parts)


def error_summary(error: SerializableErrorInfo | None) -> str:
    """One line for an error: the user's own exception if there is one (``ValueError: boom``)."""
    if error is None:
        return "unknown error"
    innermost = error
    while innermost.cause is not None:
        innermost = innermost.cause
    lines = [line for line in innermost.message.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else (innermost.cls_name or "error")


def first_line(text: str | None) -> str:
    """The first non-empty line of ``text`` (``...`` appended when more lines follow)."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return ""
    return lines[0] + (" ..." if len(lines) > 1 else "")
