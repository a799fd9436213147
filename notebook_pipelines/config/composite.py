"""The dict-shaped config types: ``Shape``, ``Permissive`` and ``Selector``.

- ``Shape(fields)``: a dict with exactly these entries (missing required ones and unexpected ones
  are errors, missing optional ones get their defaults);
- ``Permissive(fields=None)``: the same, but unknown entries are allowed and kept as given;
- ``Selector(fields)``: a dict with exactly one of these entries. Left out (or ``{}``/``None``), a
  selector with a single field that has a default picks that field and fills it.

For all three, ``None`` counts as an empty dict. Field schemas may be Fields or any schema
:func:`~notebook_pipelines.config.convert.convert_to_config_type` accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from notebook_pipelines.config.base import (
    ConfigType,
    ConfigTypeKind,
    Path,
    format_value,
    missing_entry,
    quote,
    quoted_list,
    resolve_schema,
    unexpected_entry,
)
from notebook_pipelines.config.field import Field
from notebook_pipelines.config.result import ConfigError
from notebook_pipelines.errors import DagsterInvalidConfigDefinitionError

_MISSING: Any = object()
_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _build_fields(fields: object, where: str) -> dict[str, Field]:
    if not isinstance(fields, Mapping):
        raise DagsterInvalidConfigDefinitionError(
            f"{where} must be a dict of entry name to Field or schema; got {format_value(fields)}."
        )
    built: dict[str, Field] = {}
    for name, schema in fields.items():
        if not isinstance(name, str):
            raise DagsterInvalidConfigDefinitionError(
                f"{where} has a non-string entry name {format_value(name)}; "
                "config entry names must be strings."
            )
        if isinstance(schema, Field):
            built[name] = schema
        else:
            built[name] = Field(resolve_schema(schema, where, f"[{quote(name)}]"))
    return built


class _DictType(ConfigType):
    """Common ground of the three dict-shaped types."""

    _where = "fields"

    def __init__(self, fields: object, description: str | None = None) -> None:
        built = _build_fields(fields, self._where)
        self._fields = built
        self.description = description
        self._items = tuple(
            (name, field, field.default_provided, field.is_required)
            for name, field in built.items()
        )
        self.has_required_fields = any(field.is_required for field in built.values())

    @property
    def fields(self) -> Mapping[str, Field]:
        return MappingProxyType(self._fields)

    def _entries(self) -> str:
        return ", ".join(
            f"{name}{'' if field.is_required else '?'}: {field.config_type.describe()}"
            for name, field in self._fields.items()
        )

    def _not_a_dict(self, value: object, path: Path) -> ConfigError:
        return ConfigError(
            path,
            f"Value {format_value(value)} is not a dict (expected {self.short_describe()})",
            "wrong_type",
        )

    def _validate_entries(
        self,
        value: Any,
        path: Path,
        errors: list[ConfigError],
        resolve_env: bool,
        keep_extras: bool,
    ) -> Any:
        if value is None:
            value = _EMPTY
        elif not isinstance(value, Mapping):
            errors.append(self._not_a_dict(value, path))
            return value
        out: dict[Any, Any] = {}
        matched = 0
        for name, field, fills, required in self._items:
            given = value.get(name, _MISSING)
            if given is _MISSING:
                if fills:
                    out[name] = field.fill_default((*path, name), errors, resolve_env)
                elif required:
                    errors.append(missing_entry(name, field.config_type, path))
            else:
                matched += 1
                out[name] = field.process_value(given, (*path, name), errors, resolve_env)
        if matched != len(value):
            fields = self._fields
            for key, given in value.items():
                if key in fields:
                    continue
                if keep_extras:
                    out[key] = given
                else:
                    errors.append(unexpected_entry(key, fields, path))
        return out


class Shape(_DictType):
    """A dict with exactly the given entries."""

    kind = ConfigTypeKind.SHAPE
    _where = "Shape fields"

    def __init__(self, fields: Mapping[str, Any], description: str | None = None) -> None:
        super().__init__(fields, description)
        self.has_implicit_default = not self.has_required_fields

    def _describe(self) -> str:
        return "{" + self._entries() + "}"

    def _validate(
        self, value: Any, path: Path, errors: list[ConfigError], resolve_env: bool
    ) -> Any:
        return self._validate_entries(value, path, errors, resolve_env, False)


class Permissive(_DictType):
    """A dict with the given entries (if any) plus any others, which are kept as given."""

    kind = ConfigTypeKind.PERMISSIVE
    _where = "Permissive fields"

    def __init__(
        self, fields: Mapping[str, Any] | None = None, description: str | None = None
    ) -> None:
        super().__init__({} if fields is None else fields, description)
        self.has_implicit_default = not self.has_required_fields

    def _describe(self) -> str:
        entries = self._entries()
        return "{" + (entries + ", ..." if entries else "...") + "}"

    def _validate(
        self, value: Any, path: Path, errors: list[ConfigError], resolve_env: bool
    ) -> Any:
        return self._validate_entries(value, path, errors, resolve_env, True)


class Selector(_DictType):
    """A dict with exactly one of the given entries: ``{choice: value}``."""

    kind = ConfigTypeKind.SELECTOR
    _where = "Selector fields"

    def __init__(self, fields: Mapping[str, Any], description: str | None = None) -> None:
        super().__init__(fields, description)
        self.has_implicit_default = len(self._items) == 1 and self._items[0][2]

    def _describe(self) -> str:
        if not self._fields:
            return "Selector{}"
        return " | ".join(
            "{" + f"{name}: {field.config_type.describe()}" + "}"
            for name, field in self._fields.items()
        )

    def _validate(
        self, value: Any, path: Path, errors: list[ConfigError], resolve_env: bool
    ) -> Any:
        fields = self._fields
        if value is None or (isinstance(value, Mapping) and not value):
            return self._validate_empty(path, errors, resolve_env)
        if not isinstance(value, Mapping):
            errors.append(self._not_a_dict(value, path))
            return value
        chosen = []
        for key in value:
            if key in fields:
                chosen.append(key)
            else:
                errors.append(unexpected_entry(key, fields, path))
        if len(chosen) > 1:
            errors.append(
                ConfigError(
                    path,
                    f"Selector must have exactly one key, one of {quoted_list(fields)}; "
                    f"got {quoted_list(chosen)}",
                    "selector_multiple",
                )
            )
        out = {}
        for key in chosen:
            out[key] = fields[key].process_value(value[key], (*path, key), errors, resolve_env)
        return out

    def _validate_empty(self, path: Path, errors: list[ConfigError], resolve_env: bool) -> Any:
        if len(self._items) == 1:
            name, field, fills, _required = self._items[0]
            if fills:
                return {name: field.fill_default((*path, name), errors, resolve_env)}
            errors.append(missing_entry(name, field.config_type, path))
            return {}
        errors.append(
            ConfigError(
                path,
                f"Selector must have exactly one key, one of {quoted_list(self._fields)}; got none",
                "selector_empty",
            )
        )
        return {}
