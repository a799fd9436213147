"""A home whose instance.yaml chooses PostgreSQL: runs end to end, secrets from the environment,
databases that are refused, a server restarted mid-run, and a run watched from another process."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from notebook_pipelines import execute_pipeline, lambda_solid, pipeline
from notebook_pipelines.errors import DagsterInstanceError
from notebook_pipelines.events import EventRecord
from notebook_pipelines.storage.home import redact_url
from notebook_pipelines.storage.instance import DagsterInstance
from notebook_pipelines.storage.postgres_event_log import PostgresEventLogStorage
from notebook_pipelines.storage.postgres_runs import PostgresRunStorage
from notebook_pipelines.storage.runs import PipelineRunStatus

from .postgres_server import PostgresServer, fresh_schema
from .sqlite_helpers import python_env
from .test_postgres_suites import write_instance_yaml

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@lambda_solid
def one() -> int:
    return 1


@lambda_solid
def add_one(x: int) -> int:
    time.sleep(0.01)
    return x + 1


@pipeline
def chain() -> None:
    value = one()
    for _ in range(40):
        value = add_one(value)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_server: PostgresServer) -> Path:
    """A home on the private server (its own schema); ``$PG_PASSWORD`` set."""
    monkeypatch.setenv("PG_PASSWORD", postgres_server.password)
    folder = tmp_path / "home"
    write_instance_yaml(folder, postgres_server, fresh_schema())
    monkeypatch.setenv("NOTEBOOK_PIPELINES_HOME", str(folder))
    return folder


def connect(server: PostgresServer) -> psycopg.Connection[Any]:
    return psycopg.connect(server.url, password=server.password, autocommit=True)


def test_a_run_end_to_end_and_no_secret_is_stored(
    home: Path, postgres_server: PostgresServer
) -> None:
    with DagsterInstance.get() as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        result = execute_pipeline(chain, run_config=QUIET, instance=instance)
        assert result.success
        run = instance.get_run_by_id(result.run_id)
        assert run is not None and run.status == PipelineRunStatus.SUCCESS
        records = instance.all_logs(result.run_id)
        starts = [
            r
            for r in records
            if r.dagster_event and r.dagster_event.event_type_value == "STEP_START"
        ]
        assert len(starts) == 41
    assert postgres_server.password not in (home / "instance.yaml").read_text()
    with connect(postgres_server) as conn:
        for table in ("runs", "run_tags", "event_logs"):
            schema = _schema_of(home)
            rows = conn.execute(f"SELECT * FROM {schema}.{table}").fetchall()
            assert postgres_server.password not in json.dumps(rows, default=str)


def _schema_of(home: Path) -> str:
    import yaml

    return str(
        yaml.safe_load((home / "instance.yaml").read_text())["run_storage"]["config"]["schema"]
    )


def test_a_missing_environment_variable_is_named(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PG_PASSWORD")
    with pytest.raises(DagsterInstanceError, match="environment variable PG_PASSWORD is not set"):
        DagsterInstance.get()


def test_an_unknown_kind_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "instance.yaml").write_text("run_storage: {kind: mysql, config: {url: x}}\n")
    monkeypatch.setenv("NOTEBOOK_PIPELINES_HOME", str(tmp_path))
    with pytest.raises(DagsterInstanceError, match=r"kind 'mysql' is unknown .*sqlite, postgres"):
        DagsterInstance.get()


def test_a_database_of_another_program_is_refused_naming_the_url_without_password(
    postgres_server: PostgresServer,
) -> None:
    schema = fresh_schema()
    with connect(postgres_server) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(f"CREATE TABLE {schema}.customers (id INTEGER)")
    url = postgres_server.url.replace("pipelines@", f"pipelines:{postgres_server.password}@")
    with pytest.raises(DagsterInstanceError) as raised:
        PostgresRunStorage({"url": url, "schema": schema})
    message = str(raised.value)
    assert "notebook-pipelines did not create (customers)" in message
    assert redact_url(url) in message and ":***@" in message
    assert postgres_server.password not in message
    with connect(postgres_server) as conn:  # nothing was changed
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchall()
    assert tables == [("customers",)]


def test_a_newer_schema_version_is_refused(postgres_server: PostgresServer) -> None:
    config = postgres_server.config(fresh_schema())
    PostgresEventLogStorage(config).dispose()
    with connect(postgres_server) as conn:
        conn.execute(
            f"UPDATE {config['schema']}.notebook_pipelines_schema SET version = 99 "
            "WHERE component = 'event_log'"
        )
    with pytest.raises(
        DagsterInstanceError, match="event_log schema is version 99, written by a newer"
    ):
        PostgresEventLogStorage(config)


def test_a_server_restarted_while_a_run_writes_loses_no_event(
    home: Path, postgres_server: PostgresServer
) -> None:
    """``pg_ctl restart -m fast`` in the middle of a 41-step run: the batches whose connection was
    cut are retried on a new one; every step's events are stored once; the run ends SUCCESS."""
    outcome: dict[str, Any] = {}

    def execute() -> None:
        try:
            with DagsterInstance.get() as instance:
                result = execute_pipeline(chain, run_config=QUIET, instance=instance)
                outcome["result"] = result
                outcome["records"] = instance.all_logs(result.run_id)
                outcome["run"] = instance.get_run_by_id(result.run_id)
                outcome["record"] = instance.get_run_record_by_id(result.run_id)
        except BaseException as error:  # pragma: no cover - reported below
            outcome["error"] = error

    runner = threading.Thread(target=execute)
    runner.start()
    time.sleep(0.15)  # a few steps in
    restarted_at = time.time()
    postgres_server.restart()
    runner.join(timeout=120)
    assert not runner.is_alive(), "the run hung after the server restart"
    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"].success
    assert outcome["run"].status == PipelineRunStatus.SUCCESS
    record = outcome["record"]
    assert record.start_time < restarted_at < record.end_time  # the restart was mid-run
    types = [r.dagster_event.event_type_value for r in outcome["records"] if r.dagster_event]
    assert types.count("STEP_START") == 41 and types.count("STEP_SUCCESS") == 41
    assert types[0] != "PIPELINE_SUCCESS" and types[-1] == "PIPELINE_SUCCESS"
    assert types.count("PIPELINE_SUCCESS") == 1


