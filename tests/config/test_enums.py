"""Enum and EnumValue."""

from __future__ import annotations

import enum
import pickle

import pytest

from notebook_pipelines.config import Enum, EnumValue, Field, Shape, validate_config
from notebook_pipelines.errors import DagsterInvalidConfigDefinitionError


class Color(enum.Enum):
    RED = 1
    GREEN = 2


COLOR = Enum("Color", [EnumValue("RED", python_value=1), EnumValue("GREEN", description="g")])


def test_config_values_map_to_python_values() -> None:
    assert validate_config(COLOR, "RED").value == 1
    assert validate_config(COLOR, "GREEN").value == "GREEN"  # python_value defaults
    assert COLOR.config_values == ["RED", "GREEN"]
    assert COLOR.to_python_value("RED") == 1
    assert COLOR.enum_values[1].description == "g"


def test_unknown_value_suggests() -> None:
    errors = validate_config(COLOR, "GREN").errors
    assert [(e.reason, e.message) for e in errors] == [
        (
            "invalid_enum_value",
            'Value "GREN" is not a Color value; expected one of "RED", "GREEN"; did you mean "GREEN"?',
        )
    ]
    assert validate_config(COLOR, "BLUE").errors[0].message == (
        'Value "BLUE" is not a Color value; expected one of "RED", "GREEN"'
    )


def test_non_string_is_wrong_type() -> None:
    errors = validate_config(COLOR, 1).errors
    assert [(e.reason, e.message) for e in errors] == [
        ("wrong_type", 'Value 1 is not a Color value (a string, one of "RED", "GREEN")')
    ]


def test_from_python_enum() -> None:
    config_type = Enum.from_python_enum(Color)
    assert config_type.name == "Color"
    assert config_type.config_values == ["RED", "GREEN"]
    assert validate_config(config_type, "GREEN").value is Color.GREEN
    schema = Shape({"c": Field(config_type, default_value="RED")})
    assert validate_config(schema, {}).value == {"c": Color.RED}
    assert pickle.loads(pickle.dumps(config_type)).to_python_value("RED") is Color.RED


def test_enum_definition_errors() -> None:
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="config_value must be a string"):
        EnumValue(1)  # type: ignore[arg-type]
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="twice"):
        Enum("E", [EnumValue("A"), EnumValue("A")])
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="EnumValue instances"):
        Enum("E", ["A"])  # type: ignore[list-item]
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="name"):
        Enum("", [EnumValue("A")])
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="not a valid Color"):
        Field(COLOR, default_value="PURPLE")
