"""A validated graph of solids — what a pipeline and a composite solid both contain.

:func:`build_graph` checks everything that can be checked at definition time and names the culprit:
duplicate names, unknown solids, inputs or outputs, cycles, and fan-in into an input whose type
cannot take a list.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import DagsterInvalidDefinitionError
from .dependency import (
    DependencyDefinition,
    MultiDependencyDefinition,
    Solid,
    SolidInvocation,
)
from .node import NodeDefinition


@dataclass(frozen=True)
class OutputRef:
    """Output ``output_name`` of the solid named ``solid_name`` in the same graph."""

    solid_name: str
    output_name: str


@dataclass(frozen=True)
class InputSource:
    """Where one input gets its value in the graph: one output, or several (fan-in)."""

    refs: tuple[OutputRef, ...]
    is_fan_in: bool


class Graph:
    """Solids by name plus, for each solid input, its source; in topological order."""

    def __init__(
        self,
        solids: dict[str, Solid],
        sources: dict[str, dict[str, InputSource]],
        owner: str = "graph",
    ):
        self.solids = solids
        self.sources = sources
        self.order = _topological_order(owner, solids, sources)

    def source_of(self, solid_name: str, input_name: str) -> InputSource | None:
        return self.sources.get(solid_name, {}).get(input_name)

    def upstream(self) -> dict[str, set[str]]:
        """Solid name → names of the solids it directly depends on."""
        return {
            name: {
                ref.solid_name for src in self.sources.get(name, {}).values() for ref in src.refs
            }
            for name in self.solids
        }

    def downstream_of(self, solid_name: str, output_name: str) -> list[tuple[str, str]]:
        """(solid, input) pairs fed by an output."""
        return [
            (name, input_name)
            for name, inputs in self.sources.items()
            for input_name, src in inputs.items()
            if any(r.solid_name == solid_name and r.output_name == output_name for r in src.refs)
        ]


def build_graph(
    owner: str,
    solid_defs: Sequence[NodeDefinition],
    dependencies: Mapping[Any, Mapping[str, Any]] | None,
    hook_defs: Iterable[Any] = (),
) -> Graph:
    """Validate ``solid_defs`` and ``dependencies`` of ``owner`` (e.g. 'pipeline "p"') into a Graph."""
    defs_by_name = _definitions_by_name(owner, solid_defs)
    dependencies = dependencies or {}
    if not isinstance(dependencies, Mapping):
        raise DagsterInvalidDefinitionError(
            f"{owner}: dependencies must be a dict keyed by solid name, got {dependencies!r}"
        )

    solids: dict[str, Solid] = {}
    raw_deps: dict[str, Mapping[str, Any]] = {}
    invoked_defs: set[str] = set()
    for key, input_deps in dependencies.items():
        if isinstance(key, SolidInvocation):
            def_name, alias, tags, hooks = key.name, key.alias or key.name, key.tags, key.hook_defs
        elif isinstance(key, str):
            def_name, alias, tags, hooks = key, key, None, frozenset()
        else:
            raise DagsterInvalidDefinitionError(
                f"{owner}: dependency keys must be solid names or SolidInvocation, got {key!r}"
            )
        if def_name not in defs_by_name:
            raise DagsterInvalidDefinitionError(
                f'{owner}: dependencies name solid "{def_name}", which is not in solid_defs'
                f"{_did_you_mean(def_name, defs_by_name)}."
            )
        if alias in solids:
            raise DagsterInvalidDefinitionError(
                f'{owner}: two solids are named "{alias}"; give one an alias.'
            )
        solids[alias] = Solid(
            alias, defs_by_name[def_name], tags, frozenset(hooks) | set(hook_defs)
        )
        invoked_defs.add(def_name)
        if not isinstance(input_deps, Mapping):
            raise DagsterInvalidDefinitionError(
                f'{owner}: the dependencies of solid "{alias}" must be a dict of input name to '
                f"DependencyDefinition, got {input_deps!r}"
            )
        raw_deps[alias] = input_deps
    for def_name, definition in defs_by_name.items():
        if def_name not in invoked_defs:
            if def_name in solids:
                raise DagsterInvalidDefinitionError(
                    f'{owner}: an alias "{def_name}" collides with the solid definition of the '
                    "same name."
                )
            solids[def_name] = Solid(def_name, definition, None, frozenset(hook_defs))

    sources: dict[str, dict[str, InputSource]] = {}
    for alias, input_deps in raw_deps.items():
        solid = solids[alias]
        for input_name, dep in input_deps.items():
            if not solid.definition.has_input(input_name):
                raise DagsterInvalidDefinitionError(
                    f'{owner}: solid "{alias}" has no input "{input_name}" (its inputs: '
                    f"{sorted(solid.definition.input_dict) or 'none'})."
                )
            sources.setdefault(alias, {})[input_name] = _input_source(
                owner, solids, alias, input_name, dep
            )
    return Graph(solids, sources, owner)


def _definitions_by_name(
    owner: str, solid_defs: Sequence[NodeDefinition]
) -> dict[str, NodeDefinition]:
    if not isinstance(solid_defs, (list, tuple)):
        raise DagsterInvalidDefinitionError(
            f"{owner}: solid_defs must be a list of solid definitions, got {solid_defs!r}"
        )
    by_name: dict[str, NodeDefinition] = {}
    for definition in solid_defs:
        if not isinstance(definition, NodeDefinition):
            raise DagsterInvalidDefinitionError(
                f"{owner}: solid_defs must hold solid definitions, got {definition!r}"
                + (" (did you forget the @solid decorator?)" if callable(definition) else "")
            )
        existing = by_name.get(definition.name)
        if existing is not None and existing is not definition:
            raise DagsterInvalidDefinitionError(
                f'{owner}: two different solid definitions are named "{definition.name}"; '
                "rename one of them."
            )
        by_name[definition.name] = definition
    return by_name


def _input_source(
    owner: str, solids: dict[str, Solid], alias: str, input_name: str, dep: Any
) -> InputSource:
    where = f'{owner}: input "{input_name}" of solid "{alias}"'
    if isinstance(dep, DependencyDefinition):
        return InputSource((_output_ref(where, solids, dep),), is_fan_in=False)
    if isinstance(dep, MultiDependencyDefinition):
        input_type = solids[alias].definition.input_def_named(input_name).dagster_type
        if not (input_type.is_nothing or input_type.is_any or _is_list(input_type)):
            raise DagsterInvalidDefinitionError(
                f"{where} fans in several outputs, so its type must be a List (or Optional List, Any or "
                f"Nothing), not {input_type.display_name}."
            )
        refs = tuple(_output_ref(where, solids, d) for d in dep.dependencies)
        for ref in refs:
            _check_no_nothing_in_fan_in(where, solids, alias, input_name, ref)
        return InputSource(refs, is_fan_in=True)
    raise DagsterInvalidDefinitionError(
        f"{where}: expected a DependencyDefinition or MultiDependencyDefinition, got {dep!r}"
    )


def _is_list(dagster_type: Any) -> bool:
    """A List, or an Optional List (the gathered list is never None, which it also accepts)."""
    if dagster_type.is_nullable:
        dagster_type = dagster_type.inner_type
    return bool(dagster_type.is_list)


def _check_no_nothing_in_fan_in(
    where: str, solids: dict[str, Solid], alias: str, input_name: str, ref: OutputRef
) -> None:
    """A Nothing output has no value to gather into a list: in a fan-in it can only feed a
    Nothing input (an ordering). (A single dependency of a value input on a Nothing output, such
    as a ``-> None`` solid, stays accepted: the input receives None.)"""
    input_type = solids[alias].definition.input_def_named(input_name).dagster_type
    output_type = solids[ref.solid_name].definition.output_def_named(ref.output_name).dagster_type
    if not output_type.is_nothing or input_type.is_nothing:
        return
    # the reference's sentence first (its notation [X] for a list), then ours
    expected = (
        f"[{input_type.get_inner_type_for_fan_in().display_name}]"
        if input_type.is_list
        else input_type.display_name
    )
    raise DagsterInvalidDefinitionError(
        f'Input "{input_name}" expects a value of type {expected} and output "{ref.output_name}" '
        f'returns type Nothing. {where} depends on output "{ref.output_name}" of solid '
        f'"{ref.solid_name}", which is of type Nothing and has no value to pass; only a Nothing input '
        "(which orders a solid after another) can depend on it."
    )


def _output_ref(where: str, solids: dict[str, Solid], dep: DependencyDefinition) -> OutputRef:
    if dep.solid not in solids:
        raise DagsterInvalidDefinitionError(
            f'{where} depends on solid "{dep.solid}", which is not in the graph'
            f"{_did_you_mean(dep.solid, solids)}."
        )
    upstream = solids[dep.solid].definition
    if not upstream.has_output(dep.output):
        raise DagsterInvalidDefinitionError(
            f'{where} depends on output "{dep.output}" of solid "{dep.solid}", which has no such '
            f"output (its outputs: {sorted(upstream.output_dict) or 'none'})."
        )
    return OutputRef(dep.solid, dep.output)


def _did_you_mean(name: str, options: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(options), n=1)
    return f'; did you mean "{close[0]}"?' if close else ""


def _topological_order(
    owner: str, solids: dict[str, Solid], sources: dict[str, dict[str, InputSource]]
) -> list[str]:
    """Kahn's algorithm, stable in insertion order; a cycle is a definition error naming it."""
    position = {name: i for i, name in enumerate(solids)}
    upstream = {
        name: {r.solid_name for s in sources.get(name, {}).values() for r in s.refs}
        for name in solids
    }
    downstream: dict[str, list[str]] = {name: [] for name in solids}
    for name, ups in upstream.items():
        for up in ups:
            downstream[up].append(name)
    remaining = {name: len(ups) for name, ups in upstream.items()}
    ready = [(position[n], n) for n, count in remaining.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, name = heapq.heappop(ready)
        order.append(name)
        for child in downstream[name]:
            remaining[child] -= 1
            if remaining[child] == 0:
                heapq.heappush(ready, (position[child], child))
    if len(order) != len(solids):
        stuck = [n for n in solids if remaining[n] > 0]
        cycle = _find_cycle(stuck, upstream)
        raise DagsterInvalidDefinitionError(
            f"{owner}: circular dependency between solids: " + " -> ".join(cycle) + "."
        )
    return order


def _find_cycle(stuck: list[str], upstream: dict[str, set[str]]) -> list[str]:
    stuck_set = set(stuck)
    path: list[str] = []
    node = stuck[0]
    while node not in path:
        path.append(node)
        node = sorted(u for u in upstream[node] if u in stuck_set)[0]
    cycle = [*path[path.index(node) :], node]
    return list(reversed(cycle))
