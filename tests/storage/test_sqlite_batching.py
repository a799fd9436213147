"""Batched event writes: when records reach the file, and that none is lost on a crash."""

from __future__ import annotations

import gc
import json
import os
import sqlite3
from pathlib import Path

import pytest

from notebook_pipelines.errors import DagsterEventLogInvalidForRun, DagsterInvariantViolationError
from notebook_pipelines.events import DagsterEvent, EventRecord
from notebook_pipelines.serdes import deserialize
from notebook_pipelines.storage.sqlite_event_log import FLUSH_EVENT_TYPES, SqliteEventLogStorage

from .sqlite_helpers import log_record, run_python, step_record


def on_disk(db: Path, run_id: str | None = None) -> int:
    """How many records another connection sees in ``db``."""
    conn = sqlite3.connect(db)
    try:
        if run_id is None:
            return int(conn.execute("SELECT COUNT(*) FROM event_logs").fetchone()[0])
        return int(
            conn.execute("SELECT COUNT(*) FROM event_logs WHERE run_id = ?", (run_id,)).fetchone()[
                0
            ]
        )
    finally:
        conn.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "events.db"


def test_records_wait_until_the_step_ends(db: Path) -> None:
    storage = SqliteEventLogStorage(db)
    storage.store_event(step_record("r1", "STEP_START"))
    storage.store_event(log_record("r1", "working"))
    storage.store_event(step_record("r1", "STEP_OUTPUT"))
    assert on_disk(db) == 0
    storage.store_event(step_record("r1", "STEP_SUCCESS"))
    assert on_disk(db) == 4
    storage.dispose()


@pytest.mark.parametrize("event_type", sorted(FLUSH_EVENT_TYPES))
def test_each_terminal_or_run_event_commits(db: Path, event_type: str) -> None:
    storage = SqliteEventLogStorage(db)
    storage.store_event(step_record("r1", "STEP_START"))
    storage.store_event(step_record("r1", event_type))
    assert on_disk(db) == 2
    storage.dispose()


def test_non_terminal_events_are_batched(db: Path) -> None:
    storage = SqliteEventLogStorage(db)
    for event_type in ("STEP_START", "STEP_INPUT", "STEP_OUTPUT", "OBJECT_STORE_OPERATION"):
        storage.store_event(step_record("r1", event_type))
    storage.store_event(step_record("r1", "ENGINE_EVENT"))
    storage.store_event(step_record("r1", "STEP_RESTARTED"))
    assert on_disk(db) == 0
    storage.dispose()
    assert on_disk(db) == 6


def test_run_level_engine_events_commit(db: Path) -> None:
    storage = SqliteEventLogStorage(db)
    storage.store_event(log_record("r1", "buffered"))
    teardown = DagsterEvent("ENGINE_EVENT", "pipe", message="Tore down resources.")
    storage.store_event(EventRecord("r1", 1.0, 10, "Tore down resources.", "pipe", None, teardown))
    assert on_disk(db) == 2
    storage.dispose()


def test_an_error_record_commits(db: Path) -> None:
    storage = SqliteEventLogStorage(db)
    storage.store_event(log_record("r1", "fine"))
    storage.store_event(log_record("r1", "oh no", level=40))
    assert on_disk(db) == 2
    storage.dispose()


def test_batch_size_and_interval(db: Path) -> None:
    storage = SqliteEventLogStorage(db, batch_size=3)
    for i in range(7):
        storage.store_event(log_record("r1", f"m{i}"))
    assert on_disk(db) == 6
    storage.dispose()
    eager = SqliteEventLogStorage(db, flush_interval_s=0)
    eager.store_event(log_record("r2", "at once"))
    assert on_disk(db, "r2") == 1
    eager.dispose()
    with pytest.raises(DagsterInvariantViolationError, match="batch_size"):
        SqliteEventLogStorage(db, batch_size=0)


def test_readers_in_this_process_see_every_record(db: Path) -> None:
    writer = SqliteEventLogStorage(db)
    reader = SqliteEventLogStorage(db)
    record = step_record("r1", "STEP_START")
    writer.store_event(record)
    assert on_disk(db) == 0
    assert reader.get_logs_for_run("r1") == [record]  # flushes the writer of the same file
    writer.store_event(log_record("r1", "more"))
    reader.delete_events("r1")  # deletes what was buffered too
    assert writer.get_logs_for_run("r1") == []
    writer.dispose()
    reader.dispose()


