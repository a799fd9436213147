"""``file_relative_path``: a path relative to the file that calls it (for presets' YAML files)."""

from __future__ import annotations

import os


def file_relative_path(dunderfile: str, relative_path: str) -> str:
    """``os.path.join(os.path.dirname(dunderfile), relative_path)``; pass ``__file__``."""
    return os.path.join(os.path.dirname(dunderfile), relative_path)
