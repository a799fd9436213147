"""Runs whose process died: found when a persistent instance is opened, and marked failed.

Rule: a run is dead when its status is ``STARTED``, it recorded the ``pid`` and host of the process
executing it (from its ``PIPELINE_START`` event), that host is this one, and that process is gone:
no process has that pid, it is a zombie, or the process now holding the pid is another one (its
start time differs from the one recorded; Linux ``/proc``, see :mod:`.processes`). Such a run is
set to ``FAILURE`` and gets two events: an ``ENGINE_EVENT`` and a ``PIPELINE_FAILURE``, both
saying which process is gone.

Left alone: runs on another host (their process cannot be checked from here), runs without a
recorded pid, ``NOT_STARTED`` runs (created but not yet executed; another process may launch them
later, and they hold nothing) and finished runs. On Windows no process is checked (``os.kill``
with signal 0 would terminate it), so nothing is marked there.

The cost at open is one indexed query (``status = 'STARTED'``) plus one ``kill(pid, 0)`` per
started run of this host. When several processes open the instance at once, the status change is
a compare-and-set on (status, pid): exactly one of them marks the run and writes its events.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from ..errors import SerializableErrorInfo
from ..events import (
    DagsterEvent,
    DagsterEventType,
    EngineEventData,
    EventRecord,
    PipelineFailureData,
    event_level,
)
from ..user_events import EventMetadataEntry
from .processes import process_is_gone, this_host
from .runs import PipelineRunStatus, RunsFilter

if TYPE_CHECKING:
    from .instance import DagsterInstance


def mark_dead_runs(instance: DagsterInstance) -> list[str]:
    """Mark this host's ``STARTED`` runs whose process is gone as failed; their ids."""
    marked: list[str] = []
    host = this_host()
    for record in instance.get_run_records(RunsFilter(statuses=[PipelineRunStatus.STARTED])):
        pid = record.pid
        if pid is None or record.hostname != host:
            continue
        if not process_is_gone(pid, record.pid_start_ticks):
            continue
        run = record.pipeline_run
        now = time.time()
        if not instance.run_storage.mark_dead_run_failed(run.run_id, pid, now):
            continue  # another process marked it first, or the run moved on
        reason = (
            f"The process {pid} running this run (on host {host}) is gone: it ended without "
            "finishing the run. The run was marked as failed when the instance was opened."
        )
        tags = {"pipeline": run.pipeline_name}
        engine = DagsterEvent(
            DagsterEventType.ENGINE_EVENT.value,
            run.pipeline_name,
            logging_tags=tags,
            event_specific_data=EngineEventData(
                (
                    EventMetadataEntry.int(pid, "pid"),
                    EventMetadataEntry.text(host, "hostname"),
                )
            ),
            message=reason,
            pid=os.getpid(),
        )
        failure = DagsterEvent(
            DagsterEventType.PIPELINE_FAILURE.value,
            run.pipeline_name,
            logging_tags=tags,
            event_specific_data=PipelineFailureData(SerializableErrorInfo(reason + "\n", (), None)),
            message=f'Execution of pipeline "{run.pipeline_name}" failed: the process {pid} '
            "running this run is gone.",
            pid=os.getpid(),
        )
        storage = instance.event_log_storage
        for event in (engine, failure):
            storage.store_event(_record(run.run_id, event, now))
        marked.append(run.run_id)
    return marked


def _record(run_id: str, event: DagsterEvent, timestamp: float) -> EventRecord:
    return EventRecord(
        run_id,
        timestamp,
        event_level(event),
        event.message or "",
        event.pipeline_name,
        event.step_key,
        event,
    )
