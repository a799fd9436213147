"""The one wire protocol of the run spine (layer 4): what a launcher's workers send to the run's
scheduling loop (:mod:`.loop`), for every executor alike — in process, worker processes, Dask.

Each message is a small frozen dataclass of plain, picklable data (records, error infos,
strings), so it crosses a pipe or a Dask queue unchanged (:func:`encode` / :func:`decode` make
bytes of a batch of them for a transport that wants them):

- :class:`Record` — an event or ``context.log`` record made in a worker: the loop stores and logs
  it (the parent is the only writer of the run's events) and schedules on its event;
- a :class:`~..events.DagsterEvent` is its own message: an event already stored in this process
  (of a step run in process, or a launcher's own engine event); the loop only schedules on it;
- :class:`Output` — text a worker wrote to ``"stdout"`` / ``"stderr"``, tagged with its step (or
  the worker, outside a step); :class:`OutputEnd` — show the partial lines of those tags now;
- :class:`Done` — an attempt of a step ended in its worker; with ``error`` the engine failed
  around it (the step could not run at all): the loop fails the step unless it reported a failure;
- :class:`WorkerLost` — the worker running ``step_key`` died: the loop reports the ``note`` (how,
  when the launcher did not) in an engine event and fails the step;
- :class:`DebugRequest` — a step's debugger in a worker talks to the user (the multiprocess relay,
  :mod:`..executors.debug_relay`); :class:`Closed` — a worker finished its teardown.

Parent to worker: :class:`RunStep` (run this attempt of a step) and :class:`CloseWorker` (tear
the run's resources down and exit); the debugger's replies are the relay's own.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass

from ..errors import SerializableErrorInfo
from ..events import DagsterEvent, EventRecord


@dataclass(frozen=True)
class Record:
    record: EventRecord


@dataclass(frozen=True)
class Output:
    tag: str
    stream: str
    text: str


@dataclass(frozen=True)
class OutputEnd:
    tags: tuple[str, ...] = ()  # none: every tag


@dataclass(frozen=True)
class Done:
    step_key: str
    attempt: int = 0
    error: SerializableErrorInfo | None = None
    #: why the step failed when ``error`` is set (the end of its ``STEP_FAILURE`` message)
    why: str = "the worker could not run it"
    #: which worker ran it (a launcher that tears down per worker notes it)
    worker: str = ""


@dataclass(frozen=True)
class WorkerLost:
    step_key: str
    attempt: int
    error: SerializableErrorInfo | None
    #: the end of the step's ``STEP_FAILURE`` message
    why: str
    #: what the loop reports first in an ``ENGINE_EVENT`` (nothing when the launcher did)
    note: str = ""


@dataclass(frozen=True)
class DebugRequest:
    step_key: str
    kind: str
    text: str


@dataclass(frozen=True)
class Closed:
    pass


@dataclass(frozen=True)
class RunStep:
    step_key: str
    attempt: int


@dataclass(frozen=True)
class CloseWorker:
    pass


#: what workers send to the loop
Message = DagsterEvent | Record | Output | OutputEnd | Done | WorkerLost | DebugRequest | Closed


def encode(*messages: Message) -> bytes:
    """``messages`` as bytes (for a transport of opaque items, such as a Dask queue)."""
    return pickle.dumps(messages, protocol=pickle.HIGHEST_PROTOCOL)


def decode(data: bytes) -> tuple[Message, ...]:
    """The messages :func:`encode` made ``data`` of, in order."""
    messages: tuple[Message, ...] = pickle.loads(data)  # our own workers' messages
    return messages
