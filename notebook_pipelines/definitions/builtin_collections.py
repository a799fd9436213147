"""The built-in collection Dagster types ``List``, ``Optional``, ``Dict``, ``Set`` and ``Tuple``.

Each is subscriptable with Dagster types or Python types: ``List[Int]``, ``List[int]``,
``Optional[String]``, ``Dict[String, Int]``, ``Set[Int]``, ``Tuple[Int, String]``,
``Tuple[Int, ...]``. Unsubscripted, ``List`` is ``List[Any]`` and ``Dict``, ``Set``, ``Tuple``
accept any dict, set or tuple; ``Optional`` needs its inner type. Parameterised types are cached,
so ``List[Int] is List[Int]``. A failed item check says which item failed (index or key).
"""

from __future__ import annotations

from typing import Any as AnyT

from ..errors import DagsterInvalidDefinitionError
from ..user_events import TypeCheck
from .builtin_schemas import (
    dict_loader,
    file_materializer,
    list_loader,
    optional_loader,
    optional_materializer,
    set_loader,
    tuple_loader,
)
from .builtin_types import Any, String, _BuiltinType
from .type_base import (
    TYPE_CHECK_OK,
    DagsterType,
    DagsterTypeKind,
    describe_value,
    wrong_python_type,
)

_CACHE: dict[tuple[AnyT, ...], DagsterType] = {}


def _resolve(obj: AnyT, where: str) -> DagsterType:
    from .types import resolve_dagster_type  # types.py imports this module

    return resolve_dagster_type(obj, where)


def _failed_item(prefix: str, inner: TypeCheck) -> TypeCheck:
    return TypeCheck(False, f"{prefix}: {inner.description}", inner.metadata_entries)


def _cached(key: tuple[AnyT, ...], make: type[DagsterType], *args: AnyT) -> DagsterType:
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = make(*args)
    return found


# --- List ----------------------------------------------------------------------------------------


class _ListType(_BuiltinType):
    kind = DagsterTypeKind.LIST

    def __init__(self, inner: DagsterType) -> None:
        display = f"List[{inner.display_name}]"
        super().__init__(
            self._check,
            key=f"List.{inner.key}",
            is_builtin=True,
            display_name=display,
            description=f"A list whose items are each {inner.display_name}.",
            loader=list_loader(inner.loader, display) if inner.loader is not None else None,
            materializer=file_materializer(display),
        )
        self.inner_type = inner
        self._any_items = inner.kind is DagsterTypeKind.ANY

    def _check(self, context: AnyT, value: AnyT) -> TypeCheck:
        return self.type_check(context, value)

    def type_check(self, context: AnyT, value: AnyT) -> TypeCheck:
        if not isinstance(value, list):
            return wrong_python_type(value, "a list")
        if self._any_items:
            return TYPE_CHECK_OK
        check = self.inner_type.type_check
        for item in value:
            if check(context, item) is not TYPE_CHECK_OK:
                break
        else:
            return TYPE_CHECK_OK
        # slow path: find the first failure (a user check may return a successful TypeCheck)
        for index, item in enumerate(value):
            result = check(context, item)
            if not result.success:
                return _failed_item(f"List item at index {index}", result)
        return TYPE_CHECK_OK

    @property
    def type_params(self) -> tuple[DagsterType, ...]:
        return (self.inner_type,)

    def get_inner_type_for_fan_in(self) -> DagsterType:
        return self.inner_type

    def _config_schema_misuse(self) -> str:
        return (
            "Cannot use List in the context of config. Please use a python list (e.g. [int]) or "
            f"dagster.Array (e.g. Array(int)) instead. {super()._config_schema_misuse()}"
        )

    def __reduce__(self) -> AnyT:
        return (list_of, (self.inner_type,))


class _BareListType(_ListType):
    """``List``: ``List[Any]``, and the factory ``List[X]``."""

    def __getitem__(self, inner: AnyT) -> DagsterType:
        return list_of(_resolve(inner, "List[...]"))

    def __reduce__(self) -> AnyT:
        return "List"


