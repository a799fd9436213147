"""Runs and run storage: :class:`PipelineRun`, its status, filters, and the in-memory storage.

A :class:`PipelineRun` is the frozen, serialisable description of one run (what to execute and
how); its status changes by replacing the record (:meth:`PipelineRun.with_status`). A
:class:`RunStorage` keeps runs with their timestamps (:class:`RunRecord`) and moves a run's status
along as the run's pipeline events arrive (:meth:`RunStorage.handle_run_event`):

- ``PIPELINE_START`` → ``STARTED`` (records the start time, and the event's ``pid`` with this
  host's name: the process executing the run);
- ``PIPELINE_SUCCESS`` → ``SUCCESS``; ``PIPELINE_FAILURE`` / ``PIPELINE_INIT_FAILURE`` →
  ``FAILURE`` (records the end time);
- ``CANCELED`` is only set explicitly (:meth:`RunStorage.update_run_status`) and then sticks: a
  pipeline event arriving after the cancellation does not overwrite it.

Events of a run that is not in the storage are ignored by :meth:`RunStorage.handle_run_event`
(their records are still kept by the event log). Runs are listed newest first, in the order they
were added; a ``cursor`` is the id of the last run of the previous page.

:class:`RunStorage` is the interface every backend implements (in memory here, SQLite in the
persistent instance: :mod:`.sqlite_runs`);
``notebook_pipelines.testing.storage_suite.RunStorageSuite`` is the
conformance suite each backend passes.
"""

from __future__ import annotations

import dataclasses
import enum
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import DagsterInvariantViolationError, DagsterRunNotFoundError
from ..events import PIPELINE_EVENTS, DagsterEvent, DagsterEventType
from ..serdes import serializable
from .processes import process_start_ticks, this_host


def make_new_run_id() -> str:
    """A fresh run id (a UUID4 as a string)."""
    import uuid

    return str(uuid.uuid4())


@serializable
class PipelineRunStatus(str, enum.Enum):
    """Where a run is in its life."""

    NOT_STARTED = "NOT_STARTED"
    STARTED = "STARTED"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    CANCELED = "CANCELED"


FINISHED_STATUSES = frozenset(
    {PipelineRunStatus.SUCCESS, PipelineRunStatus.FAILURE, PipelineRunStatus.CANCELED}
)

#: The event types that change a run's status (matched by ``event_type_value`` strings too).
RUN_STATUS_EVENT_TYPES = PIPELINE_EVENTS

_STATUS_FOR_EVENT_TYPE: dict[str, PipelineRunStatus] = {
    DagsterEventType.PIPELINE_START: PipelineRunStatus.STARTED,
    DagsterEventType.PIPELINE_SUCCESS: PipelineRunStatus.SUCCESS,
    DagsterEventType.PIPELINE_FAILURE: PipelineRunStatus.FAILURE,
    DagsterEventType.PIPELINE_INIT_FAILURE: PipelineRunStatus.FAILURE,
}


def status_for_event_type(event_type_value: str) -> PipelineRunStatus | None:
    """The status a run moves to on an event of this type, or ``None`` for other events."""
    return _STATUS_FOR_EVENT_TYPE.get(event_type_value)


