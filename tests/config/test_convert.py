"""convert_to_config_type and convert_to_field: shorthand and bad schemas."""

from __future__ import annotations

import typing

import pytest

from notebook_pipelines.config import (
    Any,
    Array,
    Bool,
    ConfigType,
    Field,
    Float,
    Int,
    Noneable,
    Permissive,
    Shape,
    String,
    convert_to_config_type,
    convert_to_field,
    validate_config,
)
from notebook_pipelines.errors import DagsterInvalidConfigDefinitionError

WHERE = "solid 'adder' config_schema"


def convert(schema: object) -> ConfigType:
    return convert_to_config_type(schema, where=WHERE)


@pytest.mark.parametrize(
    ("schema", "expected"),
    [(int, Int), (float, Float), (str, String), (bool, Bool), (typing.Any, Any)],
)
def test_python_types_become_scalars(schema: object, expected: object) -> None:
    assert convert(schema) is expected


def test_config_types_are_returned_as_is() -> None:
    shape = Shape({"a": Int})
    assert convert(shape) is shape
    assert convert(Int) is Int


def test_field_gives_its_type() -> None:
    field = Field(Noneable(Int))
    assert convert(field) is field.config_type


def test_list_and_dict_types() -> None:
    list_type = convert(list)
    assert isinstance(list_type, Array)
    assert list_type.inner_type is Any
    dict_type = convert(dict)
    assert isinstance(dict_type, Permissive)
    assert dict_type.fields == {}


def test_nested_shorthand() -> None:
    config_type = convert(
        {"n": int, "names": [str], "opt": Field(float, default_value=1.0), "sub": {"x": [[bool]]}}
    )
    assert isinstance(config_type, Shape)
    assert config_type.describe() == "{n: Int, names: [String], opt?: Float, sub: {x: [[Bool]]}}"
    value = validate_config(config_type, {"n": 1, "names": ["a"], "sub": {"x": [[True]]}}).value
    assert value == {"n": 1, "names": ["a"], "opt": 1.0, "sub": {"x": [[True]]}}


def test_dict_shorthand_with_all_optional_values_is_optional() -> None:
    field = convert_to_field({"a": Field(Int, default_value=1)}, where=WHERE)
    assert not field.is_required
    assert field.default_value == {"a": 1}


class _DagsterTypeLike:
    """Stands in for the package's Dagster types, which implement the protocol."""

    def _as_config_type(self) -> object:
        return Int


class _ClassProtocol:
    @classmethod
    def _as_config_type(cls) -> object:
        return String


def test_as_config_type_protocol() -> None:
    assert convert(_DagsterTypeLike()) is Int
    assert convert(_ClassProtocol) is String
    assert (
        convert({"a": _DagsterTypeLike(), "b": [_DagsterTypeLike()]}).describe()
        == "{a: Int, b: [Int]}"
    )
    assert Field(_DagsterTypeLike()).config_type is Int


def test_as_config_type_must_return_a_config_type() -> None:
    class Bad:
        def _as_config_type(self) -> object:
            return 3

    with pytest.raises(
        DagsterInvalidConfigDefinitionError, match=r"_as_config_type\(\) returned 3"
    ):
        convert(Bad())


def test_convert_to_field() -> None:
    field = Field(Int, default_value=3)
    assert convert_to_field(field, where=WHERE) is field
    converted = convert_to_field(int, where=WHERE)
    assert converted.config_type is Int
    assert converted.is_required
    assert not convert_to_field(Noneable(Int), where=WHERE).is_required


