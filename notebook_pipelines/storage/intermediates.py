"""Intermediate storage: where step outputs live between steps, and the built-in storages.

An :class:`IntermediateStorage` keeps the value of each :class:`StepOutputHandle` of one run.
Every get, set, copy and remove returns the :class:`ObjectStoreOperationResultData` that the engine
emits as an ``OBJECT_STORE_OPERATION`` event. :class:`ObjectStoreIntermediateStorage` keeps values
in an :class:`~.object_store.ObjectStore` under the key
``[*root_for_run_id(run_id), "intermediates", step_key, output_name]``, where the root is a path
*relative to the object store's root* (``"/"``-separated parts; ``""`` means the store's root).

Decision on the layout (compare the reference's ``base_dir`` pitfall): every built-in storage
namespaces by run id, so runs never share files and a parent run's outputs are only ever seen by
an explicit copy (``CP_OBJECT``) into the child run:

- in memory: values in a dict of the run (no serialisation), addresses ``memory://<key>``;
- filesystem without ``base_dir``:
  ``<instance root>/storage/<run_id>/intermediates/<step>/<output>`` (the instance's
  :meth:`~.instance.DagsterInstance.intermediates_directory`); with an ephemeral instance that
  is under the process's temporary folder;
- filesystem without ``base_dir`` on an instance whose ``instance.yaml`` names an object store for
  its ``intermediates`` (:mod:`.instance_stores`): ``<url>/<run_id>/intermediates/...`` there;
- ``object_store`` (config ``url``, ``storage_options``; :mod:`.fsspec_store`):
  ``<url>/<run_id>/intermediates/<step>/<output>`` in any fsspec store (``s3://bucket/prefix``);
- filesystem with ``base_dir``: ``<base_dir>/<run_id>/intermediates/<step>/<output>``, not
  ``<base_dir>/intermediates/...`` as in the reference, where every run overwrote the previous
  run's values. A re-execution copies from ``<base_dir>/<parent_run_id>/...``, so parent and child
  must use the same ``base_dir`` (they do when the child reuses the parent's run config).

Step keys and output names are checked once per handle (see :mod:`.keys`); the handle's key,
address and GET/SET operation data are then cached, so a get or set in memory costs a couple of
dict operations.

The system storage (the older ``storage:`` run-config key) is the same intermediate storage plus
a :class:`~.file_manager.LocalFileManager` (:class:`SystemStorageData`).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..definitions import registry
from ..definitions.serialization import _PICKLE_REFUSALS, SerializationStrategy
from ..errors import (
    DagsterCorruptIntermediateError,
    DagsterInvariantViolationError,
    DagsterStepOutputNotFoundError,
    DagsterStorageError,
)
from ..events import ObjectStoreOperationResultData, ObjectStoreOperationType, StepOutputHandle
from ..user_events import EventMetadataEntry
from .faults import storage_error
from .file_manager import LocalFileManager
from .keys import check_key_part
from .object_store import (
    FilesystemObjectStore,
    InMemoryObjectStore,
    ObjectNotFoundError,
    ObjectStore,
)

if TYPE_CHECKING:
    from .instance import DagsterInstance
    from .runs import PipelineRun

_GET = ObjectStoreOperationType.GET_OBJECT
_SET = ObjectStoreOperationType.SET_OBJECT
_CP = ObjectStoreOperationType.CP_OBJECT
_RM = ObjectStoreOperationType.RM_OBJECT


class DagsterTypeLike(Protocol):
    """What intermediate storage needs of a Dagster type: how to serialise its values."""

    @property
    def serialization_strategy(self) -> SerializationStrategy | None: ...


def _strategy(dagster_type: DagsterTypeLike | None) -> SerializationStrategy | None:
    return None if dagster_type is None else dagster_type.serialization_strategy


class IntermediateStorage(ABC):
    """The step outputs of one run (``run_id``)."""

    run_id: str

    @property
    @abstractmethod
    def is_persistent(self) -> bool:
        """Whether values outlive this process (needed for partial re-execution)."""

    @abstractmethod
    def get_intermediate_op(
        self, dagster_type: DagsterTypeLike | None, step_output_handle: StepOutputHandle
    ) -> tuple[Any, ObjectStoreOperationResultData]:
        """The value of ``step_output_handle`` and the GET operation to report.

        Raises :class:`DagsterStepOutputNotFoundError` if no value is stored.
        """

    @abstractmethod
    def set_intermediate(
        self,
        dagster_type: DagsterTypeLike | None,
        step_output_handle: StepOutputHandle,
        value: Any,
    ) -> ObjectStoreOperationResultData:
        """Store ``value`` for ``step_output_handle`` (replacing any); the SET operation."""

    @abstractmethod
    def has_intermediate(self, step_output_handle: StepOutputHandle) -> bool:
        """Whether a value is stored for ``step_output_handle``."""

    @abstractmethod
    def rm_intermediate(
        self, step_output_handle: StepOutputHandle
    ) -> ObjectStoreOperationResultData:
        """Remove the value of ``step_output_handle``; the RM operation."""

    @abstractmethod
    def copy_intermediate_from_run(
        self,
        dagster_type: DagsterTypeLike | None,
        run_id: str,
        step_output_handle: StepOutputHandle,
    ) -> ObjectStoreOperationResultData:
        """Copy the value of ``step_output_handle`` stored by run ``run_id`` into this run.

        Raises :class:`DagsterStepOutputNotFoundError` if that run has no such value.
        """

    @abstractmethod
    def uri_for(self, step_output_handle: StepOutputHandle) -> str:
        """Where the value of ``step_output_handle`` lives (a path or a ``memory://`` URI)."""

    def get_intermediate(
        self, dagster_type: DagsterTypeLike | None, step_output_handle: StepOutputHandle
    ) -> Any:
        """The value of ``step_output_handle`` (see :meth:`get_intermediate_op`)."""
        return self.get_intermediate_op(dagster_type, step_output_handle)[0]


class _Entry:
    """What is cached per handle: its key, its address and its GET/SET operation data."""

    __slots__ = ("_get_op", "address", "handle", "key", "set_op")

    def __init__(self, key: str, address: str, handle: StepOutputHandle) -> None:
        self.key = key
        self.address = address
        self.handle = handle
        self.set_op = ObjectStoreOperationResultData(_SET, handle.output_name, address, handle)
        self._get_op: ObjectStoreOperationResultData | None = None

    @property
    def get_op(self) -> ObjectStoreOperationResultData:
        op = self._get_op
        if op is None:
            op = ObjectStoreOperationResultData(
                _GET, self.handle.output_name, self.address, self.handle
            )
            self._get_op = op
        return op


def run_id_root(run_id: str) -> str:
    """The default ``root_for_run_id``: each run under a folder named by its id."""
    return run_id


class ObjectStoreIntermediateStorage(IntermediateStorage):
    """Step outputs in an object store, under ``[root, "intermediates", step_key, output_name]``.

    ``root_for_run_id(run_id)`` gives the root of a run, relative to the object store's root
    (parts separated by ``/``, each a valid key part; ``""`` for the store's root).
    """

    def __init__(
        self,
        object_store: ObjectStore,
        root_for_run_id: Callable[[str], str],
        run_id: str,
    ) -> None:
        if not isinstance(object_store, ObjectStore):
            raise DagsterInvariantViolationError(
                f"ObjectStoreIntermediateStorage needs an ObjectStore, got {object_store!r}"
            )
        if not callable(root_for_run_id):
            raise DagsterInvariantViolationError(
                f"root_for_run_id must be callable with a run id, got {root_for_run_id!r}"
            )
        self.object_store = object_store
        self.root_for_run_id = root_for_run_id
        self.run_id = check_key_part(run_id, "run id")
        self._root_parts = self._parts_for_run(run_id)
        self._entries: dict[StepOutputHandle, _Entry] = {}
        # outputs copied from another run: (that run's id, the source file), for messages
        self._copied_from: dict[StepOutputHandle, tuple[str, str]] = {}

    @property
    def is_persistent(self) -> bool:
        return self.object_store.is_persistent

    def _parts_for_run(self, run_id: str) -> list[str]:
        root = self.root_for_run_id(run_id)
        if not isinstance(root, str):
            raise DagsterInvariantViolationError(
                f"root_for_run_id({run_id!r}) must return a string, got {root!r}"
            )
        return [check_key_part(p, "storage root part") for p in root.split("/") if p]

    def _key(self, root_parts: list[str], handle: StepOutputHandle) -> str:
        if not isinstance(handle, StepOutputHandle):
            raise DagsterInvariantViolationError(f"Expected a StepOutputHandle, got {handle!r}")
        step_key = check_key_part(handle.step_key, "step key")
        try:
            output_name = check_key_part(handle.output_name, "output name")
        except DagsterInvariantViolationError as error:
            raise DagsterInvariantViolationError(f"Step {step_key!r}: {error}") from None
        return self.object_store.key_for_paths(
            [*root_parts, "intermediates", step_key, output_name]
        )

    def _entry(self, handle: StepOutputHandle) -> _Entry:
        key = self._key(self._root_parts, handle)
        entry = _Entry(key, self.object_store.uri_for_key(key), handle)
        self._entries[handle] = entry
        return entry

    def get_intermediate_op(
        self, dagster_type: DagsterTypeLike | None, step_output_handle: StepOutputHandle
    ) -> tuple[Any, ObjectStoreOperationResultData]:
        entry = self._entries.get(step_output_handle) or self._entry(step_output_handle)
        try:
            value = self.object_store.get_object(entry.key, _strategy(dagster_type))
        except ObjectNotFoundError:
            raise self._not_found(step_output_handle, self.run_id, entry.address) from None
        except DagsterCorruptIntermediateError as error:
            raise self._corrupt(step_output_handle, entry.address, error) from error.__cause__
        except DagsterStorageError as error:
            raise self._fault(error, "read", step_output_handle, entry.address) from error
        return value, entry.get_op

    def get_intermediate(
        self, dagster_type: DagsterTypeLike | None, step_output_handle: StepOutputHandle
    ) -> Any:
        return self.get_intermediate_op(dagster_type, step_output_handle)[0]

    def set_intermediate(
        self,
        dagster_type: DagsterTypeLike | None,
        step_output_handle: StepOutputHandle,
        value: Any,
    ) -> ObjectStoreOperationResultData:
        entry = self._entries.get(step_output_handle) or self._entry(step_output_handle)
        try:
            self.object_store.set_object(entry.key, value, _strategy(dagster_type))
        except DagsterStorageError as error:
            raise self._fault(error, "store", step_output_handle, entry.address) from error
        except _PICKLE_REFUSALS as error:
            # the message says it all (the step's failure shows it, not the pickler's own error)
            raise DagsterInvariantViolationError(
                unpicklable_output_message(step_output_handle, error)
            ) from None
        return entry.set_op

    def has_intermediate(self, step_output_handle: StepOutputHandle) -> bool:
        entry = self._entries.get(step_output_handle) or self._entry(step_output_handle)
        return self.object_store.has_object(entry.key)

    def rm_intermediate(
        self, step_output_handle: StepOutputHandle
    ) -> ObjectStoreOperationResultData:
        entry = self._entries.get(step_output_handle) or self._entry(step_output_handle)
        self.object_store.rm_object(entry.key)
        return ObjectStoreOperationResultData(
            _RM, step_output_handle.output_name, entry.address, step_output_handle
        )

    def copy_intermediate_from_run(
        self,
        dagster_type: DagsterTypeLike | None,
        run_id: str,
        step_output_handle: StepOutputHandle,
    ) -> ObjectStoreOperationResultData:
        entry = self._entries.get(step_output_handle) or self._entry(step_output_handle)
        source_key = self._key(
            self._parts_for_run(check_key_part(run_id, "run id")), step_output_handle
        )
        source_address = self.object_store.uri_for_key(source_key)
        if not self.object_store.has_object(source_key):
            raise self._not_found(step_output_handle, run_id, source_address)
        if source_key != entry.key:
            try:
                self.object_store.cp_object(source_key, entry.key)
            except DagsterStorageError as error:
                raise self._fault(error, "copy", step_output_handle, entry.address) from error
            self._copied_from[step_output_handle] = (run_id, source_address)
        return ObjectStoreOperationResultData(
            _CP,
            step_output_handle.output_name,
            entry.address,
            step_output_handle,
            (EventMetadataEntry.path(source_address, "source", f"copied from run {run_id}"),),
        )

    def uri_for(self, step_output_handle: StepOutputHandle) -> str:
        entry = self._entries.get(step_output_handle) or self._entry(step_output_handle)
        return entry.address

    @staticmethod
    def _not_found(
        handle: StepOutputHandle, run_id: str, address: str
    ) -> DagsterStepOutputNotFoundError:
        return DagsterStepOutputNotFoundError(
            f'No value stored for output "{handle.output_name}" of step "{handle.step_key}" '
            f"in run {run_id} (looked at {address}). The step may not have run or succeeded, or "
            "the stored value was deleted.",
            step_key=handle.step_key,
            output_name=handle.output_name,
        )

    def _fault(
        self, error: DagsterStorageError, doing: str, handle: StepOutputHandle, address: str
    ) -> DagsterStorageError:
        """``error`` again, with the run, step and output in its message and attributes."""
        cause = error.__cause__
        what = f'{doing} output "{handle.output_name}" of step "{handle.step_key}" of run {self.run_id}'
        if cause is None:  # raised by a store without an OSError behind it: keep its message
            return type(error)(
                f"Cannot {what}: {error}",
                path=error.path or address,
                run_id=self.run_id,
                step_key=handle.step_key,
                output_name=handle.output_name,
            )
        kept = "Nothing was kept of the partial value." if doing != "read" else ""
        return storage_error(
            cause,
            what,
            error.path or address,
            run_id=self.run_id,
            step_key=handle.step_key,
            output_name=handle.output_name,
            kept=kept,
        )

    def _corrupt(
        self, handle: StepOutputHandle, address: str, error: DagsterCorruptIntermediateError
    ) -> DagsterCorruptIntermediateError:
        cause = error.__cause__
        problem = str(error) if cause is None else f"{type(cause).__name__}: {cause}"
        origin = self._copied_from.get(handle)
        copied = "" if origin is None else f" (copied from run {origin[0]}, {origin[1]})"
        return DagsterCorruptIntermediateError(
            f'The stored value of output "{handle.output_name}" of step "{handle.step_key}" of '
            f"run {self.run_id} cannot be read back: the file {address}{copied} is damaged "
            f'({problem}). Re-execute step "{handle.step_key}" too, so that it stores the '
            "value again.",
            path=address,
            run_id=self.run_id,
            step_key=handle.step_key,
            output_name=handle.output_name,
        )

    def __repr__(self) -> str:
        return f"<ObjectStoreIntermediateStorage run={self.run_id} store={self.object_store!r}>"


# --- construction from init contexts --------------------------------------------------------------


class _HasPipelineRun(Protocol):
    @property
    def pipeline_run(self) -> PipelineRun: ...


class InitIntermediateStorageContextLike(Protocol):
    """What the intermediate-storage creation functions use of their init context."""

    @property
    def instance(self) -> DagsterInstance: ...

    @property
    def pipeline_run(self) -> PipelineRun: ...

    @property
    def intermediate_storage_config(self) -> Mapping[str, Any] | None: ...


class InitSystemStorageContextLike(Protocol):
    """What the system-storage creation functions use of their init context."""

    @property
    def instance(self) -> DagsterInstance: ...

    @property
    def pipeline_run(self) -> PipelineRun: ...

    @property
    def system_storage_config(self) -> Mapping[str, Any] | None: ...


def build_intermediate_storage_from_object_store(
    object_store: ObjectStore,
    init_context: _HasPipelineRun,
    root_for_run_id: Callable[[str], str] = run_id_root,
) -> ObjectStoreIntermediateStorage:
    """The intermediate storage of ``init_context``'s run in ``object_store``.

    ``root_for_run_id`` maps a run id to its root relative to the store's root (default: a
    folder named by the run id, so runs never share values).
    """
    return ObjectStoreIntermediateStorage(
        object_store, root_for_run_id, init_context.pipeline_run.run_id
    )


def _base_dir(config: Mapping[str, Any] | None, where: str) -> str | None:
    base_dir = (config or {}).get("base_dir")
    if base_dir is None:
        return None
    if not isinstance(base_dir, (str, os.PathLike)) or not os.fspath(base_dir):
        raise DagsterInvariantViolationError(
            f"{where}: base_dir must be a non-empty path, got {base_dir!r}"
        )
    return os.path.abspath(os.path.expanduser(os.fspath(base_dir)))


def _filesystem_store(instance: DagsterInstance, base_dir: str | None) -> ObjectStore:
    # Runs live in <store root>/<run_id>/: base_dir, the object store the instance's
    # instance.yaml names for its intermediates, or the instance's storage folder.
    if base_dir is not None:
        return FilesystemObjectStore(base_dir)
    return run_values_store(instance)


def run_values_store(instance: DagsterInstance) -> ObjectStore:
    """Where ``instance`` keeps its runs' values by default (each run under ``<run_id>/``): the
    object store of its ``intermediates`` section (:mod:`.instance_stores`), else its folder's
    ``storage/``. Readers of a run's stored values (re-execution, post-mortems) find them here."""
    from .instance_stores import instance_store

    store = instance_store(instance, "intermediates")
    return store if store is not None else FilesystemObjectStore(instance.storage_directory())


def upload_run_file(
    storage: IntermediateStorage, local_path: str, parts: Sequence[str]
) -> str | None:
    """Upload ``local_path`` next to the run's values when ``storage`` keeps them in a remote
    object store (``<url>/<run_id>/<parts...>``, e.g. an executed notebook); its URI, or ``None``
    when the values are local (or in memory) or there is no such file."""
    if not isinstance(storage, ObjectStoreIntermediateStorage) or not os.path.exists(local_path):
        return None
    put_file = getattr(storage.object_store, "put_file", None)
    if put_file is None:
        return None
    key = storage.object_store.key_for_paths([*storage._root_parts, *parts])
    return str(put_file(local_path, key))


def create_object_store_intermediate_storage(
    init_context: InitIntermediateStorageContextLike,
) -> ObjectStoreIntermediateStorage:
    """The ``object_store`` intermediate storage: values in an fsspec store at ``url``
    (``s3://bucket/prefix``...) under ``<url>/<run_id>/intermediates/<step>/<output>``; with no
    ``url`` in its config, the one of the instance's ``intermediates`` section."""
    from .fsspec_store import FsspecObjectStore
    from .instance_stores import instance_store

    config = init_context.intermediate_storage_config or {}
    url = config.get("url")
    store: ObjectStore | None
    if url is None:
        store = instance_store(init_context.instance, "intermediates")
        if store is None:
            raise DagsterInvariantViolationError(
                "intermediate_storage: object_store needs a url (config: {url: "
                "s3://bucket/prefix}), or an intermediates section with a url in the "
                "instance's instance.yaml."
            )
    else:
        store = FsspecObjectStore(url, config.get("storage_options"))
    return ObjectStoreIntermediateStorage(store, run_id_root, init_context.pipeline_run.run_id)


def create_in_memory_intermediate_storage(
    init_context: _HasPipelineRun,
) -> ObjectStoreIntermediateStorage:
    """The ``in_memory`` intermediate storage: Python objects in this process, not persistent."""
    return ObjectStoreIntermediateStorage(
        InMemoryObjectStore(), run_id_root, init_context.pipeline_run.run_id
    )


def create_filesystem_intermediate_storage(
    init_context: InitIntermediateStorageContextLike,
) -> ObjectStoreIntermediateStorage:
    """The ``filesystem`` intermediate storage (config: optional ``base_dir``); see the module
    docstring for the layout."""
    base_dir = _base_dir(
        init_context.intermediate_storage_config, "intermediate_storage: filesystem"
    )
    return ObjectStoreIntermediateStorage(
        _filesystem_store(init_context.instance, base_dir),
        run_id_root,
        init_context.pipeline_run.run_id,
    )


# --- system storage ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SystemStorageData:
    """What a system storage provides: intermediate storage and a file manager."""

    intermediate_storage: IntermediateStorage
    file_manager: LocalFileManager

    def __post_init__(self) -> None:
        if not isinstance(self.intermediate_storage, IntermediateStorage):
            raise DagsterInvariantViolationError(
                "SystemStorageData: intermediate_storage must be an IntermediateStorage, got "
                f"{self.intermediate_storage!r}"
            )


def create_in_memory_system_storage(
    init_context: InitSystemStorageContextLike,
) -> SystemStorageData:
    """The ``in_memory`` system storage: in-memory intermediates, files under the instance."""
    run_id = init_context.pipeline_run.run_id
    return SystemStorageData(
        ObjectStoreIntermediateStorage(InMemoryObjectStore(), run_id_root, run_id),
        LocalFileManager.for_instance(init_context.instance, run_id),
    )


def create_filesystem_system_storage(
    init_context: InitSystemStorageContextLike,
) -> SystemStorageData:
    """The ``filesystem`` system storage (config: optional ``base_dir``): intermediates and files
    under ``<base_dir>/<run_id>/`` or the instance's ``storage/<run_id>/``."""
    run_id = init_context.pipeline_run.run_id
    base_dir = _base_dir(init_context.system_storage_config, "storage: filesystem")
    if base_dir is None:
        file_manager = LocalFileManager.for_instance(init_context.instance, run_id)
    else:
        file_manager = LocalFileManager(
            os.path.join(base_dir, check_key_part(run_id, "run id"), "files")
        )
    return SystemStorageData(
        ObjectStoreIntermediateStorage(
            _filesystem_store(init_context.instance, base_dir), run_id_root, run_id
        ),
        file_manager,
    )


def unpicklable_output_message(handle: StepOutputHandle, error: BaseException) -> str:
    """Why an output cannot be stored (it cannot be pickled) and how to keep it in memory."""
    solid_name = handle.step_key.removesuffix(".compute")
    return (
        f'Output "{handle.output_name}" of solid "{solid_name}" (step "{handle.step_key}") cannot '
        f"be stored: {type(error).__name__}: {error}. This run stores outputs on disk "
        "(filesystem intermediates: a notebook session does so by default, so that a failed "
        "step can be re-executed), and a value such as a database connection, a lock or an open "
        "file cannot be written. Keep it in memory: run in process with "
        "run_config={'intermediate_storage': {'in_memory': {}}}, or make it a resource "
        "(@resource, listed in the solid's required_resource_keys) that the solids use."
    )


# The built-in storage definitions (definitions/storage.py) find their implementations here by name.
registry.intermediate_storages.register("in_memory", create_in_memory_intermediate_storage)
registry.intermediate_storages.register("filesystem", create_filesystem_intermediate_storage)
registry.intermediate_storages.register("object_store", create_object_store_intermediate_storage)
registry.system_storages.register("in_memory", create_in_memory_system_storage)
registry.system_storages.register("filesystem", create_filesystem_system_storage)
