"""Bad input for the persistent instance: files that are not ours, homes that cannot be used.

Each case raises a DagsterInstanceError naming the path and what to do, and changes nothing.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from notebook_pipelines.errors import (
    DagsterError,
    DagsterInstanceError,
    DagsterInvariantViolationError,
)
from notebook_pipelines.storage.home import InstanceRef
from notebook_pipelines.storage.instance import DagsterInstance
from notebook_pipelines.storage.runs import PipelineRun
from notebook_pipelines.storage.sqlite_base import SQLITE_HEADER
from notebook_pipelines.storage.sqlite_event_log import SqliteEventLogStorage
from notebook_pipelines.storage.sqlite_runs import SqliteRunStorage


def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("NOTEBOOK_PIPELINES_HOME", str(home))
    return home


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_instance_error_is_a_dagster_error() -> None:
    assert issubclass(DagsterInstanceError, DagsterError)


# --- files that are not SQLite, or not ours -------------------------------------------------------


def test_a_text_file_named_like_the_runs_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _home(tmp_path, monkeypatch)
    (home / "history").mkdir(parents=True)
    db = home / "history" / "runs.db"
    db.write_text("my shopping list\n")
    with pytest.raises(DagsterInstanceError) as caught:
        DagsterInstance.get()
    message = str(caught.value)
    assert str(db) in message
    assert "not a SQLite database" in message
    assert "NOTEBOOK_PIPELINES_HOME" in message and "Move the file" in message
    assert db.read_text() == "my shopping list\n"
    assert not (home / "history" / "runs.db-wal").exists()


def test_a_damaged_sqlite_file(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    db.write_bytes(SQLITE_HEADER + b"\xff" * 8000)
    before = db.read_bytes()
    with pytest.raises(DagsterInstanceError, match="not a SQLite database or it is damaged"):
        SqliteEventLogStorage(db)
    assert db.read_bytes() == before


def test_a_directory_where_the_db_should_be(tmp_path: Path) -> None:
    (tmp_path / "runs.db").mkdir()
    with pytest.raises(DagsterInstanceError, match="is a directory"):
        SqliteRunStorage(tmp_path / "runs.db")


def test_a_foreign_sqlite_database_is_left_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _home(tmp_path, monkeypatch)
    (home / "history").mkdir(parents=True)
    db = home / "history" / "events.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO customers (name) VALUES ('Ada')")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    with pytest.raises(DagsterInstanceError) as caught:
        DagsterInstance.get()
    message = str(caught.value)
    assert str(db) in message and "did not create" in message and "customers" in message
    assert db.read_bytes() == before  # not even the journal mode changed
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT name FROM customers").fetchall() == [("Ada",)]
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    conn.close()


def test_a_newer_schema_version(tmp_path: Path) -> None:
    instance = DagsterInstance.local_temp(tmp_path)
    instance.add_run(PipelineRun("pipe", run_id="r1"))
    instance.dispose()
    db = tmp_path / "history" / "runs.db"
    conn = sqlite3.connect(db)
    conn.execute("UPDATE notebook_pipelines_schema SET version = 99 WHERE component = 'runs'")
    conn.commit()
    conn.close()
    with pytest.raises(DagsterInstanceError) as caught:
        DagsterInstance.local_temp(tmp_path)
    message = str(caught.value)
    assert str(db) in message and "version 99" in message and "newer" in message
    assert "Upgrade notebook-pipelines" in message
    conn = sqlite3.connect(db)  # the run is still there
    assert conn.execute("SELECT run_id FROM runs").fetchall() == [("r1",)]
    conn.close()


def test_runs_and_events_keep_their_own_schema_rows_in_a_shared_file(tmp_path: Path) -> None:
    db = tmp_path / "one.db"
    SqliteRunStorage(db).dispose()
    SqliteEventLogStorage(db).dispose()
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT component, version, created_by FROM notebook_pipelines_schema ORDER BY component"
    ).fetchall()
    conn.close()
    assert [(c, v) for c, v, _ in rows] == [("event_log", 1), ("runs", 1)]
    assert all(by.startswith("notebook-pipelines") for _, _, by in rows)


# --- instance.yaml -----------------------------------------------------------------------------------


def test_instance_yaml_from_a_newer_release(tmp_path: Path) -> None:
    config = tmp_path / "instance.yaml"
    config.write_text("instance_version: 7\ncreated_by: notebook-pipelines 9.0\n")
    with pytest.raises(DagsterInstanceError) as caught:
        DagsterInstance.local_temp(tmp_path)
    message = str(caught.value)
    assert str(config) in message and "instance_version 7" in message and "9.0" in message
    assert config.read_text() == "instance_version: 7\ncreated_by: notebook-pipelines 9.0\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("run_storage: [unclosed\n", "cannot be read"),
        ("- a\n- b\n", "not a mapping"),
        ("run_storage:\n  kind: mysql\n", "kind 'mysql' is unknown"),
        ("run_storage:\n  kind: postgres\n", "kind postgres needs a config mapping"),
        ("event_log_storage:\n  path: 3\n", "path must be a non-empty string"),
        ("instance_version: one\n", "instance_version must be an integer"),
    ],
)
def test_unusable_instance_yaml(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "instance.yaml").write_text(text)
    with pytest.raises(DagsterInstanceError, match=expected) as caught:
        DagsterInstance.local_temp(tmp_path)
    assert str(tmp_path / "instance.yaml") in str(caught.value)
    assert (tmp_path / "instance.yaml").read_text() == text
    assert not (tmp_path / "history").exists()


def test_storage_paths_are_read_from_instance_yaml(tmp_path: Path) -> None:
    (tmp_path / "instance.yaml").write_text(
        "run_storage:\n  kind: sqlite\n  path: elsewhere/r.db\n"
        "event_log_storage:\n  path: elsewhere/e.db\n"
    )
    instance = DagsterInstance.local_temp(tmp_path)
    instance.add_run(PipelineRun("pipe", run_id="r1"))
    instance.dispose()
    assert (tmp_path / "elsewhere" / "r.db").is_file()
    assert (tmp_path / "elsewhere" / "e.db").is_file()
    assert not (tmp_path / "history").exists()


# --- homes that cannot be used ---------------------------------------------------------------------


def test_home_under_a_regular_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    home = blocker / "home"
    monkeypatch.setenv("NOTEBOOK_PIPELINES_HOME", str(home))
    with pytest.raises(DagsterInstanceError) as caught:
        DagsterInstance.get()
    message = str(caught.value)
    assert str(home) in message and "cannot be created" in message
    assert "NOTEBOOK_PIPELINES_HOME" in message and "writable" in message
    assert blocker.read_text() == "x"


def test_home_that_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.write_text("x")
    monkeypatch.setenv("NOTEBOOK_PIPELINES_HOME", str(home))
    with pytest.raises(DagsterInstanceError, match="not a directory") as caught:
        DagsterInstance.get()
    assert "$NOTEBOOK_PIPELINES_HOME" in str(caught.value)


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="running as root: file permissions do not stop root from writing",
)
def test_read_only_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o500)
    monkeypatch.setenv("NOTEBOOK_PIPELINES_HOME", str(home))
    try:
        with pytest.raises(DagsterInstanceError, match="not writable") as caught:
            DagsterInstance.get()
        assert str(home) in str(caught.value)
        assert "NOTEBOOK_PIPELINES_HOME" in str(caught.value)
    finally:
        home.chmod(0o700)


def test_from_ref_to_a_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "gone"
    with pytest.raises(DagsterInstanceError, match="does not exist") as caught:
        DagsterInstance.from_ref(InstanceRef(str(missing)))
    assert str(missing) in str(caught.value)
    assert not missing.exists()  # from_ref never creates an instance


def test_from_ref_needs_a_ref() -> None:
    with pytest.raises(DagsterInvariantViolationError, match="InstanceRef"):
        DagsterInstance.from_ref("/tmp/somewhere")  # type: ignore[arg-type]


def test_a_failed_open_leaves_a_good_instance_alone(tmp_path: Path) -> None:
    instance = DagsterInstance.local_temp(tmp_path)
    instance.add_run(PipelineRun("pipe", run_id="r1"))
    instance.dispose()
    before = _snapshot(tmp_path)
    (tmp_path / "history" / "events.db").rename(tmp_path / "events.bak")
    (tmp_path / "history" / "events.db").write_text("not sqlite")
    with pytest.raises(DagsterInstanceError):
        DagsterInstance.local_temp(tmp_path)
    assert (tmp_path / "history" / "runs.db").read_bytes() == before["history/runs.db"]
