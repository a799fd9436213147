"""``ScalarUnion``: a value that is either a scalar or matches a dict- or list-shaped schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notebook_pipelines.config.base import (
    ConfigType,
    ConfigTypeKind,
    Path,
    format_value,
    resolve_schema,
    with_article,
)
from notebook_pipelines.config.result import ConfigError
from notebook_pipelines.config.scalars import ScalarType
from notebook_pipelines.errors import DagsterInvalidConfigDefinitionError

_NON_SCALAR_KINDS = frozenset(
    {ConfigTypeKind.SHAPE, ConfigTypeKind.PERMISSIVE, ConfigTypeKind.SELECTOR, ConfigTypeKind.ARRAY}
)


class ScalarUnion(ConfigType):
    """A dict or list value is checked against ``non_scalar_schema``, anything else is the scalar."""

    kind = ConfigTypeKind.SCALAR_UNION

    def __init__(self, scalar_type: Any, non_scalar_schema: Any) -> None:
        scalar = resolve_schema(scalar_type, "ScalarUnion scalar_type")
        if not isinstance(scalar, ScalarType):
            raise DagsterInvalidConfigDefinitionError(
                "ScalarUnion scalar_type must be a scalar (Int, Float, String, Bool); "
                f"got {scalar.short_describe()}."
            )
        non_scalar = resolve_schema(non_scalar_schema, "ScalarUnion non_scalar_schema")
        if non_scalar.kind not in _NON_SCALAR_KINDS:
            raise DagsterInvalidConfigDefinitionError(
                "ScalarUnion non_scalar_schema must be a Shape, Permissive, Selector or Array; "
                f"got {non_scalar.short_describe()}."
            )
        self.scalar_type: ScalarType = scalar
        self.non_scalar_type: ConfigType = non_scalar

    def _describe(self) -> str:
        return f"{self.scalar_type.describe()} | {self.non_scalar_type.describe()}"

    def _wrong_type(self, value: Any, path: Path) -> ConfigError:
        return ConfigError(
            path,
            f"Value {format_value(value)} is not {with_article(self.scalar_type.describe())} "
            f"or {self.non_scalar_type.short_describe()}",
            "wrong_type",
        )

    def _validate(
        self, value: Any, path: Path, errors: list[ConfigError], resolve_env: bool
    ) -> Any:
        if isinstance(value, (Mapping, list, tuple)):
            return self.non_scalar_type._validate(value, path, errors, resolve_env)
        if not self.scalar_type.accepts(value):
            errors.append(self._wrong_type(value, path))
        return value
