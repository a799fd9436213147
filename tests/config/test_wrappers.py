"""Array and Noneable."""

from __future__ import annotations

from notebook_pipelines.config import Array, Field, Int, Noneable, Shape, String, validate_config


def test_array_processes_each_element() -> None:
    schema = Array(Shape({"a": Field(Int, default_value=1)}))
    assert validate_config(schema, [{}, {"a": 2}]).value == [{"a": 1}, {"a": 2}]
    assert validate_config(Array(Int), (1, 2)).value == [1, 2]
    assert validate_config(Array(Int), []).value == []


def test_array_reports_every_bad_element_with_its_index() -> None:
    errors = validate_config(Array(Int), [1, "2", 3, 4.5]).errors
    assert [(e.path_str, e.message) for e in errors] == [
        ("root[1]", 'Value "2" is not an Int'),
        ("root[3]", "Value 4.5 is not an Int"),
    ]


def test_nested_array_paths() -> None:
    schema = Shape({"outputs": Array(Shape({"result": Shape({"path": String})}))})
    errors = validate_config(
        schema, {"outputs": [{"result": {"path": "a"}}, {"result": {"path": 1}}]}
    ).errors
    assert [e.path_str for e in errors] == ["root:outputs[1]:result:path"]
    assert errors[0].path == ("root", "outputs", "[1]", "result", "path")


def test_array_wrong_type() -> None:
    for value in ["abc", {"a": 1}, None, 3]:
        errors = validate_config(Array(Int), value).errors
        assert [e.reason for e in errors] == ["wrong_type"]
    assert (
        validate_config(Array(Int), "ab").errors[0].message
        == 'Value "ab" is not a list (expected [Int])'
    )


def test_array_shorthand_inner() -> None:
    assert Array(int).inner_type is Int
    assert Array([str]).describe() == "[[String]]"


def test_noneable_keeps_none_and_checks_the_rest() -> None:
    assert validate_config(Noneable(Int), None).value is None
    assert validate_config(Noneable(Int), 3).value == 3
    errors = validate_config(Noneable(Int), "3").errors
    assert [(e.path_str, e.message) for e in errors] == [("root", 'Value "3" is not an Int')]


def test_noneable_shape_none_stays_none() -> None:
    schema = Shape({"opt": Noneable(Shape({"a": Field(Int, default_value=1)}))})
    assert validate_config(schema, {"opt": None}).value == {"opt": None}
    assert validate_config(schema, {}).value == {"opt": None}
    assert validate_config(schema, {"opt": {}}).value == {"opt": {"a": 1}}
