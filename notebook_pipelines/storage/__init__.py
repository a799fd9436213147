"""Storage (layer 3): runs, event logs, the instance, intermediate values and files."""

from .event_log import EventLogStorage, InMemoryEventLogStorage
from .file_manager import FileHandle, LocalFileHandle, LocalFileManager, local_file_manager
from .home import InstanceRef
from .instance import DagsterInstance, InstanceType
from .intermediates import (
    IntermediateStorage,
    ObjectStoreIntermediateStorage,
    SystemStorageData,
    build_intermediate_storage_from_object_store,
)
from .object_store import FilesystemObjectStore, InMemoryObjectStore, ObjectStore
from .runs import (
    InMemoryRunStorage,
    PipelineRun,
    PipelineRunsFilter,
    PipelineRunStatus,
    RunRecord,
    RunsFilter,
    RunStorage,
)

__all__ = [
    "DagsterInstance",
    "EventLogStorage",
    "FileHandle",
    "FilesystemObjectStore",
    "InMemoryEventLogStorage",
    "InMemoryObjectStore",
    "InMemoryRunStorage",
    "InstanceRef",
    "InstanceType",
    "IntermediateStorage",
    "LocalFileHandle",
    "LocalFileManager",
    "ObjectStore",
    "ObjectStoreIntermediateStorage",
    "PipelineRun",
    "PipelineRunStatus",
    "PipelineRunsFilter",
    "RunRecord",
    "RunStorage",
    "RunsFilter",
    "SystemStorageData",
    "build_intermediate_storage_from_object_store",
    "local_file_manager",
]
