"""ScalarUnion."""

from __future__ import annotations

import pytest

from notebook_pipelines.config import (
    Array,
    Field,
    Int,
    Noneable,
    ScalarUnion,
    Selector,
    Shape,
    String,
    validate_config,
)
from notebook_pipelines.errors import DagsterInvalidConfigDefinitionError

PATH_OR_SPEC = ScalarUnion(String, {"path": String, "mode": Field(String, default_value="r")})


def test_scalar_side() -> None:
    assert validate_config(PATH_OR_SPEC, "a.txt").value == "a.txt"


def test_non_scalar_side_is_processed() -> None:
    assert validate_config(PATH_OR_SPEC, {"path": "a.txt"}).value == {"path": "a.txt", "mode": "r"}


def test_non_scalar_side_errors() -> None:
    errors = validate_config(PATH_OR_SPEC, {"pth": "a"}).errors
    assert [e.reason for e in errors] == ["missing_field", "unexpected_field"]


def test_neither_side() -> None:
    errors = validate_config(PATH_OR_SPEC, 3).errors
    assert [(e.reason, e.message) for e in errors] == [
        ("wrong_type", "Value 3 is not a String or {path: String, mode?: String}")
    ]


def test_list_goes_to_non_scalar_side() -> None:
    union = ScalarUnion(Int, Array(Int))
    assert validate_config(union, [1, 2]).value == [1, 2]
    assert validate_config(union, 3).value == 3
    assert [e.path_str for e in validate_config(union, [1, "x"]).errors] == ["root[1]"]
    assert validate_config(PATH_OR_SPEC, ["a"]).errors[0].reason == "wrong_type"


def test_union_with_selector() -> None:
    union = ScalarUnion(String, Selector({"a": Int, "b": Int}))
    assert validate_config(union, {"b": 2}).value == {"b": 2}


def test_definition_checks() -> None:
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="scalar_type must be a scalar"):
        ScalarUnion(Shape({}), Shape({}))
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="non_scalar_schema must be"):
        ScalarUnion(Int, Noneable(Int))


def test_attributes() -> None:
    assert PATH_OR_SPEC.scalar_type is String
    assert PATH_OR_SPEC.non_scalar_type.kind == "shape"
