"""A step's status over its events (notebook_pipelines/events.py: :class:`StepStatus`,
:func:`next_step_status`, :func:`step_status`) and the debugger's typed engine-event payload
(:class:`DebuggerEventData`); every consumer of the status knows every status."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from notebook_pipelines.cli.steps import SHOWN_STATUS
from notebook_pipelines.definitions.dot import STATUS_COLORS
from notebook_pipelines.errors import SerializableErrorInfo
from notebook_pipelines.events import (
    EVENT_TYPE_VALUE,
    DagsterEvent,
    DagsterEventType,
    DebuggerEventData,
    EngineEventData,
    StepFailureData,
    StepRetryData,
    StepStatus,
    StepSuccessData,
    next_step_status,
    step_status,
)
from notebook_pipelines.serdes import deserialize, serialize

T = DagsterEventType
S = StepStatus
EXTENSION = Path(__file__).resolve().parents[1] / "extension" / "run_widget.js"


def event(kind: DagsterEventType, data: Any = None) -> DagsterEvent:
    return DagsterEvent(kind.value, "pipe", "a.compute", "a", "COMPUTE", {}, data, "m")


def failure(cls_name: str) -> DagsterEvent:
    return event(T.STEP_FAILURE, StepFailureData(SerializableErrorInfo("x\n", (), cls_name)))


def stopped(yes: bool) -> DagsterEvent:
    return event(T.ENGINE_EVENT, DebuggerEventData(stopped=yes, location="cell.py:3 in f"))


@pytest.mark.parametrize(
    ("current", "made", "expected"),
    [
        (S.PENDING, event(T.STEP_START), S.RUNNING),
        (S.UP_FOR_RETRY, event(T.STEP_RESTARTED), S.RUNNING),
        (S.RUNNING, event(T.STEP_SUCCESS, StepSuccessData(1.0)), S.SUCCEEDED),
        (S.RUNNING, failure("ValueError"), S.FAILED),
        (S.RUNNING, failure("KeyboardInterrupt"), S.CANCELED),
        (S.IN_DEBUGGER, failure("KeyboardInterrupt"), S.CANCELED),
        (S.RUNNING, event(T.STEP_FAILURE, StepFailureData(None)), S.FAILED),
        (S.PENDING, event(T.STEP_SKIPPED), S.SKIPPED),
        (S.RUNNING, event(T.STEP_UP_FOR_RETRY, StepRetryData(None)), S.UP_FOR_RETRY),
        (S.RUNNING, stopped(True), S.IN_DEBUGGER),
        (S.IN_DEBUGGER, stopped(False), S.RUNNING),
        (S.IN_DEBUGGER, stopped(True), S.IN_DEBUGGER),
        # the debugger events of a step that is not running do not move it
        (S.PENDING, stopped(True), None),
        (S.SUCCEEDED, stopped(False), None),
        # events that are not about the step's status
        (S.RUNNING, event(T.STEP_OUTPUT), None),
        (S.RUNNING, event(T.STEP_INPUT), None),
        (S.RUNNING, event(T.HOOK_COMPLETED), None),
        (S.RUNNING, event(T.ENGINE_EVENT, EngineEventData(marker_start="debugger")), None),
        (S.RUNNING, event(T.OBJECT_STORE_OPERATION), None),
    ],
)
def test_next_step_status(
    current: StepStatus, made: DagsterEvent, expected: StepStatus | None
) -> None:
    assert next_step_status(current, made) is expected
    # the statuses' plain strings (what the widget's state holds) are read the same
    assert next_step_status(current.value, made) is expected


def test_step_status_folds_the_events_in_order() -> None:
    retry = StepRetryData(None)
    assert step_status([]) is S.PENDING
    assert step_status([event(T.STEP_START)]) is S.RUNNING
    attempts = [
        event(T.STEP_START),
        event(T.STEP_UP_FOR_RETRY, retry),
        event(T.STEP_RESTARTED),
        stopped(True),
        stopped(False),
        event(T.STEP_OUTPUT),
        event(T.STEP_SUCCESS, StepSuccessData(2.0)),
        event(T.HOOK_COMPLETED),
    ]
    assert step_status(attempts) is S.SUCCEEDED
    assert step_status(attempts[:4]) is S.IN_DEBUGGER
    assert step_status(attempts[:2]) is S.UP_FOR_RETRY
    assert step_status([event(T.STEP_OUTPUT)], current=S.RUNNING) is S.RUNNING


def test_the_status_function_reads_the_stored_form_of_an_event() -> None:
    """Events read back from storage carry the plain string: the status is the same."""
    made = event(T.STEP_START)
    back = deserialize(serialize(made))
    assert type(back.event_type_value) is str
    assert next_step_status(S.PENDING, back) is S.RUNNING
    assert next_step_status(S.RUNNING, deserialize(serialize(stopped(True)))) is S.IN_DEBUGGER


def test_the_debugger_payload_is_a_typed_engine_event() -> None:
    data = DebuggerEventData(stopped=True, location="cell.py:3 in f")
    made = event(T.ENGINE_EVENT, data)
    assert made.is_engine_event and made.engine_event_data is data
    assert isinstance(data, EngineEventData)
    back = deserialize(serialize(made)).event_specific_data
    assert type(back) is DebuggerEventData and back == data


def test_event_type_value_is_a_plain_string() -> None:
    """Events are made from a member and store its value (the wire format)."""
    for member in DagsterEventType:
        value = EVENT_TYPE_VALUE[member]
        assert type(value) is str and value == member.value == member.name
        assert EVENT_TYPE_VALUE[member.value] == value  # a value finds itself
        assert event(member).event_type is member


def test_every_consumer_knows_every_status() -> None:
    """A new status touches the events module, the status function and the front end: the
    colours, the command line's names and the widget's labels cover every status."""
    script = EXTENSION.read_text()
    labels = script[script.index("const STATUS_LABEL") : script.index("};")]
    for status in StepStatus:
        assert status.value in STATUS_COLORS, status
        assert status in SHOWN_STATUS, status
        assert re.search(rf"\b{status.value}:", labels), f"{status.value} has no label"
