"""Reading a step's captured stdout and stderr (``runs logs``) from the instance's compute logs
(local files, or the copies uploaded to the instance's ``compute_logs`` object store).

The logs are streamed to the terminal a chunk at a time (decoded as UTF-8, undecodable bytes
replaced), so a step that printed hundreds of megabytes is shown without holding it in memory.
"""

from __future__ import annotations

import codecs
import os
from typing import TextIO

from ..storage.instance import DagsterInstance

#: Bytes read and written at a time.
CHUNK_SIZE = 1 << 20


def step_log_paths(instance: DagsterInstance, run_id: str, step_key: str) -> tuple[str, str]:
    """The files of the step's stdout and stderr (they may not exist); downloaded first from the
    instance's compute-log object store when it holds more (the step ran on another machine)."""
    paths = instance.compute_log_manager.fetch_logs(run_id, step_key)
    return paths.out, paths.err


def log_size(path: str) -> int:
    """How many bytes ``path`` holds (0 when the step never wrote to it)."""
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0


def stream_log(path: str, out: TextIO) -> str:
    """Write the text of ``path`` to ``out`` a chunk at a time; its last character (or ``""``)."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    last = ""
    try:
        file = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return ""
    with file:
        while chunk := file.read(CHUNK_SIZE):
            text = decoder.decode(chunk)
            if text:
                out.write(text)
                last = text[-1]
    tail = decoder.decode(b"", final=True)
    if tail:
        out.write(tail)
        last = tail[-1]
    return last
