"""Workers' output shown in the run's process (layer 4): an :class:`OutputRelay` writes the
:class:`~.messages.Output` messages the scheduling loop receives to this process's ``sys.stdout`` /
``sys.stderr`` (in a notebook kernel: the running cell), each line prefixed with the step it came
from (``[add_one.compute] hello``) or the worker, outside a step."""

from __future__ import annotations

import sys

#: a partial line longer than this is shown without waiting for its newline (progress bars)
MAX_PARTIAL_LINE = 8192


class OutputRelay:
    """Writes workers' output to this process's ``sys.stdout`` / ``sys.stderr``, each line
    prefixed with ``[tag] ``. A partial line waits, per (tag, stream), for its newline or
    :meth:`flush` (the step ended)."""

    def __init__(self) -> None:
        self._partial: dict[tuple[str, str], str] = {}

    def write(self, tag: str, stream: str, text: str) -> None:
        key = (tag, stream)
        *lines, rest = (self._partial.pop(key, "") + text).split("\n")
        if len(rest) > MAX_PARTIAL_LINE:
            lines.append(rest)
        elif rest:
            self._partial[key] = rest
        if lines:
            _show(stream, "".join(f"[{tag}] {line}\n" for line in lines))

    @property
    def pending(self) -> bool:
        """Whether a partial line waits for its newline."""
        return bool(self._partial)

    def flush(self, *tags: str) -> None:
        """Show the partial lines of ``tags`` (all of them if none are given)."""
        if not self._partial:
            return
        for key in [k for k in self._partial if not tags or k[0] in tags]:
            self.write(key[0], key[1], self._partial.pop(key) + "\n")


def _show(stream: str, text: str) -> None:
    target = sys.stderr if stream == "stderr" else sys.stdout
    if target is None:
        return
    try:
        target.write(text)
        target.flush()
    except (OSError, ValueError):  # a closed stream: the output is still in the compute logs
        pass
