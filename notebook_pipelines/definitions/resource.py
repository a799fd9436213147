"""Resources: objects solids share during a run (connections, clients), built per run from config.

``resource_fn(init_context)`` returns the resource, or is a generator that yields it once and runs
its teardown after the run.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

from ..config import Field, convert_to_field
from ..errors import DagsterInvalidDefinitionError


class ResourceDefinition:
    """How to build one resource: ``resource_fn(init_context)``, its config and its dependencies."""

    def __init__(
        self,
        resource_fn: Callable[[Any], Any],
        config_schema: Any = None,
        description: str | None = None,
        required_resource_keys: Iterable[str] | None = None,
        version: str | None = None,
    ):
        if not callable(resource_fn):
            raise DagsterInvalidDefinitionError(
                f"ResourceDefinition: resource_fn must be callable, got {resource_fn!r}"
            )
        self.resource_fn = resource_fn
        self.config_field: Field | None = (
            convert_to_field(config_schema, where=f"resource {_fn_name(resource_fn)} config_schema")
            if config_schema is not None
            else None
        )
        self.description = description
        self.required_resource_keys = frozenset(required_resource_keys or ())
        self.version = version

    @property
    def config_schema(self) -> Field | None:
        return self.config_field

    @staticmethod
    def none_resource(description: str | None = None) -> ResourceDefinition:
        """A resource whose value is ``None``."""
        return ResourceDefinition.hardcoded_resource(None, description)

    @staticmethod
    def hardcoded_resource(value: Any, description: str | None = None) -> ResourceDefinition:
        """A resource that is always ``value``."""
        return ResourceDefinition(lambda _init_context: value, description=description)

    @staticmethod
    def mock_resource(description: str | None = None) -> ResourceDefinition:
        """A resource that is a ``unittest.mock.MagicMock`` (for tests of solids)."""
        from unittest import mock

        return ResourceDefinition.hardcoded_resource(mock.MagicMock(), description)

    def __repr__(self) -> str:
        return f"<ResourceDefinition {_fn_name(self.resource_fn)}>"


def resource(
    config_schema: Any = None,
    description: str | None = None,
    required_resource_keys: Iterable[str] | None = None,
    version: str | None = None,
) -> Any:
    """Decorate ``fn(init_context)`` as a :class:`ResourceDefinition` (bare or with arguments)."""
    if inspect.isfunction(config_schema):
        return ResourceDefinition(config_schema, description=inspect.getdoc(config_schema))

    def decorate(fn: Callable[[Any], Any]) -> ResourceDefinition:
        return ResourceDefinition(
            fn,
            config_schema=config_schema,
            description=description or inspect.getdoc(fn),
            required_resource_keys=required_resource_keys,
            version=version,
        )

    return decorate


def _fn_name(fn: Any) -> str:
    return str(getattr(fn, "__name__", type(fn).__name__))