def list_of(inner: DagsterType) -> DagsterType:
    """``List[inner]`` (cached)."""
    if inner is Any:
        return List
    return _cached(("List", inner), _ListType, inner)


# --- Optional ------------------------------------------------------------------------------------


class _OptionalType(_BuiltinType):
    kind = DagsterTypeKind.NULLABLE

    def __init__(self, inner: DagsterType) -> None:
        display = f"Optional[{inner.display_name}]"
        super().__init__(
            self._check,
            key=f"Optional.{inner.key}",
            is_builtin=True,
            display_name=display,
            description=f"None or {inner.display_name}.",
            loader=optional_loader(inner.loader, display) if inner.loader is not None else None,
            materializer=(
                optional_materializer(inner.materializer, display)
                if inner.materializer is not None
                else None
            ),
        )
        self.inner_type = inner

    def _check(self, context: AnyT, value: AnyT) -> TypeCheck:
        return self.type_check(context, value)

    def type_check(self, context: AnyT, value: AnyT) -> TypeCheck:
        if value is None:
            return TYPE_CHECK_OK
        return self.inner_type.type_check(context, value)

    @property
    def type_params(self) -> tuple[DagsterType, ...]:
        return (self.inner_type,)

    def _config_schema_misuse(self) -> str:
        return (
            f"{super()._config_schema_misuse()} For a config value that may be None, use "
            "Noneable(...) (e.g. Noneable(int))."
        )

    def __reduce__(self) -> AnyT:
        return (optional_of, (self.inner_type,))


def optional_of(inner: DagsterType) -> DagsterType:
    """``Optional[inner]`` (cached; ``Optional[Optional[X]]`` is ``Optional[X]``)."""
    if inner.kind is DagsterTypeKind.NULLABLE:
        return inner
    if inner.kind is DagsterTypeKind.NOTHING:
        raise DagsterInvalidDefinitionError(
            "Optional[Nothing] is not a type: Nothing already has no value."
        )
    return _cached(("Optional", inner), _OptionalType, inner)


class _OptionalFactory:
    """``Optional``: not a type by itself; ``Optional[X]`` is."""

    def __getitem__(self, inner: AnyT) -> DagsterType:
        return optional_of(_resolve(inner, "Optional[...]"))

    def __repr__(self) -> str:
        return "Optional"

    def __reduce__(self) -> str:
        return "Optional"


# --- Dict ----------------------------------------------------------------------------------------


class _DictType(_BuiltinType):
    def __init__(self, key_type: DagsterType | None, value_type: DagsterType | None) -> None:
        if key_type is None or value_type is None:
            key, name, display = "Dict", "Dict", "Dict"
            description = "A dict."
        else:
            # the reference's key, which users' code and snapshots compare against
            key = f"TypedPythonDict.{key_type.key}.{value_type.key}"
            name = None
            display = f"Dict[{key_type.display_name}, {value_type.display_name}]"
            description = (
                f"A dict with {key_type.display_name} keys and {value_type.display_name} values."
            )
        string_keys = key_type is None or key_type.kind is DagsterTypeKind.ANY or key_type is String
        # config can give the values only if their own type can be loaded from config
        loadable = string_keys and (value_type is None or value_type.loader is not None)
        super().__init__(
            self._check,
            key=key,
            name=name,
            is_builtin=True,
            display_name=display,
            description=description,
            loader=dict_loader(display) if loadable else None,
            materializer=file_materializer(display),
        )
        self.key_type = key_type
        self.value_type = value_type

    def _check(self, context: AnyT, value: AnyT) -> TypeCheck:
        return self.type_check(context, value)

    def type_check(self, context: AnyT, value: AnyT) -> TypeCheck:
        if not isinstance(value, dict):
            return wrong_python_type(value, "a dict")
        key_type, value_type = self.key_type, self.value_type
        if key_type is None or value_type is None:
            return TYPE_CHECK_OK
        check_keys = key_type.kind is not DagsterTypeKind.ANY
        check_values = value_type.kind is not DagsterTypeKind.ANY
        if not (check_keys or check_values):
            return TYPE_CHECK_OK
        for k, v in value.items():
            if check_keys:
                result = key_type.type_check(context, k)
                if not result.success:
                    return _failed_item(f'Dict key "{describe_value(k)}"', result)
            if check_values:
                result = value_type.type_check(context, v)
                if not result.success:
                    return _failed_item(f'Dict value at key "{describe_value(k)}"', result)
        return TYPE_CHECK_OK

    @property
    def type_params(self) -> tuple[DagsterType, ...]:
        if self.key_type is None or self.value_type is None:
            return ()
        return (self.key_type, self.value_type)

    def __reduce__(self) -> AnyT:
        return (dict_of, (self.key_type, self.value_type))


