"""Shape, Permissive and Selector."""

from __future__ import annotations

import pickle
from collections import OrderedDict

import pytest

from notebook_pipelines.config import Field, Float, Int, Permissive, Selector, Shape, String
from notebook_pipelines.config import validate_config as validate
from notebook_pipelines.errors import DagsterInvalidConfigDefinitionError


def _errors(schema: object, value: object) -> list[tuple[str, str, str]]:
    return [(e.path_str, e.reason, e.message) for e in validate(schema, value).errors]


# ---- Shape -------------------------------------------------------------------------------------


def test_shape_accepts_and_fills_defaults_in_schema_order() -> None:
    schema = Shape(
        {"n": Int, "m": Field(Float, default_value=1.5), "s": Field(String, is_required=False)}
    )
    result = validate(schema, {"n": 2})
    assert result.success
    assert result.value == {"n": 2, "m": 1.5}
    assert list(validate(schema, {"s": "x", "m": 2.0, "n": 1}).value) == ["n", "m", "s"]


def test_shape_result_is_a_new_plain_dict() -> None:
    given = OrderedDict(n=1)
    value = validate(Shape({"n": Int}), given).value
    assert type(value) is dict
    assert value is not given


def test_shape_missing_and_unexpected_are_all_reported() -> None:
    schema = Shape({"n": Int, "m": Float, "name": String})
    assert _errors(schema, {"nn": 1, "zzz": 2, "name": 3}) == [
        ("root", "missing_field", 'Missing required config entry "n" at the root.'),
        ("root", "missing_field", 'Missing required config entry "m" at the root.'),
        ("root:name", "wrong_type", "Value 3 is not a String"),
        (
            "root",
            "unexpected_field",
            'Received unexpected config entry "nn" at the root. Did you mean "n"?',
        ),
        (
            "root",
            "unexpected_field",
            'Received unexpected config entry "zzz" at the root. Expected one of "n", "m", "name".',
        ),
    ]


def test_unexpected_entry_in_empty_shape() -> None:
    assert _errors(Shape({}), {"a": 1}) == [
        (
            "root",
            "unexpected_field",
            'Received unexpected config entry "a" at the root. No entries are allowed here.',
        )
    ]


def test_non_string_keys_are_unexpected() -> None:
    assert [r for _, r, _ in _errors(Shape({"a": Field(Int, is_required=False)}), {1: 2})] == [
        "unexpected_field"
    ]


def test_shape_wrong_type() -> None:
    assert _errors(Shape({"n": Int}), [1]) == [
        ("root", "wrong_type", "Value [1] is not a dict (expected {n: Int})")
    ]


def test_none_counts_as_empty_dict() -> None:
    assert validate(Shape({"a": Field(Int, default_value=1)}), None).value == {"a": 1}
    assert _errors(Shape({"a": Int}), None) == [
        ("root", "missing_field", 'Missing required config entry "a" at the root.')
    ]


def test_defaults_filled_at_depth() -> None:
    schema = Shape(
        {
            "outer": Shape(
                {
                    "middle": Shape(
                        {
                            "inner": Field(Int, default_value=7),
                            "keep": Field(String, default_value="k"),
                        }
                    ),
                    "flag": Field(bool, default_value=False),
                }
            )
        }
    )
    assert validate(schema, {}).value == {
        "outer": {"middle": {"inner": 7, "keep": "k"}, "flag": False}
    }
    assert validate(schema, {"outer": {"middle": {"inner": 1}}}).value == {
        "outer": {"middle": {"inner": 1, "keep": "k"}, "flag": False}
    }


def test_errors_at_depth_have_exact_paths() -> None:
    schema = Shape({"solids": Shape({"adder": Shape({"config": Shape({"n": Int})})})})
    assert _errors(schema, {"solids": {"adder": {"config": {"n": 1.5}}}}) == [
        ("root:solids:adder:config:n", "wrong_type", "Value 1.5 is not an Int")
    ]


def test_shape_fields_must_be_a_dict_of_string_names() -> None:
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="Shape fields must be a dict"):
        Shape([Int])  # type: ignore[arg-type]
    with pytest.raises(DagsterInvalidConfigDefinitionError, match="non-string entry name 1"):
        Shape({1: Int})  # type: ignore[dict-item]


def test_shape_field_schemas_name_their_entry_in_errors() -> None:
    with pytest.raises(
        DagsterInvalidConfigDefinitionError, match=r'Shape fields at \["a"\]\["b"\]'
    ):
        Shape({"a": {"b": 3}})


# ---- Permissive --------------------------------------------------------------------------------


def test_permissive_keeps_extras_and_checks_known_fields() -> None:
    schema = Permissive({"n": Field(Int, default_value=1)})
    assert validate(schema, {"x": [1], "y": {"z": None}}).value == {
        "n": 1,
        "x": [1],
        "y": {"z": None},
    }
    assert _errors(schema, {"n": "1", "x": 2}) == [
        ("root:n", "wrong_type", 'Value "1" is not an Int')
    ]


