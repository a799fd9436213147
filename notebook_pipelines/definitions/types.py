"""Dagster types for solid inputs and outputs, and how annotations become them.

:func:`resolve_dagster_type` turns whatever a user wrote where a type is expected into a
:class:`DagsterType`: a ``DagsterType`` as is; ``None`` (not given) as ``Any``; the Python builtins
``int, float, str, bool, list, dict, set, tuple`` and ``typing.Any`` as the built-ins;
``type(None)`` as ``Nothing``; typing constructs structurally (``list[int]`` → ``List[Int]``,
``int | None`` → ``Optional[Int]``, ``dict[str, int]``, ``set[int]``, ``tuple[int, str]``,
``tuple[int, ...]``, ``Annotated[X, ...]`` → ``X``); a class registered with
:func:`usable_as_dagster_type` / :func:`make_python_type_usable_as_dagster_type` as its type; any
other class as an ``isinstance`` check (a :class:`PythonObjectDagsterType` made once per class).
Anything else is a :class:`~notebook_pipelines.errors.DagsterInvalidDefinitionError` naming where
it was given.

This module also re-exports the type API that lives in the ``type_*`` and ``builtin_*`` modules.
"""

from __future__ import annotations

import logging
import types as pytypes
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TypeVar

from ..config import ConfigType, Field
from ..errors import DagsterInvalidDefinitionError, DagsterInvariantViolationError
from ..user_events import TypeCheck
from .builtin_collections import (
    Dict,
    List,
    Optional,
    Set,
    Tuple,
    dict_of,
    list_of,
    optional_of,
    set_of,
    tuple_of,
)
from .builtin_types import Any, Bool, Float, Int, Nothing, String
from .serialization import PickleSerializationStrategy, SerializationStrategy
from .type_base import TYPE_CHECK_OK, DagsterType, DagsterTypeKind, PythonObjectDagsterType
from .type_loaders import (
    DagsterTypeLoader,
    DagsterTypeMaterializer,
    dagster_type_loader,
    dagster_type_materializer,
    input_hydration_config,
    output_materialization_config,
)

__all__ = [
    "TYPE_CHECK_OK",
    "Any",
    "Bool",
    "DagsterType",
    "DagsterTypeKind",
    "DagsterTypeLoader",
    "DagsterTypeMaterializer",
    "Dict",
    "Float",
    "Int",
    "List",
    "Nothing",
    "Optional",
    "PickleSerializationStrategy",
    "PythonObjectDagsterType",
    "SerializationStrategy",
    "Set",
    "String",
    "Tuple",
    "check_dagster_type",
    "dagster_type_loader",
    "dagster_type_materializer",
    "input_hydration_config",
    "make_python_type_usable_as_dagster_type",
    "output_materialization_config",
    "resolve_dagster_type",
    "usable_as_dagster_type",
]

C = TypeVar("C", bound=type)

#: Python classes (and ``typing.Any``) with a built-in Dagster type.
_PYTHON_BUILTINS: dict[object, DagsterType] = {
    int: Int,
    float: Float,
    str: String,
    bool: Bool,
    list: List,
    dict: Dict,
    set: Set,
    tuple: Tuple,
    type(None): Nothing,
    typing.Any: Any,
}

#: Classes registered through usable_as_dagster_type / make_python_type_usable_as_dagster_type.
_REGISTRY: dict[type, DagsterType] = {}
#: The isinstance type made for each other class, once.
_AUTO: dict[type, DagsterType] = {}
#: Typing constructs already resolved (cleared when a class is registered).
_STRUCTURES: dict[object, DagsterType] = {}

_UNION_ORIGINS: tuple[object, ...] = (typing.Union, pytypes.UnionType)