class DagsterDictApi(_DictType):
    """``Dict``: any dict, and the factory ``Dict[K, V]`` (the reference's class name, which
    Python's "object is not callable" message shows)."""

    def __getitem__(self, params: AnyT) -> DagsterType:
        if not isinstance(params, tuple) or len(params) != 2:
            raise DagsterInvalidDefinitionError(
                f"Dict takes a key type and a value type (Dict[String, Int]), got Dict[{params!r}]."
            )
        return dict_of(_resolve(params[0], "Dict[...] key"), _resolve(params[1], "Dict[...] value"))

    def __reduce__(self) -> AnyT:
        return "Dict"


def dict_of(key_type: DagsterType | None, value_type: DagsterType | None) -> DagsterType:
    """``Dict[key_type, value_type]`` (cached); ``Dict[Any, Any]`` is ``Dict``."""
    if key_type is None or value_type is None or (key_type is Any and value_type is Any):
        return Dict
    return _cached(("Dict", key_type, value_type), _DictType, key_type, value_type)


# --- Set -----------------------------------------------------------------------------------------


class _SetType(_BuiltinType):
    def __init__(self, inner: DagsterType) -> None:
        bare = inner is Any
        display = "Set" if bare else f"Set[{inner.display_name}]"
        loader = None
        if bare or inner.loader is not None:
            loader = set_loader(None if bare else inner.loader, display)
        super().__init__(
            self._check,
            key="Set" if bare else f"Set.{inner.key}",
            name="Set" if bare else None,
            is_builtin=True,
            display_name=display,
            description="A set." if bare else f"A set whose items are each {inner.display_name}.",
            loader=loader,
            materializer=file_materializer(display),
        )
        self.inner_type = inner

    def _check(self, context: AnyT, value: AnyT) -> TypeCheck:
        return self.type_check(context, value)

    def type_check(self, context: AnyT, value: AnyT) -> TypeCheck:
        if not isinstance(value, set):
            return wrong_python_type(value, "a set")
        inner = self.inner_type
        if inner.kind is DagsterTypeKind.ANY:
            return TYPE_CHECK_OK
        for item in value:
            result = inner.type_check(context, item)
            if not result.success:
                return _failed_item(f'Set item "{describe_value(item)}"', result)
        return TYPE_CHECK_OK

    @property
    def type_params(self) -> tuple[DagsterType, ...]:
        return () if self.inner_type is Any else (self.inner_type,)

    def __reduce__(self) -> AnyT:
        return (set_of, (self.inner_type,))


class _BareSetType(_SetType):
    def __getitem__(self, inner: AnyT) -> DagsterType:
        return set_of(_resolve(inner, "Set[...]"))

    def __reduce__(self) -> AnyT:
        return "Set"


def set_of(inner: DagsterType) -> DagsterType:
    """``Set[inner]`` (cached); ``Set[Any]`` is ``Set``."""
    if inner is Any:
        return Set
    return _cached(("Set", inner), _SetType, inner)


