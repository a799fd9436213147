"""The storage conformance suite run against the in-memory storages and the ephemeral instance."""

from __future__ import annotations

from pathlib import Path

import pytest

from notebook_pipelines.storage.event_log import InMemoryEventLogStorage
from notebook_pipelines.storage.instance import DagsterInstance
from notebook_pipelines.storage.object_store import FilesystemObjectStore
from notebook_pipelines.storage.runs import InMemoryRunStorage
from notebook_pipelines.testing.storage_suite import (
    EventLogStorageSuite,
    InstanceSuite,
    RunStorageSuite,
    StreamingObjectStoreSuite,
)


class TestInMemoryRunStorage(RunStorageSuite):
    @pytest.fixture
    def storage(self) -> InMemoryRunStorage:
        return InMemoryRunStorage()


class TestInMemoryEventLogStorage(EventLogStorageSuite):
    @pytest.fixture
    def storage(self) -> InMemoryEventLogStorage:
        return InMemoryEventLogStorage()


class TestEphemeralInstance(InstanceSuite):
    @pytest.fixture
    def instance(self) -> DagsterInstance:
        return DagsterInstance.ephemeral()


class TestEphemeralInstanceWithTempdir(InstanceSuite):
    @pytest.fixture
    def instance(self, tmp_path: object) -> DagsterInstance:
        return DagsterInstance.ephemeral(tempdir=str(tmp_path))


class TestFilesystemObjectStore(StreamingObjectStoreSuite):
    @pytest.fixture
    def store(self, tmp_path: Path) -> FilesystemObjectStore:
        return FilesystemObjectStore(tmp_path / "store")
