"""Inputs and outputs of solids: :class:`InputDefinition`, :class:`OutputDefinition`, and the
mappings that expose an inner solid's input or output on a composite solid."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import DagsterInvalidDefinitionError
from .names import RESERVED_INPUT_NAMES, check_valid_name
from .types import DagsterType, DagsterTypeKind, resolve_dagster_type

_NO_DEFAULT = object()


class InputDefinition:
    """One input of a solid: its name, Dagster type, description and optional default value."""

    def __init__(
        self,
        name: str,
        dagster_type: Any = None,
        description: str | None = None,
        default_value: Any = _NO_DEFAULT,
        metadata: dict[str, Any] | None = None,
    ):
        self.name = check_valid_name(name, "InputDefinition")
        if name in RESERVED_INPUT_NAMES:
            raise DagsterInvalidDefinitionError(
                f'Input name "{name}" is reserved (the compute function receives the context there).'
            )
        self.dagster_type: DagsterType = resolve_dagster_type(dagster_type, f'input "{name}"')
        self.description = description
        self._default_value = default_value
        self.metadata = dict(metadata or {})
        if self.has_default_value and self.dagster_type.is_nothing:
            raise DagsterInvalidDefinitionError(
                f'Input "{name}" of type Nothing cannot have a default value.'
            )
        if self.has_default_value:
            self._check_scalar_default()

    def _check_scalar_default(self) -> None:
        """A built-in scalar's check needs no context, so a wrong default fails here, early
        (other types' checks may need resources: those run with the step)."""
        dagster_type = self.dagster_type
        if not (dagster_type.kind is DagsterTypeKind.SCALAR and dagster_type.is_builtin):
            return
        check = dagster_type.type_check(None, self._default_value)
        if check.success:
            return
        value = self._default_value
        # the reference's sentence first, then what the check said
        raise DagsterInvalidDefinitionError(
            f"Type check failed for the default_value of InputDefinition {self.name} of type "
            f"{dagster_type.display_name}. Received value {value!r:.200} of type "
            f'{type(value).__name__}. Input "{self.name}": {check.description}'
        )

    @property
    def has_default_value(self) -> bool:
        return self._default_value is not _NO_DEFAULT

    @property
    def default_value(self) -> Any:
        if not self.has_default_value:
            raise DagsterInvalidDefinitionError(f'Input "{self.name}" has no default value.')
        return self._default_value

    def mapping_to(self, solid_name: str, input_name: str) -> InputMapping:
        """Map this (composite) input onto ``input_name`` of the inner solid ``solid_name``."""
        return InputMapping(self, solid_name, input_name)

    def __repr__(self) -> str:
        return f"InputDefinition({self.name!r}, {self.dagster_type.display_name})"


class OutputDefinition:
    """One output of a solid: its Dagster type, name (default ``result``) and whether it is required."""

    def __init__(
        self,
        dagster_type: Any = None,
        name: str = "result",
        description: str | None = None,
        is_required: bool = True,
        metadata: dict[str, Any] | None = None,
    ):
        self.name = check_valid_name(name, "OutputDefinition")
        self.dagster_type: DagsterType = resolve_dagster_type(dagster_type, f'output "{name}"')
        self.description = description
        self.is_required = bool(is_required)
        self.metadata = dict(metadata or {})

    @property
    def optional(self) -> bool:
        return not self.is_required

    def mapping_from(self, solid_name: str, output_name: str = "result") -> OutputMapping:
        """Expose ``output_name`` of the inner solid ``solid_name`` as this (composite) output."""
        return OutputMapping(self, solid_name, output_name)

    def __repr__(self) -> str:
        return f"OutputDefinition({self.dagster_type.display_name}, name={self.name!r})"


@dataclass(frozen=True)
class InputMapping:
    """A composite's input, fed into ``input_name`` of its inner solid ``solid_name``."""

    definition: InputDefinition
    solid_name: str
    input_name: str


@dataclass(frozen=True)
class OutputMapping:
    """A composite's output, taken from ``output_name`` of its inner solid ``solid_name``."""

    definition: OutputDefinition
    solid_name: str
    output_name: str


def check_unique_names(defs: list[Any], what: str, owner: str) -> None:
    """Refuse two inputs (or outputs) of one solid sharing a name."""
    seen: set[str] = set()
    for definition in defs:
        if definition.name in seen:
            raise DagsterInvalidDefinitionError(
                f'{owner} has two {what} named "{definition.name}"; names must be unique.'
            )
        seen.add(definition.name)
