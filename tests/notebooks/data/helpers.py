"""A helper module the test notebooks import (a user module next to them)."""

from __future__ import annotations

from dataclasses import dataclass

COUNTER: list[str] = []


@dataclass(frozen=True)
class Box:
    """A value that is not plain JSON: it travels to and from the kernel by pickle."""

    value: int