@serializable
@dataclass(frozen=True)
class PipelineRun:
    """One run of a pipeline: what to execute, how, and where the run is in its life.

    Sequences given for ``solid_selection`` / ``step_keys_to_execute`` are kept as tuples,
    ``solids_to_execute`` as a frozenset, ``status`` as a :class:`PipelineRunStatus`.
    ``execution_plan_snapshot`` and ``pipeline_snapshot`` are filled by the persistent instance
    (they must then be serialisable records).
    """

    pipeline_name: str
    run_id: str = field(default_factory=make_new_run_id)
    run_config: dict[str, Any] = field(default_factory=dict)
    mode: str | None = None
    solid_selection: tuple[str, ...] | None = None
    solids_to_execute: frozenset[str] | None = None
    step_keys_to_execute: tuple[str, ...] | None = None
    status: PipelineRunStatus = PipelineRunStatus.NOT_STARTED
    tags: dict[str, str] = field(default_factory=dict)
    root_run_id: str | None = None
    parent_run_id: str | None = None
    execution_plan_snapshot: Any = None
    pipeline_snapshot: Any = None

    def __post_init__(self) -> None:
        if not isinstance(self.pipeline_name, str) or not self.pipeline_name:
            raise DagsterInvariantViolationError(
                f"PipelineRun: pipeline_name must be a non-empty string, got {self.pipeline_name!r}"
            )
        if not isinstance(self.run_id, str) or not self.run_id:
            raise DagsterInvariantViolationError(
                f"PipelineRun: run_id must be a non-empty string, got {self.run_id!r}"
            )
        setattr_ = object.__setattr__
        if self.run_config is None:
            setattr_(self, "run_config", {})
        if self.tags is None:
            setattr_(self, "tags", {})
        if self.solid_selection is not None and not isinstance(self.solid_selection, tuple):
            setattr_(self, "solid_selection", tuple(self.solid_selection))
        if self.solids_to_execute is not None and not isinstance(self.solids_to_execute, frozenset):
            setattr_(self, "solids_to_execute", frozenset(self.solids_to_execute))
        if self.step_keys_to_execute is not None and not isinstance(
            self.step_keys_to_execute, tuple
        ):
            setattr_(self, "step_keys_to_execute", tuple(self.step_keys_to_execute))
        if not isinstance(self.status, PipelineRunStatus):
            setattr_(self, "status", PipelineRunStatus(self.status))

    def __hash__(self) -> int:
        return hash(self.run_id)

    def with_status(self, status: PipelineRunStatus | str) -> PipelineRun:
        """This run with another status."""
        return dataclasses.replace(self, status=PipelineRunStatus(status))

    def with_tags(self, tags: Mapping[str, str]) -> PipelineRun:
        """This run with ``tags`` merged over its own."""
        return dataclasses.replace(self, tags={**self.tags, **tags})

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def is_success(self) -> bool:
        return self.status == PipelineRunStatus.SUCCESS

    @property
    def is_failure(self) -> bool:
        return self.status == PipelineRunStatus.FAILURE

    @property
    def is_canceled(self) -> bool:
        return self.status == PipelineRunStatus.CANCELED

    @property
    def previous_run_id(self) -> str | None:
        """The run this one re-executes (the reference's older name for ``parent_run_id``)."""
        return self.parent_run_id


