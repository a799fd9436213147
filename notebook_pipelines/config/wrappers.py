"""Config types wrapping one inner type: ``Array(inner)`` (a list of values) and ``Noneable(inner)``."""

from __future__ import annotations

from typing import Any

from notebook_pipelines.config.base import (
    ConfigType,
    ConfigTypeKind,
    Path,
    format_value,
    resolve_schema,
)
from notebook_pipelines.config.result import ConfigError


class Array(ConfigType):
    """A list (or tuple) whose every element is a valid ``inner``; processed into a list.

    Element paths end in ``"[i]"`` (shown as ``root:items[2]``).
    """

    kind = ConfigTypeKind.ARRAY

    def __init__(self, inner_type: Any, description: str | None = None) -> None:
        self._inner = resolve_schema(inner_type, "Array inner type")
        self.inner_type = self._inner
        self.description = description

    def _describe(self) -> str:
        return f"[{self._inner.describe()}]"

    def _validate(
        self, value: Any, path: Path, errors: list[ConfigError], resolve_env: bool
    ) -> Any:
        if not isinstance(value, (list, tuple)):
            errors.append(
                ConfigError(
                    path,
                    f"Value {format_value(value)} is not a list (expected {self.short_describe()})",
                    "wrong_type",
                )
            )
            return value
        inner = self._inner
        return [
            inner._validate(item, (*path, f"[{index}]"), errors, resolve_env)
            for index, item in enumerate(value)
        ]


class Noneable(ConfigType):
    """``None`` or a valid ``inner``. A Field of this type is optional with default ``None``."""

    kind = ConfigTypeKind.NONEABLE
    has_implicit_default = True
    none_is_value = True

    def __init__(self, inner_type: Any) -> None:
        self._inner = resolve_schema(inner_type, "Noneable inner type")
        self.inner_type = self._inner

    def _describe(self) -> str:
        return f"{self._inner.describe()} | None"

    def _validate(
        self, value: Any, path: Path, errors: list[ConfigError], resolve_env: bool
    ) -> Any:
        if value is None:
            return None
        return self._inner._validate(value, path, errors, resolve_env)
