"""Turn any accepted config schema into a :class:`ConfigType` (once, at definition time).

Accepted schemas:

- a config type (``Int``, ``Shape({...})``, ``StringSource``, ...) — returned as is;
- a :class:`Field` — its config type;
- the Python types ``int``, ``float``, ``str``, ``bool`` (the scalars), ``list`` (``Array(Any)``),
  ``dict`` (``Permissive()``) and ``typing.Any`` (``Any``);
- a one-element list ``[schema]`` — ``Array(schema)``;
- a dict ``{"name": schema_or_Field, ...}`` — a ``Shape``;
- any object with an ``_as_config_type()`` method returning a config type (the package's Dagster
  types ``Int``, ``String``, ``Any``, ... do this, so ``config_schema=Int`` works).

``None`` is not a schema: a definition without config passes no ``config_schema`` and its caller
decides what that means (both functions here raise for ``None``). Anything else raises
:class:`DagsterInvalidConfigDefinitionError` naming where the schema was given, the offending
sub-path and value, and what is accepted.
"""

from __future__ import annotations

import typing

from notebook_pipelines.config.base import ConfigType, format_value, quote
from notebook_pipelines.config.composite import Permissive, Shape
from notebook_pipelines.config.field import Field
from notebook_pipelines.config.scalars import Any, Bool, Float, Int, String
from notebook_pipelines.config.wrappers import Array
from notebook_pipelines.errors import DagsterInvalidConfigDefinitionError

#: Anything :func:`convert_to_config_type` accepts (see the module docstring). For annotations.
ConfigSchema: typing.TypeAlias = typing.Any

_ACCEPTED = (
    "Accepted: a config type (Int, Float, String, Bool, Any, Shape, Permissive, Selector, Array, "
    "Noneable, Enum, ScalarUnion, StringSource, IntSource, BoolSource), a Field, a Dagster type "
    "usable as config (such as Int), the Python types int, float, str, bool, list and dict, a "
    'one-element list [schema] for an array, or a dict {"name": schema} for a Shape.'
)

_PYTHON_TYPES: dict[object, ConfigType] = {
    int: Int,
    float: Float,
    str: String,
    bool: Bool,
    typing.Any: Any,
}


def convert_to_config_type(schema: ConfigSchema, *, where: str) -> ConfigType:
    """The config type ``schema`` stands for; ``where`` names it in errors ("solid 'adder'
    config_schema")."""
    return convert_schema_at(schema, where, "")


def convert_to_field(schema: ConfigSchema, *, where: str) -> Field:
    """``schema`` as a Field: a Field stays as it is, anything else gets the default rules."""
    if isinstance(schema, Field):
        return schema
    return Field(convert_schema_at(schema, where, ""))


def _fail(where: str, subpath: str, problem: str) -> DagsterInvalidConfigDefinitionError:
    location = f" at {subpath}" if subpath else ""
    return DagsterInvalidConfigDefinitionError(
        f"Invalid config schema for {where}{location}: {problem}. {_ACCEPTED}"
    )


def _describe_value(value: object) -> str:
    if isinstance(value, type):
        return f"the class {value.__module__}.{value.__qualname__}"
    return f"{format_value(value)} (of type {type(value).__name__})"


def convert_schema_at(schema: object, where: str, subpath: str) -> ConfigType:
    """:func:`convert_to_config_type` for a schema found at ``subpath`` (``["a"][0]``)."""
    if isinstance(schema, ConfigType):
        return schema
    if isinstance(schema, Field):
        return schema.config_type
    try:
        scalar = _PYTHON_TYPES.get(schema)
    except TypeError:  # unhashable, e.g. a list or dict schema
        scalar = None
    if scalar is not None:
        return scalar
    if schema is list:
        return Array(Any)
    if schema is dict:
        return Permissive()
    if isinstance(schema, list):
        if len(schema) != 1:
            raise _fail(
                where,
                subpath,
                f"got a list of {len(schema)} elements; a list schema has exactly one element, "
                "the schema of the array's elements (e.g. [int])",
            )
        return Array(convert_schema_at(schema[0], where, subpath + "[0]"))
    if isinstance(schema, dict):
        fields: dict[str, Field] = {}
        for name, value in schema.items():
            if not isinstance(name, str):
                raise _fail(
                    where,
                    subpath,
                    f"the dict has the entry name {format_value(name)}; entry names must be strings",
                )
            if isinstance(value, Field):
                fields[name] = value
            else:
                fields[name] = Field(convert_schema_at(value, where, f"{subpath}[{quote(name)}]"))
        return Shape(fields)
    if schema is None:
        hint = (
            "for an entry that may be None use Noneable(...)"
            if subpath
            else "a definition without config takes no config_schema"
        )
        raise _fail(where, subpath, f"got None ({hint})")
    as_config_type = getattr(schema, "_as_config_type", None)
    # on a class, only a method bound to it (a classmethod) can be called
    if callable(as_config_type) and (
        not isinstance(schema, type) or getattr(as_config_type, "__self__", None) is schema
    ):
        converted = as_config_type()
        if not isinstance(converted, ConfigType):
            raise _fail(
                where,
                subpath,
                f"{_describe_value(schema)}._as_config_type() returned "
                f"{format_value(converted)}, not a config type",
            )
        return converted
    raise _fail(where, subpath, f"got {_describe_value(schema)}, which is not a config schema")