def resolve_dagster_type(obj: object, where: str = "") -> DagsterType:
    """The :class:`DagsterType` that ``obj`` stands for (see the module docstring).

    ``where`` names the place the type was given (``input "x" of solid "adder"``) for the error.
    """
    if isinstance(obj, DagsterType):
        return obj
    if obj is None:
        return Any
    try:
        found = _REGISTRY.get(obj) or _PYTHON_BUILTINS.get(obj) or _STRUCTURES.get(obj)  # type: ignore[call-overload]
    except TypeError:  # unhashable: certainly not a type
        raise _invalid(obj, where) from None
    if found is not None:
        return found
    if obj is Optional:
        raise DagsterInvalidDefinitionError(
            f"{_for(where)}Optional needs an inner type: write Optional[String] (or Optional[str])."
        )
    if isinstance(obj, (ConfigType, Field)) or (
        isinstance(obj, type) and issubclass(obj, (ConfigType, Field))
    ):
        raise DagsterInvalidDefinitionError(
            f"{_NOT_A_TYPE.format(obj=obj)} "
            f"{_for(where)}{obj!r} is a config type, which describes config, not the values "
            "passed between solids. Use a Dagster type (Int, String, List[Int], ...) or a Python "
            "type (int, str, list[int], ...)."
        )
    if typing.get_origin(obj) is not None:
        resolved = _resolve_structure(obj, where)
        _STRUCTURES[obj] = resolved
        return resolved
    if isinstance(obj, type):
        if issubclass(obj, DagsterType):
            raise DagsterInvalidDefinitionError(
                f"{_for(where)}{obj.__qualname__} is a DagsterType class; pass an instance of it "
                "(for example DagsterType(type_check_fn, name=...))."
            )
        auto = _AUTO.get(obj)
        if auto is None:
            auto = _AUTO[obj] = PythonObjectDagsterType(
                obj,
                key=f"{obj.__module__}.{obj.__qualname__}",
                name=obj.__name__,
                description=f"Instances of {obj.__module__}.{obj.__qualname__}.",
            )
        return auto
    raise _invalid(obj, where)


#: The reference's sentence for an object that is no type; kept first in our message.
_NOT_A_TYPE = (
    "Invalid type: dagster_type must be DagsterType, a python scalar, or a python type that has "
    "been marked usable as a dagster type via @usable_dagster_type or "
    "make_python_type_usable_as_dagster_type: got {obj!r:.200}."
)


def _for(where: str) -> str:
    return f"Invalid Dagster type for {where}: " if where else "Invalid Dagster type: "


def _invalid(obj: object, where: str) -> DagsterInvalidDefinitionError:
    return DagsterInvalidDefinitionError(
        f"{_NOT_A_TYPE.format(obj=obj)} "
        f"{_for(where)}{obj!r:.200} (of python type {type(obj).__name__}) is neither a Dagster "
        "type nor a Python type. Use a DagsterType (Int, List[String], ...), a class, or a typing "
        "annotation (list[int], Optional[str], ...)."
    )


def _resolve_structure(obj: object, where: str) -> DagsterType:
    origin = typing.get_origin(obj)
    args = typing.get_args(obj)

    def inner(arg: object, what: str) -> DagsterType:
        if isinstance(arg, TypeVar):
            raise DagsterInvalidDefinitionError(
                f"{_for(where)}{obj!r} has the type variable {arg!r} as its {what}; "
                "Dagster types need concrete types."
            )
        return resolve_dagster_type(arg, f"{where} ({what} of {obj!r})" if where else what)

    if origin is typing.Annotated:
        return inner(args[0], "annotated type")
    if origin in _UNION_ORIGINS:
        members = [a for a in args if a is not type(None)]
        has_none = len(members) < len(args)
        if len(members) == 1:
            resolved = inner(members[0], "member")
        elif all(_is_plain_class(m) for m in members):
            resolved = PythonObjectDagsterType(tuple(members))
        else:
            raise DagsterInvalidDefinitionError(
                f"{_for(where)}{obj!r}: a union becomes a Dagster type only when its members "
                "are plain classes (int | str), or one type and None (Optional[int])."
            )
        return optional_of(resolved) if has_none else resolved
    if origin is list:
        return list_of(inner(args[0], "item type")) if args else List
    if origin is set:
        return set_of(inner(args[0], "item type")) if args else Set
    if origin is dict:
        if not args:
            return Dict
        return dict_of(inner(args[0], "key type"), inner(args[1], "value type"))
    if origin is tuple:
        if not args:
            return Tuple
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple_of((inner(args[0], "item type"),), variadic=True)
        return tuple_of(tuple(inner(a, f"item {i}") for i, a in enumerate(args)))
    if isinstance(origin, type):
        # Another generic class (frozenset[int], Sequence[str], MyGeneric[int]): check the class.
        return resolve_dagster_type(origin, where)
    raise _invalid(obj, where)


def _is_plain_class(obj: object) -> bool:
    # (on Python 3.10 ``list[int]`` passes ``isinstance(_, type)``; it is not a plain class)
    return (
        isinstance(obj, type)
        and typing.get_origin(obj) is None
        and not issubclass(obj, DagsterType)
    )


