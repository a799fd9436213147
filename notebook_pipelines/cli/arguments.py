"""Argument types shared by the command line's parsers: a ``ValueError`` from a converter becomes
a usage error (exit 2) with its message."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def argument_type(convert: Callable[[str], object]) -> Callable[[str], object]:
    """An argparse type: a ``ValueError`` from ``convert`` becomes a usage error (exit 2)."""

    def parse(text: str) -> object:
        try:
            return convert(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = getattr(convert, "__name__", "value")
    return parse


def positive_int(text: str) -> int:
    """``text`` as an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"not an integer: {text}") from None
    if value < 1:
        raise ValueError(f"must be a positive integer, got {text}")
    return value