@pytest.mark.parametrize(
    ("schema", "fragment"),
    [
        (3, "solid 'adder' config_schema: got 3 (of type int), which is not a config schema"),
        ("int", 'got "int" (of type str)'),
        (object, "got the class builtins.object"),
        ({"a": {"b": 3}}, 'at ["a"]["b"]: got 3 (of type int)'),
        ({"a": [set]}, 'at ["a"][0]: got the class builtins.set'),
        ([int, str], "got a list of 2 elements; a list schema has exactly one element"),
        ([], "got a list of 0 elements"),
        ({1: int}, "entry name 1; entry names must be strings"),
        (None, "got None (a definition without config takes no config_schema)"),
        ({"a": None}, 'at ["a"]: got None (for an entry that may be None use Noneable(...))'),
        ({"a": {1, 2}}, 'at ["a"]: got {1, 2} (of type set)'),
    ],
)
def test_bad_schemas_name_where_and_what(schema: object, fragment: str) -> None:
    with pytest.raises(DagsterInvalidConfigDefinitionError) as raised:
        convert(schema)
    message = str(raised.value)
    assert message.startswith(f"Error defining config. Original value passed: {schema!r}. ")
    assert f"Invalid config schema for {WHERE}" in message
    assert fragment in message
    assert "Accepted: a config type" in message
    assert "a one-element list [schema]" in message


def test_bad_schema_in_field_names_field() -> None:
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="for Field config at"):
        Field({"a": 3})


def test_plain_class_with_instance_method_protocol_is_not_called() -> None:
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="got the class"):
        convert(_DagsterTypeLike)


@pytest.mark.parametrize(
    ("schema", "lead"),
    [
        ("x", "Error defining config. Original value passed: 'x'. 'x' cannot be resolved. "),
        (
            {"a": {"b": 3}},
            "Error defining config. Original value passed: {'a': {'b': 3}}. "
            "Error at stack path :a:b. 3 cannot be resolved. ",
        ),
        (
            {"a": []},
            "Error defining config. Original value passed: {'a': []}. Error at stack path :a. "
            "[] cannot be resolved. Reason: List must be of length 1. ",
        ),
        (
            {"a": [set]},
            "Error defining config. Original value passed: {'a': [<class 'set'>]}. Error at "
            "stack path :a. [<class 'set'>] cannot be resolved. Reason: List have a single item "
            "and contain a valid type i.e. [int]. Got item <class 'set'>. ",
        ),
        (  # a problem inside a list's dict item is reported where it is; indices are left out
            {"a": [{"b": None}]},
            "Error defining config. Original value passed: {'a': [{'b': None}]}. Error at stack "
            "path :a:b. None cannot be resolved. ",
        ),
    ],
)
def test_bad_schema_message_starts_with_the_reference_sentence(schema: object, lead: str) -> None:
    with pytest.raises(DagsterInvalidConfigDefinitionError) as raised:
        convert(schema)
    message = str(raised.value)
    assert message.startswith(lead)
    # the project's own detail follows: where, the sub-path, what is accepted
    assert message[len(lead) :].startswith(f"Invalid config schema for {WHERE}")
    assert "Accepted: a config type" in message


def test_bad_list_item_detail_keeps_the_items_sub_path() -> None:
    with pytest.raises(DagsterInvalidConfigDefinitionError, match=r'at \["a"\]\[0\]: got "x"'):
        convert({"a": ["x"]})


def test_shape_entry_error_quotes_the_value_given_to_the_shape() -> None:
    with pytest.raises(DagsterInvalidConfigDefinitionError) as raised:
        Shape({"a": {"b": "x"}})
    assert str(raised.value).startswith(
        "Error defining config. Original value passed: {'b': 'x'}. Error at stack path :b. "
    )
    assert 'at ["a"]["b"]: got "x"' in str(raised.value)


class _NotConfig:
    """Stands in for a Dagster type that is no config schema (List[int], Optional[int])."""

    def _config_schema_misuse(self) -> str:
        return "This object describes values, not config."


def test_object_saying_it_is_not_config_gets_its_own_sentence_first() -> None:
    for schema, subpath in ((_NotConfig(), ""), ({"a": [_NotConfig()]}, ' at ["a"][0]')):
        with pytest.raises(DagsterInvalidConfigDefinitionError) as raised:
            convert(schema)
        message = str(raised.value)
        assert message.startswith(
            f"This object describes values, not config. Invalid config schema for {WHERE}"
            f"{subpath}: got "
        )
        assert "Accepted: a config type" in message


def test_misuse_protocol_on_a_plain_class_is_not_called() -> None:
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="got the class"):
        convert(_NotConfig)
