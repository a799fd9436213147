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
:class:`DagsterInvalidConfigDefinitionError`. Its message starts the way the reference's does
(``Error defining config. Original value passed: ... cannot be resolved.``, with the stack path of
entry names and a reason where there is one), so a ``pytest.raises(match=...)`` written for the
reference keeps matching; then it names where the schema was given, the offending sub-path and value,
and what is accepted. An object that says it is not config (a Dagster type such as ``List[int]``
or ``Optional[int]``, through ``_config_schema_misuse()``) gets its own sentence first instead.
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

#: Longest Python repr of a schema quoted in a message before it is shortened.
_MAX_REPR = 500

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


def convert_schema_at(schema: object, where: str, subpath: str) -> ConfigType:
    """:func:`convert_to_config_type` for a schema found at ``subpath`` (``["a"][0]``)."""
    try:
        return _convert(schema, where, subpath, ())
    except _Unresolvable as problem:
        raise problem.error(schema, where) from None


class _Unresolvable(Exception):
    """A part of the schema that is no schema; :meth:`error` makes the user's message."""

    def __init__(
        self, value: object, subpath: str, stack: tuple[str, ...], problem: str, reason: str = ""
    ) -> None:
        super().__init__(problem)
        self.value = value
        self.subpath = subpath
        self.stack = stack  # entry names only, the reference's "stack path"
        self.problem = problem
        self.reason = reason

    def error(self, original: object, where: str) -> DagsterInvalidConfigDefinitionError:
        lead = f"Error defining config. Original value passed: {_python_repr(original)}. "
        if self.stack:
            lead += f"Error at stack path :{':'.join(self.stack)}. "
        lead += f"{_python_repr(self.value)} cannot be resolved."
        if self.reason:
            lead += f" Reason: {self.reason}"
        location = f" at {self.subpath}" if self.subpath else ""
        return DagsterInvalidConfigDefinitionError(
            f"{lead} Invalid config schema for {where}{location}: {self.problem}. {_ACCEPTED}"
        )


def _python_repr(value: object) -> str:
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the definition error
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 3] + "..."


def _describe_value(value: object) -> str:
    if isinstance(value, type):
        return f"the class {value.__module__}.{value.__qualname__}"
    return f"{format_value(value)} (of type {type(value).__name__})"


def _method(schema: object, name: str) -> typing.Callable[[], object] | None:
    """``schema.name`` if it may be called without arguments (on a class: only a classmethod)."""
    method = getattr(schema, name, None)
    if not callable(method):
        return None
    if isinstance(schema, type) and getattr(method, "__self__", None) is not schema:
        return None
    return typing.cast(typing.Callable[[], object], method)


def _convert(schema: object, where: str, subpath: str, stack: tuple[str, ...]) -> ConfigType:
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
        return _convert_list(schema, where, subpath, stack)
    if isinstance(schema, dict):
        return _convert_dict(schema, where, subpath, stack)
    if schema is None:
        hint = (
            "for an entry that may be None use Noneable(...)"
            if subpath
            else "a definition without config takes no config_schema"
        )
        raise _Unresolvable(schema, subpath, stack, f"got None ({hint})")
    return _convert_protocol(schema, where, subpath, stack)


def _convert_list(
    schema: list[object], where: str, subpath: str, stack: tuple[str, ...]
) -> ConfigType:
    if len(schema) != 1:
        raise _Unresolvable(
            schema,
            subpath,
            stack,
            f"got a list of {len(schema)} elements; a list schema has exactly one element, "
            "the schema of the array's elements (e.g. [int])",
            "List must be of length 1.",
        )
    item = schema[0]
    try:
        return Array(_convert(item, where, subpath + "[0]", stack))
    except _Unresolvable as problem:
        if isinstance(item, (list, dict)):  # the problem is inside the item; it says where
            raise
        # a bad plain item is reported as a problem of the list that holds it, as the reference
        # does; the detail keeps the item's own sub-path
        raise _Unresolvable(
            schema,
            problem.subpath,
            stack,
            problem.problem,
            "List have a single item and contain a valid type i.e. [int]. "
            f"Got item {_python_repr(item)}.",
        ) from None


def _convert_dict(
    schema: dict[object, object], where: str, subpath: str, stack: tuple[str, ...]
) -> ConfigType:
    fields: dict[str, Field] = {}
    for name, value in schema.items():
        if not isinstance(name, str):
            raise _Unresolvable(
                schema,
                subpath,
                stack,
                f"the dict has the entry name {format_value(name)}; entry names must be strings",
            )
        if isinstance(value, Field):
            fields[name] = value
        else:
            fields[name] = Field(
                _convert(value, where, f"{subpath}[{quote(name)}]", (*stack, name))
            )
    return Shape(fields)


def _convert_protocol(
    schema: object, where: str, subpath: str, stack: tuple[str, ...]
) -> ConfigType:
    """An object that says what it is as config (``_as_config_type``) or why it is not
    (``_config_schema_misuse``), or no schema at all."""
    as_config_type = _method(schema, "_as_config_type")
    if as_config_type is not None:
        converted = as_config_type()
        if not isinstance(converted, ConfigType):
            raise _Unresolvable(
                schema,
                subpath,
                stack,
                f"{_describe_value(schema)}._as_config_type() returned "
                f"{format_value(converted)}, not a config type",
            )
        return converted
    misuse = _method(schema, "_config_schema_misuse")
    if misuse is not None:
        location = f" at {subpath}" if subpath else ""
        raise DagsterInvalidConfigDefinitionError(
            f"{misuse()} Invalid config schema for {where}{location}: got "
            f"{_describe_value(schema)}, which is not a config schema. {_ACCEPTED}"
        )
    raise _Unresolvable(
        schema, subpath, stack, f"got {_describe_value(schema)}, which is not a config schema"
    )
