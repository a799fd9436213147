"""InputDefinition: a default value of a built-in scalar type is checked when it is defined."""

from __future__ import annotations

import pytest

from notebook_pipelines import DagsterInvalidDefinitionError, InputDefinition, Optional


@pytest.mark.parametrize(
    ("python_type", "default", "lead"),
    [
        (int, "foo", "of type Int. Received value 'foo' of type str."),
        (str, 1337, "of type String. Received value 1337 of type int."),
        (float, "x", "of type Float. Received value 'x' of type str."),
        (bool, 1, "of type Bool. Received value 1 of type int."),
    ],
)
def test_a_scalar_default_that_fails_its_type_check_is_refused(
    python_type: type, default: object, lead: str
) -> None:
    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:
        InputDefinition("x", python_type, default_value=default)
    message = str(excinfo.value)
    # the reference's sentence first, then what the type check said
    assert message.startswith(
        f"Type check failed for the default_value of InputDefinition x {lead}"
    )
    assert 'Input "x": Value ' in message


def test_good_scalar_defaults_and_other_types_are_not_checked_early() -> None:
    assert InputDefinition("x", int, default_value=3).default_value == 3
    assert InputDefinition("x", float, default_value=1).default_value == 1
    # a non-scalar type's check may need the run's context: it runs with the step
    assert InputDefinition("x", Optional[int], default_value="number").has_default_value
    assert InputDefinition("x", default_value=object()).has_default_value
