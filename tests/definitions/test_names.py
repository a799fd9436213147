"""Definition names: the characters allowed, and the length limit that keeps them file names."""

from __future__ import annotations

import pytest

from notebook_pipelines import OutputDefinition, composite_solid, lambda_solid, pipeline, solid
from notebook_pipelines.definitions.names import (
    FILE_NAME_MAX,
    MAX_NAME_LENGTH,
    MAX_STEP_KEY_LENGTH,
    check_step_key_length,
    check_valid_name,
)
from notebook_pipelines.errors import DagsterInvalidDefinitionError


def test_the_limits_leave_room_for_the_suffixes() -> None:
    assert len("s" * MAX_NAME_LENGTH + ".compute.out") == FILE_NAME_MAX
    assert MAX_STEP_KEY_LENGTH + len(".out") == FILE_NAME_MAX


def test_a_name_of_the_longest_length_is_accepted() -> None:
    assert check_valid_name("s" * MAX_NAME_LENGTH, "solid") == "s" * MAX_NAME_LENGTH


@pytest.mark.parametrize("length", [MAX_NAME_LENGTH + 1, 256, 10_000])
def test_a_longer_name_is_refused_with_the_limit(length: int) -> None:
    with pytest.raises(DagsterInvalidDefinitionError) as raised:
        check_valid_name("s" * length, "solid")
    text = str(raised.value)
    assert f"{length} characters long" in text and f"at most {MAX_NAME_LENGTH}" in text
    assert len(text) < 600  # the name itself is not repeated in full


def test_solid_output_and_pipeline_names_are_refused_when_defined() -> None:
    long = "n" * 256
    with pytest.raises(DagsterInvalidDefinitionError, match=f"at most {MAX_NAME_LENGTH}"):

        @lambda_solid(name=long)
        def a() -> int:  # pragma: no cover - never defined
            return 1

    with pytest.raises(DagsterInvalidDefinitionError, match="OutputDefinition"):

        @solid(output_defs=[OutputDefinition(name=long)])
        def b(context: object) -> None:  # pragma: no cover - never defined
            pass

    @lambda_solid
    def c() -> int:  # pragma: no cover - never run
        return 1

    with pytest.raises(DagsterInvalidDefinitionError, match="pipeline"):

        @pipeline(name=long)
        def p() -> None:
            c()


def test_a_step_key_too_long_for_a_file_name_is_refused_naming_it() -> None:
    fits = "o" * 120 + "." + "i" * 120 + ".compute"
    assert check_step_key_length(fits, 'pipeline "p"') == fits
    long = "o" * 200 + "." + "i" * 200 + ".compute"
    with pytest.raises(DagsterInvalidDefinitionError) as raised:
        check_step_key_length(long, 'pipeline "p"')
    text = str(raised.value)
    assert long in text and f"at most {MAX_STEP_KEY_LENGTH}" in text and 'pipeline "p"' in text


def test_a_pipeline_whose_nested_step_key_is_too_long_is_refused_when_defined() -> None:
    inner_name, outer_name = "i" * 200, "o" * 200

    @lambda_solid(name=inner_name)
    def inner() -> int:
        return 1

    @composite_solid(name=outer_name)
    def outer() -> int:
        return inner()

    with pytest.raises(DagsterInvalidDefinitionError) as raised:

        @pipeline
        def nested() -> None:
            outer()

    text = str(raised.value)
    assert f"{outer_name}.{inner_name}.compute" in text and 'pipeline "nested"' in text
