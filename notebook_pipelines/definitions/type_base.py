"""The Dagster type: a named runtime check on the values that flow between solids.

:class:`DagsterType` wraps a ``type_check_fn(context, value)`` returning a ``TypeCheck`` or a
bool, plus optional config-driven loading (:class:`~.type_loaders.DagsterTypeLoader`),
materialization and a serialization strategy. :class:`PythonObjectDagsterType` is the
``isinstance`` check every plain Python class gets.

The engine calls :meth:`DagsterType.type_check` for every input and output of every step, so the
success path allocates nothing: it returns the shared :data:`TYPE_CHECK_OK`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..errors import DagsterInvalidDefinitionError
from ..user_events import TypeCheck
from .serialization import DEFAULT_SERIALIZATION_STRATEGY, SerializationStrategy
from .type_loaders import DagsterTypeLoader, DagsterTypeMaterializer, check_positional_arity

TypeCheckFn = Callable[[Any, Any], Any]

#: The one successful ``TypeCheck`` without description or metadata; shared, never copied.
TYPE_CHECK_OK = TypeCheck(True)

#: Longest rendering of a value in a type-check message.
_MAX_VALUE_CHARS = 80


class DagsterTypeKind(enum.Enum):
    """What a Dagster type is, for code that treats some kinds specially (fan-in, config)."""

    ANY = "ANY"
    SCALAR = "SCALAR"
    LIST = "LIST"
    NOTHING = "NOTHING"
    NULLABLE = "NULLABLE"
    REGULAR = "REGULAR"


def describe_value(value: Any) -> str:
    """``str(value)`` for a message, shortened; a broken ``__str__`` does not hide the failure."""
    try:
        text = str(value)
    except Exception:
        text = f"<{type(value).__name__} object>"
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 3] + "..."
    return text


def python_type_name(python_type: type | tuple[type, ...]) -> str:
    """``int`` or ``int, float`` (for a tuple of types)."""
    if isinstance(python_type, tuple):
        return ", ".join(t.__name__ for t in python_type)
    return python_type.__name__


def wrong_python_type(value: Any, expected: str) -> TypeCheck:
    """The failed check ``Value "abc" of python type "str" must be a int.``"""
    return TypeCheck(
        False,
        f'Value "{describe_value(value)}" of python type "{type(value).__name__}" '
        f"must be {expected}.",
    )


class DagsterType:
    """A runtime type check with a name, plus optional loading, materialization and serialization.

    ``type_check_fn(context, value)`` returns a ``TypeCheck`` or a bool. ``key`` (defaults to
    ``name``) identifies the type; at least one of the two is needed. ``loader`` builds an input
    from run config, ``materializer`` writes an output where run config says,
    ``serialization_strategy`` (default: pickle) is how file-based storage keeps its values.
    ``input_hydration_config`` / ``output_materialization_config`` are the older names of
    ``loader`` / ``materializer``.
    """

    kind: DagsterTypeKind = DagsterTypeKind.REGULAR

    def __init__(
        self,
        type_check_fn: TypeCheckFn,
        key: str | None = None,
        name: str | None = None,
        is_builtin: bool = False,
        description: str | None = None,
        loader: DagsterTypeLoader | None = None,
        materializer: DagsterTypeMaterializer | None = None,
        serialization_strategy: SerializationStrategy | None = None,
        auto_plugins: Sequence[Any] | None = None,
        required_resource_keys: Iterable[str] | None = None,
        *,
        input_hydration_config: DagsterTypeLoader | None = None,
        output_materialization_config: DagsterTypeMaterializer | None = None,
        display_name: str | None = None,
        kind: DagsterTypeKind | None = None,
    ) -> None:
        for label, value in (("name", name), ("key", key)):
            if value is not None and (not isinstance(value, str) or not value):
                raise DagsterInvalidDefinitionError(
                    f"DagsterType {label} must be a non-empty string, got {value!r}."
                )
        if name is None and key is None:
            raise DagsterInvalidDefinitionError(
                "A DagsterType needs a name (or a key): DagsterType(type_check_fn, name=...)."
            )
        self._name = name
        self.key: str = key if key is not None else name  # type: ignore[assignment]
        where = f'Dagster type "{self.key}"'
        if not is_builtin:
            check_positional_arity(
                type_check_fn, 2, f"The type_check_fn of {where}", "context, value"
            )
        self._type_check_fn = type_check_fn
        self.is_builtin = bool(is_builtin)
        self.description = description
        self.display_name: str = display_name or name or self.key
        if kind is not None:
            self.kind = kind

        loader = _one_of(loader, input_hydration_config, "loader", "input_hydration_config", where)
        materializer = _one_of(
            materializer,
            output_materialization_config,
            "materializer",
            "output_materialization_config",
            where,
        )
        if loader is not None and not isinstance(loader, DagsterTypeLoader):
            raise DagsterInvalidDefinitionError(
                f"{where}: loader must be made with @dagster_type_loader, got {loader!r}."
            )
        if materializer is not None and not isinstance(materializer, DagsterTypeMaterializer):
            raise DagsterInvalidDefinitionError(
                f"{where}: materializer must be made with @dagster_type_materializer, "
                f"got {materializer!r}."
            )
        if serialization_strategy is not None and not isinstance(
            serialization_strategy, SerializationStrategy
        ):
            raise DagsterInvalidDefinitionError(
                f"{where}: serialization_strategy must be a SerializationStrategy, "
                f"got {serialization_strategy!r}."
            )
        self.loader: DagsterTypeLoader | None = loader
        self.materializer: DagsterTypeMaterializer | None = materializer
        self.serialization_strategy: SerializationStrategy = (
            serialization_strategy or DEFAULT_SERIALIZATION_STRATEGY
        )
        self.auto_plugins: tuple[Any, ...] = tuple(auto_plugins or ())

        if isinstance(required_resource_keys, str):
            raise DagsterInvalidDefinitionError(
                f"{where}: required_resource_keys must be a set of strings, got the string "
                f"{required_resource_keys!r}."
            )
        keys = frozenset(required_resource_keys or ())
        if loader is not None:
            keys |= loader.required_resource_keys
        if materializer is not None:
            keys |= materializer.required_resource_keys
        self.required_resource_keys: frozenset[str] = keys

    # -- checking -------------------------------------------------------------------------------

    def type_check(self, context: Any, value: Any) -> TypeCheck:
        """Run the check; always a ``TypeCheck``. Exceptions propagate (the engine wraps them)."""
        result = self._type_check_fn(context, value)
        if result is True:
            return TYPE_CHECK_OK
        if type(result) is TypeCheck:
            return result
        return self._normalise(result, value)

    def _normalise(self, result: Any, value: Any) -> TypeCheck:
        if result is False:
            return TypeCheck(
                False,
                f'Value "{describe_value(value)}" of python type "{type(value).__name__}" '
                f'failed the type check of Dagster type "{self.display_name}".',
            )
        if isinstance(result, TypeCheck):
            return result
        return TypeCheck(
            False,
            f'The type check function of Dagster type "{self.display_name}" returned '
            f"{describe_value(result)} (a {type(result).__name__}) instead of a TypeCheck or a bool.",
        )

    @property
    def type_check_fn(self) -> TypeCheckFn:
        return self._type_check_fn

    # -- structure ------------------------------------------------------------------------------

    @property
    def name(self) -> str | None:
        """The type's name; ``None`` for anonymous (built-in composite) types like ``List[Int]``."""
        return self._name

    @property
    def unique_name(self) -> str:
        return self._name if self._name is not None else self.key

    @property
    def type_params(self) -> tuple[DagsterType, ...]:
        """The direct inner types (``Int`` for ``List[Int]``)."""
        return ()

    @property
    def inner_types(self) -> tuple[DagsterType, ...]:
        """Every type nested inside this one, depth first, each once."""
        seen: dict[str, DagsterType] = {}
        stack = list(reversed(self.type_params))
        while stack:
            inner = stack.pop()
            if inner.key not in seen:
                seen[inner.key] = inner
                stack.extend(reversed(inner.type_params))
        return tuple(seen.values())

    @property
    def is_any(self) -> bool:
        return self.kind is DagsterTypeKind.ANY

    @property
    def is_nothing(self) -> bool:
        return self.kind is DagsterTypeKind.NOTHING

    @property
    def is_scalar(self) -> bool:
        return self.kind is DagsterTypeKind.SCALAR

    @property
    def is_list(self) -> bool:
        return self.kind is DagsterTypeKind.LIST

    @property
    def is_nullable(self) -> bool:
        return self.kind is DagsterTypeKind.NULLABLE

    @property
    def supports_fan_in(self) -> bool:
        """Can an input of this type gather several outputs (``MultiDependencyDefinition``)?"""
        return self.kind in (DagsterTypeKind.ANY, DagsterTypeKind.NOTHING, DagsterTypeKind.LIST)

    def get_inner_type_for_fan_in(self) -> DagsterType:
        """The type each fanned-in output must have: ``X`` for ``List[X]``, else the type itself."""
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Callable only so that Python 3.10's typing accepts Dagster types in string annotations
        # (``x: List[Int]`` under ``from __future__ import annotations``); never meant to be called.
        # Python's own wording first (a user's pytest.raises(match=...) may look for it)
        raise TypeError(
            f"'{type(self).__name__}' object is not callable: Dagster type "
            f'"{self.display_name}" is not callable; use type_check(context, value).'
        )

    def _config_schema_misuse(self) -> str:
        """Why this type cannot be a config schema; the config conversion puts it first in its
        error (the reference's sentence, then what to write instead)."""
        return (
            f"You have passed an instance of DagsterType {self.key} to the config system. "
            "Dagster types check the values solids pass each other; config is described by "
            "config types."
        )

    def __repr__(self) -> str:
        return f"<DagsterType {self.display_name}>"


