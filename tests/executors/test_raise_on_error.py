"""``raise_on_error`` is the one loop's rule for every executor (issue 15): after a step fails no
new step starts — a step already running finishes — then the run raises (the user's own error in
process, :class:`DagsterSubprocessError` from other processes); the run is stored as failed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from notebook_pipelines import (
    DagsterInstance,
    DagsterSubprocessError,
    PipelineRunStatus,
    build_reconstructable_pipeline,
    execute_pipeline,
)
from notebook_pipelines.events import DagsterEventType

CONFIGS = {
    "in_process": {"execution": {"in_process": {}}},
    "multiprocess": {"execution": {"multiprocess": {"config": {"max_concurrent": 2}}}},
    "dask": {"execution": {"dask": {"config": {"cluster": {"local": {"n_workers": 2}}}}}},
}


@pytest.mark.slow
@pytest.mark.parametrize(
    "executor",
    ["in_process", "multiprocess", pytest.param("dask", marks=pytest.mark.dask)],
)
def test_no_step_starts_after_a_failure(executor: str, tmp_path: Path) -> None:
    if executor == "dask":
        pytest.importorskip("distributed")
    instance = DagsterInstance.local_temp(str(tmp_path / "instance"))
    target = build_reconstructable_pipeline(
        "tests.executors.dask_pipelines", "with_dask", ["stop_after_failure_pipeline"]
    )
    config: dict[str, Any] = {**CONFIGS[executor], "intermediate_storage": {"filesystem": {}}}
    with pytest.raises((ValueError, DagsterSubprocessError)) as info:
        execute_pipeline(target, run_config=config, instance=instance, raise_on_error=True)
    assert "fails at once" in str(info.value)
    (run,) = instance.get_runs()
    assert run.status == PipelineRunStatus.FAILURE
    started = [
        r.step_key for r in instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_START)
    ]
    assert "after_slow.compute" not in started, started
    failures = instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_FAILURE)
    assert [r.step_key for r in failures] == ["fails_at_once.compute"]
