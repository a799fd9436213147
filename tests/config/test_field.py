"""Field: required-ness, defaults (given and implicit) and their checks."""

from __future__ import annotations

import pickle

import pytest

from notebook_pipelines.config import (
    Any,
    Enum,
    EnumValue,
    Field,
    Float,
    Int,
    Noneable,
    Permissive,
    ScalarUnion,
    Selector,
    Shape,
    String,
    StringSource,
    validate_config,
)
from notebook_pipelines.config.field import FIELD_NO_DEFAULT_PROVIDED
from notebook_pipelines.errors import (
    DagsterInvalidConfigDefinitionError,
    DagsterInvariantViolationError,
)


def test_plain_field_is_required_without_default() -> None:
    field = Field(Int, description="how many")
    assert field.config_type is Int
    assert field.is_required
    assert not field.default_provided
    assert field.description == "how many"
    with pytest.raises(DagsterInvariantViolationError, match="no default value"):
        field.default_value  # noqa: B018


def test_shorthand_config_is_converted() -> None:
    assert Field(int).config_type is Int
    assert Field({"a": str}).config_type.describe() == "{a: String}"


def test_default_implies_optional() -> None:
    field = Field(Int, default_value=3)
    assert not field.is_required
    assert field.default_provided
    assert field.default_value == 3


def test_is_required_false_keeps_missing_entry_absent() -> None:
    field = Field(Int, is_required=False)
    assert not field.is_required
    assert not field.default_provided
    assert validate_config(Shape({"a": field}), {}).value == {}


def test_required_with_default_is_a_definition_error() -> None:
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="is_required=True"):
        Field(Int, default_value=3, is_required=True)


def test_is_required_must_be_bool() -> None:
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="is_required"):
        Field(Int, is_required="yes")  # type: ignore[arg-type]


def test_field_of_field_is_rejected() -> None:
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="another Field"):
        Field(Field(Int))


def test_invalid_default_is_a_definition_error() -> None:
    with pytest.raises(DagsterInvalidConfigDefinitionError) as raised:
        Field(Shape({"a": Int, "b": String}), default_value={"a": "x"})
    text = str(raised.value)
    assert 'at default_value:a: Value "x" is not an Int' in text
    assert 'Missing required config entry "b"' in text


def test_default_none_is_allowed_for_any_type() -> None:
    field = Field(Int, default_value=None)
    assert field.default_value is None
    assert validate_config(Shape({"a": field}), {}).value == {"a": None}


@pytest.mark.parametrize("config_type", [Noneable(Int), Any])
def test_noneable_and_any_are_implicitly_optional_with_none(config_type: object) -> None:
    field = Field(config_type)
    assert not field.is_required
    assert field.default_provided
    assert field.default_value is None
    assert validate_config(Shape({"a": field}), {}).value == {"a": None}


def test_all_optional_shape_is_optional_and_filled() -> None:
    inner = Shape({"x": Field(Int, default_value=1), "y": Field(String, is_required=False)})
    field = Field(inner)
    assert not field.is_required
    assert field.default_provided
    assert field.default_value == {"x": 1}
    assert validate_config(Shape({"a": field}), {}).value == {"a": {"x": 1}}


def test_all_optional_permissive_is_optional() -> None:
    assert not Field(Permissive()).is_required
    assert Field(Permissive()).default_value == {}
    assert Field(Permissive({"a": Int})).is_required


def test_shape_with_a_required_field_is_required() -> None:
    assert Field(Shape({"x": Int})).is_required


def test_selector_with_single_optional_field_is_optional() -> None:
    selector = Selector({"in_process": Field(Shape({"n": Field(Int, default_value=0)}))})
    field = Field(selector)
    assert not field.is_required
    assert field.default_value == {"in_process": {"n": 0}}


@pytest.mark.parametrize(
    "selector",
    [
        Selector({"a": Field(Shape({})), "b": Field(Shape({}))}),
        Selector({"a": Int}),
    ],
)
def test_other_selectors_are_required(selector: Selector) -> None:
    assert Field(selector).is_required


def test_explicit_is_required_overrides_implicit_default() -> None:
    field = Field(Noneable(Int), is_required=True)
    assert field.is_required
    assert not field.default_provided
    errors = validate_config(Shape({"a": field}), {}).errors
    assert [e.reason for e in errors] == ["missing_field"]


def test_explicit_default_is_processed_when_used() -> None:
    color = Enum("Color", [EnumValue("RED", python_value=(255, 0, 0))])
    field = Field(color, default_value="RED")
    assert field.default_value == "RED"  # the default as given
    assert validate_config(Shape({"c": field}), {}).value == {"c": (255, 0, 0)}


def test_shape_default_gets_nested_defaults() -> None:
    inner = Shape({"a": Int, "b": Field(Int, default_value=2)})
    field = Field(inner, default_value={"a": 1})
    assert validate_config(Shape({"x": field}), {}).value == {"x": {"a": 1, "b": 2}}


def test_filled_defaults_are_fresh_each_time() -> None:
    schema = Shape({"x": Field(Shape({"items": Field([Int], default_value=[1])}))})
    first = validate_config(schema, {}).value
    first["x"]["items"].append(2)
    assert validate_config(schema, {}).value == {"x": {"items": [1]}}


def test_env_default_is_not_read_at_definition(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NP_TEST_UNSET", raising=False)
    field = Field(StringSource, default_value={"env": "NP_TEST_UNSET"})  # no error here
    errors = validate_config(Shape({"s": field}), {}).errors
    assert [(e.path_str, e.reason) for e in errors] == [("root:s", "env_var_unset")]
    monkeypatch.setenv("NP_TEST_UNSET", "now set")
    assert validate_config(Shape({"s": field}), {}).value == {"s": "now set"}


def test_none_value_falls_back_to_default() -> None:
    schema = Shape({"n": Field(Int, default_value=4), "m": Field(Noneable(Int), default_value=5)})
    assert validate_config(schema, {"n": None, "m": None}).value == {"n": 4, "m": None}


def test_none_for_required_scalar_is_a_type_error() -> None:
    errors = validate_config(Shape({"n": Int}), {"n": None}).errors
    assert [(e.path_str, e.message) for e in errors] == [("root:n", "Value None is not an Int")]


def test_scalar_union_field_is_required() -> None:
    assert Field(ScalarUnion(Float, {"x": Float})).is_required


def test_repr_and_pickle() -> None:
    field = Field(Int, default_value=3, description="n")
    assert repr(field) == 'Field(Int, default_value=3, is_required=False, description="n")'
    copy = pickle.loads(pickle.dumps(field))
    assert copy.config_type is Int
    assert copy.default_value == 3
    assert pickle.loads(pickle.dumps(FIELD_NO_DEFAULT_PROVIDED)) is FIELD_NO_DEFAULT_PROVIDED
