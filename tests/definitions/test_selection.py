"""The selection grammar: parsing clauses, breadth-first depths, errors naming the clause."""

from __future__ import annotations

import subprocess
import sys

import pytest

from notebook_pipelines.definitions.selection import Clause, parse_clause, select
from notebook_pipelines.errors import DagsterInvalidSubsetError

# a -> {b, c}, b -> {d, e}, c -> {f}, f -> {g}   (edges point downstream)
TREE: dict[str, set[str]] = {
    "a": set(),
    "b": {"a"},
    "c": {"a"},
    "d": {"b"},
    "e": {"b"},
    "f": {"c"},
    "g": {"f"},
}

# a diamond with a long side: x -> y -> z -> w and x -> w
DIAMOND: dict[str, set[str]] = {"x": set(), "y": {"x"}, "z": {"y"}, "w": {"z", "x"}}


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("a", Clause(0, "a", 0)),
        ("*a", Clause(None, "a", 0)),
        ("a+++", Clause(0, "a", 3)),
        ("++a+", Clause(2, "a", 1)),
        ("*a*", Clause(None, "a", None)),
        ("a++*", Clause(0, "a", None)),
        ("*++a", Clause(None, "a", 0)),
        ("*a.compute++", Clause(None, "a.compute", 2)),
        ("  +solid_1-x  ", Clause(1, "solid_1-x", 0)),
        ("outer.inner[0]?", Clause(0, "outer.inner[0]?", 0)),
    ],
)
def test_parse_clause(clause: str, expected: Clause) -> None:
    assert parse_clause(clause) == expected


@pytest.mark.parametrize("clause", ["a*+", "**a", "+*a", "a**", "", "*", "+", "a b", "a/b"])
def test_clauses_that_do_not_parse(clause: str) -> None:
    with pytest.raises(DagsterInvalidSubsetError, match="does not parse"):
        parse_clause(clause)


def test_parse_clause_rejects_non_strings() -> None:
    with pytest.raises(DagsterInvalidSubsetError, match="must be a string"):
        parse_clause(3)  # type: ignore[arg-type]


def test_clause_str_round_trips() -> None:
    for text in ["a", "*a", "++a+", "*a*", "a+++"]:
        assert str(parse_clause(text)) == text


@pytest.mark.parametrize(
    ("clauses", "expected"),
    [
        (["a"], {"a"}),
        (["a+"], {"a", "b", "c"}),
        (["a++"], {"a", "b", "c", "d", "e", "f"}),
        (["a*"], set("abcdefg")),
        (["a+++"], set("abcdefg")),
        (["+g"], {"f", "g"}),
        (["++g"], {"c", "f", "g"}),
        (["*g"], {"a", "c", "f", "g"}),
        (["+f+"], {"c", "f", "g"}),
        (["*d*"], {"a", "b", "d"}),
        (["d", "g"], {"d", "g"}),
        (["+d", "+e", "c+"], {"b", "d", "e", "c", "f"}),
        ("b+", {"b", "d", "e"}),
    ],
)
def test_select_on_a_tree(clauses: list[str], expected: set[str]) -> None:
    result = select(clauses, TREE)
    assert isinstance(result, frozenset)
    assert result == expected


def test_depth_is_the_shortest_distance() -> None:
    assert select(["x+"], DIAMOND) == {"x", "y", "w"}
    assert select(["+w"], DIAMOND) == {"w", "z", "x"}
    assert select(["++w"], DIAMOND) == {"w", "z", "x", "y"}


def test_nodes_known_only_as_upstream_are_selectable() -> None:
    assert select(["root+"], {"child": {"root"}}) == {"root", "child"}


def test_result_does_not_depend_on_hash_seed() -> None:
    code = (
        "from notebook_pipelines.definitions.selection import select;"
        f"print(sorted(select(['a++', '++g'], {TREE!r})))"
    )
    outputs = set()
    for seed in ("0", "1", "2", "12345"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PYTHONPATH": ":".join(sys.path)},
        )
        outputs.add(out.stdout.strip())
    assert outputs == {str(sorted("abcdefg"))}


def test_unknown_name_suggests_close_matches() -> None:
    graph = {"adder": set(), "multiplier": {"adder"}}
    with pytest.raises(DagsterInvalidSubsetError) as info:
        select(["addr+"], graph)
    assert (
        str(info.value)
        == 'No solid matches "addr" in the selection ["addr+"]; did you mean "adder"?'
    )
    with pytest.raises(DagsterInvalidSubsetError) as info:
        select(["adder", "zzz"], graph, what="step")
    assert str(info.value) == 'No step matches "zzz" in the selection ["adder", "zzz"].'


def test_every_bad_clause_is_reported_at_once() -> None:
    graph = {"adder": set(), "multiplier": {"adder"}}
    with pytest.raises(DagsterInvalidSubsetError) as info:
        select(["multiplyer", "adder**", "adder"], graph)
    lines = str(info.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith('No solid matches "multiplyer"')
    assert lines[0].endswith('did you mean "multiplier"?')
    assert lines[1].startswith('Invalid solid selection clause "adder**" in the selection [')
    assert "[*|+...]name[+...|*]" in lines[1]


def test_empty_selection_is_an_error() -> None:
    with pytest.raises(DagsterInvalidSubsetError, match="The step selection is empty"):
        select([], TREE, what="step")


def test_step_keys_select_like_solid_names() -> None:
    steps = {"a.compute": set(), "b.compute": {"a.compute"}, "c.compute": {"b.compute"}}
    assert select(["a.compute+"], steps, what="step") == {"a.compute", "b.compute"}
    assert select(["*c.compute"], steps, what="step") == set(steps)
