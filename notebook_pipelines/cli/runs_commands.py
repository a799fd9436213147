"""``runs list``, ``runs show``, ``runs logs``, ``runs reexecute`` and ``runs delete``: the runs of
the persistent instance."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from typing import Any

import yaml

from ..api import reexecute_pipeline_iterator
from ..errors import DagsterInvariantViolationError
from ..events import DagsterEventType, EventRecord
from ..storage.instance import DagsterInstance
from ..storage.runs import PipelineRun, PipelineRunStatus, RunRecord, RunsFilter
from .loading import ATTRIBUTE_TAG, FILE_TAG, load_pipeline, load_run_config
from .logs import log_size, step_log_paths, stream_log
from .output import (
    first_line,
    format_duration,
    format_time,
    indent,
    table,
    traceback_text,
)
from .pipeline_commands import open_instance
from .progress import run_with_progress
from .steps import find_run, planned_step_keys, step_summaries, steps_to_retry

# --- runs list -----------------------------------------------------------------------------------


def list_runs(args: argparse.Namespace) -> int:
    """A table of the runs, newest first."""
    filters = RunsFilter(
        pipeline_name=args.pipeline, statuses=[args.status] if args.status else None
    )
    with open_instance() as instance:
        records = instance.get_run_records(filters, limit=args.limit)
        if not records:
            print(f"No runs{_filtered(args)} in the instance at {instance.root_directory}.")
            return 0
        rows = [_list_row(instance, record) for record in records]
    print(
        table(["RUN ID", "PIPELINE", "STATUS", "STARTED", "DURATION", "STEPS OK", "FAILED"], rows)
    )
    return 0


def _filtered(args: argparse.Namespace) -> str:
    parts = []
    if args.pipeline:
        parts.append(f'of pipeline "{args.pipeline}"')
    if args.status:
        parts.append(f"with status {args.status}")
    return (" " + " ".join(parts)) if parts else ""


def _list_row(instance: DagsterInstance, record: RunRecord) -> list[str]:
    run = record.pipeline_run
    ok = len(instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_SUCCESS))
    failed = len(instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_FAILURE))
    return [
        run.run_id,
        run.pipeline_name,
        run.status.value,
        format_time(record.start_time or record.create_timestamp),
        format_duration(record.duration),
        str(ok),
        str(failed),
    ]


# --- runs show -----------------------------------------------------------------------------------


def show_run(args: argparse.Namespace) -> int:
    """The run, its config, its events in order, its steps, and its failures with tracebacks."""
    with open_instance() as instance:
        run = find_run(instance, args.run_id)
        record = instance.get_run_record_by_id(run.run_id)
        records = instance.all_logs(run.run_id)
    sections = [
        _header(run, record),
        "Config:\n" + indent(_yaml(run.run_config)),
        "Events:\n" + indent(_events_table(records) if records else "(none)"),
        "Steps:\n" + indent(_steps_table(run, records)),
    ]
    sections += _failures(records)
    print("\n\n".join(sections))
    return 0


def _header(run: PipelineRun, record: RunRecord | None) -> str:
    fields = [
        ("Run", run.run_id),
        ("Pipeline", run.pipeline_name),
        ("Status", run.status.value),
        ("Mode", run.mode or "default"),
    ]
    if run.solid_selection:
        fields.append(("Solids", ", ".join(run.solid_selection)))
    if run.step_keys_to_execute:
        fields.append(("Steps", ", ".join(run.step_keys_to_execute)))
    if run.parent_run_id:
        fields.append(("Parent run", run.parent_run_id))
    if run.root_run_id and run.root_run_id != run.parent_run_id:
        fields.append(("Root run", run.root_run_id))
    if record is not None:
        fields.append(("Created", format_time(record.create_timestamp)))
        fields.append(("Started", format_time(record.start_time)))
        fields.append(("Ended", format_time(record.end_time)))
        fields.append(("Duration", format_duration(record.duration)))
    for key in sorted(run.tags):
        fields.append((f"Tag {key}", run.tags[key]))
    width = max(len(name) for name, _ in fields)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in fields)


def _yaml(value: Any) -> str:
    if not value:
        return "{}  (empty)"
    try:
        return yaml.safe_dump(value, sort_keys=False, default_flow_style=False).rstrip()
    except yaml.YAMLError:
        return repr(value)


def _events_table(records: list[EventRecord]) -> str:
    rows = []
    for record in records:
        event = record.dagster_event
        kind = event.event_type_value if event is not None else _level_name(record.level)
        rows.append(
            [
                format_time(record.timestamp, with_date=False),
                kind,
                record.step_key or "-",
                first_line(record.user_message),
            ]
        )
    return table(["TIME", "EVENT", "STEP", "MESSAGE"], rows)


def _level_name(level: int) -> str:
    import logging

    return f"LOG {logging.getLevelName(level)}"


def _steps_table(run: PipelineRun, records: list[EventRecord]) -> str:
    steps = step_summaries(run, records)
    if not steps:
        return "(none)"
    rows = [
        [
            s.key,
            s.status,
            format_time(s.start, with_date=False),
            format_duration(s.duration),
            str(s.attempts) if s.attempts > 1 else "",
        ]
        for s in steps
    ]
    return table(["STEP", "STATUS", "STARTED", "DURATION", "ATTEMPTS"], rows)


def _failures(records: list[EventRecord]) -> list[str]:
    sections = []
    for record in records:
        event = record.dagster_event
        if event is None:
            continue
        kind = event.event_type_value
        error = None
        if kind == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            title = f"Failure of step {event.step_key}:"
        elif kind in (DagsterEventType.PIPELINE_INIT_FAILURE, DagsterEventType.PIPELINE_FAILURE):
            error = event.pipeline_failure_data.error
            title = (
                "The run failed to start:"
                if kind == DagsterEventType.PIPELINE_INIT_FAILURE
                else "Run failure:"
            )
        elif kind == DagsterEventType.HOOK_ERRORED:
            error = event.hook_errored_data.error
            title = f"Hook error in step {event.step_key} (the run went on):"
        if error is not None:
            sections.append(f"{title}\n{indent(traceback_text(error))}")
    return sections


# --- runs logs -----------------------------------------------------------------------------------


def show_logs(args: argparse.Namespace) -> int:
    """The captured stdout and stderr of one step of a run."""
    with open_instance() as instance:
        run = find_run(instance, args.run_id)
        records = instance.all_logs(run.run_id)
        _check_step_ran(run, records, args.step_key)
        out, err = step_log_paths(instance, run.run_id, args.step_key)
    if args.stdout:
        stream_log(out, sys.stdout)
    elif args.stderr:
        stream_log(err, sys.stdout)
    elif not log_size(out) and not log_size(err):
        print(f"(step {args.step_key} of run {run.run_id} wrote nothing to stdout or stderr)")
    else:
        for name, path in (("stdout", out), ("stderr", err)):
            if log_size(path):
                print(f"--- {name} of {args.step_key} ---")
                sys.stdout.flush()
                if stream_log(path, sys.stdout) != "\n":
                    sys.stdout.write("\n")
    return 0


def _check_step_ran(run: PipelineRun, records: list[EventRecord], step_key: str) -> None:
    steps = {s.key: s for s in step_summaries(run, records)}
    known = list(dict.fromkeys([*planned_step_keys(run), *steps]))
    if step_key not in known:
        raise DagsterInvariantViolationError(
            f'Run {run.run_id} has no step "{step_key}"; its steps: {", ".join(known) or "none"}.'
        )
    step = steps.get(step_key)
    if step is None or step.start is None:
        why = "was not selected" if step is None else f"did not start ({step.status})"
        raise DagsterInvariantViolationError(
            f'Step "{step_key}" {why} in run {run.run_id}, so it has no captured output.'
        )


# --- runs reexecute ------------------------------------------------------------------------------


def reexecute(args: argparse.Namespace) -> int:
    """Re-execute a run (all of it, a step selection, or what did not succeed) with its code."""
    with open_instance() as instance:
        parent = find_run(instance, args.run_id)
        file = args.file or parent.tags.get(FILE_TAG)
        attribute = args.attribute or parent.tags.get(ATTRIBUTE_TAG)
        if not file or not attribute:
            raise DagsterInvariantViolationError(
                f"Run {parent.run_id} does not record where its pipeline's code is (it was not "
                "started by `notebook-pipelines pipeline execute`): give it with -f FILE -a NAME."
            )
        loaded = load_pipeline(file, attribute)
        if loaded.definition.name != parent.pipeline_name:
            raise DagsterInvariantViolationError(
                f'Run {parent.run_id} is of pipeline "{parent.pipeline_name}", but {file} '
                f'-a {attribute} is pipeline "{loaded.definition.name}".'
            )
        step_selection = args.step_selection
        if args.from_failure:
            step_selection = steps_to_retry(parent, instance.all_logs(parent.run_id))
            if not step_selection:
                raise DagsterInvariantViolationError(
                    f"Run {parent.run_id} has no failed or skipped steps: there is nothing to "
                    "re-execute from failure (re-execute it all without --from-failure)."
                )
        run_config = load_run_config(args.config)
        tags = {k: v for k, v in parent.tags.items() if not k.startswith("dagster/")}
        tags.update(loaded.code_tags)
        return run_with_progress(
            instance,
            lambda: reexecute_pipeline_iterator(
                loaded.reconstructable,
                parent.run_id,
                run_config=parent.run_config if run_config is None else run_config,
                step_selection=step_selection,
                mode=parent.mode,
                tags=tags,
                instance=instance,
            ),
        )


# --- runs delete ---------------------------------------------------------------------------------


def delete_runs(args: argparse.Namespace) -> int:
    """Delete runs: their records, their events and their files under the instance."""
    with open_instance() as instance:
        runs = [find_run(instance, run_id) for run_id in args.run_ids]  # all exist, or nothing goes
        for run in runs:
            if run.status == PipelineRunStatus.STARTED and not args.force:
                raise DagsterInvariantViolationError(
                    f"Run {run.run_id} is still running (status STARTED); wait for it to finish "
                    "before deleting it, or pass --force if its process is gone."
                )
        for run in runs:
            directory = instance.run_directory(run.run_id)
            instance.delete_run(run.run_id)
            if os.path.isdir(directory):
                shutil.rmtree(directory)
            print(f'Deleted run {run.run_id} (pipeline "{run.pipeline_name}") and its files.')
    return 0
