"""Where intermediate values live: :class:`SystemStorageDefinition` (the older ``storage`` key) and
:class:`IntermediateStorageDefinition` (``intermediate_storage``), their decorators, and the
built-in in-memory, filesystem and ``object_store`` (an fsspec URL such as ``s3://bucket/prefix``;
add it to a mode's ``intermediate_storage_defs``) definitions: their names and config schemas; the storage layer
implements them and registers each under its name (see :mod:`.registry`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..config import Field, Permissive, StringSource, convert_to_field
from ..errors import DagsterInvalidDefinitionError
from .names import check_valid_name
from .registry import Registered


class _StorageDefinition:
    kind = "storage"

    def __init__(
        self,
        name: str,
        is_persistent: bool,
        required_resource_keys: Iterable[str] | None,
        config_schema: Any,
        creation_fn: Callable[[Any], Any] | None,
    ):
        self.name = check_valid_name(name, self.kind)
        self.is_persistent = bool(is_persistent)
        self.required_resource_keys = frozenset(required_resource_keys or ())
        self.config_field: Field | None = (
            convert_to_field(config_schema, where=f'{self.kind} "{name}" config_schema')
            if config_schema is not None
            else None
        )
        if creation_fn is None or not callable(creation_fn):
            raise DagsterInvalidDefinitionError(f'{self.kind} "{name}": needs a creation function.')
        self.creation_fn = creation_fn

    @property
    def config_schema(self) -> Field | None:
        return self.config_field

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class SystemStorageDefinition(_StorageDefinition):
    """A system storage (``storage:`` in run config): intermediates plus a file manager."""

    kind = "system storage"

    def __init__(
        self,
        name: str,
        is_persistent: bool,
        required_resource_keys: Iterable[str] | None = None,
        config_schema: Any = None,
        system_storage_creation_fn: Callable[[Any], Any] | None = None,
    ):
        super().__init__(
            name, is_persistent, required_resource_keys, config_schema, system_storage_creation_fn
        )

    @property
    def system_storage_creation_fn(self) -> Callable[[Any], Any]:
        return self.creation_fn


class IntermediateStorageDefinition(_StorageDefinition):
    """An intermediate storage (``intermediate_storage:`` in run config)."""

    kind = "intermediate storage"

    def __init__(
        self,
        name: str,
        is_persistent: bool,
        required_resource_keys: Iterable[str] | None = None,
        config_schema: Any = None,
        intermediate_storage_creation_fn: Callable[[Any], Any] | None = None,
    ):
        super().__init__(
            name,
            is_persistent,
            required_resource_keys,
            config_schema,
            intermediate_storage_creation_fn,
        )

    @property
    def intermediate_storage_creation_fn(self) -> Callable[[Any], Any]:
        return self.creation_fn


def system_storage(
    required_resource_keys: Iterable[str] | None = None,
    name: str | None = None,
    is_persistent: bool = True,
    config_schema: Any = None,
) -> Callable[[Callable[[Any], Any]], SystemStorageDefinition]:
    """Decorate ``fn(init_context) -> SystemStorageData`` as a :class:`SystemStorageDefinition`."""

    def decorate(fn: Callable[[Any], Any]) -> SystemStorageDefinition:
        return SystemStorageDefinition(
            name or fn.__name__, is_persistent, required_resource_keys, config_schema, fn
        )

    return decorate


def intermediate_storage(
    required_resource_keys: Iterable[str] | None = None,
    name: str | None = None,
    is_persistent: bool = True,
    config_schema: Any = None,
) -> Callable[[Callable[[Any], Any]], IntermediateStorageDefinition]:
    """Decorate ``fn(init_context) -> IntermediateStorage`` as an :class:`IntermediateStorageDefinition`."""

    def decorate(fn: Callable[[Any], Any]) -> IntermediateStorageDefinition:
        return IntermediateStorageDefinition(
            name or fn.__name__, is_persistent, required_resource_keys, config_schema, fn
        )

    return decorate


def _fs_config() -> dict[str, Any]:
    return {
        "base_dir": Field(
            StringSource,
            is_required=False,
            description="Folder for intermediates (default: the instance's storage folder); "
            "each run gets its own sub-folder.",
        )
    }


mem_system_storage = SystemStorageDefinition(
    "in_memory", False, None, None, Registered("system storage", "in_memory")
)
fs_system_storage = SystemStorageDefinition(
    "filesystem",
    True,
    None,
    _fs_config(),
    Registered("system storage", "filesystem"),
)
mem_intermediate_storage = IntermediateStorageDefinition(
    "in_memory", False, None, None, Registered("intermediate storage", "in_memory")
)
fs_intermediate_storage = IntermediateStorageDefinition(
    "filesystem",
    True,
    None,
    _fs_config(),
    Registered("intermediate storage", "filesystem"),
)

object_store_intermediate_storage = IntermediateStorageDefinition(
    "object_store",
    True,
    None,
    {
        "url": Field(
            StringSource,
            is_required=False,
            description="An fsspec URL (s3://bucket/prefix, gs://..., file://...); each run gets "
            "its own folder under it (default: the instance.yaml's intermediates url).",
        ),
        "storage_options": Field(
            Permissive(),
            is_required=False,
            description="Options of the file system (s3fs: endpoint_url, key, secret, "
            "config_kwargs...); a value {env: NAME} is read from the environment variable NAME.",
        ),
    },
    Registered("intermediate storage", "object_store"),
)
#: The in-memory and filesystem intermediate storages plus ``object_store`` (for a mode).
object_store_plus_default_intermediate_storage_defs = [
    mem_intermediate_storage,
    fs_intermediate_storage,
    object_store_intermediate_storage,
]

default_system_storage_defs = [mem_system_storage, fs_system_storage]
default_intermediate_storage_defs = [mem_intermediate_storage, fs_intermediate_storage]
