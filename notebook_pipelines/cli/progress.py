"""Running a run from the command line: live progress on stderr (one line per step as it starts
and finishes, failures in red on a terminal), then the run id and its outcome on stdout.

Progress is a subscriber of the instance (the same event stream the widget consumes), so it sees
each event as it is stored, with its run id and timestamp, whichever executor produced it. It writes
to its own duplicate of the stderr file descriptor, so that the per-step capture of stdout/stderr
(compute logs) does not record progress lines as the step's output.
"""

from __future__ import annotations

import io
import os
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

from ..events import DagsterEvent, DagsterEventType, EventRecord, StepStatus, next_step_status
from ..storage.instance import DagsterInstance
from .output import error_summary, format_duration, red, use_colour


@dataclass
class _Tally:
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    started_at: dict[str, float] = field(default_factory=dict)
    status: dict[str, StepStatus] = field(default_factory=dict)


class Progress:
    """Writes one line per step event of interest to ``stream`` (an instance subscriber)."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.colour = use_colour(stream)
        self.run_id: str | None = None
        self.pipeline_name: str | None = None
        self.outcome: str | None = None  # SUCCESS / FAILURE once the run ends
        self.run_start: float | None = None
        self.run_end: float | None = None
        self.tally = _Tally()
        self._lock = threading.Lock()

    def __call__(self, record: EventRecord) -> None:
        event = record.dagster_event
        if event is None:
            return
        with self._lock:
            if self.run_id is None:
                self.run_id = record.run_id
                self.pipeline_name = event.pipeline_name
            if record.run_id != self.run_id:
                return  # another run's events (not ours to show)
            self._show(record, event)

    def _line(self, text: str, failure: bool = False) -> None:
        self.stream.write(red(text, self.colour and failure) + "\n")
        self.stream.flush()

    def _show(self, record: EventRecord, event: DagsterEvent) -> None:
        kind = event.event_type_value
        if kind == DagsterEventType.PIPELINE_START:
            self.run_start = record.timestamp
            self._line(f'Run {record.run_id}: pipeline "{event.pipeline_name}" started')
        elif kind == DagsterEventType.PIPELINE_SUCCESS:
            self.outcome, self.run_end = "SUCCESS", record.timestamp
        elif kind == DagsterEventType.PIPELINE_FAILURE:
            self.outcome, self.run_end = "FAILURE", record.timestamp
        elif kind == DagsterEventType.PIPELINE_INIT_FAILURE:
            self.outcome, self.run_end = "FAILURE", record.timestamp
            why = error_summary(event.pipeline_failure_data.error)
            self._line(f"  FAILED    the run could not start: {why}", failure=True)
        elif event.step_key is not None:
            statuses = self.tally.status
            before = statuses.get(event.step_key, StepStatus.PENDING)
            status = next_step_status(before, event)
            if status is not None:
                statuses[event.step_key] = status
                self._show_step(record, event, event.step_key, before, status)

    def _show_step(
        self,
        record: EventRecord,
        event: DagsterEvent,
        key: str,
        before: StepStatus,
        status: StepStatus,
    ) -> None:
        """The line of a step that moved from ``before`` to ``status`` (none for a retry's restart
        or the debugger)."""
        tally = self.tally
        if status is StepStatus.RUNNING and before is StepStatus.PENDING:
            tally.started_at[key] = record.timestamp
            self._line(f"  started   {key}")
        elif status is StepStatus.SUCCEEDED:
            tally.succeeded += 1
            took = format_duration(event.step_success_data.duration_ms / 1000)
            self._line(f"  ok        {key}  ({took})")
        elif status in (StepStatus.FAILED, StepStatus.CANCELED):
            tally.failed += 1
            began = tally.started_at.get(key)
            took = format_duration(record.timestamp - began) if began is not None else "-"
            why = error_summary(event.step_failure_data.error)
            self._line(f"  FAILED    {key}  ({took}): {why}", failure=True)
        elif status is StepStatus.SKIPPED:
            tally.skipped += 1
            self._line(f"  skipped   {key}")
        elif status is StepStatus.UP_FOR_RETRY:
            why = error_summary(event.step_retry_data.error)
            self._line(f"  retrying  {key}: {why}")

    def summary(self) -> str:
        """``Run <id> of pipeline "p": SUCCESS (3 steps succeeded) in 0.12s``."""
        tally = self.tally
        counts = [f"{tally.succeeded} step{'s' if tally.succeeded != 1 else ''} succeeded"]
        if tally.failed:
            counts.append(f"{tally.failed} failed")
        if tally.skipped:
            counts.append(f"{tally.skipped} skipped")
        took = ""
        if self.run_start is not None and self.run_end is not None:
            took = f" in {format_duration(self.run_end - self.run_start)}"
        outcome = self.outcome or "NOT FINISHED"
        return (
            f'Run {self.run_id} of pipeline "{self.pipeline_name}": {outcome} '
            f"({', '.join(counts)}){took}"
        )


def _private_stderr() -> tuple[TextIO, Callable[[], None]]:
    """A stream to where stderr goes now, on a duplicated file descriptor that step capture (which
    redirects fd 2 and replaces ``sys.stderr``) does not touch; ``sys.stderr`` itself when it has
    no file descriptor. Returns the stream and how to close it."""
    try:
        sys.stderr.flush()
        fd = os.dup(sys.stderr.fileno())
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return sys.stderr, lambda: None
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    stream = open(fd, "w", encoding=encoding, errors="replace", buffering=1)  # noqa: SIM115
    return stream, stream.close


def run_with_progress(
    instance: DagsterInstance, start: Callable[[], Iterator[DagsterEvent]]
) -> int:
    """Start a run (``start()`` returns its event iterator), show its progress, print its outcome
    and return the exit code: 0 if it succeeded, 1 otherwise."""
    stream, close = _private_stderr()
    try:
        return _run(instance, start, Progress(stream))
    finally:
        close()


def _run(
    instance: DagsterInstance, start: Callable[[], Iterator[DagsterEvent]], progress: Progress
) -> int:
    instance.subscribe(progress)
    try:
        for _event in start():
            pass
    except KeyboardInterrupt:
        where = f" run {progress.run_id}" if progress.run_id else ""
        print(f"Interrupted{where}; the events up to here are stored.", file=sys.stderr)
        return 130
    finally:
        instance.unsubscribe(progress)
    if progress.run_id is None:  # nothing was stored: cannot happen for a run that was created
        print("The run produced no events.", file=sys.stderr)
        return 1
    print(progress.summary())
    if progress.outcome != "SUCCESS":
        print(
            f"See the failure with: notebook-pipelines runs show {progress.run_id}",
            file=sys.stderr,
        )
        return 1
    return 0
