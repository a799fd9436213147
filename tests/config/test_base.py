"""ConfigTypeKind, describe() and the message helpers."""

from __future__ import annotations

import pytest

from notebook_pipelines.config import (
    Any,
    Array,
    Bool,
    BoolSource,
    ConfigType,
    ConfigTypeKind,
    Enum,
    EnumValue,
    Field,
    Float,
    Int,
    IntSource,
    Noneable,
    Permissive,
    ScalarUnion,
    Selector,
    Shape,
    String,
    StringSource,
)
from notebook_pipelines.config.base import format_value, quote, suggest, with_article


def test_kind_compares_equal_to_its_name() -> None:
    assert ConfigTypeKind.SHAPE == "shape"
    assert str(ConfigTypeKind.SCALAR_UNION) == "scalar_union"
    assert {k.value for k in ConfigTypeKind} == {
        "scalar",
        "any",
        "array",
        "noneable",
        "shape",
        "permissive",
        "selector",
        "enum",
        "scalar_union",
    }


@pytest.mark.parametrize(
    ("config_type", "kind"),
    [
        (Int, "scalar"),
        (Float, "scalar"),
        (String, "scalar"),
        (Bool, "scalar"),
        (Any, "any"),
        (Array(Int), "array"),
        (Noneable(Int), "noneable"),
        (Shape({}), "shape"),
        (Permissive(), "permissive"),
        (Selector({"a": Int}), "selector"),
        (Enum("E", [EnumValue("A")]), "enum"),
        (ScalarUnion(Int, {"x": Int}), "scalar_union"),
        (StringSource, "scalar_union"),
    ],
)
def test_every_type_has_its_kind(config_type: ConfigType, kind: str) -> None:
    assert config_type.kind == kind


@pytest.mark.parametrize(
    ("config_type", "text"),
    [
        (Int, "Int"),
        (Float, "Float"),
        (String, "String"),
        (Bool, "Bool"),
        (Any, "Any"),
        (Array(String), "[String]"),
        (Array([Int]), "[[Int]]"),
        (Noneable(Int), "Int | None"),
        (Shape({"n": Int, "m": Field(Float, default_value=1.0)}), "{n: Int, m?: Float}"),
        (Shape({}), "{}"),
        (Permissive(), "{...}"),
        (Permissive({"a": Int}), "{a: Int, ...}"),
        (Selector({"a": Int, "b": String}), "{a: Int} | {b: String}"),
        (Enum("Color", [EnumValue("RED")]), "Color"),
        (ScalarUnion(String, {"path": String}), "String | {path: String}"),
        (StringSource, "StringSource"),
        (IntSource, "IntSource"),
        (BoolSource, "BoolSource"),
    ],
)
def test_describe(config_type: ConfigType, text: str) -> None:
    assert config_type.describe() == text


def test_structure_for_schema_code() -> None:
    shape = Shape({"n": Int, "m": Field(Float, default_value=1.0)}, description="adder config")
    assert set(shape.fields) == {"n", "m"}
    assert shape.fields["n"].config_type is Int
    assert shape.description == "adder config"
    assert shape.has_required_fields
    assert not shape.has_implicit_default
    assert Array(Int).inner_type is Int
    assert Noneable(String).inner_type is String
    assert Int.fields == {}
    assert Int.inner_type is None
    assert not Int.has_required_fields
    with pytest.raises(TypeError):
        shape.fields["x"] = Field(Int)  # type: ignore[index]


def test_short_describe_shortens_long_types() -> None:
    shape = Shape({f"field_number_{i}": Int for i in range(20)})
    assert len(shape.describe()) > 80
    short = shape.short_describe()
    assert len(short) == 80
    assert short.endswith("...")


def test_repr_names_the_type() -> None:
    assert repr(Shape({"n": Int})) == "<Shape {n: Int}>"
    assert repr(Int) == "<ScalarType Int>"


def test_message_helpers() -> None:
    assert format_value("abc") == '"abc"'
    assert format_value(1.5) == "1.5"
    assert len(format_value("x" * 100)) == 60
    assert quote("n") == '"n"'
    assert with_article("Int") == "an Int"
    assert with_article("String") == "a String"
    assert suggest("nn", ["n", "m"]) == "n"
    assert suggest("zzz", ["alpha"]) is None


def test_format_value_survives_a_broken_repr() -> None:
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    assert format_value(Broken()) == "<Broken object>"
