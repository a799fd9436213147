"""The selection grammar of ``solid_selection`` and ``step_selection``, on a plain DAG.

A clause is ``[*][+...]name[+...][*]``: ``+`` before the name adds one level of ancestors, ``*``
all of them; after the name the same for descendants. ``*++a`` is ``*a`` (a ``*`` wins). Depths are
counted by a breadth-first search, so the result does not depend on iteration order (the
reference's depth counting did). Clauses are unioned. A clause that does not parse, or names
nothing in the graph, is a :class:`~notebook_pipelines.errors.DagsterInvalidSubsetError` naming
the clause (with close matches); every bad clause is reported at once.

These are pure graph functions: the graph is ``node -> set of its direct upstream nodes``, so the
same code selects solids in a pipeline and steps in an execution plan.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from ..errors import DagsterInvalidSubsetError

CLAUSE_PATTERN = re.compile(r"^(\*?\+*)?([.\w\[\]?-]+)(\+*\*?)?$")


@dataclass(frozen=True)
class Clause:
    """One parsed clause; a depth of ``None`` means unlimited."""

    up_depth: int | None
    name: str
    down_depth: int | None

    def __str__(self) -> str:
        return _affix(self.up_depth) + self.name + _affix(self.down_depth)


def _affix(depth: int | None) -> str:
    return "*" if depth is None else "+" * depth


def _depth(affix: str | None) -> int | None:
    if not affix:
        return 0
    if "*" in affix:
        return None
    return len(affix)


def parse_clause(clause: str) -> Clause:
    """Parse one clause; :class:`DagsterInvalidSubsetError` when it is not in the grammar."""
    if not isinstance(clause, str):
        raise DagsterInvalidSubsetError(
            f"A selection clause must be a string, got {clause!r} ({type(clause).__name__})."
        )
    match = CLAUSE_PATTERN.match(clause.strip())
    if match is None:
        raise DagsterInvalidSubsetError(
            f'Selection clause "{clause}" does not parse: write [*|+...]name[+...|*] '
            '(for example "*name", "++name", "name+", "*name*").'
        )
    prefix, name, suffix = match.groups()
    return Clause(_depth(prefix), name, _depth(suffix))


def invert(upstream: Mapping[str, AbstractSet[str]]) -> dict[str, set[str]]:
    """``node -> set of direct downstream nodes`` (every node of the graph is a key)."""
    downstream: dict[str, set[str]] = {node: set() for node in upstream}
    for node, parents in upstream.items():
        for parent in parents:
            downstream.setdefault(parent, set()).add(node)
    return downstream


def reachable(start: str, edges: Mapping[str, AbstractSet[str]], depth: int | None) -> set[str]:
    """``start`` and the nodes at most ``depth`` edges away along ``edges`` (None: any distance)."""
    seen = {start}
    frontier = [start]
    level = 0
    while frontier and (depth is None or level < depth):
        level += 1
        next_frontier: list[str] = []
        for node in frontier:
            for neighbour in edges.get(node, ()):
                if neighbour not in seen:
                    seen.add(neighbour)
                    next_frontier.append(neighbour)
        frontier = next_frontier
    return seen


def select(
    clauses: Sequence[str] | str,
    upstream: Mapping[str, AbstractSet[str]],
    *,
    what: str = "solid",
) -> frozenset[str]:
    """The union of what each clause selects in the DAG ``upstream`` (node -> direct upstream).

    ``what`` is the noun for messages (``"solid"`` or ``"step"``). A single string is taken as one
    clause. Raises :class:`DagsterInvalidSubsetError` for an empty selection and for clauses that
    do not parse or match nothing (all of them in one message).
    """
    clause_list = [clauses] if isinstance(clauses, str) else list(clauses)
    shown = json.dumps(clause_list, default=repr)
    if not clause_list:
        raise DagsterInvalidSubsetError(
            f'The {what} selection is empty: give at least one clause, e.g. ["name"].'
        )
    nodes = _all_nodes(upstream)
    problems: list[str] = []
    parsed: list[Clause] = []
    for raw in clause_list:
        try:
            clause = parse_clause(raw)
        except DagsterInvalidSubsetError:
            core = re.sub(r"^[\s*+]+|[\s*+]+$", "", raw) if isinstance(raw, str) else ""
            problems.append(
                f'Invalid {what} selection clause "{raw}" in the selection {shown}: write '
                f'[*|+...]name[+...|*] (for example "*name", "++name", "name+", "*name*")'
                + _did_you_mean(core, nodes, exact_ok=True)
            )
            continue
        if clause.name not in nodes:
            problems.append(
                f'No {what} matches "{clause.name}" in the selection {shown}'
                + _did_you_mean(clause.name, nodes)
            )
            continue
        parsed.append(clause)
    if problems:
        raise DagsterInvalidSubsetError("\n".join(problems))

    downstream = invert(upstream)
    selected: set[str] = set()
    for clause in parsed:
        selected |= reachable(clause.name, upstream, clause.up_depth)
        selected |= reachable(clause.name, downstream, clause.down_depth)
    return frozenset(selected)


def _all_nodes(upstream: Mapping[str, AbstractSet[str]]) -> set[str]:
    nodes = set(upstream)
    for parents in upstream.values():
        nodes.update(parents)
    return nodes


def _did_you_mean(name: str, nodes: Iterable[str], exact_ok: bool = False) -> str:
    import difflib

    candidates = sorted(nodes)
    if exact_ok and name in candidates:
        return f'; did you mean "{name}"?'
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
    if not close:
        return "."
    return "; did you mean " + " or ".join(f'"{c}"' for c in close) + "?"
