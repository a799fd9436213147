"""The storage conformance suites on SQLite: real files in a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from notebook_pipelines.storage.instance import DagsterInstance
from notebook_pipelines.storage.sqlite_event_log import SqliteEventLogStorage
from notebook_pipelines.storage.sqlite_runs import SqliteRunStorage
from notebook_pipelines.testing.storage_suite import (
    EventLogStorageSuite,
    InstanceSuite,
    RunStorageSuite,
)


class TestSqliteRunStorage(RunStorageSuite):
    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[SqliteRunStorage]:
        storage = SqliteRunStorage(tmp_path / "runs.db")
        yield storage
        storage.dispose()


class TestSqliteEventLogStorage(EventLogStorageSuite):
    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[SqliteEventLogStorage]:
        storage = SqliteEventLogStorage(tmp_path / "events.db")
        yield storage
        storage.dispose()


class TestSqliteEventLogStorageWithoutBatching(EventLogStorageSuite):
    """Every record committed at once: the same behaviour as with batching."""

    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[SqliteEventLogStorage]:
        storage = SqliteEventLogStorage(tmp_path / "events.db", batch_size=1)
        yield storage
        storage.dispose()


class TestSharedFile(RunStorageSuite):
    """Runs and events may share one SQLite file (each component has its schema row)."""

    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[SqliteRunStorage]:
        events = SqliteEventLogStorage(tmp_path / "one.db")
        storage = SqliteRunStorage(tmp_path / "one.db")
        yield storage
        storage.dispose()
        events.dispose()


class TestLocalTempInstance(InstanceSuite):
    @pytest.fixture
    def instance(self, tmp_path: Path) -> Iterator[DagsterInstance]:
        instance = DagsterInstance.local_temp(tmp_path / "instance")
        yield instance
        instance.dispose()


class TestHomeInstance(InstanceSuite):
    @pytest.fixture
    def instance(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> Iterator[DagsterInstance]:
        monkeypatch.setenv("NOTEBOOK_PIPELINES_HOME", str(tmp_path / "home"))
        instance = DagsterInstance.get()
        yield instance
        instance.dispose()
