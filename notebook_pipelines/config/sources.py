"""``StringSource``, ``IntSource``, ``BoolSource``: a literal value or ``{"env": "VAR_NAME"}``.

The variable is read when the config is validated (not when the schema is defined, nor when a
Field's default is checked). An unset variable is an ``env_var_unset`` error at the entry's path
naming the variable; ``IntSource`` and ``BoolSource`` parse the variable's text (``BoolSource``
takes true/false, 1/0, yes/no, on/off in any case) and report ``env_var_invalid`` if they cannot.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from notebook_pipelines.config.base import Path, format_value, quote, with_article
from notebook_pipelines.config.composite import Selector
from notebook_pipelines.config.field import Field
from notebook_pipelines.config.result import ConfigError
from notebook_pipelines.config.scalars import Bool, Int, ScalarType, String
from notebook_pipelines.config.unions import ScalarUnion

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


class SourceType(ScalarUnion):
    """A scalar given literally or read from an environment variable (kind ``scalar_union``)."""

    def __init__(self, name: str, scalar_type: ScalarType) -> None:
        super().__init__(scalar_type, Selector({"env": Field(String)}))
        self.name = name

    def _describe(self) -> str:
        return self.name

    def _wrong_type(self, value: Any, path: Path) -> ConfigError:
        return ConfigError(
            path,
            f"Value {format_value(value)} is not {with_article(self.name)} "
            f'({with_article(self.scalar_type.describe())}, or {{"env": "VAR_NAME"}})',
            "wrong_type",
        )

    def _validate(
        self, value: Any, path: Path, errors: list[ConfigError], resolve_env: bool
    ) -> Any:
        if isinstance(value, Mapping):
            before = len(errors)
            selected = self.non_scalar_type._validate(value, path, errors, resolve_env)
            if len(errors) != before or not resolve_env:
                return selected
            variable = selected["env"]
            text = os.environ.get(variable)
            if text is None:
                errors.append(
                    ConfigError(
                        path,
                        f"Environment variable {quote(variable)} is not set "
                        f"(it is the source of this {self.name})",
                        "env_var_unset",
                    )
                )
                return None
            return self._parse(text, variable, path, errors)
        if isinstance(value, (list, tuple)) or not self.scalar_type.accepts(value):
            errors.append(self._wrong_type(value, path))
        return value

    def _parse(self, text: str, variable: str, path: Path, errors: list[ConfigError]) -> Any:
        return text

    def _invalid(self, text: str, variable: str, path: Path) -> ConfigError:
        return ConfigError(
            path,
            f"Environment variable {quote(variable)} is {format_value(text)}, which is not "
            f"{with_article(self.scalar_type.describe())} (it is the source of this {self.name})",
            "env_var_invalid",
        )

    def __reduce__(self) -> str:
        return self.name


class _IntSourceType(SourceType):
    def _parse(self, text: str, variable: str, path: Path, errors: list[ConfigError]) -> Any:
        try:
            return int(text.strip())
        except ValueError:
            errors.append(self._invalid(text, variable, path))
            return None


class _BoolSourceType(SourceType):
    def _parse(self, text: str, variable: str, path: Path, errors: list[ConfigError]) -> Any:
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        errors.append(self._invalid(text, variable, path))
        return None


StringSource: SourceType = SourceType("StringSource", String)
IntSource: SourceType = _IntSourceType("IntSource", Int)
BoolSource: SourceType = _BoolSourceType("BoolSource", Bool)
