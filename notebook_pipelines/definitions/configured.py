"""``configured``: derive a definition whose config is fixed, or computed from a smaller schema.

``configured(my_resource)({"host": "db"})`` fixes the config; ``@configured(my_solid, {"n": int})``
over ``fn(config) -> inner_config`` maps a new schema onto the original one. At run time the value
given for the derived definition is validated against its schema, mapped, then validated (and
defaulted) against the original's — see :func:`resolve_configured`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ..config import convert_to_field, validate_config
from ..errors import (
    DagsterConfigMappingFunctionError,
    DagsterInvalidConfigError,
    DagsterInvalidDefinitionError,
)
from .names import check_valid_name
from .node import NodeDefinition


def configured(configurable: Any, config_schema: Any = None, **kwargs: Any) -> Callable[[Any], Any]:
    """Return a decorator/function that derives a pre-configured copy of ``configurable``."""
    if not hasattr(configurable, "config_field"):
        raise DagsterInvalidDefinitionError(
            f"configured() takes a solid, resource, logger or executor definition, got "
            f"{configurable!r}"
        )
    new_name = kwargs.pop("name", None)
    if kwargs:
        raise DagsterInvalidDefinitionError(
            f"configured() got unexpected arguments {sorted(kwargs)}"
        )

    def derive(config_or_fn: Any) -> Any:
        derived = copy.copy(configurable)
        what = getattr(configurable, "name", type(configurable).__name__)
        derived.config_field = (
            convert_to_field(config_schema, where=f"configured({what}) config_schema")
            if config_schema is not None
            else None
        )
        if config_schema is not None and not callable(config_or_fn):
            raise DagsterInvalidDefinitionError(
                f"configured({what}): with a config_schema, pass a function mapping that config "
                "to the original's config."
            )
        derived._configured_from = (configurable, config_or_fn)
        name = _derived_name(configurable, new_name, config_or_fn)
        if name is not None:
            derived.name = check_valid_name(name, "configured name")
        return derived

    return derive


def _derived_name(configurable: Any, new_name: str | None, config_or_fn: Any) -> str | None:
    """The name of a configured copy: ``name=``, else (for solids) the decorated function's name.

    A configured solid must be told apart from its original in a pipeline, so, as in the reference,
    it needs a new name; other definitions keep theirs (they are named by their mode's dict keys).
    """
    if not isinstance(configurable, NodeDefinition):
        return new_name
    if getattr(configurable, "config_mapping", False) is None:
        raise DagsterInvalidDefinitionError(
            f'configured({configurable.name}): composite solid "{configurable.name}" has no config '
            "mapping (config_schema and config_fn), so there is no config to fix."
        )
    name = new_name or (getattr(config_or_fn, "__name__", None) if callable(config_or_fn) else None)
    if name is None:
        raise DagsterInvalidDefinitionError(
            f'configured({configurable.name}): a configured solid needs a new name; pass name="..." '
            "or use configured in decorator form (the function's name becomes the solid's)."
        )
    return str(name)


def resolve_configured(
    definition: Any, value: Any, where: str, path: tuple[str, ...] = ("root",)
) -> Any:
    """Map a validated config ``value`` of a configured definition back to its original's config.

    ``path`` is where that config sits in the run config (``root:resources:db:config``); errors in
    the mapped config are reported there.
    """
    origin = getattr(definition, "_configured_from", None)
    while origin is not None:
        parent, config_or_fn = origin
        if callable(config_or_fn):
            try:
                value = config_or_fn(value)
            except Exception as exc:
                raise DagsterConfigMappingFunctionError(
                    f"The configured() function of {where} raised {type(exc).__name__}: {exc}",
                    user_exception=exc,
                ) from exc
        else:
            value = config_or_fn
        if parent.config_field is not None:
            result = validate_config(parent.config_field, value, path=path)
            if not result.success:
                raise DagsterInvalidConfigError(
                    f"The config that configured() gives {where} does not fit its schema",
                    result.errors,
                    value,
                )
            value = result.value
        origin = getattr(parent, "_configured_from", None)
    return value
