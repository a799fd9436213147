"""The event spine: :class:`DagsterEvent`, :class:`DagsterEventType` and the data each event carries.

Events are frozen, JSON-serialisable records (layer 1: no imports of execution or storage). Storage,
results, the widget, the progress display and the command line all consume the same stream, either
as :class:`DagsterEvent` objects or as :class:`EventRecord` entries of a run's event log (which also
holds ``context.log`` messages that are not Dagster events).

Event kinds are :class:`DagsterEventType` members everywhere in the package; an event stores its
kind's value, a plain string (``event_type_value``, made from the member by
:data:`EVENT_TYPE_VALUE`), and a member is equal to and hashes like its value, so a stored string
finds its member in a set or dictionary keyed by members. A step's status (:class:`StepStatus`) is
read from its events by :func:`next_step_status` alone (:func:`step_status` folds a list); the
debugger's stops are engine events with a :class:`DebuggerEventData` payload.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .errors import SerializableErrorInfo
from .serdes import serializable
from .user_events import AssetMaterialization, ExpectationResult, Materialization


@serializable
class DagsterEventType(str, enum.Enum):
    """The kinds of event a run produces (all 19 of the reference)."""

    ENGINE_EVENT = "ENGINE_EVENT"
    HOOK_COMPLETED = "HOOK_COMPLETED"
    HOOK_ERRORED = "HOOK_ERRORED"
    HOOK_SKIPPED = "HOOK_SKIPPED"
    OBJECT_STORE_OPERATION = "OBJECT_STORE_OPERATION"
    PIPELINE_FAILURE = "PIPELINE_FAILURE"
    PIPELINE_INIT_FAILURE = "PIPELINE_INIT_FAILURE"
    PIPELINE_START = "PIPELINE_START"
    PIPELINE_SUCCESS = "PIPELINE_SUCCESS"
    STEP_EXPECTATION_RESULT = "STEP_EXPECTATION_RESULT"
    STEP_FAILURE = "STEP_FAILURE"
    STEP_INPUT = "STEP_INPUT"
    STEP_MATERIALIZATION = "STEP_MATERIALIZATION"
    STEP_OUTPUT = "STEP_OUTPUT"
    STEP_RESTARTED = "STEP_RESTARTED"
    STEP_SKIPPED = "STEP_SKIPPED"
    STEP_START = "STEP_START"
    STEP_SUCCESS = "STEP_SUCCESS"
    STEP_UP_FOR_RETRY = "STEP_UP_FOR_RETRY"


PIPELINE_EVENTS = frozenset(
    {
        DagsterEventType.PIPELINE_START,
        DagsterEventType.PIPELINE_SUCCESS,
        DagsterEventType.PIPELINE_FAILURE,
        DagsterEventType.PIPELINE_INIT_FAILURE,
    }
)
FAILURE_EVENTS = frozenset(
    {
        DagsterEventType.PIPELINE_INIT_FAILURE,
        DagsterEventType.PIPELINE_FAILURE,
        DagsterEventType.STEP_FAILURE,
    }
)
#: what a step's compute emits (``is_step_event``): not its hooks' events, not engine events
STEP_EVENTS = frozenset(
    {
        DagsterEventType.STEP_START,
        DagsterEventType.STEP_RESTARTED,
        DagsterEventType.STEP_INPUT,
        DagsterEventType.STEP_OUTPUT,
        DagsterEventType.OBJECT_STORE_OPERATION,
        DagsterEventType.STEP_MATERIALIZATION,
        DagsterEventType.STEP_EXPECTATION_RESULT,
        DagsterEventType.STEP_SUCCESS,
        DagsterEventType.STEP_FAILURE,
        DagsterEventType.STEP_SKIPPED,
        DagsterEventType.STEP_UP_FOR_RETRY,
    }
)
HOOK_EVENTS = frozenset(
    {DagsterEventType.HOOK_COMPLETED, DagsterEventType.HOOK_ERRORED, DagsterEventType.HOOK_SKIPPED}
)


#: each kind's stored value, the plain string of ``DagsterEvent.event_type_value`` (the wire format),
#: looked up by member (or by the value itself): the one place events are made from a member
EVENT_TYPE_VALUE: dict[str, str] = {member: member.value for member in DagsterEventType}


class StepKind(str, enum.Enum):
    """The kind of an execution step (only compute steps exist)."""

    COMPUTE = "COMPUTE"


# --- event-specific data -------------------------------------------------------------------------


class _TupleAccess:
    """Namedtuple-style access to a record's fields, in declaration order (``data[1]``, unpacking,
    ``len``), as the reference's event data are namedtuples."""

    __slots__ = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self))  # type: ignore[arg-type]

    def __getitem__(self, index: int | slice) -> Any:
        return self._values()[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values())

    def __len__(self) -> int:
        return len(dataclasses.fields(self))  # type: ignore[arg-type]

    def _asdict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]


