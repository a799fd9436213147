"""The built-in scalar Dagster types ``Any``, ``Int``, ``Float``, ``String``, ``Bool`` and
``Nothing``.

Each is a module-level singleton that unpickles to itself. ``bool`` is not an ``Int`` (nor a
``Float``); an ``int`` is a ``Float``; other integral / real number types (numpy's, for example) are
accepted like the config scalars accept them. The scalars and ``Any`` can also be used as config
schemas (``config_schema=Int``) through ``_as_config_type``. Their checks are inlined in
``type_check`` so that the success path is one ``isinstance`` and no allocation.
"""

from __future__ import annotations

import numbers
from typing import Any as AnyT

from .. import config
from ..user_events import TypeCheck
from .builtin_schemas import any_loader, file_materializer, scalar_loader
from .type_base import TYPE_CHECK_OK, DagsterType, DagsterTypeKind, wrong_python_type


class _BuiltinType(DagsterType):
    """A built-in singleton: pickles by name, so identity survives a trip to a worker process."""

    def __reduce__(self) -> str:
        return self.key


class _ScalarType(_BuiltinType):
    kind = DagsterTypeKind.SCALAR

    def __init__(self, name: str, config_type: AnyT, description: str) -> None:
        super().__init__(
            self._check,
            name=name,
            is_builtin=True,
            description=description,
            loader=scalar_loader(config_type, name),
            materializer=file_materializer(name),
        )
        self._config_type = config_type

    def _as_config_type(self) -> AnyT:
        return self._config_type

    def _check(self, context: AnyT, value: AnyT) -> TypeCheck:
        return self.type_check(context, value)


class _IntType(_ScalarType):
    def type_check(self, context: AnyT, value: AnyT) -> TypeCheck:
        if type(value) is int or (
            isinstance(value, numbers.Integral) and not isinstance(value, bool)
        ):
            return TYPE_CHECK_OK
        return wrong_python_type(value, "a int")


class _FloatType(_ScalarType):
    def type_check(self, context: AnyT, value: AnyT) -> TypeCheck:
        if type(value) is float or type(value) is int:
            return TYPE_CHECK_OK
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return TYPE_CHECK_OK
        return wrong_python_type(value, "a float")


class _StringType(_ScalarType):
    def type_check(self, context: AnyT, value: AnyT) -> TypeCheck:
        if isinstance(value, str):
            return TYPE_CHECK_OK
        return wrong_python_type(value, "a string")


class _BoolType(_ScalarType):
    def type_check(self, context: AnyT, value: AnyT) -> TypeCheck:
        if value is True or value is False:
            return TYPE_CHECK_OK
        return wrong_python_type(value, "a bool")


class _AnyType(_BuiltinType):
    kind = DagsterTypeKind.ANY

    def __init__(self) -> None:
        super().__init__(
            self._check,
            name="Any",
            is_builtin=True,
            description="Any value: the type check always passes.",
            loader=any_loader("Any"),
            materializer=file_materializer("Any"),
        )

    def _as_config_type(self) -> AnyT:
        return config.Any

    def _check(self, context: AnyT, value: AnyT) -> TypeCheck:
        return TYPE_CHECK_OK

    def type_check(self, context: AnyT, value: AnyT) -> TypeCheck:
        return TYPE_CHECK_OK


class _NothingType(_BuiltinType):
    kind = DagsterTypeKind.NOTHING

    def __init__(self) -> None:
        super().__init__(
            self._check,
            name="Nothing",
            is_builtin=True,
            description=(
                "No value: an input or output of type Nothing only orders solids "
                "(the value is always None)."
            ),
        )

    def _check(self, context: AnyT, value: AnyT) -> TypeCheck:
        return self.type_check(context, value)

    def type_check(self, context: AnyT, value: AnyT) -> TypeCheck:
        if value is None:
            return TYPE_CHECK_OK
        return wrong_python_type(value, "None (the Nothing type carries no value)")


Any: DagsterType = _AnyType()
Int: DagsterType = _IntType("Int", config.Int, "An int (not a bool).")
Float: DagsterType = _FloatType("Float", config.Float, "A float (an int is accepted).")
String: DagsterType = _StringType("String", config.String, "A str.")
Bool: DagsterType = _BoolType("Bool", config.Bool, "A bool.")
Nothing: DagsterType = _NothingType()
