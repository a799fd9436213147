"""The in-process executor passes the executor conformance suite: chosen by default and by name,
with in-memory and filesystem intermediates, and with pipelines given as reconstructable ones."""

from __future__ import annotations

from typing import Any

import pytest

from notebook_pipelines.testing.executor_suite import ExecutorSuite

from .suite_faults import RealFaults


class TestInProcessExecutor(RealFaults, ExecutorSuite):
    @pytest.fixture(
        params=[
            {},
            {"execution": {"in_process": {}}},
            {"execution": {"in_process": {"config": {"retries": {"enabled": {}}}}}},
        ],
        ids=["default", "named", "named-with-config"],
    )
    def run_config_for_executor(self, request: Any) -> dict[str, Any]:
        return dict(request.param)


class TestInProcessExecutorReconstructable(RealFaults, ExecutorSuite):
    reconstructable_pipelines = True

    @pytest.fixture(
        params=[{"execution": {"in_process": {}}, "intermediate_storage": {"filesystem": {}}}],
        ids=["filesystem"],
    )
    def run_config_for_executor(self, request: Any) -> dict[str, Any]:
        return dict(request.param)
