"""The storage conformance suites on PostgreSQL: a private server, one fresh schema per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from notebook_pipelines.storage.instance import DagsterInstance
from notebook_pipelines.storage.postgres_event_log import PostgresEventLogStorage
from notebook_pipelines.storage.postgres_runs import PostgresRunStorage
from notebook_pipelines.testing.storage_suite import (
    EventLogStorageSuite,
    InstanceSuite,
    RunStorageSuite,
)

from .postgres_server import PostgresServer, fresh_schema


def write_instance_yaml(folder: Path, server: PostgresServer, schema: str) -> None:
    """An instance folder whose runs and events are in ``schema`` of the server (password from
    ``$PG_PASSWORD``, as a team would write it)."""
    folder.mkdir(parents=True, exist_ok=True)
    part = (
        "  kind: postgres\n"
        "  config:\n"
        f"    url: {server.url}\n"
        "    password: {env: PG_PASSWORD}\n"
        f"    schema: {schema}\n"
    )
    (folder / "instance.yaml").write_text(
        f"instance_version: 1\nrun_storage:\n{part}event_log_storage:\n{part}"
    )


class TestPostgresRunStorage(RunStorageSuite):
    @pytest.fixture
    def storage(self, postgres_server: PostgresServer) -> Iterator[PostgresRunStorage]:
        storage = PostgresRunStorage(postgres_server.config(fresh_schema()))
        yield storage
        storage.dispose()


class TestPostgresEventLogStorage(EventLogStorageSuite):
    @pytest.fixture
    def storage(self, postgres_server: PostgresServer) -> Iterator[PostgresEventLogStorage]:
        storage = PostgresEventLogStorage(postgres_server.config(fresh_schema()))
        yield storage
        storage.dispose()


class TestPostgresEventLogStorageWithoutBatching(EventLogStorageSuite):
    """Every record committed at once: the same behaviour as with batching."""

    @pytest.fixture
    def storage(self, postgres_server: PostgresServer) -> Iterator[PostgresEventLogStorage]:
        storage = PostgresEventLogStorage(postgres_server.config(fresh_schema()), batch_size=1)
        yield storage
        storage.dispose()


class TestPostgresSharedSchema(RunStorageSuite):
    """Runs and events may share one schema (each component has its schema row)."""

    @pytest.fixture
    def storage(self, postgres_server: PostgresServer) -> Iterator[PostgresRunStorage]:
        config = postgres_server.config(fresh_schema())
        events = PostgresEventLogStorage(config)
        storage = PostgresRunStorage(config)
        yield storage
        storage.dispose()
        events.dispose()


class TestPostgresInstance(InstanceSuite):
    """A home whose instance.yaml chooses PostgreSQL for runs and events."""

    @pytest.fixture
    def instance(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_server: PostgresServer
    ) -> Iterator[DagsterInstance]:
        monkeypatch.setenv("PG_PASSWORD", postgres_server.password)
        write_instance_yaml(tmp_path / "home", postgres_server, fresh_schema())
        monkeypatch.setenv("NOTEBOOK_PIPELINES_HOME", str(tmp_path / "home"))
        instance = DagsterInstance.get()
        yield instance
        instance.dispose()
