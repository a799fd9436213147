"""``Enum`` config types: config is one of a set of strings, processed into its Python value."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

from notebook_pipelines.config.base import (
    ConfigType,
    ConfigTypeKind,
    Path,
    format_value,
    quote,
    quoted_list,
    suggest,
)
from notebook_pipelines.config.result import ConfigError
from notebook_pipelines.errors import DagsterInvalidConfigDefinitionError

_MISSING: Any = object()


class EnumValue:
    """One value of an :class:`Enum`: the string written in config and the Python value it means.

    ``python_value`` defaults to ``config_value``.
    """

    def __init__(
        self, config_value: str, python_value: Any = None, description: str | None = None
    ) -> None:
        if not isinstance(config_value, str):
            raise DagsterInvalidConfigDefinitionError(
                f"EnumValue config_value must be a string; got {format_value(config_value)}."
            )
        self.config_value = config_value
        self.python_value = config_value if python_value is None else python_value
        self.description = description

    def __repr__(self) -> str:
        return f"EnumValue({self.config_value!r}, python_value={self.python_value!r})"


class Enum(ConfigType):
    """A named set of :class:`EnumValue`; a config value must be one of their ``config_value``."""

    kind = ConfigTypeKind.ENUM

    def __init__(self, name: str, enum_values: Iterable[EnumValue]) -> None:
        if not isinstance(name, str) or not name:
            raise DagsterInvalidConfigDefinitionError(
                f"Enum name must be a non-empty string; got {format_value(name)}."
            )
        values = list(enum_values)
        by_config: dict[str, Any] = {}
        for value in values:
            if not isinstance(value, EnumValue):
                raise DagsterInvalidConfigDefinitionError(
                    f"Enum {name!r} values must be EnumValue instances; got {format_value(value)}."
                )
            if value.config_value in by_config:
                raise DagsterInvalidConfigDefinitionError(
                    f"Enum {name!r} has the config value {quote(value.config_value)} twice."
                )
            by_config[value.config_value] = value.python_value
        self.name = name
        self.enum_values = values
        self._by_config = by_config

    @classmethod
    def from_python_enum(cls, enum_type: type[enum.Enum]) -> Enum:
        """An Enum named after ``enum_type`` whose config values are its member names."""
        return cls(enum_type.__name__, [EnumValue(member.name, member) for member in enum_type])

    @property
    def config_values(self) -> list[str]:
        return list(self._by_config)

    def to_python_value(self, config_value: str) -> Any:
        return self._by_config[config_value]

    def _describe(self) -> str:
        return self.name

    def _validate(
        self, value: Any, path: Path, errors: list[ConfigError], resolve_env: bool
    ) -> Any:
        if isinstance(value, str):
            python_value = self._by_config.get(value, _MISSING)
            if python_value is not _MISSING:
                return python_value
            message = (
                f"Value {format_value(value)} is not a {self.name} value; "
                f"expected one of {quoted_list(self._by_config)}"
            )
            close = suggest(value, self._by_config)
            if close is not None:
                message += f"; did you mean {quote(close)}?"
            errors.append(ConfigError(path, message, "invalid_enum_value"))
        else:
            errors.append(
                ConfigError(
                    path,
                    f"Value {format_value(value)} is not a {self.name} value (a string, one of "
                    f"{quoted_list(self._by_config)})",
                    "wrong_type",
                )
            )
        return value
