"""``%pipeline_runs``: the runs of the persistent instance as a table in the notebook.

:func:`runs_table` builds a :class:`RunsTable` (HTML for the notebook, plain text otherwise) from
an instance; the magic opens ``DagsterInstance.get()`` (``$NOTEBOOK_PIPELINES_HOME``), displays
the table and returns nothing.
"""

from __future__ import annotations

import argparse
import html
import shlex
from dataclasses import dataclass
from typing import Any

from IPython.core.error import UsageError

from ..cli.output import first_line, format_duration, format_time, table
from ..errors import SerializableErrorInfo
from ..events import DagsterEventType
from ..storage.instance import DagsterInstance
from ..storage.runs import PipelineRunStatus, RunRecord, RunsFilter

HEADERS = ("Run", "Pipeline", "Status", "Started", "Duration", "Steps ok", "Failed", "Failure")
SHORT_ID = 8
DEFAULT_LIMIT = 20

_STATUS_COLOURS = {
    PipelineRunStatus.SUCCESS: "#1a7f37",
    PipelineRunStatus.FAILURE: "#cf222e",
    PipelineRunStatus.CANCELED: "#9a6700",
    PipelineRunStatus.STARTED: "#0969da",
    PipelineRunStatus.NOT_STARTED: "#6e7781",
}


@dataclass(frozen=True)
class RunRow:
    """One run, as the table shows it."""

    run_id: str
    pipeline_name: str
    status: PipelineRunStatus
    started: str
    duration: str
    steps_ok: int
    steps_failed: int
    failure: str

    def cells(self) -> list[str]:
        return [
            self.run_id[:SHORT_ID],
            self.pipeline_name,
            self.status.value,
            self.started,
            self.duration,
            str(self.steps_ok),
            str(self.steps_failed),
            self.failure,
        ]


@dataclass(frozen=True)
class RunsTable:
    """The runs (newest first); displays as an HTML table with a plain-text fallback."""

    rows: tuple[RunRow, ...]
    empty_message: str

    def to_text(self) -> str:
        if not self.rows:
            return self.empty_message
        return table(list(HEADERS), [row.cells() for row in self.rows])

    def to_html(self) -> str:
        if not self.rows:
            return f"<p>{html.escape(self.empty_message)}</p>"
        head = "".join(f"<th style='text-align:left'>{h}</th>" for h in HEADERS)
        body = []
        for row in self.rows:
            cells = [f"<td>{html.escape(cell)}</td>" for cell in row.cells()]
            cells[0] = (
                f"<td title='{html.escape(row.run_id)}'><code>{row.run_id[:SHORT_ID]}</code></td>"
            )
            colour = _STATUS_COLOURS.get(row.status, "inherit")
            cells[2] = f"<td style='color:{colour};font-weight:bold'>{row.status.value}</td>"
            body.append("<tr>" + "".join(cells) + "</tr>")
        return (
            "<table class='np-pipeline-runs'><thead><tr>"
            + head
            + "</tr></thead><tbody>"
            + "".join(body)
            + "</tbody></table>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return self.to_text()


def runs_table(
    instance: DagsterInstance,
    pipeline: str | None = None,
    limit: int | None = DEFAULT_LIMIT,
    status: PipelineRunStatus | str | None = None,
) -> RunsTable:
    """The runs of ``instance`` (newest first) passing the filters, as a :class:`RunsTable`."""
    filters = RunsFilter(pipeline_name=pipeline, statuses=[status] if status else None)
    records = instance.get_run_records(filters, limit=limit)
    where = []
    if pipeline:
        where.append(f'of pipeline "{pipeline}"')
    if status:
        where.append(f"with status {PipelineRunStatus(status).value}")
    message = (
        f"No runs{''.join(' ' + w for w in where)} in the instance at {instance.root_directory}."
    )
    return RunsTable(tuple(_row(instance, record) for record in records), message)


def _row(instance: DagsterInstance, record: RunRecord) -> RunRow:
    run = record.pipeline_run
    ok = failed = 0
    failure = ""
    for event_record in instance.all_logs(run.run_id):
        event = event_record.dagster_event
        if event is None:
            continue
        kind = event.event_type_value
        error: SerializableErrorInfo | None = None
        if kind == DagsterEventType.STEP_SUCCESS:
            ok += 1
        elif kind == DagsterEventType.STEP_FAILURE:
            failed += 1
            error = event.step_failure_data.error
        elif kind in (DagsterEventType.PIPELINE_INIT_FAILURE, DagsterEventType.PIPELINE_FAILURE):
            error = event.pipeline_failure_data.error
        if error is not None and not failure:
            where = f"{event.step_key}: " if event.step_key else ""
            failure = where + _first_line(error)
    return RunRow(
        run_id=run.run_id,
        pipeline_name=run.pipeline_name,
        status=run.status,
        started=format_time(record.start_time or record.create_timestamp),
        duration=format_duration(record.duration),
        steps_ok=ok,
        steps_failed=failed,
        failure=failure,
    )


def _first_line(error: SerializableErrorInfo) -> str:
    """The first line of the user's own exception (the innermost cause), ``ValueError: boom``."""
    while error.cause is not None:
        error = error.cause
    return first_line(error.message) or error.cls_name or "error"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        usage = self.format_usage().strip().removeprefix("usage:").strip()
        raise UsageError(f"%pipeline_runs: {message}\nusage: {usage}")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _status(text: str) -> PipelineRunStatus:
    try:
        return PipelineRunStatus(text.upper())
    except ValueError:
        known = ", ".join(s.value for s in PipelineRunStatus)
        raise argparse.ArgumentTypeError(f"unknown status {text!r} (known: {known})") from None


def parse_runs_line(line: str) -> argparse.Namespace:
    """The options of a ``%pipeline_runs`` line; a :class:`UsageError` for bad ones."""
    parser = _Parser(prog="%pipeline_runs", add_help=False, exit_on_error=False)
    parser.add_argument("--pipeline")
    parser.add_argument("--limit", type=_positive_int, default=DEFAULT_LIMIT)
    parser.add_argument("--status", type=_status)
    try:
        return parser.parse_args(shlex.split(line))
    except (ValueError, argparse.ArgumentError) as exc:
        raise UsageError(f"%pipeline_runs: {exc}") from None
