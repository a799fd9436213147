"""The scalar types and Any."""

from __future__ import annotations

import pickle
from decimal import Decimal
from fractions import Fraction

import pytest

from notebook_pipelines.config import Any, Bool, Float, Int, String, validate_config


@pytest.mark.parametrize(
    ("config_type", "good", "bad"),
    [
        (Int, [0, -3, 10**30], [1.5, True, False, "1", None, [1]]),
        (Float, [1.5, 2, -0.0, Fraction(1, 3)], [True, "1.5", None, Decimal("1.5")]),
        (String, ["", "abc"], [1, None, b"abc", ["a"]]),
        (Bool, [True, False], [0, 1, "true", None]),
    ],
)
def test_scalars_accept_and_reject(
    config_type: object, good: list[object], bad: list[object]
) -> None:
    for value in good:
        result = validate_config(config_type, value)
        assert result.success, value
        assert result.value is value
    for value in bad:
        result = validate_config(config_type, value)
        assert not result.success, value
        assert [e.reason for e in result.errors] == ["wrong_type"]


def test_scalar_messages() -> None:
    assert validate_config(Int, 1.5).errors[0].message == "Value 1.5 is not an Int"
    assert validate_config(Int, True).errors[0].message == "Value True is not an Int"
    assert validate_config(String, 3).errors[0].message == "Value 3 is not a String"
    assert validate_config(Bool, "yes").errors[0].message == 'Value "yes" is not a Bool'
    assert validate_config(Float, None).errors[0].path == ("root",)


def test_int_for_float_is_kept_as_given() -> None:
    assert validate_config(Float, 2).value == 2


def test_any_accepts_everything_unchanged() -> None:
    marker = object()
    for value in [None, 1, "x", [1, {"a": marker}], marker]:
        result = validate_config(Any, value)
        assert result.success
        assert result.value is value


@pytest.mark.parametrize("config_type", [Int, Float, String, Bool, Any])
def test_singletons_unpickle_to_themselves(config_type: object) -> None:
    assert pickle.loads(pickle.dumps(config_type)) is config_type
