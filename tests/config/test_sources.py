"""StringSource, IntSource and BoolSource."""

from __future__ import annotations

import pickle

import pytest

from notebook_pipelines.config import (
    BoolSource,
    Field,
    IntSource,
    Shape,
    StringSource,
    validate_config,
)


def test_literal_values() -> None:
    assert validate_config(StringSource, "x").value == "x"
    assert validate_config(IntSource, 3).value == 3
    assert validate_config(BoolSource, False).value is False


def test_literal_wrong_type() -> None:
    errors = validate_config(IntSource, "3").errors
    assert [(e.reason, e.message) for e in errors] == [
        ("wrong_type", 'Value "3" is not an IntSource (an Int, or {"env": "VAR_NAME"})')
    ]
    assert validate_config(IntSource, True).errors[0].reason == "wrong_type"
    assert validate_config(StringSource, ["x"]).errors[0].reason == "wrong_type"
    assert validate_config(StringSource, None).errors[0].reason == "wrong_type"


def test_env_values_are_read_and_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NP_STR", "secret")
    monkeypatch.setenv("NP_INT", " 42 ")
    monkeypatch.setenv("NP_BOOL", "Yes")
    assert validate_config(StringSource, {"env": "NP_STR"}).value == "secret"
    assert validate_config(IntSource, {"env": "NP_INT"}).value == 42
    assert validate_config(BoolSource, {"env": "NP_BOOL"}).value is True
    monkeypatch.setenv("NP_BOOL", "off")
    assert validate_config(BoolSource, {"env": "NP_BOOL"}).value is False


def test_env_read_at_validation_time(monkeypatch: pytest.MonkeyPatch) -> None:
    schema = Shape({"password": StringSource})
    monkeypatch.setenv("NP_PW", "one")
    assert validate_config(schema, {"password": {"env": "NP_PW"}}).value == {"password": "one"}
    monkeypatch.setenv("NP_PW", "two")
    assert validate_config(schema, {"password": {"env": "NP_PW"}}).value == {"password": "two"}


def test_unset_variable_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NP_MISSING", raising=False)
    schema = Shape({"db": Shape({"password": StringSource, "port": IntSource})})
    result = validate_config(schema, {"db": {"password": {"env": "NP_MISSING"}, "port": 5432}})
    assert [(e.path_str, e.reason, e.message) for e in result.errors] == [
        (
            "root:db:password",
            "env_var_unset",
            'Environment variable "NP_MISSING" is not set (it is the source of this StringSource)',
        )
    ]


def test_unparseable_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NP_BAD", "forty")
    errors = validate_config(IntSource, {"env": "NP_BAD"}).errors
    assert [(e.reason, e.message) for e in errors] == [
        (
            "env_var_invalid",
            'Environment variable "NP_BAD" is "forty", which is not an Int '
            "(it is the source of this IntSource)",
        )
    ]
    monkeypatch.setenv("NP_BAD", "maybe")
    assert validate_config(BoolSource, {"env": "NP_BAD"}).errors[0].reason == "env_var_invalid"


def test_bad_env_dict() -> None:
    errors = validate_config(StringSource, {"env": 3}).errors
    assert [(e.path_str, e.reason) for e in errors] == [("root:env", "wrong_type")]
    errors = validate_config(StringSource, {"evn": "X"}).errors
    assert [(e.reason, e.message) for e in errors] == [
        (
            "unexpected_field",
            'Received unexpected config entry "evn" at the root. Did you mean "env"?',
        )
    ]
    errors = validate_config(StringSource, {"environment": "X"}).errors
    assert [e.message for e in errors] == [
        'Received unexpected config entry "environment" at the root. Expected one of "env".'
    ]


def test_resolve_env_false_leaves_sources_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NP_MISSING", raising=False)
    result = validate_config(StringSource, {"env": "NP_MISSING"}, resolve_env=False)
    assert result.success
    assert result.value == {"env": "NP_MISSING"}


def test_source_kind_and_pickle() -> None:
    for source in (StringSource, IntSource, BoolSource):
        assert source.kind == "scalar_union"
        assert pickle.loads(pickle.dumps(source)) is source
    assert not Field(StringSource).default_provided