def _one_of(new: Any, old: Any, new_name: str, old_name: str, where: str) -> Any:
    if new is not None and old is not None:
        raise DagsterInvalidDefinitionError(
            f"{where}: give {new_name} or its older name {old_name}, not both."
        )
    return new if new is not None else old


class PythonObjectDagsterType(DagsterType):
    """A Dagster type that accepts instances of ``python_type`` (a class or a tuple of classes).

    ``name`` defaults to the class's name; the remaining keyword arguments are
    :class:`DagsterType`'s.
    """

    def __init__(
        self,
        python_type: type | tuple[type, ...],
        key: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(python_type, tuple):
            if not python_type or not all(isinstance(t, type) for t in python_type):
                raise DagsterInvalidDefinitionError(
                    "PythonObjectDagsterType needs a class or a non-empty tuple of classes, "
                    f"got {python_type!r}."
                )
            default_name = "Union[" + python_type_name(python_type) + "]"
        elif isinstance(python_type, type):
            default_name = python_type.__name__
        else:
            raise DagsterInvalidDefinitionError(
                f"PythonObjectDagsterType needs a class or a tuple of classes, got {python_type!r}."
            )
        self.python_type = python_type
        if isinstance(python_type, tuple):
            self._expected = "one of " + python_type_name(python_type)
        else:
            self._expected = "a " + python_type.__name__
        super().__init__(self._isinstance_check, key=key, name=name or default_name, **kwargs)

    def _isinstance_check(self, _context: Any, value: Any) -> TypeCheck:
        if isinstance(value, self.python_type):
            return TYPE_CHECK_OK
        return wrong_python_type(value, self._expected)

    def type_check(self, context: Any, value: Any) -> TypeCheck:
        if isinstance(value, self.python_type):
            return TYPE_CHECK_OK
        return wrong_python_type(value, self._expected)
