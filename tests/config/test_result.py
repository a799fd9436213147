"""ConfigError and ConfigValidationResult."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from notebook_pipelines.config import ConfigError, ConfigValidationResult, Shape, validate_config
from notebook_pipelines.errors import DagsterInvalidConfigError


def test_path_str_joins_with_colons() -> None:
    error = ConfigError(("root", "solids", "adder", "config", "n"), "msg", "wrong_type")
    assert error.path_str == "root:solids:adder:config:n"
    assert str(error) == "at root:solids:adder:config:n: msg"


def test_a_message_that_names_its_location_is_not_prefixed() -> None:
    error = ConfigError(("root", "solids"), 'Missing "x" at path root:solids.', "missing_field")
    assert str(error) == 'Missing "x" at path root:solids.'
    at_root = ConfigError(("root",), 'Missing "x" at the root.', "missing_field", "(expected Int)")
    assert str(at_root) == 'Missing "x" at the root. (expected Int)'
    elsewhere = ConfigError(("root", "a"), "Missing at the root.", "missing_field")
    assert str(elsewhere) == "at root:a: Missing at the root."


def test_path_str_attaches_array_indices() -> None:
    error = ConfigError(("root", "outputs", "[0]", "result"), "msg", "wrong_type")
    assert error.path_str == "root:outputs[0]:result"
    assert ConfigError(("[1]", "[2]"), "m", "r").path_str == "[1][2]"


def test_config_error_is_frozen_and_picklable() -> None:
    error = ConfigError(("root",), "msg", "missing_field")
    with pytest.raises(dataclasses.FrozenInstanceError):
        error.message = "other"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(error)) == error


def test_result_success_and_value_or_raise() -> None:
    ok = ConfigValidationResult({"a": 1}, [])
    assert ok.success
    assert ok.value_or_raise("Bad config") == {"a": 1}

    bad = validate_config(Shape({"n": int, "m": int}), {"n": "x"})
    assert not bad.success
    assert bad.value is None
    with pytest.raises(DagsterInvalidConfigError) as raised:
        bad.value_or_raise("Error in config for pipeline adder", config_value={"n": "x"})
    text = str(raised.value)
    assert text.startswith("Error in config for pipeline adder (2 errors):")
    # each error as the reference lists it ("Error 1: ..."), with where it is and our detail
    assert '  Error 1: at root:n: Value "x" is not an Int' in text
    assert '  Error 2: Missing required config entry "m" at the root. (expected Int)' in text
    assert raised.value.errors == bad.errors
    assert raised.value.config_value == {"n": "x"}