def test_garbage_collection_and_dispose_commit(db: Path) -> None:
    storage = SqliteEventLogStorage(db)
    storage.store_event(log_record("r1", "kept"))
    del storage
    gc.collect()
    assert on_disk(db) == 1
    storage = SqliteEventLogStorage(db)
    storage.store_event(log_record("r1", "kept too"))
    storage.dispose()
    assert on_disk(db) == 2
    storage.store_event(step_record("r1", "STEP_SUCCESS"))  # usable after dispose (reopens)
    assert on_disk(db) == 3
    storage.dispose()


def test_interpreter_exit_commits(db: Path) -> None:
    run_python(
        """
        import sys
        from notebook_pipelines.events import EventRecord
        from notebook_pipelines.storage.sqlite_event_log import SqliteEventLogStorage
        storage = SqliteEventLogStorage(sys.argv[1])
        storage.store_event(EventRecord("r1", 1.0, 20, "buffered until exit"))
        """,
        str(db),
    )
    storage = SqliteEventLogStorage(db)
    assert [r.user_message for r in storage.get_logs_for_run("r1")] == ["buffered until exit"]
    storage.dispose()


def test_a_crash_keeps_every_record_up_to_the_last_finished_step(tmp_path: Path) -> None:
    """A real run whose process dies (os._exit) in its second step: everything stored up to the
    first step's STEP_SUCCESS is on disk, and the stored log is a prefix of what was emitted."""
    side = tmp_path / "emitted.jsonl"
    out = run_python(
        """
        import os, sys
        from notebook_pipelines import (
            DagsterInstance, execute_pipeline, lambda_solid, pipeline, solid,
        )
        from notebook_pipelines.serdes import serialize
        from notebook_pipelines.storage.home import InstanceRef

        @lambda_solid
        def first():
            return 1

        @solid
        def second(context, x):
            context.log.info("about to die")
            os._exit(3)

        @pipeline
        def crashing():
            second(first())

        instance = DagsterInstance.local_temp(sys.argv[1])
        emitted = open(sys.argv[2], "w")

        def keep(record):
            emitted.write(serialize(record) + "\\n")
            emitted.flush()

        instance.subscribe(keep)
        execute_pipeline(
            crashing,
            instance=instance,
            run_config={
                "intermediate_storage": {"filesystem": {}},
                "loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
            },
        )
        """,
        str(tmp_path / "instance"),
        str(side),
        check=False,
    )
    assert out.returncode == 3, out.stderr
    emitted = [deserialize(line) for line in side.read_text().splitlines()]
    storage = SqliteEventLogStorage(tmp_path / "instance" / "history" / "events.db")
    run_id = emitted[0].run_id
    stored = storage.get_logs_for_run(run_id)
    storage.dispose()
    assert stored == emitted[: len(stored)]
    kinds = [r.dagster_event.event_type_value if r.dagster_event else "log" for r in stored]
    success = kinds.index("STEP_SUCCESS")
    assert stored[success].step_key == "first.compute"
    assert "PIPELINE_START" in kinds and "STEP_OUTPUT" in kinds
    # the first step is complete on disk, including its stored output
    assert any(
        r.dagster_event and r.dagster_event.event_type_value == "OBJECT_STORE_OPERATION"
        for r in stored[:success]
    )
    # the dying step's records after its start were never committed (no terminal event)
    assert all(r.user_message != "about to die" for r in stored)


def test_a_forked_child_does_not_write_the_parents_buffer(db: Path) -> None:
    if not hasattr(os, "fork"):
        pytest.skip("needs os.fork")
    storage = SqliteEventLogStorage(db)
    storage.store_event(log_record("r1", "from the parent, buffered"))
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            storage.store_event(step_record("r2", "STEP_SUCCESS"))
        except BaseException:
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert on_disk(db, "r1") == 0
    assert on_disk(db, "r2") == 1
    storage.dispose()
    assert on_disk(db, "r1") == 1


def test_unserialisable_event_data_is_refused_clearly(db: Path) -> None:
    storage = SqliteEventLogStorage(db)
    event = DagsterEvent("ENGINE_EVENT", "pipe", event_specific_data=object())
    with pytest.raises(DagsterInvariantViolationError, match="ENGINE_EVENT record of run r1"):
        storage.store_event(EventRecord("r1", 1.0, 10, "m", "pipe", None, event))
    storage.dispose()


def test_a_damaged_row_names_the_run_and_row(db: Path) -> None:
    storage = SqliteEventLogStorage(db)
    storage.store_event(step_record("r1", "STEP_SUCCESS"))
    conn = sqlite3.connect(db)
    conn.execute("UPDATE event_logs SET event = ?", (json.dumps({"__class__": "Nope"}),))
    conn.commit()
    conn.close()
    with pytest.raises(DagsterEventLogInvalidForRun, match="run r1 cannot be read: row 1"):
        storage.get_logs_for_run("r1")
    storage.dispose()