@serializable
@dataclass(frozen=True)
class StepOutputHandle(_TupleAccess):
    """Names one output of one step: where a value lives in intermediate storage."""

    step_key: str
    output_name: str = "result"


@serializable
@dataclass(frozen=True)
class TypeCheckData(_TupleAccess):
    """The outcome of a type check on an input or output."""

    success: bool
    label: str
    description: str | None = None
    metadata_entries: tuple[Any, ...] = ()


@serializable
@dataclass(frozen=True)
class StepInputData(_TupleAccess):
    """Data of ``STEP_INPUT``."""

    input_name: str
    type_check_data: TypeCheckData | None


@serializable
@dataclass(frozen=True)
class StepOutputData(_TupleAccess):
    """Data of ``STEP_OUTPUT``."""

    step_output_handle: StepOutputHandle
    type_check_data: TypeCheckData | None

    @property
    def output_name(self) -> str:
        return self.step_output_handle.output_name


@serializable
@dataclass(frozen=True)
class UserFailureData(_TupleAccess):
    """What a user's ``Failure`` said."""

    label: str
    description: str | None = None
    metadata_entries: tuple[Any, ...] = ()


@serializable
@dataclass(frozen=True)
class StepFailureData(_TupleAccess):
    """Data of ``STEP_FAILURE``: the error as plain data and, for ``Failure``, its metadata."""

    error: SerializableErrorInfo | None
    user_failure_data: UserFailureData | None = None


@serializable
@dataclass(frozen=True)
class StepRetryData(_TupleAccess):
    """Data of ``STEP_UP_FOR_RETRY``."""

    error: SerializableErrorInfo | None
    seconds_to_wait: float | None = None


@serializable
@dataclass(frozen=True)
class StepSuccessData(_TupleAccess):
    """Data of ``STEP_SUCCESS``."""

    duration_ms: float


@serializable
@dataclass(frozen=True)
class StepMaterializationData(_TupleAccess):
    """Data of ``STEP_MATERIALIZATION``."""

    materialization: AssetMaterialization | Materialization


@serializable
@dataclass(frozen=True)
class StepExpectationResultData(_TupleAccess):
    """Data of ``STEP_EXPECTATION_RESULT``."""

    expectation_result: ExpectationResult


@serializable
class ObjectStoreOperationType(str, enum.Enum):
    """What an ``OBJECT_STORE_OPERATION`` did."""

    SET_OBJECT = "SET_OBJECT"
    GET_OBJECT = "GET_OBJECT"
    RM_OBJECT = "RM_OBJECT"
    CP_OBJECT = "CP_OBJECT"


@serializable
@dataclass(frozen=True)
class ObjectStoreOperationResultData(_TupleAccess):
    """Data of ``OBJECT_STORE_OPERATION``: which value moved, where, how."""

    op: ObjectStoreOperationType
    value_name: str
    address: str | None = None
    step_output_handle: StepOutputHandle | None = None
    metadata_entries: tuple[Any, ...] = ()


@serializable
@dataclass(frozen=True)
class EngineEventData(_TupleAccess):
    """Data of ``ENGINE_EVENT`` (and of pipeline start/success/failure)."""

    metadata_entries: tuple[Any, ...] = ()
    error: SerializableErrorInfo | None = None
    marker_start: str | None = None
    marker_end: str | None = None


@serializable
@dataclass(frozen=True)
class DebuggerEventData(EngineEventData):
    """Data of the ``ENGINE_EVENT`` a step emits when it stops in the debugger (``stopped``) and
    when it goes on (not ``stopped``): the step is ``in_debugger`` in between (:func:`step_status`).
    Its engine-event fields keep the reference's shape (the location as metadata, the
    ``marker_start`` / ``marker_end`` pair bracketing the stop); the type is what says "debugger"."""

    stopped: bool = True
    location: str | None = None


@serializable
@dataclass(frozen=True)
class PipelineFailureData(_TupleAccess):
    """Data of ``PIPELINE_FAILURE`` and ``PIPELINE_INIT_FAILURE``."""

    error: SerializableErrorInfo | None


@serializable
@dataclass(frozen=True)
class HookErroredData(_TupleAccess):
    """Data of ``HOOK_ERRORED``."""

    error: SerializableErrorInfo


# --- the event -----------------------------------------------------------------------------------


