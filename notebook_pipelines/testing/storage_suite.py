"""The storage conformance suite: the behaviour every run storage, event-log storage and instance
must show, whatever keeps the data (memory now, SQLite for the persistent instance).

Subclass a suite and provide its fixture; pytest then runs every test of the suite against it::

    class TestSqliteRunStorage(RunStorageSuite):
        @pytest.fixture
        def storage(self, tmp_path):
            return SqliteRunStorage(tmp_path / "runs.db")

- :class:`RunStorageSuite` — fixture ``storage``: a fresh, empty :class:`RunStorage`;
- :class:`EventLogStorageSuite` — fixture ``storage``: a fresh, empty :class:`EventLogStorage`;
- :class:`InstanceSuite` — fixture ``instance``: a fresh, empty :class:`DagsterInstance`;
- :class:`StreamingObjectStoreSuite` — fixture ``store``: a fresh, empty
  :class:`~notebook_pipelines.storage.object_store.StreamingObjectStore` (files handed out as file
  objects: the local filesystem now, fsspec/S3 later).

Records read back must compare equal (``==``) to what was written, so a backend that serialises
must round-trip every field.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
from typing import Any

import pytest

from ..errors import (
    DagsterCorruptIntermediateError,
    DagsterInvariantViolationError,
    DagsterRunNotFoundError,
    SerializableErrorInfo,
)
from ..events import (
    DagsterEvent,
    DagsterEventType,
    EventRecord,
    ObjectStoreOperationResultData,
    ObjectStoreOperationType,
    PipelineFailureData,
    StepOutputHandle,
    StepSuccessData,
    record_for_event,
)
from ..storage.event_log import EventLogStorage
from ..storage.instance import DagsterInstance
from ..storage.object_store import ObjectNotFoundError, StreamingObjectStore
from ..storage.runs import (
    PipelineRun,
    PipelineRunStatus,
    RunsFilter,
    RunStorage,
)

__all__ = ["EventLogStorageSuite", "InstanceSuite", "RunStorageSuite", "StreamingObjectStoreSuite"]


# --- helpers ---------------------------------------------------------------------------------------


def make_run(run_id: str, pipeline_name: str = "pipe", **kwargs: Any) -> PipelineRun:
    """A run with ``run_id`` (and any other fields)."""
    return PipelineRun(pipeline_name=pipeline_name, run_id=run_id, **kwargs)


def pipeline_event(event_type: DagsterEventType, pipeline_name: str = "pipe") -> DagsterEvent:
    """A pipeline-level event of ``event_type``."""
    data: Any = None
    if event_type in (DagsterEventType.PIPELINE_FAILURE, DagsterEventType.PIPELINE_INIT_FAILURE):
        data = PipelineFailureData(SerializableErrorInfo("boom\n", ("  frame\n",), "ValueError"))
    return DagsterEvent(event_type.value, pipeline_name, event_specific_data=data, message="m")


def step_event(
    event_type: DagsterEventType, step_key: str = "a.compute", pipeline_name: str = "pipe"
) -> DagsterEvent:
    """A step-level event of ``event_type`` with typical data."""
    data: Any = None
    if event_type == DagsterEventType.STEP_SUCCESS:
        data = StepSuccessData(duration_ms=1.5)
    elif event_type == DagsterEventType.OBJECT_STORE_OPERATION:
        data = ObjectStoreOperationResultData(
            ObjectStoreOperationType.SET_OBJECT,
            "result",
            f"/tmp/x/{step_key}/result",
            StepOutputHandle(step_key, "result"),
        )
    return DagsterEvent(
        event_type.value,
        pipeline_name,
        step_key=step_key,
        solid_handle=step_key.rsplit(".", 1)[0],
        step_kind_value="COMPUTE",
        logging_tags={"step_key": step_key},
        event_specific_data=data,
        message=f"{event_type.value} {step_key}",
    )


def at(record: EventRecord, timestamp: float) -> EventRecord:
    """``record`` with another timestamp."""
    return EventRecord(
        record.run_id,
        timestamp,
        record.level,
        record.user_message,
        record.pipeline_name,
        record.step_key,
        record.dagster_event,
        record.error_info,
    )


def log_message(run_id: str, message: str, step_key: str | None = None) -> EventRecord:
    """A ``context.log`` record (not a Dagster event)."""
    return EventRecord(run_id, 1000.0, logging.INFO, message, "pipe", step_key)


def ids(runs: list[PipelineRun]) -> list[str]:
    return [run.run_id for run in runs]


# --- run storage -------------------------------------------------------------------------------------


class RunStorageSuite:
    """Every :class:`RunStorage` behaves like this. Provide a ``storage`` fixture."""

    def test_add_get_has(self, storage: RunStorage) -> None:
        run = make_run("r1")
        assert storage.add_run(run) == run
        assert storage.has_run("r1")
        assert storage.get_run_by_id("r1") == run
        assert not storage.has_run("nope")
        assert storage.get_run_by_id("nope") is None
        assert storage.get_run_record_by_id("nope") is None

    def test_every_field_round_trips(self, storage: RunStorage) -> None:
        run = make_run(
            "r1",
            run_config={"solids": {"a": {"config": {"n": 1, "xs": [1, 2.5, "s", None]}}}},
            mode="test",
            solid_selection=("a", "b*"),
            solids_to_execute=frozenset({"a", "b", "c"}),
            step_keys_to_execute=("a.compute", "b.compute"),
            tags={"owner": "me", "dagster/priority": "3"},
            root_run_id="r0",
            parent_run_id="r0b",
        )
        storage.add_run(run)
        stored = storage.get_run_by_id("r1")
        assert stored == run
        assert stored is not None
        assert stored.solid_selection == ("a", "b*")
        assert stored.solids_to_execute == frozenset({"a", "b", "c"})
        assert stored.status == PipelineRunStatus.NOT_STARTED
        assert stored.previous_run_id == "r0b"

    def test_adding_an_existing_id_raises(self, storage: RunStorage) -> None:
        storage.add_run(make_run("r1"))
        with pytest.raises(DagsterInvariantViolationError, match="r1"):
            storage.add_run(make_run("r1", pipeline_name="other"))
        assert storage.get_runs_count() == 1

    def test_runs_are_listed_newest_first(self, storage: RunStorage) -> None:
        for run_id in ("r1", "r2", "r3"):
            storage.add_run(make_run(run_id))
        assert ids(storage.get_runs()) == ["r3", "r2", "r1"]

    def test_limit(self, storage: RunStorage) -> None:
        for i in range(5):
            storage.add_run(make_run(f"r{i}"))
        assert ids(storage.get_runs(limit=2)) == ["r4", "r3"]
        assert storage.get_runs(limit=0) == []
        assert len(storage.get_runs(limit=10)) == 5
        with pytest.raises(DagsterInvariantViolationError):
            storage.get_runs(limit=-1)

    def test_cursor_pages_through_runs(self, storage: RunStorage) -> None:
        for i in range(5):
            storage.add_run(make_run(f"r{i}"))
        first = storage.get_runs(limit=2)
        second = storage.get_runs(cursor=first[-1].run_id, limit=2)
        third = storage.get_runs(cursor=second[-1].run_id, limit=2)
        assert ids(first + second + third) == ["r4", "r3", "r2", "r1", "r0"]
        assert storage.get_runs(cursor="r0") == []

    def test_unknown_cursor_raises(self, storage: RunStorage) -> None:
        storage.add_run(make_run("r1"))
        with pytest.raises(DagsterRunNotFoundError, match="nope"):
            storage.get_runs(cursor="nope")

    def test_filter_by_pipeline_name(self, storage: RunStorage) -> None:
        storage.add_run(make_run("r1", "p"))
        storage.add_run(make_run("r2", "q"))
        storage.add_run(make_run("r3", "p"))
        assert ids(storage.get_runs(RunsFilter(pipeline_name="p"))) == ["r3", "r1"]
        assert storage.get_runs(RunsFilter(pipeline_name="zzz")) == []
        assert storage.get_runs_count(RunsFilter(pipeline_name="p")) == 2

    def test_filter_by_statuses(self, storage: RunStorage) -> None:
        for run_id in ("r1", "r2", "r3"):
            storage.add_run(make_run(run_id))
        storage.handle_run_event("r1", pipeline_event(DagsterEventType.PIPELINE_START))
        storage.handle_run_event("r1", pipeline_event(DagsterEventType.PIPELINE_SUCCESS))
        storage.handle_run_event("r2", pipeline_event(DagsterEventType.PIPELINE_START))
        storage.handle_run_event("r2", pipeline_event(DagsterEventType.PIPELINE_FAILURE))
        success = RunsFilter(statuses=[PipelineRunStatus.SUCCESS])
        assert ids(storage.get_runs(success)) == ["r1"]
        finished = RunsFilter(statuses=["SUCCESS", PipelineRunStatus.FAILURE])
        assert ids(storage.get_runs(finished)) == ["r2", "r1"]
        assert ids(storage.get_runs(RunsFilter(statuses=["NOT_STARTED"]))) == ["r3"]
        assert storage.get_runs_count(finished) == 2

    def test_filter_by_tags_needs_every_tag(self, storage: RunStorage) -> None:
        storage.add_run(make_run("r1", tags={"a": "1", "b": "2"}))
        storage.add_run(make_run("r2", tags={"a": "1"}))
        storage.add_run(make_run("r3", tags={"a": "2", "b": "2"}))
        assert ids(storage.get_runs(RunsFilter(tags={"a": "1"}))) == ["r2", "r1"]
        assert ids(storage.get_runs(RunsFilter(tags={"a": "1", "b": "2"}))) == ["r1"]
        assert ids(storage.get_runs(RunsFilter(tags={"b": "2"}))) == ["r3", "r1"]
        assert storage.get_runs(RunsFilter(tags={"c": "3"})) == []

    def test_filter_by_run_ids_and_combined(self, storage: RunStorage) -> None:
        storage.add_run(make_run("r1", "p", tags={"t": "x"}))
        storage.add_run(make_run("r2", "q", tags={"t": "x"}))
        storage.add_run(make_run("r3", "p", tags={"t": "y"}))
        assert ids(storage.get_runs(RunsFilter(run_ids=["r1", "r3"]))) == ["r3", "r1"]
        both = RunsFilter(pipeline_name="p", tags={"t": "x"})
        assert ids(storage.get_runs(both)) == ["r1"]
        with_limit = storage.get_runs(RunsFilter(pipeline_name="p"), limit=1)
        assert ids(with_limit) == ["r3"]

    def test_status_moves_with_pipeline_events_and_records_times(self, storage: RunStorage) -> None:
        storage.add_run(make_run("r1"))
        created = storage.get_run_record_by_id("r1")
        assert created is not None
        assert created.start_time is None and created.end_time is None
        assert created.create_timestamp > 0

        storage.handle_run_event("r1", pipeline_event(DagsterEventType.PIPELINE_START), 2000.0)
        started = storage.get_run_record_by_id("r1")
        assert started is not None
        assert started.status == PipelineRunStatus.STARTED
        assert started.start_time == 2000.0 and started.end_time is None

        storage.handle_run_event("r1", pipeline_event(DagsterEventType.PIPELINE_SUCCESS), 2003.5)
        done = storage.get_run_record_by_id("r1")
        assert done is not None
        assert done.status == PipelineRunStatus.SUCCESS
        assert done.pipeline_run.is_finished and done.pipeline_run.is_success
        assert (done.start_time, done.end_time, done.duration) == (2000.0, 2003.5, 3.5)
        assert done.update_timestamp == 2003.5
        assert done.create_timestamp == created.create_timestamp

    def test_failure_and_init_failure(self, storage: RunStorage) -> None:
        storage.add_run(make_run("r1"))
        storage.add_run(make_run("r2"))
        storage.handle_run_event("r1", pipeline_event(DagsterEventType.PIPELINE_START), 1.0)
        storage.handle_run_event("r1", pipeline_event(DagsterEventType.PIPELINE_FAILURE), 2.0)
        storage.handle_run_event("r2", pipeline_event(DagsterEventType.PIPELINE_INIT_FAILURE), 3.0)
        r1 = storage.get_run_record_by_id("r1")
        r2 = storage.get_run_record_by_id("r2")
        assert r1 is not None and r2 is not None
        assert r1.status == PipelineRunStatus.FAILURE and r1.pipeline_run.is_failure
        assert r2.status == PipelineRunStatus.FAILURE
        assert (r2.start_time, r2.end_time) == (None, 3.0)

    def test_other_events_and_unknown_runs_are_ignored(self, storage: RunStorage) -> None:
        storage.add_run(make_run("r1"))
        storage.handle_run_event("r1", step_event(DagsterEventType.STEP_START))
        storage.handle_run_event("r1", step_event(DagsterEventType.STEP_FAILURE))
        storage.handle_run_event("nope", pipeline_event(DagsterEventType.PIPELINE_START))
        run = storage.get_run_by_id("r1")
        assert run is not None and run.status == PipelineRunStatus.NOT_STARTED
        assert not storage.has_run("nope")

    def test_canceled_is_set_explicitly_and_sticks(self, storage: RunStorage) -> None:
        storage.add_run(make_run("r1"))
        storage.handle_run_event("r1", pipeline_event(DagsterEventType.PIPELINE_START), 1.0)
        updated = storage.update_run_status("r1", PipelineRunStatus.CANCELED, 5.0)
        assert updated.status == PipelineRunStatus.CANCELED and updated.is_canceled
        storage.handle_run_event("r1", pipeline_event(DagsterEventType.PIPELINE_FAILURE), 6.0)
        record = storage.get_run_record_by_id("r1")
        assert record is not None
        assert record.status == PipelineRunStatus.CANCELED
        assert record.pipeline_run.is_finished
        assert (record.start_time, record.end_time) == (1.0, 5.0)
        canceled = RunsFilter(statuses=[PipelineRunStatus.CANCELED])
        assert ids(storage.get_runs(canceled)) == ["r1"]

    def test_start_records_the_process(self, storage: RunStorage) -> None:
        storage.add_run(make_run("r1"))
        created = storage.get_run_record_by_id("r1")
        assert created is not None and (created.pid, created.hostname) == (None, None)
        start = dataclasses.replace(pipeline_event(DagsterEventType.PIPELINE_START), pid=4242)
        storage.handle_run_event("r1", start, 10.0)
        started = storage.get_run_record_by_id("r1")
        assert started is not None
        assert (started.pid, started.hostname) == (4242, socket.gethostname())
        storage.handle_run_event("r1", pipeline_event(DagsterEventType.PIPELINE_SUCCESS), 11.0)
        done = storage.get_run_record_by_id("r1")
        assert done is not None and done.pid == 4242 and done.end_time == 11.0

    def test_mark_dead_run_failed_is_a_compare_and_set(self, storage: RunStorage) -> None:
        storage.add_run(make_run("r1"))
        storage.add_run(make_run("r2"))
        start = dataclasses.replace(pipeline_event(DagsterEventType.PIPELINE_START), pid=4242)
        storage.handle_run_event("r1", start, 10.0)
        assert not storage.mark_dead_run_failed("r1", 999, 20.0)  # another process
        assert not storage.mark_dead_run_failed("r2", 4242, 20.0)  # not started
        assert not storage.mark_dead_run_failed("nope", 4242, 20.0)
        assert storage.mark_dead_run_failed("r1", 4242, 20.0)
        assert not storage.mark_dead_run_failed("r1", 4242, 21.0)  # only once
        record = storage.get_run_record_by_id("r1")
        assert record is not None
        assert record.status == PipelineRunStatus.FAILURE
        assert (record.start_time, record.end_time) == (10.0, 20.0)
        other = storage.get_run_by_id("r2")
        assert other is not None and other.status == PipelineRunStatus.NOT_STARTED

    def test_update_status_of_unknown_run_raises(self, storage: RunStorage) -> None:
        with pytest.raises(DagsterRunNotFoundError, match="nope"):
            storage.update_run_status("nope", PipelineRunStatus.CANCELED)

    def test_delete_run(self, storage: RunStorage) -> None:
        storage.add_run(make_run("r1"))
        storage.add_run(make_run("r2"))
        storage.delete_run("r1")
        assert not storage.has_run("r1")
        assert storage.get_run_by_id("r1") is None
        assert ids(storage.get_runs()) == ["r2"]
        storage.delete_run("r1")  # deleting again is harmless
        storage.add_run(make_run("r1"))  # the id can be used again
        assert ids(storage.get_runs()) == ["r1", "r2"]

    def test_wipe(self, storage: RunStorage) -> None:
        storage.add_run(make_run("r1"))
        storage.add_run(make_run("r2"))
        storage.wipe()
        assert storage.get_runs() == []
        assert storage.get_runs_count() == 0
        assert not storage.has_run("r1")


# --- event-log storage -------------------------------------------------------------------------------


def _run_records(run_id: str) -> list[EventRecord]:
    events = [
        pipeline_event(DagsterEventType.PIPELINE_START),
        step_event(DagsterEventType.STEP_START),
        step_event(DagsterEventType.OBJECT_STORE_OPERATION),
        step_event(DagsterEventType.STEP_SUCCESS),
        pipeline_event(DagsterEventType.PIPELINE_SUCCESS),
    ]
    records = [at(record_for_event(run_id, e), 1000.0 + i) for i, e in enumerate(events)]
    records.insert(2, log_message(run_id, "hello from a.compute", "a.compute"))
    return records


class EventLogStorageSuite:
    """Every :class:`EventLogStorage` behaves like this. Provide a ``storage`` fixture."""

    def test_records_come_back_in_order_and_equal(self, storage: EventLogStorage) -> None:
        records = _run_records("r1")
        for record in records:
            storage.store_event(record)
        assert storage.get_logs_for_run("r1") == records

    def test_cursor_is_the_index_of_the_last_record_seen(self, storage: EventLogStorage) -> None:
        records = _run_records("r1")
        for record in records:
            storage.store_event(record)
        assert storage.get_logs_for_run("r1", cursor=-1) == records
        assert storage.get_logs_for_run("r1", cursor=0) == records[1:]
        assert storage.get_logs_for_run("r1", cursor=3) == records[4:]
        assert storage.get_logs_for_run("r1", cursor=len(records) - 1) == []
        assert storage.get_logs_for_run("r1", cursor=100) == []

    def test_a_reader_following_the_cursor_sees_each_record_once(
        self, storage: EventLogStorage
    ) -> None:
        records = _run_records("r1")
        seen: list[EventRecord] = []
        cursor = -1
        for record in records:
            storage.store_event(record)
            new = storage.get_logs_for_run("r1", cursor)
            seen += new
            cursor += len(new)
        assert seen == records

    def test_bad_cursor_raises(self, storage: EventLogStorage) -> None:
        with pytest.raises(DagsterInvariantViolationError):
            storage.get_logs_for_run("r1", cursor=-2)

    def test_of_type(self, storage: EventLogStorage) -> None:
        records = _run_records("r1")
        for record in records:
            storage.store_event(record)
        ops = storage.get_logs_for_run("r1", of_type=DagsterEventType.OBJECT_STORE_OPERATION)
        assert len(ops) == 1
        assert ops[0].dagster_event is not None
        assert ops[0].dagster_event.event_specific_data.step_output_handle == StepOutputHandle(
            "a.compute"
        )
        # enums come back as their members, not as equal strings (readers call ``op.value``)
        assert type(ops[0].dagster_event.event_specific_data.op) is ObjectStoreOperationType
        assert storage.get_logs_for_run("r1", of_type="STEP_FAILURE") == []
        after = storage.get_logs_for_run("r1", cursor=2, of_type="PIPELINE_START")
        assert after == []

    def test_unknown_run_has_no_records(self, storage: EventLogStorage) -> None:
        assert storage.get_logs_for_run("nope") == []

    def test_runs_are_isolated(self, storage: EventLogStorage) -> None:
        r1, r2 = _run_records("r1"), _run_records("r2")
        for a, b in zip(r1, r2, strict=True):  # interleaved, as with concurrent runs
            storage.store_event(a)
            storage.store_event(b)
        assert storage.get_logs_for_run("r1") == r1
        assert storage.get_logs_for_run("r2") == r2
        assert storage.get_logs_for_run("r2", cursor=1) == r2[2:]

    def test_delete_events_removes_only_that_run(self, storage: EventLogStorage) -> None:
        for record in _run_records("r1") + _run_records("r2"):
            storage.store_event(record)
        storage.delete_events("r1")
        assert storage.get_logs_for_run("r1") == []
        assert storage.get_logs_for_run("r2") == _run_records("r2")
        storage.delete_events("r1")  # deleting again is harmless
        storage.store_event(log_message("r1", "again"))
        assert [r.user_message for r in storage.get_logs_for_run("r1")] == ["again"]

    def test_wipe(self, storage: EventLogStorage) -> None:
        for record in _run_records("r1") + _run_records("r2"):
            storage.store_event(record)
        storage.wipe()
        assert storage.get_logs_for_run("r1") == []
        assert storage.get_logs_for_run("r2") == []


# --- instance ---------------------------------------------------------------------------------------


class InstanceSuite:
    """Every :class:`DagsterInstance` behaves like this. Provide an ``instance`` fixture."""

    def test_handle_new_event_stores_and_moves_the_status(self, instance: DagsterInstance) -> None:
        instance.add_run(make_run("r1"))
        records = _run_records("r1")
        instance.handle_new_event(records[0])
        run = instance.get_run_by_id("r1")
        assert run is not None and run.status == PipelineRunStatus.STARTED
        for record in records[1:]:
            instance.handle_new_event(record)
        run = instance.get_run_by_id("r1")
        assert run is not None and run.status == PipelineRunStatus.SUCCESS
        assert instance.all_logs("r1") == records
        assert instance.logs_after("r1", 2) == records[3:]
        ops = instance.all_logs("r1", of_type=DagsterEventType.OBJECT_STORE_OPERATION)
        assert len(ops) == 1
        run_record = instance.get_run_record_by_id("r1")
        assert run_record is not None
        assert (run_record.start_time, run_record.end_time) == (1000.0, 1004.0)

    def test_create_run_and_duplicate(self, instance: DagsterInstance) -> None:
        run = instance.create_run("pipe", run_id="r1", tags={"a": "b"}, solid_selection=["x"])
        assert instance.get_run_by_id("r1") == run
        assert run.solid_selection == ("x",)
        assert instance.has_run("r1")
        with pytest.raises(DagsterInvariantViolationError, match="r1"):
            instance.add_run(make_run("r1"))

    def test_queries(self, instance: DagsterInstance) -> None:
        instance.add_run(make_run("r1", "p"))
        instance.add_run(make_run("r2", "q"))
        instance.add_run(make_run("r3", "p"))
        assert ids(instance.get_runs()) == ["r3", "r2", "r1"]
        assert ids(instance.get_runs(RunsFilter(pipeline_name="p"))) == ["r3", "r1"]
        assert ids(instance.get_runs(limit=1)) == ["r3"]
        assert instance.get_runs_count(RunsFilter(pipeline_name="q")) == 1

    def test_update_run_status_canceled(self, instance: DagsterInstance) -> None:
        instance.add_run(make_run("r1"))
        instance.handle_new_event(
            record_for_event("r1", pipeline_event(DagsterEventType.PIPELINE_START))
        )
        instance.update_run_status("r1", PipelineRunStatus.CANCELED)
        instance.handle_new_event(
            record_for_event("r1", pipeline_event(DagsterEventType.PIPELINE_FAILURE))
        )
        run = instance.get_run_by_id("r1")
        assert run is not None and run.status == PipelineRunStatus.CANCELED
        assert len(instance.all_logs("r1")) == 2

    def test_listeners_get_their_runs_records(self, instance: DagsterInstance) -> None:
        got1: list[EventRecord] = []
        got2: list[EventRecord] = []
        instance.add_event_listener("r1", got1.append)
        instance.add_event_listener("r1", got1.append)  # added once only
        instance.add_event_listener("r2", got2.append)
        r1, r2 = _run_records("r1"), _run_records("r2")
        for a, b in zip(r1, r2, strict=True):
            instance.handle_new_event(a)
            instance.handle_new_event(b)
        assert got1 == r1
        assert got2 == r2
        instance.remove_event_listener("r1", got1.append)
        instance.remove_event_listener("r1", got1.append)  # removing again is harmless
        instance.handle_new_event(log_message("r1", "late"))
        assert got1 == r1

    def test_subscribers_get_every_record(self, instance: DagsterInstance) -> None:
        got: list[EventRecord] = []
        instance.subscribe(got.append)
        records = _run_records("r1") + _run_records("r2")
        for record in records:
            instance.handle_new_event(record)
        assert got == records
        instance.unsubscribe(got.append)
        instance.handle_new_event(log_message("r3", "late"))
        assert got == records

    def test_a_raising_listener_is_logged_and_removed(
        self, instance: DagsterInstance, caplog: pytest.LogCaptureFixture
    ) -> None:
        calls: list[EventRecord] = []
        good: list[EventRecord] = []

        def bad(record: EventRecord) -> None:
            calls.append(record)
            raise RuntimeError("listener bug")

        def bad_subscriber(record: EventRecord) -> None:
            raise ValueError("subscriber bug")

        instance.add_run(make_run("r1"))
        instance.add_event_listener("r1", bad)
        instance.add_event_listener("r1", good.append)
        instance.subscribe(bad_subscriber)
        records = _run_records("r1")
        with caplog.at_level(logging.ERROR):
            for record in records:
                instance.handle_new_event(record)
        assert len(calls) == 1  # removed after the first failure
        assert good == records  # the other listener went on
        assert instance.all_logs("r1") == records  # every record stored
        run = instance.get_run_by_id("r1")
        assert run is not None and run.status == PipelineRunStatus.SUCCESS
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 2
        assert "listener bug" in caplog.text and "subscriber bug" in caplog.text

    def test_a_listener_may_remove_itself(self, instance: DagsterInstance) -> None:
        got: list[EventRecord] = []

        def once(record: EventRecord) -> None:
            got.append(record)
            instance.remove_event_listener("r1", once)

        instance.add_event_listener("r1", once)
        for record in _run_records("r1"):
            instance.handle_new_event(record)
        assert len(got) == 1

    def test_delete_run_removes_its_events(self, instance: DagsterInstance) -> None:
        instance.add_run(make_run("r1"))
        instance.add_run(make_run("r2"))
        for record in _run_records("r1") + _run_records("r2"):
            instance.handle_new_event(record)
        instance.delete_run("r1")
        assert not instance.has_run("r1")
        assert instance.all_logs("r1") == []
        assert instance.has_run("r2")
        assert instance.all_logs("r2") == _run_records("r2")

    def test_wipe(self, instance: DagsterInstance) -> None:
        instance.add_run(make_run("r1"))
        for record in _run_records("r1"):
            instance.handle_new_event(record)
        instance.wipe()
        assert instance.get_runs() == []
        assert instance.all_logs("r1") == []

    def test_directories(self, instance: DagsterInstance) -> None:
        import os

        root = instance.root_directory
        assert os.path.isabs(root)
        assert instance.storage_directory() == os.path.join(root, "storage")
        assert instance.intermediates_directory("r1") == os.path.join(
            root, "storage", "r1", "intermediates"
        )
        assert instance.file_manager_directory("r1") == os.path.join(root, "storage", "r1", "files")
        with pytest.raises(DagsterInvariantViolationError, match="run id"):
            instance.intermediates_directory("../escape")


# --- streaming object stores -----------------------------------------------------------------------


class _Boom(Exception):
    pass


class StreamingObjectStoreSuite:
    """Every :class:`StreamingObjectStore` behaves like this. Provide a ``store`` fixture."""

    def test_values_round_trip(self, store: StreamingObjectStore) -> None:
        key = store.key_for_paths(["r1", "intermediates", "a.compute", "result"])
        value = {"n": list(range(10)), "b": b"\x00" * 100}
        store.set_object(key, value)
        assert store.has_object(key)
        assert store.get_object(key) == value

    def test_streams_write_and_read_back(self, store: StreamingObjectStore) -> None:
        key = store.key_for_paths(["r1", "files", "blob"])
        with store.open_for_write(key) as file:
            for _ in range(4):
                file.write(b"x" * 1000)
        with store.open_for_read(key) as file:
            assert file.read() == b"x" * 4000
        with store.open_for_write(key, "w") as text:
            text.write("é")
        with store.open_for_read(key, "r") as text:
            assert text.read() == "é"

    def test_a_failed_write_keeps_the_old_value_and_nothing_else(
        self, store: StreamingObjectStore
    ) -> None:
        key = store.key_for_paths(["r1", "intermediates", "a.compute", "result"])
        store.set_object(key, "old")
        with pytest.raises(_Boom), store.open_for_write(key) as file:
            file.write(b"half a value")
            raise _Boom()
        assert store.get_object(key) == "old"
        new = store.key_for_paths(["r1", "intermediates", "a.compute", "other"])
        with pytest.raises(_Boom), store.open_for_write(new):
            raise _Boom()
        assert not store.has_object(new)

    def test_reading_a_missing_key_raises_not_found(self, store: StreamingObjectStore) -> None:
        key = store.key_for_paths(["r1", "nothing"])
        with pytest.raises(ObjectNotFoundError), store.open_for_read(key):
            pass  # pragma: no cover
        with pytest.raises(ObjectNotFoundError):
            store.get_object(key)

    def test_a_damaged_value_raises_corrupt_naming_the_file(
        self, store: StreamingObjectStore
    ) -> None:
        key = store.key_for_paths(["r1", "intermediates", "a.compute", "result"])
        store.set_object(key, list(range(1000)))
        with store.open_for_read(key) as file:
            data = file.read()
        with store.open_for_write(key) as file:
            file.write(data[: len(data) // 2])
        with pytest.raises(DagsterCorruptIntermediateError) as raised:
            store.get_object(key)
        assert raised.value.path == store.uri_for_key(key)
        assert store.uri_for_key(key) in str(raised.value)

    def test_copy_and_remove(self, store: StreamingObjectStore) -> None:
        src = store.key_for_paths(["r1", "intermediates", "a.compute", "result"])
        dst = store.key_for_paths(["r2", "intermediates", "a.compute", "result"])
        store.set_object(src, [1, 2])
        assert store.cp_object(src, dst) == store.uri_for_key(dst)
        assert store.get_object(dst) == [1, 2]
        store.rm_object(src)
        assert not store.has_object(src)
        store.rm_object(src)  # nothing there: no error