@dataclass(frozen=True, init=False)
class RunsFilter:
    """Which runs :meth:`RunStorage.get_runs` returns; every given criterion must hold.

    ``run_ids`` and ``statuses`` match any of their values; ``tags`` must all be present with
    exactly these values.
    """

    run_ids: tuple[str, ...] | None = None
    pipeline_name: str | None = None
    statuses: tuple[PipelineRunStatus, ...] | None = None
    tags: dict[str, str] | None = None

    def __init__(
        self,
        run_ids: Iterable[str] | None = None,
        pipeline_name: str | None = None,
        statuses: Iterable[PipelineRunStatus | str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "run_ids", None if run_ids is None else _strings(run_ids, "run_ids"))
        setattr_(self, "pipeline_name", pipeline_name)
        setattr_(
            self,
            "statuses",
            None if statuses is None else tuple(PipelineRunStatus(s) for s in _iter(statuses)),
        )
        setattr_(self, "tags", None if tags is None else dict(tags))

    def matches(self, run: PipelineRun) -> bool:
        """Whether ``run`` passes this filter."""
        if self.run_ids is not None and run.run_id not in self.run_ids:
            return False
        if self.pipeline_name is not None and run.pipeline_name != self.pipeline_name:
            return False
        if self.statuses is not None and run.status not in self.statuses:
            return False
        if self.tags:
            run_tags = run.tags
            for key, value in self.tags.items():
                if run_tags.get(key) != value:
                    return False
        return True


#: The reference's name for :class:`RunsFilter`.
PipelineRunsFilter = RunsFilter


def _iter(values: Iterable[Any]) -> Iterable[Any]:
    # A single string is one value, not a sequence of characters.
    return (values,) if isinstance(values, str) else values


def _strings(values: Iterable[str], what: str) -> tuple[str, ...]:
    items = tuple(_iter(values))
    for item in items:
        if not isinstance(item, str):
            raise DagsterInvariantViolationError(
                f"RunsFilter: {what} must be strings, got {item!r}"
            )
    return items


@dataclass(frozen=True)
class RunRecord:
    """A stored run with its timestamps (seconds since the epoch).

    ``create_timestamp``: when the run was added; ``update_timestamp``: its last change;
    ``start_time``: its ``PIPELINE_START``; ``end_time``: when it finished (success, failure or
    cancellation). ``pid``, ``hostname`` and ``pid_start_ticks``: the process executing the run
    (the ``pid`` of its ``PIPELINE_START`` event, on the host that stored that event, and when
    that process started, in clock ticks since boot, where known), used to find runs whose
    process died (:mod:`.processes`).
    """

    pipeline_run: PipelineRun
    create_timestamp: float
    update_timestamp: float
    start_time: float | None = None
    end_time: float | None = None
    pid: int | None = None
    hostname: str | None = None
    pid_start_ticks: int | None = None

    @property
    def run_id(self) -> str:
        return self.pipeline_run.run_id

    @property
    def status(self) -> PipelineRunStatus:
        return self.pipeline_run.status

    @property
    def duration(self) -> float | None:
        """Seconds from start to end, if the run started and finished."""
        if self.start_time is None or self.end_time is None:
            return None
        return self.end_time - self.start_time


class RunStorage(ABC):
    """Where an instance keeps its runs. Backends implement the abstract methods.

    The derived queries (:meth:`get_runs`, :meth:`get_run_by_id`, :meth:`get_runs_count`,
    :meth:`has_run`) work from :meth:`get_run_records`; backends override them where they can
    answer faster.
    """

    @property
    @abstractmethod
    def is_persistent(self) -> bool:
        """Whether runs outlive this process."""

    @abstractmethod
    def add_run(self, pipeline_run: PipelineRun) -> PipelineRun:
        """Store a new run; raise :class:`DagsterInvariantViolationError` if its id exists."""

    @abstractmethod
    def get_run_record_by_id(self, run_id: str) -> RunRecord | None:
        """The record of run ``run_id``, or ``None``."""

    @abstractmethod
    def get_run_records(
        self,
        filters: RunsFilter | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        """Records of the runs passing ``filters``, newest first.

        ``cursor`` is a run id: only runs added before it are returned (raises
        :class:`DagsterRunNotFoundError` if no such run). ``limit`` caps the number returned.
        """

    @abstractmethod
    def handle_run_event(
        self, run_id: str, event: DagsterEvent, timestamp: float | None = None
    ) -> None:
        """Move run ``run_id`` along on a pipeline event (see the module docstring).

        ``timestamp`` is when the event happened (default: now). Other events and unknown runs
        are ignored.
        """

    @abstractmethod
    def update_run_status(
        self, run_id: str, status: PipelineRunStatus, timestamp: float | None = None
    ) -> PipelineRun:
        """Set the status of run ``run_id`` (e.g. ``CANCELED``); return the updated run.

        Raises :class:`DagsterRunNotFoundError` for an unknown run.
        """

    @abstractmethod
    def delete_run(self, run_id: str) -> None:
        """Forget run ``run_id`` (nothing happens if there is no such run)."""

    @abstractmethod
    def wipe(self) -> None:
        """Forget every run."""

    def get_run_by_id(self, run_id: str) -> PipelineRun | None:
        """Run ``run_id``, or ``None``."""
        record = self.get_run_record_by_id(run_id)
        return record.pipeline_run if record is not None else None

    def get_runs(
        self,
        filters: RunsFilter | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> list[PipelineRun]:
        """The runs passing ``filters``, newest first (see :meth:`get_run_records`)."""
        return [r.pipeline_run for r in self.get_run_records(filters, cursor, limit)]

    def get_runs_count(self, filters: RunsFilter | None = None) -> int:
        """How many runs pass ``filters``."""
        return len(self.get_run_records(filters))

    def has_run(self, run_id: str) -> bool:
        """Whether run ``run_id`` is stored."""
        return self.get_run_record_by_id(run_id) is not None

    def mark_dead_run_failed(self, run_id: str, pid: int, timestamp: float | None = None) -> bool:
        """Set run ``run_id`` to ``FAILURE`` if it is still ``STARTED`` by process ``pid``.

        Returns whether this call changed it (when several processes find the same dead run,
        exactly one of them wins). Backends shared between processes make the check and the
        update one atomic step.
        """
        record = self.get_run_record_by_id(run_id)
        if record is None or record.status != PipelineRunStatus.STARTED or record.pid != pid:
            return False
        self.update_run_status(run_id, PipelineRunStatus.FAILURE, timestamp)
        return True

    def dispose(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release what the storage holds open (connections, files)."""


def check_limit(limit: int | None) -> None:
    """Refuse a negative or non-integer ``limit``."""
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise DagsterInvariantViolationError(
            f"limit must be a non-negative integer or None, got {limit!r}"
        )


def check_run_argument(pipeline_run: object) -> None:
    """Refuse anything but a :class:`PipelineRun` where a storage adds a run."""
    if not isinstance(pipeline_run, PipelineRun):
        raise DagsterInvariantViolationError(
            f"add_run expects a PipelineRun, got {type(pipeline_run).__name__}"
        )


class InMemoryRunStorage(RunStorage):
    """Runs kept in a dict in this process (the ephemeral instance's run storage)."""

    def __init__(self) -> None:
        self._records: dict[str, RunRecord] = {}

    @property
    def is_persistent(self) -> bool:
        return False

    def add_run(self, pipeline_run: PipelineRun) -> PipelineRun:
        check_run_argument(pipeline_run)
        if pipeline_run.run_id in self._records:
            raise DagsterInvariantViolationError(
                f"A run with id {pipeline_run.run_id} already exists in this storage."
            )
        now = time.time()
        self._records[pipeline_run.run_id] = RunRecord(pipeline_run, now, now)
        return pipeline_run

    def get_run_record_by_id(self, run_id: str) -> RunRecord | None:
        return self._records.get(run_id)

    def get_run_by_id(self, run_id: str) -> PipelineRun | None:
        record = self._records.get(run_id)
        return record.pipeline_run if record is not None else None

    def has_run(self, run_id: str) -> bool:
        return run_id in self._records

    def get_run_records(
        self,
        filters: RunsFilter | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        check_limit(limit)
        records: Sequence[RunRecord] = list(reversed(self._records.values()))
        if cursor is not None:
            if cursor not in self._records:
                raise DagsterRunNotFoundError(
                    f"Cannot page runs after run {cursor}: no run with that id.", cursor
                )
            position = next(i for i, r in enumerate(records) if r.pipeline_run.run_id == cursor)
            records = records[position + 1 :]
        out: list[RunRecord] = []
        for record in records:
            if limit is not None and len(out) >= limit:
                break
            if filters is None or filters.matches(record.pipeline_run):
                out.append(record)
        return out

    def handle_run_event(
        self, run_id: str, event: DagsterEvent, timestamp: float | None = None
    ) -> None:
        status = _STATUS_FOR_EVENT_TYPE.get(event.event_type_value)
        record = self._records.get(run_id)
        if status is None or record is None or record.pipeline_run.is_canceled:
            return
        updated = advance_run_record(record, status, timestamp)
        if status == PipelineRunStatus.STARTED and event.pid is not None:
            updated = dataclasses.replace(
                updated,
                pid=event.pid,
                hostname=this_host(),
                pid_start_ticks=process_start_ticks(event.pid),
            )
        self._records[run_id] = updated

    def update_run_status(
        self, run_id: str, status: PipelineRunStatus, timestamp: float | None = None
    ) -> PipelineRun:
        record = self._records.get(run_id)
        if record is None:
            raise DagsterRunNotFoundError(
                f"Cannot set the status of run {run_id}: no run with that id.", run_id
            )
        updated = advance_run_record(record, PipelineRunStatus(status), timestamp)
        self._records[run_id] = updated
        return updated.pipeline_run

    def delete_run(self, run_id: str) -> None:
        self._records.pop(run_id, None)

    def wipe(self) -> None:
        self._records.clear()


def advance_run_record(
    record: RunRecord, status: PipelineRunStatus, timestamp: float | None = None
) -> RunRecord:
    """``record`` moved to ``status`` at ``timestamp`` (default now), stamping its start, end and
    update times. Shared by the backends so they agree on the timestamps."""
    now = time.time() if timestamp is None else timestamp
    start_time = record.start_time
    end_time = record.end_time
    if status == PipelineRunStatus.STARTED and start_time is None:
        start_time = now
    if status in FINISHED_STATUSES:
        end_time = now
    return dataclasses.replace(
        record,
        pipeline_run=record.pipeline_run.with_status(status),
        update_timestamp=now,
        start_time=start_time,
        end_time=end_time,
    )