@serializable
@dataclass(frozen=True, slots=True)
class DagsterEvent:
    """One event of a run. Users read these; the engine makes them."""

    event_type_value: str
    pipeline_name: str
    step_key: str | None = None
    solid_handle: str | None = None
    step_kind_value: str | None = None
    logging_tags: dict[str, str] = field(default_factory=dict)
    event_specific_data: Any = None
    message: str | None = None
    pid: int | None = None

    @property
    def event_type(self) -> DagsterEventType:
        return DagsterEventType(self.event_type_value)

    @property
    def solid_name(self) -> str | None:
        return self.solid_handle.rsplit(".", 1)[-1] if self.solid_handle else None

    @property
    def is_step_event(self) -> bool:
        """An event of a step's compute (``STEP_EVENTS``; hook and engine events are not)."""
        return self.event_type_value in _STEP_EVENT_VALUES

    @property
    def is_pipeline_event(self) -> bool:
        return self.event_type in PIPELINE_EVENTS

    @property
    def is_failure(self) -> bool:
        return self.event_type in FAILURE_EVENTS

    @property
    def is_step_start(self) -> bool:
        return self.event_type_value == DagsterEventType.STEP_START

    @property
    def is_step_success(self) -> bool:
        return self.event_type_value == DagsterEventType.STEP_SUCCESS

    @property
    def is_step_failure(self) -> bool:
        return self.event_type_value == DagsterEventType.STEP_FAILURE

    @property
    def is_step_skipped(self) -> bool:
        return self.event_type_value == DagsterEventType.STEP_SKIPPED

    @property
    def is_step_up_for_retry(self) -> bool:
        return self.event_type_value == DagsterEventType.STEP_UP_FOR_RETRY

    @property
    def is_step_restarted(self) -> bool:
        return self.event_type_value == DagsterEventType.STEP_RESTARTED

    @property
    def is_successful_output(self) -> bool:
        return self.event_type_value == DagsterEventType.STEP_OUTPUT

    @property
    def is_step_materialization(self) -> bool:
        return self.event_type_value == DagsterEventType.STEP_MATERIALIZATION

    @property
    def is_expectation_result(self) -> bool:
        return self.event_type_value == DagsterEventType.STEP_EXPECTATION_RESULT

    @property
    def is_engine_event(self) -> bool:
        return self.event_type_value == DagsterEventType.ENGINE_EVENT

    @property
    def is_hook_event(self) -> bool:
        return self.event_type in HOOK_EVENTS

    @property
    def is_pipeline_success(self) -> bool:
        return self.event_type_value == DagsterEventType.PIPELINE_SUCCESS

    @property
    def is_pipeline_failure(self) -> bool:
        return self.event_type_value == DagsterEventType.PIPELINE_FAILURE

    @property
    def is_pipeline_init_failure(self) -> bool:
        return self.event_type_value == DagsterEventType.PIPELINE_INIT_FAILURE

    @property
    def step_input_data(self) -> StepInputData:
        return self._data(DagsterEventType.STEP_INPUT)

    @property
    def step_output_data(self) -> StepOutputData:
        return self._data(DagsterEventType.STEP_OUTPUT)

    @property
    def step_success_data(self) -> StepSuccessData:
        return self._data(DagsterEventType.STEP_SUCCESS)

    @property
    def step_failure_data(self) -> StepFailureData:
        return self._data(DagsterEventType.STEP_FAILURE)

    @property
    def step_retry_data(self) -> StepRetryData:
        return self._data(DagsterEventType.STEP_UP_FOR_RETRY)

    @property
    def step_materialization_data(self) -> StepMaterializationData:
        return self._data(DagsterEventType.STEP_MATERIALIZATION)

    @property
    def step_expectation_result_data(self) -> StepExpectationResultData:
        return self._data(DagsterEventType.STEP_EXPECTATION_RESULT)

    @property
    def engine_event_data(self) -> EngineEventData:
        return self._data(DagsterEventType.ENGINE_EVENT)

    @property
    def pipeline_failure_data(self) -> PipelineFailureData:
        if self.event_type_value not in _PIPELINE_FAILURE_TYPES:
            raise ValueError(f"{self.event_type_value} event has no pipeline failure data")
        return self.event_specific_data

    @property
    def hook_errored_data(self) -> HookErroredData:
        return self._data(DagsterEventType.HOOK_ERRORED)

    def _data(self, expected: DagsterEventType) -> Any:
        if self.event_type_value != expected:
            raise ValueError(f"{self.event_type_value} event has no {expected.value} data")
        return self.event_specific_data

    def __repr__(self) -> str:
        where = f" {self.step_key}" if self.step_key else ""
        return f"<DagsterEvent {self.event_type_value}{where}: {self.message}>"


