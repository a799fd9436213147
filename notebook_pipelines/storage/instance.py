"""The instance: where runs, their events and their files live, and who hears about new events.

A :class:`DagsterInstance` is composed of a :class:`~.runs.RunStorage`, an
:class:`~.event_log.EventLogStorage` and a root directory, under which each run gets
``storage/<run_id>/`` (``intermediates/``, ``files/``, ``compute_logs/``).

:meth:`DagsterInstance.handle_new_event` is the one way events enter an instance. It stores the
record, moves the run's status along on pipeline events (``PIPELINE_START`` → ``STARTED``, ...)
and calls the listeners: per-run listeners (:meth:`~DagsterInstance.add_event_listener`) and the
run-independent subscribers (:meth:`~DagsterInstance.subscribe`) that live consumers (the widget,
the progress display) use. A listener that raises is logged at ERROR on the
``notebook_pipelines.storage.instance`` logger and removed; the run goes on and its events are
still stored.

:meth:`DagsterInstance.ephemeral` keeps everything in memory; its root directory is one temporary
directory per process, created on first use and removed when the process exits, so filesystem
intermediates also work with an ephemeral instance (within the process). An ephemeral instance
cannot be referenced from another process (:meth:`~DagsterInstance.get_ref` raises).

Persistent instances keep runs and events in SQLite files under a folder (layout and
``instance.yaml``: :mod:`.home`; storages: :mod:`.sqlite_runs`, :mod:`.sqlite_event_log`), or in
the PostgreSQL database its ``instance.yaml`` names (:mod:`.postgres_runs`,
:mod:`.postgres_event_log`; then listeners and subscribers also hear of the records other
processes commit there, through the event log's ``watch``):

- :meth:`DagsterInstance.get` opens the home, ``$NOTEBOOK_PIPELINES_HOME`` (default
  ``~/.notebook_pipelines``), creating it on first use;
- :meth:`DagsterInstance.local_temp` opens one in a temporary folder (removed at exit when it
  made the folder itself);
- :meth:`DagsterInstance.from_ref` opens, in any process, the instance another one handed over
  with :meth:`~DagsterInstance.get_ref` (a persistent instance also pickles as its reference).

Opening a persistent instance marks its runs whose process died as failed (:mod:`.dead_runs`).
When the disk fills during a run, the event log keeps the records it cannot write in memory
(written when space returns, see :mod:`.sqlite_event_log`) and the run is marked ``FAILURE`` as
soon as the run storage can write (at the latest at :meth:`~DagsterInstance.dispose`).
A home on a read-only disk opens read-only (:attr:`DagsterInstance.is_read_only`; see
:mod:`.home`): everything reads, and what writes says the history is read-only.
The SQLite modules are imported only when a persistent instance is opened.
"""

from __future__ import annotations

import atexit
import enum
import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any

from ..errors import DagsterInvariantViolationError
from ..events import DagsterEventType, EventRecord
from .compute_logs import ComputeLogManager
from .disk_reserve import DiskReserve
from .event_log import EventLogStorage, InMemoryEventLogStorage
from .home import HOME_ENV_VAR, InstanceRef, StoragePart
from .keys import check_key_part
from .runs import (
    RUN_STATUS_EVENT_TYPES,
    InMemoryRunStorage,
    PipelineRun,
    PipelineRunStatus,
    RunRecord,
    RunsFilter,
    RunStorage,
    make_new_run_id,
)

_log = logging.getLogger(__name__)

#: What listeners and subscribers are called with: each new record.
EventCallback = Callable[[EventRecord], Any]


class InstanceType(str, enum.Enum):
    """Whether an instance outlives its process."""

    PERSISTENT = "PERSISTENT"
    EPHEMERAL = "EPHEMERAL"


# --- the process-wide temporary root of ephemeral instances --------------------------------------

_temp_root: str | None = None
_temp_root_lock = threading.Lock()


def _remove_temp_root(path: str, owner_pid: int) -> None:
    import shutil

    # A forked child inherits the registration; only the process that made the folder removes it.
    if os.getpid() == owner_pid:
        shutil.rmtree(path, ignore_errors=True)


