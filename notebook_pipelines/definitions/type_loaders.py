"""Loaders and materializers of Dagster types: building an input from run config, and writing an
output where run config says (``@dagster_type_loader``, ``@dagster_type_materializer``).

A loader is ``fn(context, config_value) -> value``; the engine calls
:meth:`DagsterTypeLoader.construct_from_config_value` for an input given under
``solids.<name>.inputs``. A materializer is ``fn(context, config_value, runtime_value)`` returning
an ``AssetMaterialization`` / ``Materialization`` (or a list of them); the engine calls
:meth:`DagsterTypeMaterializer.materialize_runtime_values` for each entry of
``solids.<name>.outputs``. Their config schemas are converted once, when they are defined.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..config import convert_to_config_type
from ..errors import DagsterInvalidDefinitionError, DagsterInvariantViolationError
from ..user_events import AssetMaterialization, Materialization

if TYPE_CHECKING:
    from ..config import ConfigType

LoaderFn = Callable[[Any, Any], Any]
MaterializerFn = Callable[[Any, Any, Any], Any]


def _fn_name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)


def check_positional_arity(fn: Callable[..., Any], count: int, what: str, params: str) -> None:
    """Raise unless ``fn`` can be called with ``count`` positional arguments."""
    if not callable(fn):
        raise DagsterInvalidDefinitionError(f"{what} must be a function, got {fn!r}.")
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # some builtins have no signature: trust them
        return
    try:
        signature.bind(*range(count))
    except TypeError:
        raise DagsterInvalidDefinitionError(
            f'{what} "{_fn_name(fn)}" must take {count} positional arguments ({params}); '
            f"its signature is {signature}."
        ) from None


def _resource_keys(keys: Iterable[str] | None, where: str) -> frozenset[str]:
    if keys is None:
        return frozenset()
    if isinstance(keys, str):
        raise DagsterInvalidDefinitionError(
            f"{where}: required_resource_keys must be a set of strings, got the string {keys!r} "
            f"(write {{{keys!r}}})."
        )
    result = frozenset(keys)
    bad = [k for k in result if not isinstance(k, str) or not k]
    if bad:
        raise DagsterInvalidDefinitionError(
            f"{where}: required_resource_keys must be non-empty strings, got {sorted(map(repr, bad))}."
        )
    return result


class DagsterTypeLoader:
    """Builds an input value from its run config (see :func:`dagster_type_loader`)."""

    def __init__(
        self,
        config_schema: Any,
        loader_fn: LoaderFn,
        required_resource_keys: Iterable[str] | None = None,
        name: str | None = None,
    ) -> None:
        check_positional_arity(loader_fn, 2, "A dagster_type_loader", "context, config_value")
        self.name = name or _fn_name(loader_fn)
        where = f'dagster_type_loader "{self.name}"'
        self._schema_type = convert_to_config_type(config_schema, where=where)
        self._loader_fn = loader_fn
        self._required_resource_keys = _resource_keys(required_resource_keys, where)

    @property
    def schema_type(self) -> ConfigType:
        """The config type of the value given under ``solids.<solid>.inputs.<input>``."""
        return self._schema_type

    @property
    def required_resource_keys(self) -> frozenset[str]:
        return self._required_resource_keys

    def construct_from_config_value(self, context: Any, config_value: Any) -> Any:
        """The input value for a validated ``config_value``; exceptions propagate."""
        return self._loader_fn(context, config_value)

    def __repr__(self) -> str:
        return f"<DagsterTypeLoader {self.name}>"


class DagsterTypeMaterializer:
    """Writes an output value where its run config says (see :func:`dagster_type_materializer`)."""

    def __init__(
        self,
        config_schema: Any,
        materializer_fn: MaterializerFn,
        required_resource_keys: Iterable[str] | None = None,
        name: str | None = None,
    ) -> None:
        check_positional_arity(
            materializer_fn,
            3,
            "A dagster_type_materializer",
            "context, config_value, runtime_value",
        )
        self.name = name or _fn_name(materializer_fn)
        where = f'dagster_type_materializer "{self.name}"'
        self._schema_type = convert_to_config_type(config_schema, where=where)
        self._materializer_fn = materializer_fn
        self._required_resource_keys = _resource_keys(required_resource_keys, where)

    @property
    def schema_type(self) -> ConfigType:
        """The config type of one entry under ``solids.<solid>.outputs``."""
        return self._schema_type

    @property
    def required_resource_keys(self) -> frozenset[str]:
        return self._required_resource_keys

    def materialize_runtime_values(
        self, context: Any, config_value: Any, runtime_value: Any
    ) -> list[AssetMaterialization | Materialization]:
        """Run the materializer; its result as a list of materializations.

        Exceptions from the user function propagate (the engine wraps them); a result that is not
        a materialization, a list of them or ``None`` raises :class:`DagsterInvariantViolationError`.
        """
        result = self._materializer_fn(context, config_value, runtime_value)
        if result is None:
            return []
        if isinstance(result, (AssetMaterialization, Materialization)):
            return [result]
        if isinstance(result, (list, tuple)) and all(
            isinstance(item, (AssetMaterialization, Materialization)) for item in result
        ):
            return list(result)
        raise DagsterInvariantViolationError(
            f'dagster_type_materializer "{self.name}" must return an AssetMaterialization, a '
            f"Materialization or a list of them, but returned {result!r:.200}."
        )

    def __repr__(self) -> str:
        return f"<DagsterTypeMaterializer {self.name}>"


def dagster_type_loader(
    config_schema: Any, required_resource_keys: Iterable[str] | None = None
) -> Callable[[LoaderFn], DagsterTypeLoader]:
    """Decorator: ``fn(context, config_value) -> value`` becomes a :class:`DagsterTypeLoader`.

    ``config_schema`` is any config schema (``Int``, ``{"path": str}``, ``Selector(...)``).
    """
    if inspect.isroutine(config_schema):
        raise DagsterInvalidDefinitionError(
            "dagster_type_loader needs a config schema: write @dagster_type_loader(schema) "
            f"above {_fn_name(config_schema)}, not a bare @dagster_type_loader."
        )

    def wrap(fn: LoaderFn) -> DagsterTypeLoader:
        return DagsterTypeLoader(config_schema, fn, required_resource_keys)

    return wrap


def dagster_type_materializer(
    config_schema: Any, required_resource_keys: Iterable[str] | None = None
) -> Callable[[MaterializerFn], DagsterTypeMaterializer]:
    """Decorator: ``fn(context, config_value, runtime_value)`` becomes a
    :class:`DagsterTypeMaterializer`; it returns an ``AssetMaterialization`` (or a list)."""
    if inspect.isroutine(config_schema):
        raise DagsterInvalidDefinitionError(
            "dagster_type_materializer needs a config schema: write "
            f"@dagster_type_materializer(schema) above {_fn_name(config_schema)}, not a bare "
            "@dagster_type_materializer."
        )

    def wrap(fn: MaterializerFn) -> DagsterTypeMaterializer:
        return DagsterTypeMaterializer(config_schema, fn, required_resource_keys)

    return wrap


#: The older (0.9) names of the two decorators.
input_hydration_config = dagster_type_loader
output_materialization_config = dagster_type_materializer