def test_a_server_that_stays_away_fails_clearly(
    postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notebook_pipelines.errors import DagsterStorageError
    from notebook_pipelines.storage import postgres_base

    monkeypatch.setattr(postgres_base, "RETRY_DEADLINE_S", 1.0)
    port = postgres_server.port + 1 if postgres_server.port < 65000 else 1025
    url = f"postgresql://pipelines:secret@127.0.0.1:{port}/pipelines"
    start = time.monotonic()
    with pytest.raises(DagsterStorageError, match="cannot be reached") as raised:
        PostgresRunStorage({"url": url})
    assert time.monotonic() - start < 30
    assert "secret" not in str(raised.value) and "pipelines:***@" in str(raised.value)


# --- watching a run another process executes ---------------------------------------------------------

RUN_IN_ANOTHER_PROCESS = """
import sys, time
from notebook_pipelines import DagsterInstance, execute_pipeline, lambda_solid, pipeline

@lambda_solid
def first():
    return 1

@lambda_solid
def later(x):
    time.sleep(0.05)
    return x + 1

@pipeline
def remote():
    value = first()
    for _ in range(5):
        value = later(value)

sys.stdin.readline()  # the watcher listens
with DagsterInstance.get() as instance:
    result = execute_pipeline(
        remote, run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
        instance=instance,
    )
print(result.run_id, flush=True)
"""


def test_a_run_of_another_process_is_seen_live(
    home: Path, tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """A colleague's process (its own home folder, the same instance.yaml) executes a run; this
    process's subscribers hear each of its records, in order, as the steps commit."""
    other_home = tmp_path / "colleague"
    other_home.mkdir()
    (other_home / "instance.yaml").write_text((home / "instance.yaml").read_text())
    heard: list[EventRecord] = []
    done = threading.Event()

    def listen(record: EventRecord) -> None:
        heard.append(record)
        if record.dagster_event and record.dagster_event.event_type_value == "PIPELINE_SUCCESS":
            done.set()

    env = {**python_env(), "NOTEBOOK_PIPELINES_HOME": str(other_home)}
    with DagsterInstance.get() as instance:
        local_only: list[EventRecord] = []
        instance.subscribe(local_only.append)  # hears this process's records only
        instance.subscribe(listen, other_processes=True)
        child = subprocess.Popen(
            [sys.executable, "-W", "error", "-c", RUN_IN_ANOTHER_PROCESS],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            out, err = child.communicate("go\n", timeout=120)
        finally:
            child.kill()
        assert child.returncode == 0, err
        run_id = out.split()[-1]
        assert done.wait(30), "the other process's run end was never heard"
        stored = instance.all_logs(run_id)
        assert [r for r in heard if r.run_id == run_id] == stored
        assert not local_only
        types = [r.dagster_event.event_type_value for r in stored if r.dagster_event]
        assert types.count("STEP_SUCCESS") == 6
        run = instance.get_run_by_id(run_id)
        assert run is not None and run.status == PipelineRunStatus.SUCCESS
    # the CLI of a third folder with the same instance.yaml lists it too
    listed = subprocess.run(
        [sys.executable, "-m", "notebook_pipelines", "runs", "list"],
        capture_output=True,
        text=True,
        env={**python_env(), "NOTEBOOK_PIPELINES_HOME": str(other_home)},
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert run_id[:8] in listed.stdout and "SUCCESS" in listed.stdout