# --- registration --------------------------------------------------------------------------------


def make_python_type_usable_as_dagster_type(python_type: type, dagster_type: DagsterType) -> None:
    """Make ``python_type``, wherever it is used as a type, stand for ``dagster_type``.

    Registering the same class again with a type of the same key replaces it (re-running a
    notebook cell); another key is an error.
    """
    if not isinstance(python_type, type):
        raise DagsterInvalidDefinitionError(
            f"make_python_type_usable_as_dagster_type needs a class, got {python_type!r}."
        )
    if not isinstance(dagster_type, DagsterType):
        raise DagsterInvalidDefinitionError(
            "make_python_type_usable_as_dagster_type needs a DagsterType as its second "
            f"argument, got {dagster_type!r}."
        )
    if python_type in _PYTHON_BUILTINS:
        raise DagsterInvalidDefinitionError(
            f"The Python type {python_type.__name__} already stands for the built-in Dagster type "
            f"{_PYTHON_BUILTINS[python_type].display_name}; use your DagsterType directly instead."
        )
    existing = _REGISTRY.get(python_type)
    if existing is not None and existing.key != dagster_type.key:
        raise DagsterInvalidDefinitionError(
            f"The Python type {python_type.__module__}.{python_type.__qualname__} is already "
            f'usable as Dagster type "{existing.display_name}"; it cannot also be '
            f'"{dagster_type.display_name}".'
        )
    _REGISTRY[python_type] = dagster_type
    _AUTO.pop(python_type, None)
    _STRUCTURES.clear()


def usable_as_dagster_type(
    name: str | type | None = None,
    description: str | None = None,
    loader: DagsterTypeLoader | None = None,
    materializer: DagsterTypeMaterializer | None = None,
    serialization_strategy: SerializationStrategy | None = None,
    auto_plugins: Sequence[typing.Any] | None = None,
    input_hydration_config: DagsterTypeLoader | None = None,
    output_materialization_config: DagsterTypeMaterializer | None = None,
) -> typing.Any:
    """Class decorator: the class becomes usable as a Dagster type (an ``isinstance`` check).

    Use it bare (``@usable_as_dagster_type``) or with keyword arguments
    (``@usable_as_dagster_type(name="Frame", loader=...)``); the class is returned unchanged.
    """

    def register(cls: C) -> C:
        if not isinstance(cls, type):
            raise DagsterInvalidDefinitionError(
                f"usable_as_dagster_type decorates a class, got {cls!r}."
            )
        type_name = name if isinstance(name, str) else cls.__name__
        dagster_type = PythonObjectDagsterType(
            cls,
            name=type_name,
            description=description,
            loader=loader,
            materializer=materializer,
            serialization_strategy=serialization_strategy,
            auto_plugins=auto_plugins,
            input_hydration_config=input_hydration_config,
            output_materialization_config=output_materialization_config,
        )
        make_python_type_usable_as_dagster_type(cls, dagster_type)
        return cls

    if isinstance(name, type):
        return register(name)
    if name is not None and not isinstance(name, str):
        raise DagsterInvalidDefinitionError(
            f"usable_as_dagster_type: name must be a string, got {name!r}."
        )
    return register


# --- checking a value outside a run ----------------------------------------------------------------


@dataclass(frozen=True)
class _StandaloneTypeCheckContext:
    """What a type check sees when called by :func:`check_dagster_type`, outside any run."""

    log: logging.Logger = field(
        default_factory=lambda: logging.getLogger("notebook_pipelines.check_dagster_type")
    )
    resources: SimpleNamespace = field(default_factory=SimpleNamespace)
    run_id: str = ""


def check_dagster_type(dagster_type: object, value: object) -> TypeCheck:
    """Type-check ``value`` against ``dagster_type`` (anything :func:`resolve_dagster_type`
    takes) outside a run, for tests. Types that need resources cannot be checked this way."""
    resolved = resolve_dagster_type(dagster_type, "check_dagster_type")
    if resolved.required_resource_keys:
        raise DagsterInvariantViolationError(
            f'check_dagster_type cannot check Dagster type "{resolved.display_name}": it needs '
            f"the resources {sorted(resolved.required_resource_keys)}. Check it inside a "
            "pipeline instead (execute_solid)."
        )
    return resolved.type_check(_StandaloneTypeCheckContext(), value)
