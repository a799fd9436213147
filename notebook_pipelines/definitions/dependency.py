"""Wiring solids together: :class:`DependencyDefinition`, :class:`MultiDependencyDefinition` (fan-in),
:class:`SolidInvocation` (alias, tags, hooks of one use of a definition) and :class:`Solid`, a
definition placed in a graph under a name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import DagsterInvalidDefinitionError
from .node import validate_tags

if TYPE_CHECKING:
    from .hook import HookDefinition
    from .node import NodeDefinition


@dataclass(frozen=True)
class DependencyDefinition:
    """An input fed by output ``output`` of solid ``solid`` (an alias, if the solid is aliased)."""

    solid: str
    output: str = "result"
    description: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.solid, str) or not isinstance(self.output, str):
            raise DagsterInvalidDefinitionError(
                f"DependencyDefinition(solid, output) takes names (strings), got "
                f"{self.solid!r}, {self.output!r}"
            )


@dataclass(frozen=True, init=False)
class MultiDependencyDefinition:
    """A fan-in input fed by several upstream outputs, received as a list in that order."""

    dependencies: tuple[DependencyDefinition, ...]

    def __init__(self, dependencies: Sequence[DependencyDefinition]):
        deps = tuple(dependencies)
        for dep in deps:
            if not isinstance(dep, DependencyDefinition):
                raise DagsterInvalidDefinitionError(
                    f"MultiDependencyDefinition takes DependencyDefinitions, got {dep!r}"
                )
        object.__setattr__(self, "dependencies", deps)

    def get_dependencies_and_mappings(self) -> list[DependencyDefinition]:
        return list(self.dependencies)


@dataclass(frozen=True)
class SolidInvocation:
    """One use of a solid definition in a graph: its alias, extra tags and hooks."""

    name: str
    alias: str | None = None
    tags: Mapping[str, Any] | None = None
    hook_defs: frozenset[Any] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hook_defs", frozenset(self.hook_defs or ()))

    def __hash__(self) -> int:
        return hash((self.name, self.alias))


class Solid:
    """A definition placed in a graph under a name (its alias), with the tags and hooks of that use."""

    __slots__ = ("definition", "hook_defs", "name", "tags")

    def __init__(
        self,
        name: str,
        definition: NodeDefinition,
        tags: Mapping[str, Any] | None = None,
        hook_defs: Iterable[HookDefinition] = (),
    ):
        self.name = name
        self.definition = definition
        merged = dict(definition.tags)
        merged.update(validate_tags(tags, f'solid "{name}"'))
        self.tags = merged
        self.hook_defs = frozenset(hook_defs)

    @property
    def is_composite(self) -> bool:
        return bool(getattr(self.definition, "is_composite", False))

    def input_def_named(self, name: str) -> Any:
        return self.definition.input_def_named(name)

    def output_def_named(self, name: str) -> Any:
        return self.definition.output_def_named(name)

    def with_hooks(self, hook_defs: Iterable[HookDefinition]) -> Solid:
        return Solid(self.name, self.definition, self.tags, self.hook_defs | frozenset(hook_defs))

    def __repr__(self) -> str:
        return f"<Solid {self.name} ({self.definition.name})>"
