"""Reading a step's captured stdout and stderr (``runs logs``) from the instance's compute logs."""

from __future__ import annotations

from ..storage.instance import DagsterInstance


def read_step_logs(instance: DagsterInstance, run_id: str, step_key: str) -> tuple[str, str]:
    """``(stdout, stderr)`` the step ``step_key`` of run ``run_id`` wrote."""
    return instance.compute_log_manager.read_logs(run_id, step_key)
