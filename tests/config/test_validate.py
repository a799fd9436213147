"""validate_config end to end: a run-config-like schema, every error at once, Fields at the top."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from notebook_pipelines.config import (
    Enum,
    EnumValue,
    Field,
    Float,
    Int,
    IntSource,
    Noneable,
    Permissive,
    Selector,
    Shape,
    String,
    StringSource,
    validate_config,
)
from notebook_pipelines.config import convert as convert_module

RETRIES = Selector({"enabled": {}, "disabled": {}})
EXECUTION = Selector(
    {
        "in_process": Field(Shape({"retries": Field(RETRIES, default_value={"enabled": {}})})),
        "multiprocess": Field(
            Shape(
                {
                    "max_concurrent": Field(Int, default_value=0),
                    "retries": Field(RETRIES, default_value={"enabled": {}}),
                }
            )
        ),
    }
)
LOG_LEVEL = Enum("LogLevel", [EnumValue("INFO", 20), EnumValue("DEBUG", 10)])
RUN_CONFIG = Shape(
    {
        "execution": Field(EXECUTION, default_value={"in_process": {}}),
        "loggers": Shape(
            {
                "console": Shape(
                    {"config": Shape({"log_level": Field(LOG_LEVEL, default_value="INFO")})}
                )
            }
        ),
        "resources": Shape(
            {
                "db": Shape(
                    {
                        "config": Shape(
                            {"url": StringSource, "pool": Field(IntSource, default_value=5)}
                        )
                    }
                )
            }
        ),
        "solids": Shape(
            {
                "adder": Shape({"config": Shape({"n": Int, "m": Field(Float, default_value=1.0)})}),
                "greeter": Shape({"config": Field(Noneable(String))}),
            }
        ),
        "storage": Field(
            Selector({"in_memory": {}, "filesystem": Field(Permissive())}), is_required=False
        ),
    }
)


def test_good_config_is_fully_processed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NP_DB_URL", "sqlite://")
    result = validate_config(
        RUN_CONFIG,
        {
            "resources": {"db": {"config": {"url": {"env": "NP_DB_URL"}}}},
            "solids": {"adder": {"config": {"n": 2}}},
            "loggers": {"console": {"config": {"log_level": "DEBUG"}}},
        },
    )
    assert result.success, result.errors
    assert result.value == {
        "execution": {"in_process": {"retries": {"enabled": {}}}},
        "loggers": {"console": {"config": {"log_level": 10}}},
        "resources": {"db": {"config": {"url": "sqlite://", "pool": 5}}},
        "solids": {"adder": {"config": {"n": 2, "m": 1.0}}, "greeter": {"config": None}},
    }


def test_every_error_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NP_DB_URL", raising=False)
    result = validate_config(
        RUN_CONFIG,
        {
            "execution": {"multiprocess": {"max_concurrent": 1.5}, "in_process": {}},
            "loggers": {"console": {"config": {"log_level": "WARN"}}},
            "resources": {"db": {"config": {"url": {"env": "NP_DB_URL"}}}},
            "solids": {"adder": {"config": {"nn": 3}}, "greeter": {"config": 7}, "addr": {}},
            "storage": {"in_memory": {}, "filesystem": {}},
            "extra": 1,
        },
    )
    assert not result.success
    assert result.value is None
    assert [(e.path_str, e.reason) for e in result.errors] == [
        ("root:execution", "selector_multiple"),
        ("root:execution:multiprocess:max_concurrent", "wrong_type"),
        ("root:loggers:console:config:log_level", "invalid_enum_value"),
        ("root:resources:db:config:url", "env_var_unset"),
        ("root:solids:adder:config", "missing_field"),
        ("root:solids:adder:config", "unexpected_field"),
        ("root:solids:greeter:config", "wrong_type"),
        ("root:solids", "unexpected_field"),
        ("root:storage", "selector_multiple"),
        ("root", "unexpected_field"),
    ]
    messages = [e.message for e in result.errors]
    assert (
        'Received unexpected config entry "nn" at path root:solids:adder:config. Did you mean "n"?'
        in messages
    )
    assert 'Received unexpected config entry "addr" at path root:solids. Did you mean "adder"?' in (
        messages
    )
    assert 'Missing required config entry "n" at path root:solids:adder:config.' in messages
    # the reference's sentence is the message; what the entry expects is the detail
    missing = next(e for e in result.errors if e.reason == "missing_field")
    assert missing.detail == "(expected Int)"
    assert str(missing) == (
        'Missing required config entry "n" at path root:solids:adder:config. (expected Int)'
    )


def test_missing_required_sections() -> None:
    result = validate_config(RUN_CONFIG, None)
    assert [(e.path_str, e.message) for e in result.errors] == [
        (
            "root",
            'Missing required config entry "resources" at the root.',
        ),
        (
            "root",
            'Missing required config entry "solids" at the root.',
        ),
    ]


def test_custom_root_path() -> None:
    errors = validate_config(
        Shape({"n": Int}), {"n": "x"}, ("root", "solids", "adder", "config")
    ).errors
    assert errors[0].path_str == "root:solids:adder:config:n"


def test_validate_with_a_field() -> None:
    field = Field(Shape({"n": Field(Int, default_value=1)}), default_value={"n": 5})
    assert validate_config(field, None).value == {"n": 5}
    assert validate_config(field, {}).value == {"n": 1}
    assert validate_config(Field(Noneable(Int), default_value=3), None).value is None
    assert validate_config(Field(Int, default_value=3), None).value == 3
    errors = validate_config(Field(Int), None).errors
    assert [e.message for e in errors] == ["Value None is not an Int"]
    assert validate_config(Field(Int, is_required=False), 4).value == 4


def test_shorthand_schema_is_converted_as_fallback() -> None:
    assert validate_config({"n": int}, {"n": 1}).value == {"n": 1}


def test_config_types_are_not_converted_again(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("converted again")

    monkeypatch.setattr(convert_module, "convert_schema_at", fail)
    assert validate_config(
        RUN_CONFIG,
        {"resources": {"db": {"config": {"url": "u"}}}, "solids": {"adder": {"config": {"n": 1}}}},
    ).success


def test_input_is_not_mutated() -> None:
    given: dict[str, Any] = {
        "resources": {"db": {"config": {"url": "u"}}},
        "solids": {"adder": {"config": {"n": 1}}},
    }
    snapshot = pickle.dumps(given)
    value = validate_config(RUN_CONFIG, given).value
    assert pickle.dumps(given) == snapshot
    assert value["solids"]["adder"]["config"] is not given["solids"]["adder"]["config"]


def test_schema_and_result_pickle() -> None:
    schema = pickle.loads(pickle.dumps(RUN_CONFIG))
    result = validate_config(
        schema,
        {"resources": {"db": {"config": {"url": "u"}}}, "solids": {"adder": {"config": {"n": 1}}}},
    )
    assert result.success
    assert pickle.loads(pickle.dumps(result)) == result