def process_temp_root() -> str:
    """This process's temporary root for ephemeral instances (created on first call)."""
    global _temp_root
    if _temp_root is None:
        with _temp_root_lock:
            if _temp_root is None:
                import tempfile

                path = tempfile.mkdtemp(prefix="notebook_pipelines-")
                atexit.register(_remove_temp_root, path, os.getpid())
                _temp_root = path
    return _temp_root


# --- the instance ---------------------------------------------------------------------------------


class DagsterInstance:
    """Runs, their event logs and their files, plus the listeners of new events.

    ``root_directory`` ``None`` means the process-wide temporary root (created when first
    needed). ``ref`` is what :meth:`get_ref` hands to other processes (persistent instances).
    """

    def __init__(
        self,
        run_storage: RunStorage,
        event_storage: EventLogStorage,
        root_directory: str | os.PathLike[str] | None = None,
        *,
        instance_type: InstanceType = InstanceType.EPHEMERAL,
        ref: InstanceRef | None = None,
    ) -> None:
        if not isinstance(run_storage, RunStorage):
            raise DagsterInvariantViolationError(
                f"DagsterInstance: run_storage must be a RunStorage, got {run_storage!r}"
            )
        if not isinstance(event_storage, EventLogStorage):
            raise DagsterInvariantViolationError(
                f"DagsterInstance: event_storage must be an EventLogStorage, got {event_storage!r}"
            )
        instance_type = InstanceType(instance_type)
        if instance_type == InstanceType.PERSISTENT and root_directory is None:
            raise DagsterInvariantViolationError(
                "DagsterInstance: a persistent instance needs a root_directory."
            )
        self._run_storage = run_storage
        self._event_storage = event_storage
        self._root: str | None = (
            None if root_directory is None else os.path.abspath(os.fspath(root_directory))
        )
        self._instance_type = instance_type
        self._ref = ref
        self._listeners: dict[str, tuple[EventCallback, ...]] = {}
        self._subscribers: tuple[EventCallback, ...] = ()
        self._listeners_lock = threading.Lock()
        self._disposed = False
        self._compute_log_manager: ComputeLogManager | None = None
        self._read_only = False
        # runs whose events met a full disk: run id -> whether FAILURE is stored for it yet
        self._disk_full_runs: dict[str, bool] = {}
        self._reserve: DiskReserve | None = None  # space for that moment (persistent, writable)
        self._watching = False  # whether the event log tells of other processes' records
        self._remote_subscribers: tuple[EventCallback, ...] = ()  # subscribe(other_processes=)

    @classmethod
    def ephemeral(cls, tempdir: str | os.PathLike[str] | None = None) -> DagsterInstance:
        """An instance kept in memory; files go under ``tempdir`` (default: the process-wide
        temporary root, removed at exit)."""
        return cls(
            InMemoryRunStorage(),
            InMemoryEventLogStorage(),
            tempdir,
            instance_type=InstanceType.EPHEMERAL,
        )

    @classmethod
    def get(cls) -> DagsterInstance:
        """The persistent instance in ``$NOTEBOOK_PIPELINES_HOME`` (default
        ``~/.notebook_pipelines``), created with its ``instance.yaml`` on first use."""
        from .home import home_directory

        root, source = home_directory()
        return cls._open_persistent(
            root,
            create=True,
            remedy=(
                f"The folder comes from {source}: set {HOME_ENV_VAR} to a writable directory, "
                "or use DagsterInstance.local_temp() or DagsterInstance.ephemeral()."
            ),
        )

    @classmethod
    def local_temp(cls, tempdir: str | os.PathLike[str] | None = None) -> DagsterInstance:
        """A persistent instance in ``tempdir`` (created if missing, kept at exit), or in a new
        temporary folder that is removed when this process exits."""
        if tempdir is not None:
            return cls._open_persistent(
                os.path.abspath(os.fspath(tempdir)),
                create=True,
                remedy="Pass DagsterInstance.local_temp() a writable directory.",
            )
        import tempfile

        root = tempfile.mkdtemp(prefix="notebook_pipelines-instance-")
        instance = cls._open_persistent(
            root, create=True, remedy="Set TMPDIR to a writable directory."
        )
        atexit.register(_remove_local_temp, root, os.getpid(), weakref.ref(instance))
        return instance

    @classmethod
    def from_ref(cls, ref: InstanceRef) -> DagsterInstance:
        """Open the persistent instance ``ref`` points to (from :meth:`get_ref`, maybe made in
        another process)."""
        if not isinstance(ref, InstanceRef):
            raise DagsterInvariantViolationError(
                f"DagsterInstance.from_ref expects an InstanceRef (from instance.get_ref()), "
                f"got {ref!r}"
            )
        return cls._open_persistent(
            ref.root_directory,
            create=False,
            remedy="The InstanceRef must point at the folder of an existing persistent instance.",
        )

    @classmethod
    def _open_persistent(cls, root: str, create: bool, remedy: str) -> DagsterInstance:
        from .dead_runs import mark_dead_runs
        from .home import prepare_root

        layout = prepare_root(root, create, remedy)
        read_only = layout.read_only
        run_storage = _open_run_storage(layout.run_storage, read_only)
        try:
            event_storage = _open_event_log_storage(layout.event_log_storage, read_only)
        except BaseException:
            run_storage.dispose()
            raise
        instance = cls(
            run_storage,
            event_storage,
            layout.root,
            instance_type=InstanceType.PERSISTENT,
            ref=InstanceRef(layout.root),
        )
        instance._read_only = read_only
        if read_only:  # a read-only history is shown as it is: nothing can be marked
            return instance
        instance._reserve = DiskReserve(os.path.dirname(layout.runs_db))
        instance._reserve.hold()
        try:
            mark_dead_runs(instance)
        except BaseException:
            instance.dispose()
            raise
        return instance

    def __reduce__(self) -> tuple[Any, ...]:
        # A persistent instance travels as its reference; an ephemeral one cannot travel.
        return (_open_from_ref, (self.get_ref(),))

    # --- what the instance is ---------------------------------------------------------------------

    @property
    def run_storage(self) -> RunStorage:
        return self._run_storage

    @property
    def event_log_storage(self) -> EventLogStorage:
        return self._event_storage

    @property
    def instance_type(self) -> InstanceType:
        return self._instance_type

    @property
    def is_persistent(self) -> bool:
        return self._instance_type == InstanceType.PERSISTENT

    @property
    def is_read_only(self) -> bool:
        """Whether this is a history on a read-only disk: it can be read, not written."""
        return self._read_only

    @property
    def is_ephemeral(self) -> bool:
        return self._instance_type == InstanceType.EPHEMERAL

    def get_ref(self) -> InstanceRef:
        """What another process needs to open this instance (:meth:`from_ref`)."""
        if self._ref is None:
            raise DagsterInvariantViolationError(
                "This DagsterInstance is ephemeral (it lives in this process's memory), so it "
                "cannot be handed to another process. Use a persistent instance "
                "(DagsterInstance.get() or DagsterInstance.local_temp()) to run in worker "
                "processes or to re-execute runs later."
                if self.is_ephemeral
                else "This DagsterInstance has no reference to hand to another process."
            )
        return self._ref

    # --- directories ------------------------------------------------------------------------------

    @property
    def root_directory(self) -> str:
        """The folder under which the instance keeps its files (absolute)."""
        if self._root is None:
            self._root = process_temp_root()
        return self._root

    def storage_directory(self) -> str:
        """``<root>/storage``: one folder per run below it."""
        return os.path.join(self.root_directory, "storage")

    def run_directory(self, run_id: str) -> str:
        """``<root>/storage/<run_id>`` (``run_id`` must be a valid storage key part)."""
        return os.path.join(self.storage_directory(), check_key_part(run_id, "run id"))

    def intermediates_directory(self, run_id: str) -> str:
        """``<root>/storage/<run_id>/intermediates``: filesystem intermediates of the run."""
        return os.path.join(self.run_directory(run_id), "intermediates")

    def file_manager_directory(self, run_id: str) -> str:
        """``<root>/storage/<run_id>/files``: the run's ``LocalFileManager`` folder."""
        return os.path.join(self.run_directory(run_id), "files")

    @property
    def compute_log_manager(self) -> ComputeLogManager:
        """Captures and reads steps' stdout/stderr under this instance (none when ephemeral)."""
        if self._compute_log_manager is None:
            self._compute_log_manager = ComputeLogManager(self)
        return self._compute_log_manager

    @compute_log_manager.setter
    def compute_log_manager(self, manager: ComputeLogManager) -> None:
        self._compute_log_manager = manager

    def compute_logs_directory(self, run_id: str) -> str:
        """``<root>/storage/<run_id>/compute_logs``: captured stdout/stderr of the run's steps."""
        return os.path.join(self.run_directory(run_id), "compute_logs")

    # --- runs -------------------------------------------------------------------------------------

    def create_run(
        self,
        pipeline_name: str,
        run_id: str | None = None,
        run_config: Mapping[str, Any] | None = None,
        mode: str | None = None,
        solid_selection: Iterable[str] | None = None,
        solids_to_execute: Iterable[str] | None = None,
        step_keys_to_execute: Iterable[str] | None = None,
        status: PipelineRunStatus = PipelineRunStatus.NOT_STARTED,
        tags: Mapping[str, str] | None = None,
        root_run_id: str | None = None,
        parent_run_id: str | None = None,
        execution_plan_snapshot: Any = None,
        pipeline_snapshot: Any = None,
    ) -> PipelineRun:
        """Build a :class:`PipelineRun` from these fields and add it."""
        run = PipelineRun(
            pipeline_name=pipeline_name,
            run_id=run_id or make_new_run_id(),
            run_config=dict(run_config or {}),
            mode=mode,
            solid_selection=None if solid_selection is None else tuple(solid_selection),
            solids_to_execute=None if solids_to_execute is None else frozenset(solids_to_execute),
            step_keys_to_execute=(
                None if step_keys_to_execute is None else tuple(step_keys_to_execute)
            ),
            status=status,
            tags=dict(tags or {}),
            root_run_id=root_run_id,
            parent_run_id=parent_run_id,
            execution_plan_snapshot=execution_plan_snapshot,
            pipeline_snapshot=pipeline_snapshot,
        )
        return self.add_run(run)

    def add_run(self, pipeline_run: PipelineRun) -> PipelineRun:
        """Store a new run; raises :class:`DagsterInvariantViolationError` if its id exists."""
        return self._run_storage.add_run(pipeline_run)

    def get_run_by_id(self, run_id: str) -> PipelineRun | None:
        """Run ``run_id`` as stored now (its current status), or ``None``."""
        return self._run_storage.get_run_by_id(run_id)

    def get_run_record_by_id(self, run_id: str) -> RunRecord | None:
        """Run ``run_id`` with its create/start/end timestamps, or ``None``."""
        return self._run_storage.get_run_record_by_id(run_id)

    def get_runs(
        self,
        filters: RunsFilter | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> list[PipelineRun]:
        """Runs passing ``filters``, newest first; ``cursor`` = id of the last run already seen."""
        return self._run_storage.get_runs(filters, cursor, limit)

    def get_run_records(
        self,
        filters: RunsFilter | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        """Like :meth:`get_runs`, with each run's timestamps."""
        return self._run_storage.get_run_records(filters, cursor, limit)

    def get_runs_count(self, filters: RunsFilter | None = None) -> int:
        return self._run_storage.get_runs_count(filters)

    def has_run(self, run_id: str) -> bool:
        return self._run_storage.has_run(run_id)

    def update_run_status(self, run_id: str, status: PipelineRunStatus) -> PipelineRun:
        """Set a run's status by hand (``CANCELED``; ``FAILURE`` for a run whose process died)."""
        return self._run_storage.update_run_status(run_id, status)

    def delete_run(self, run_id: str) -> None:
        """Forget run ``run_id`` and its event records (its files are left alone)."""
        self._run_storage.delete_run(run_id)
        self._event_storage.delete_events(run_id)

    def wipe(self) -> None:
        """Forget every run and every event record."""
        self._run_storage.wipe()
        self._event_storage.wipe()

    # --- events -----------------------------------------------------------------------------------

    def handle_new_event(self, record: EventRecord) -> None:
        """Store ``record``, update its run's status on pipeline events, tell the listeners.

        The hot path of the engine (several calls per step): in memory a few dict lookups and an
        append; on SQLite the record is serialised and buffered, and committed with the rest of
        its step at the step's terminal event (see :mod:`.sqlite_event_log`). Listeners hear of
        every record at once, committed or not.
        """
        self._event_storage.store_event(record)
        event = record.dagster_event
        if getattr(self._event_storage, "disk_full_error", None) is not None:
            self._fail_runs_on_full_disk(record.run_id)
        elif record.run_id in self._disk_full_runs:
            self._retry_failing_runs()  # it stays FAILURE, whatever its later events say
        elif event is not None and event.event_type_value in RUN_STATUS_EVENT_TYPES:
            self._run_storage.handle_run_event(record.run_id, event, record.timestamp)
        listeners = self._listeners.get(record.run_id)
        if listeners:
            self._notify(listeners, record, record.run_id)
        if self._subscribers:
            self._notify(self._subscribers, record, None)

    def all_logs(
        self, run_id: str, of_type: DagsterEventType | str | None = None
    ) -> list[EventRecord]:
        """Every record of run ``run_id`` in order (only Dagster events ``of_type`` if given)."""
        return self._event_storage.get_logs_for_run(run_id, -1, of_type)

    def logs_after(
        self, run_id: str, cursor: int, of_type: DagsterEventType | str | None = None
    ) -> list[EventRecord]:
        """The records of run ``run_id`` after index ``cursor`` (the last index already seen)."""
        return self._event_storage.get_logs_for_run(run_id, cursor, of_type)

    def add_event_listener(self, run_id: str, callback: EventCallback) -> None:
        """Call ``callback(record)`` for each new record of run ``run_id`` (once per callback)."""
        _check_callable(callback)
        with self._listeners_lock:
            current = self._listeners.get(run_id, ())
            if callback not in current:
                self._listeners[run_id] = (*current, callback)
        self._watch_other_processes()

    def remove_event_listener(self, run_id: str, callback: EventCallback) -> None:
        """Stop calling ``callback`` for run ``run_id`` (nothing happens if it was not added)."""
        with self._listeners_lock:
            remaining = tuple(c for c in self._listeners.get(run_id, ()) if c != callback)
            if remaining:
                self._listeners[run_id] = remaining
            else:
                self._listeners.pop(run_id, None)

    def subscribe(self, callback: EventCallback, *, other_processes: bool = False) -> None:
        """Call ``callback(record)`` for each new record of every run (once per callback).

        A subscriber hears of the records this process stores; with ``other_processes`` (and an
        event log that can watch: PostgreSQL), also of those other processes commit to the same
        database (so a consumer that follows "the next run" is not handed a colleague's).
        """
        _check_callable(callback)
        with self._listeners_lock:
            if callback not in self._subscribers:
                self._subscribers = (*self._subscribers, callback)
            if other_processes and callback not in self._remote_subscribers:
                self._remote_subscribers = (*self._remote_subscribers, callback)
        if other_processes:
            self._watch_other_processes()

    def _watch_other_processes(self) -> None:
        """With an event log that can watch (PostgreSQL), per-run listeners and the subscribers
        that asked for it also hear of the records other processes commit to it
        (:meth:`_handle_remote_record`)."""
        watch = getattr(self._event_storage, "watch", None)
        if watch is None or self._watching or self._disposed:
            return
        self._watching = True
        method = weakref.WeakMethod(self._handle_remote_record)
        watch(lambda record: (m := method()) is not None and m(record))

    def _handle_remote_record(self, record: EventRecord) -> None:
        """A record another process stored (already in storage, its run status moved by its
        writer): tell the run's listeners and the subscribers that asked for other processes'."""
        listeners = self._listeners.get(record.run_id)
        if listeners:
            self._notify(listeners, record, record.run_id)
        if self._remote_subscribers:
            self._notify(self._remote_subscribers, record, None)

    def unsubscribe(self, callback: EventCallback) -> None:
        """Stop calling ``callback`` (nothing happens if it was not subscribed)."""
        with self._listeners_lock:
            self._subscribers = tuple(c for c in self._subscribers if c != callback)
            self._remote_subscribers = tuple(c for c in self._remote_subscribers if c != callback)

    def _notify(
        self, callbacks: tuple[EventCallback, ...], record: EventRecord, run_id: str | None
    ) -> None:
        for callback in callbacks:
            try:
                callback(record)
            except Exception:
                _log.exception(
                    "Event %s %r raised on a record of run %s; it has been removed and gets no "
                    "more events (the run goes on).",
                    "subscriber" if run_id is None else "listener",
                    callback,
                    record.run_id,
                )
                if run_id is None:
                    self.unsubscribe(callback)
                else:
                    self.remove_event_listener(run_id, callback)

    def _fail_runs_on_full_disk(self, run_id: str) -> None:
        """The event log could not write (the disk is full): its run is marked ``FAILURE`` (its
        stored history is incomplete) as soon as the run storage can write, and keeps that
        status whatever the run's later events say."""
        if not self._disk_full_runs:
            when_space_returns = getattr(self._event_storage, "when_space_returns", None)
            if when_space_returns is not None:
                method = weakref.WeakMethod(self._retry_failing_runs)
                when_space_returns(lambda: (m := method()) is not None and m())
        self._disk_full_runs.setdefault(run_id, False)
        self._retry_failing_runs()

    def _retry_failing_runs(self) -> None:
        from ..errors import DagsterStorageError

        for pending in [r for r, done in self._disk_full_runs.items() if not done]:
            for last_try in (False, True):
                try:
                    if self._run_storage.has_run(pending):
                        self._run_storage.update_run_status(pending, PipelineRunStatus.FAILURE)
                    self._disk_full_runs[pending] = True
                    break
                except DagsterStorageError:
                    # still full: give back the reserve and try once more (then the records kept
                    # in memory are written too); else retried with the next event and at dispose
                    if last_try or self._reserve is None or not self._reserve.release():
                        break
                    flush = getattr(self._event_storage, "flush", None)  # a buffering storage
                    try:
                        if flush is not None:
                            flush()
                    except DagsterStorageError:
                        pass  # what does not fit stays in memory, as before

    # --- life cycle -------------------------------------------------------------------------------

    def dispose(self) -> None:
        """Commit buffered event records, release the storages' connections; drop the listeners."""
        if self._disposed:
            return
        self._disposed = True
        with self._listeners_lock:
            self._listeners = {}
            self._subscribers = ()
            self._remote_subscribers = ()
        if self._disk_full_runs:  # a last try: space may have returned
            self._retry_failing_runs()
            if self._reserve is not None:
                self._reserve.hold()  # room again for the next full disk, if there is room now
        self._run_storage.dispose()
        self._event_storage.dispose()

    def __enter__(self) -> DagsterInstance:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.dispose()

    def __repr__(self) -> str:
        root = self._root if self._root is not None else "<process temporary directory>"
        return (
            f"<DagsterInstance {self._instance_type.value.lower()} root={root} "
            f"runs={type(self._run_storage).__name__} "
            f"events={type(self._event_storage).__name__}>"
        )


def _open_run_storage(part: StoragePart, read_only: bool) -> RunStorage:
    """The run storage ``instance.yaml`` chose (:mod:`.home`); its module imported only now."""
    if part.kind == "postgres":
        from .postgres_runs import PostgresRunStorage

        return PostgresRunStorage(part.config)
    from .sqlite_runs import SqliteRunStorage

    assert part.path is not None
    return SqliteRunStorage(part.path, read_only=read_only)


def _open_event_log_storage(part: StoragePart, read_only: bool) -> EventLogStorage:
    """The event-log storage ``instance.yaml`` chose (:mod:`.home`)."""
    if part.kind == "postgres":
        from .postgres_event_log import PostgresEventLogStorage

        return PostgresEventLogStorage(part.config)
    from .sqlite_event_log import SqliteEventLogStorage

    assert part.path is not None
    return SqliteEventLogStorage(part.path, read_only=read_only)


def _open_from_ref(ref: InstanceRef) -> DagsterInstance:
    return DagsterInstance.from_ref(ref)


def _remove_local_temp(
    path: str, owner_pid: int, instance: weakref.ReferenceType[DagsterInstance]
) -> None:
    import shutil

    # Only the process that made the folder removes it (not a forked child, not a worker).
    if os.getpid() != owner_pid:
        return
    alive = instance()
    if alive is not None:
        alive.dispose()
    shutil.rmtree(path, ignore_errors=True)


def _check_callable(callback: object) -> None:
    if not callable(callback):
        raise DagsterInvariantViolationError(
            f"An event listener must be callable with one EventRecord, got {callback!r}"
        )
