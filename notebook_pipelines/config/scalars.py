"""The scalar config types ``Int``, ``Float``, ``String``, ``Bool`` and the ``Any`` type.

Each is a module-level singleton that unpickles to itself. ``bool`` is not an ``Int``; an ``int``
is a ``Float`` (kept as given). Integral and real number types other than ``int``/``float`` (numpy's,
for example) are accepted too.
"""

from __future__ import annotations

import numbers
import typing

from notebook_pipelines.config.base import (
    ConfigType,
    ConfigTypeKind,
    Path,
    format_value,
    with_article,
)
from notebook_pipelines.config.result import ConfigError


class ScalarType(ConfigType):
    """A config scalar; subclasses say which Python values it accepts."""

    kind = ConfigTypeKind.SCALAR

    def __init__(self, name: str) -> None:
        self.name = name

    def accepts(self, value: object) -> bool:
        raise NotImplementedError

    def _describe(self) -> str:
        return self.name

    def _validate(
        self, value: typing.Any, path: Path, errors: list[ConfigError], resolve_env: bool
    ) -> typing.Any:
        if not self.accepts(value):
            errors.append(
                ConfigError(
                    path,
                    f"Value {format_value(value)} is not {with_article(self.name)}",
                    "wrong_type",
                )
            )
        return value

    def __repr__(self) -> str:
        return f"<ScalarType {self.name}>"

    def __reduce__(self) -> str:
        # the singletons below are module globals named after the type
        return self.name


class _IntType(ScalarType):
    def accepts(self, value: object) -> bool:
        if type(value) is int:
            return True
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class _FloatType(ScalarType):
    def accepts(self, value: object) -> bool:
        if type(value) is float or type(value) is int:
            return True
        return isinstance(value, numbers.Real) and not isinstance(value, bool)


class _StringType(ScalarType):
    def accepts(self, value: object) -> bool:
        return isinstance(value, str)


class _BoolType(ScalarType):
    def accepts(self, value: object) -> bool:
        return isinstance(value, bool)


class AnyType(ConfigType):
    """Accepts every value, ``None`` included, and passes it through unchanged."""

    kind = ConfigTypeKind.ANY
    has_implicit_default = True
    none_is_value = True

    def _describe(self) -> str:
        return "Any"

    def _validate(
        self, value: typing.Any, path: Path, errors: list[ConfigError], resolve_env: bool
    ) -> typing.Any:
        return value

    def __reduce__(self) -> str:
        return "Any"


Int: ScalarType = _IntType("Int")
Float: ScalarType = _FloatType("Float")
String: ScalarType = _StringType("String")
Bool: ScalarType = _BoolType("Bool")
Any: AnyType = AnyType()
