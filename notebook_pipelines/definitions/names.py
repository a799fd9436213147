"""Name rules shared by every definition: what a solid, input, output, resource or mode may be called."""

from __future__ import annotations

import re

from ..errors import DagsterInvalidDefinitionError

VALID_NAME = re.compile(r"^[A-Za-z0-9_]+$")
RESERVED_INPUT_NAMES = frozenset({"context"})


def check_valid_name(name: object, what: str) -> str:
    """Return ``name`` if it is a valid definition name, else raise naming ``what`` it was for."""
    if not isinstance(name, str) or not VALID_NAME.match(name):
        raise DagsterInvalidDefinitionError(
            f'{what}: the name {name!r} is not valid; names must match "{VALID_NAME.pattern}" '
            "(letters, digits and underscores)."
        )
    return name
