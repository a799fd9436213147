"""Pickling a value straight into an open file (layer 3), for the object stores.

:func:`dump` writes what :func:`~notebook_pipelines.definitions.serialization.pickle_dumps` would
return, but streams it: plain pickle at the highest protocol writes into the file as it goes (its
frames are 64 KiB; large ``bytes``, arrays and strings are written from the object itself), so a
500 MB value needs about its own size in memory, not twice. The same two fallbacks to cloudpickle
apply: when plain pickle refuses the value, and when the pickle refers to ``__main__`` (a class or
function of a notebook kernel or script, which only this very process could load) — found by
scanning the bytes as they are written. A fallback rewrites the file from where the value started.
"""

from __future__ import annotations

import pickle
from typing import IO, Any

from ..definitions.serialization import _MAIN_MARKER, _PICKLE_REFUSALS

_TAIL = len(_MAIN_MARKER) - 1
_SCAN_CHUNK = 1 << 20


class _ScanningWriter:
    """Passes writes to ``file`` and notes whether :data:`_MAIN_MARKER` went through."""

    __slots__ = ("file", "found", "tail")

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.found = False
        self.tail = b""

    def write(self, data: Any) -> int:
        written = self.file.write(data)
        if not self.found:
            self._scan(data)
        return len(data) if written is None else written

    def _scan(self, data: Any) -> None:
        if isinstance(data, bytes | bytearray):
            chunks: Any = (data,) if len(data) <= _SCAN_CHUNK else _slices(memoryview(data))
        else:  # a memoryview (pickle protocol 5 buffers): scan it a slice at a time
            chunks = _slices(memoryview(data).cast("B"))
        for chunk in chunks:
            window = self.tail + chunk if self.tail else chunk
            if _MAIN_MARKER in window:
                self.found = True
                return
            self.tail = bytes(window[-_TAIL:])


def _slices(view: memoryview) -> Any:
    for start in range(0, len(view), _SCAN_CHUNK):
        yield bytes(view[start : start + _SCAN_CHUNK])


def dump(value: Any, file: IO[bytes]) -> None:
    """Pickle ``value`` into ``file`` (binary, seekable, positioned where the value starts)."""
    start = file.tell()
    writer = _ScanningWriter(file)
    plain_error: BaseException | None = None
    try:
        pickle.Pickler(writer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    except _PICKLE_REFUSALS as error:
        plain_error = error
    if plain_error is None and not writer.found:
        return
    import cloudpickle  # only when needed: it is slower to import than the engine

    file.seek(start)
    file.truncate()
    try:
        cloudpickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as cloud_error:
        if plain_error is None:
            raise
        raise cloud_error from plain_error
