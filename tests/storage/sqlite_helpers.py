"""Helpers for the SQLite storage tests: child Python processes and sample records."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from notebook_pipelines.events import DagsterEvent, EventRecord, StepSuccessData

REPO = Path(__file__).resolve().parents[2]


def python_env() -> dict[str, str]:
    """The environment of a child interpreter that imports this checkout."""
    return {**os.environ, "PYTHONPATH": str(REPO)}


def run_python(script: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``script`` (dedented) in a fresh interpreter with warnings as errors."""
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(script), *args],
        check=check,
        capture_output=True,
        text=True,
        env=python_env(),
        timeout=120,
    )


def start_python(script: str, *args: str) -> subprocess.Popen[str]:
    """Start ``script`` in a fresh interpreter (stdout and stderr piped)."""
    return subprocess.Popen(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=python_env(),
    )


def step_record(run_id: str, event_type: str, step_key: str = "a.compute") -> EventRecord:
    """A record of a step event (``STEP_SUCCESS`` with its data)."""
    data = StepSuccessData(1.0) if event_type == "STEP_SUCCESS" else None
    event = DagsterEvent(
        event_type,
        "pipe",
        step_key=step_key,
        solid_handle=step_key.split(".")[0],
        step_kind_value="COMPUTE",
        logging_tags={"step_key": step_key},
        event_specific_data=data,
        message=f"{event_type} {step_key}",
        pid=os.getpid(),
    )
    return EventRecord(run_id, 1000.0, 10, event.message or "", "pipe", step_key, event)


def log_record(run_id: str, message: str, level: int = 20) -> EventRecord:
    """A ``context.log`` record."""
    return EventRecord(run_id, 1000.0, level, message, "pipe", "a.compute")
