"""The ``context.resources`` object: attribute access to the resources a solid (or hook, or type)
asked for, and a clear error for any other."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..errors import DagsterUnknownResourceError


class ScopedResources:
    """Resources by name, as attributes; only the keys that were required are reachable."""

    __slots__ = ("_owner", "_values")

    def __init__(self, values: Mapping[str, Any], owner: str):
        object.__setattr__(self, "_values", dict(values))
        object.__setattr__(self, "_owner", owner)

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_values")
        try:
            return values[name]
        except KeyError:
            if name.startswith("__"):
                raise AttributeError(name) from None
            owner = object.__getattribute__(self, "_owner")
            raise DagsterUnknownResourceError(
                name,
                f'Unknown resource "{name}" for {owner}. Add it to required_resource_keys '
                f"(available here: {sorted(values) or 'none'}).",
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("resources are read-only")

    def __iter__(self) -> Iterator[str]:
        return iter(object.__getattribute__(self, "_values"))

    def __contains__(self, name: object) -> bool:
        return name in object.__getattribute__(self, "_values")

    def _asdict(self) -> dict[str, Any]:
        return dict(object.__getattribute__(self, "_values"))

    def __repr__(self) -> str:
        return f"Resources({', '.join(object.__getattribute__(self, '_values'))})"