# --- Tuple ---------------------------------------------------------------------------------------


class _TupleType(_BuiltinType):
    def __init__(self, inner_types: tuple[DagsterType, ...] | None, variadic: bool = False) -> None:
        if inner_types is None:
            key, name, display, description = "Tuple", "Tuple", "Tuple", "A tuple."
        else:
            names = ", ".join(t.display_name for t in inner_types) + (", ..." if variadic else "")
            key = "Tuple." + ".".join(t.key for t in inner_types) + ("..." if variadic else "")
            name, display = None, f"Tuple[{names}]"
            description = (
                f"A tuple of {inner_types[0].display_name} items."
                if variadic
                else f"A tuple of {len(inner_types)} items: {names}."
            )
        simple = inner_types is None or all(
            t.kind in (DagsterTypeKind.ANY, DagsterTypeKind.SCALAR) for t in inner_types
        )
        super().__init__(
            self._check,
            key=key,
            name=name,
            is_builtin=True,
            display_name=display,
            description=description,
            loader=tuple_loader(display) if simple else None,
            materializer=file_materializer(display),
        )
        self.inner_types_tuple = inner_types
        self.variadic = variadic

    def _check(self, context: AnyT, value: AnyT) -> TypeCheck:
        return self.type_check(context, value)

    def type_check(self, context: AnyT, value: AnyT) -> TypeCheck:
        if not isinstance(value, tuple):
            return wrong_python_type(value, "a tuple")
        inner_types = self.inner_types_tuple
        if inner_types is None:
            return TYPE_CHECK_OK
        if self.variadic:
            inner = inner_types[0]
            for index, item in enumerate(value):
                result = inner.type_check(context, item)
                if not result.success:
                    return _failed_item(f"Tuple item at index {index}", result)
            return TYPE_CHECK_OK
        if len(value) != len(inner_types):
            return TypeCheck(
                False,
                f"Tuple {describe_value(value)} has {len(value)} items; "
                f"{self.display_name} needs {len(inner_types)}.",
            )
        for index, (inner, item) in enumerate(zip(inner_types, value, strict=True)):
            result = inner.type_check(context, item)
            if not result.success:
                return _failed_item(f"Tuple item at index {index}", result)
        return TYPE_CHECK_OK

    @property
    def type_params(self) -> tuple[DagsterType, ...]:
        return self.inner_types_tuple or ()

    def __reduce__(self) -> AnyT:
        return (tuple_of, (self.inner_types_tuple, self.variadic))


class _BareTupleType(_TupleType):
    def __getitem__(self, params: AnyT) -> DagsterType:
        if not isinstance(params, tuple):
            params = (params,)
        if len(params) == 2 and params[1] is Ellipsis:
            return tuple_of((_resolve(params[0], "Tuple[...] item"),), variadic=True)
        if not params or Ellipsis in params:
            raise DagsterInvalidDefinitionError(
                "Tuple takes one type per item (Tuple[Int, String]) or one type and ... "
                f"(Tuple[Int, ...]), got Tuple{list(params)!r}."
            )
        return tuple_of(tuple(_resolve(p, f"Tuple[...] item {i}") for i, p in enumerate(params)))

    def __reduce__(self) -> AnyT:
        return "Tuple"


def tuple_of(inner_types: tuple[DagsterType, ...] | None, variadic: bool = False) -> DagsterType:
    """``Tuple[*inner_types]`` or, with ``variadic``, ``Tuple[inner_types[0], ...]`` (cached)."""
    if inner_types is None or (variadic and inner_types[0] is Any):
        return Tuple
    return _cached(("Tuple", variadic, *inner_types), _TupleType, inner_types, variadic)


List: _BareListType = _BareListType(Any)
Optional: _OptionalFactory = _OptionalFactory()
Dict: DagsterDictApi = DagsterDictApi(None, None)
Set: _BareSetType = _BareSetType(Any)
Tuple: _BareTupleType = _BareTupleType(None)