@serializable
@dataclass(frozen=True, slots=True)
class EventRecord:
    """One entry of a run's event log: a :class:`DagsterEvent` or a ``context.log`` message."""

    run_id: str
    timestamp: float
    level: int
    user_message: str
    pipeline_name: str | None = None
    step_key: str | None = None
    dagster_event: DagsterEvent | None = None
    error_info: SerializableErrorInfo | None = None

    @property
    def is_dagster_event(self) -> bool:
        return self.dagster_event is not None

    @property
    def event_type(self) -> DagsterEventType | None:
        return self.dagster_event.event_type if self.dagster_event is not None else None

    @property
    def message(self) -> str:
        return self.user_message


def event_level(event: DagsterEvent) -> int:
    """The logging level an event is reported at: ERROR for failures, DEBUG otherwise."""
    if event.event_type_value in _ERROR_TYPES:
        return logging.ERROR
    return logging.DEBUG


_STEP_EVENT_VALUES = frozenset(t.value for t in STEP_EVENTS)

_PIPELINE_FAILURE_TYPES = frozenset(
    {DagsterEventType.PIPELINE_FAILURE, DagsterEventType.PIPELINE_INIT_FAILURE}
)
_ERROR_TYPES = _PIPELINE_FAILURE_TYPES | {
    DagsterEventType.STEP_FAILURE,
    DagsterEventType.HOOK_ERRORED,
}


def record_for_event(run_id: str, event: DagsterEvent) -> EventRecord:
    """Wrap ``event`` as an entry of run ``run_id``'s event log, stamped now."""
    return EventRecord(
        run_id,
        time.time(),
        event_level(event),
        event.message or "",
        event.pipeline_name,
        event.step_key,
        event,
    )


# --- a step's status, over its events ------------------------------------------------------------


@serializable
class StepStatus(str, enum.Enum):
    """Where a step is, as its events tell (the run widget, the command line, the results and the
    run graphs all read it from :func:`next_step_status`); the value is what they show."""

    PENDING = "pending"
    RUNNING = "running"
    IN_DEBUGGER = "in_debugger"
    UP_FOR_RETRY = "up_for_retry"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELED = "canceled"


#: statuses of a step that is no longer running
DONE_STATUSES = frozenset(
    {StepStatus.SUCCEEDED, StepStatus.FAILED, StepStatus.SKIPPED, StepStatus.CANCELED}
)
#: statuses of a step whose compute is under way (it may be stopped in the debugger)
ACTIVE_STATUSES = frozenset({StepStatus.RUNNING, StepStatus.IN_DEBUGGER})

#: step event kind -> the status it leaves its step in (looked up by ``event_type_value``)
_STATUS_OF_EVENT: dict[str, StepStatus] = {
    DagsterEventType.STEP_START: StepStatus.RUNNING,
    DagsterEventType.STEP_RESTARTED: StepStatus.RUNNING,
    DagsterEventType.STEP_SUCCESS: StepStatus.SUCCEEDED,
    DagsterEventType.STEP_FAILURE: StepStatus.FAILED,
    DagsterEventType.STEP_SKIPPED: StepStatus.SKIPPED,
    DagsterEventType.STEP_UP_FOR_RETRY: StepStatus.UP_FOR_RETRY,
}
#: the error of a step stopped by Ctrl-C or a kernel interrupt: the step is canceled, not failed
_CANCEL_ERROR = KeyboardInterrupt.__name__


def next_step_status(current: str, event: DagsterEvent) -> StepStatus | None:
    """The status ``event`` leaves its step in, when the step was ``current`` (a
    :class:`StepStatus`); None when the event does not change it.

    ``STEP_START`` / ``STEP_RESTARTED`` run it, ``STEP_SUCCESS`` / ``STEP_SKIPPED`` /
    ``STEP_UP_FOR_RETRY`` say so, ``STEP_FAILURE`` fails it (cancels it when the error is a
    ``KeyboardInterrupt``), and a running step's :class:`DebuggerEventData` engine events take it
    into the debugger and out again. One dictionary lookup for most events."""
    status = _STATUS_OF_EVENT.get(event.event_type_value)
    if status is None:
        data = event.event_specific_data
        if type(data) is DebuggerEventData and current in ACTIVE_STATUSES:
            return StepStatus.IN_DEBUGGER if data.stopped else StepStatus.RUNNING
        return None
    if status is StepStatus.FAILED:
        error = getattr(event.event_specific_data, "error", None)
        if error is not None and error.cls_name == _CANCEL_ERROR:
            return StepStatus.CANCELED
    return status


def step_status(events: Iterable[DagsterEvent], current: str = StepStatus.PENDING) -> StepStatus:
    """The status a step is left in by its ``events`` (in order), starting from ``current``."""
    status = StepStatus(current)
    for event in events:
        status = next_step_status(status, event) or status
    return status