def test_permissive_without_fields() -> None:
    assert validate(Permissive(), None).value == {}
    assert validate(Permissive(), {"a": 1}).value == {"a": 1}
    assert _errors(Permissive(), 3) == [
        ("root", "wrong_type", "Value 3 is not a dict (expected {...})")
    ]


def test_permissive_required_fields() -> None:
    assert _errors(Permissive({"n": Int}), {"x": 1}) == [
        ("root", "missing_field", 'Missing required config entry "n" at the root.')
    ]


# ---- Selector ----------------------------------------------------------------------------------


EXECUTION = Selector(
    {
        "in_process": Field(
            Shape(
                {
                    "retries": Field(
                        Selector({"enabled": {}, "disabled": {}}), default_value={"enabled": {}}
                    )
                }
            )
        ),
        "multiprocess": Field(Shape({"max_concurrent": Field(Int, default_value=0)})),
    }
)


def test_selector_picks_one_and_fills_it() -> None:
    assert validate(EXECUTION, {"multiprocess": {}}).value == {
        "multiprocess": {"max_concurrent": 0}
    }
    assert validate(EXECUTION, {"multiprocess": {"max_concurrent": 4}}).value == {
        "multiprocess": {"max_concurrent": 4}
    }
    assert validate(EXECUTION, {"in_process": {"retries": {"disabled": None}}}).value == {
        "in_process": {"retries": {"disabled": {}}}
    }


@pytest.mark.parametrize("choice_value", [None, {}])
def test_selector_choice_with_none_or_empty_value(choice_value: object) -> None:
    assert validate(EXECUTION, {"in_process": choice_value}).value == {
        "in_process": {"retries": {"enabled": {}}}
    }


def test_selector_default_through_field() -> None:
    schema = Shape({"execution": Field(EXECUTION, default_value={"in_process": {}})})
    assert validate(schema, {}).value == {"execution": {"in_process": {"retries": {"enabled": {}}}}}
    assert validate(schema, {"execution": None}).value == validate(schema, {}).value


def test_selector_multiple_keys() -> None:
    assert _errors(Selector({"a": Int, "b": String}), {"a": 1, "b": "x"}) == [
        (
            "root",
            "selector_multiple",
            'Selector must have exactly one key, one of "a", "b"; got "a", "b"',
        )
    ]


def test_selector_multiple_keys_still_checks_each_value() -> None:
    errors = _errors(Selector({"a": Int, "b": String}), {"a": "x", "b": 2})
    assert [(path, reason) for path, reason, _ in errors] == [
        ("root", "selector_multiple"),
        ("root:a", "wrong_type"),
        ("root:b", "wrong_type"),
    ]


@pytest.mark.parametrize("value", [None, {}])
def test_selector_empty_with_several_choices(value: object) -> None:
    assert _errors(Selector({"a": Int, "b": String}), value) == [
        ("root", "selector_empty", 'Selector must have exactly one key, one of "a", "b"; got none')
    ]


def test_single_choice_selector_with_default_may_be_left_out() -> None:
    selector = Selector({"only": Field(Shape({"n": Field(Int, default_value=3)}))})
    assert validate(selector, None).value == {"only": {"n": 3}}
    assert validate(selector, {}).value == {"only": {"n": 3}}
    assert validate(Shape({"s": selector}), {}).value == {"s": {"only": {"n": 3}}}


def test_single_required_choice_left_out() -> None:
    assert _errors(Selector({"a": Int}), {}) == [
        ("root", "missing_field", 'Missing required config entry "a" at the root.')
    ]


def test_selector_unexpected_key_with_suggestion() -> None:
    assert _errors(EXECUTION, {"in_proces": {}}) == [
        (
            "root",
            "unexpected_field",
            'Received unexpected config entry "in_proces" at the root. Did you mean "in_process"?',
        )
    ]


def test_selector_unexpected_and_valid_key() -> None:
    result = validate(Selector({"a": Int, "b": Int}), {"a": 1, "zz": 2})
    assert [(e.reason, e.path_str) for e in result.errors] == [("unexpected_field", "root")]


def test_selector_errors_inside_choice() -> None:
    assert _errors(EXECUTION, {"multiprocess": {"max_concurrent": "4"}}) == [
        ("root:multiprocess:max_concurrent", "wrong_type", 'Value "4" is not an Int')
    ]


def test_selector_wrong_type() -> None:
    assert _errors(Selector({"a": Int, "b": String}), "a") == [
        ("root", "wrong_type", 'Value "a" is not a dict (expected {a: Int} | {b: String})')
    ]


def test_composite_types_pickle() -> None:
    copy = pickle.loads(pickle.dumps(EXECUTION))
    assert copy.describe() == EXECUTION.describe()
    assert validate(copy, {"multiprocess": {}}).value == {"multiprocess": {"max_concurrent": 0}}
    assert pickle.loads(pickle.dumps(Permissive({"a": Int}))).fields["a"].config_type is Int
