"""Each call of the execution API is resolved once (:mod:`notebook_pipelines.execution.request`):
its run config is validated exactly once, so the user's config functions — a ``configured()``
solid, a composite config mapping, a ``configured()`` resource — run once per run in the parent
process, whatever the executor (in process, multiprocess, Dask), for re-execution and for
``execute_solid*``. Worker processes rebuild the run from its stored run config in their own
process; the counts here are the parent's."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from notebook_pipelines import (
    DagsterInstance,
    DagsterInvalidConfigError,
    execute_pipeline,
    execute_pipeline_iterator,
    execute_solid,
    execute_solid_within_pipeline,
    reexecute_pipeline,
    reexecute_pipeline_iterator,
)

from .counting_pipelines import COUNTED, RUN_CONFIG, counted, counting_pipeline


@pytest.fixture
def config_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "config.log"
    log.write_text("")
    monkeypatch.setenv("NP_TEST_CONFIG_LOG", str(log))
    return log


def calls(log: Path) -> Counter[str]:
    """How often each config function ran in this process since the last call."""
    return calls_by_process(log)[0]


def calls_by_process(log: Path) -> tuple[Counter[str], Counter[str]]:
    """How often each config function ran in this process, and in the others (then forget)."""
    pid = str(os.getpid())
    here: Counter[str] = Counter()
    elsewhere: Counter[str] = Counter()
    for line in log.read_text().splitlines():
        line_pid, what = line.split()
        (here if line_pid == pid else elsewhere)[what] += 1
    log.write_text("")
    return here, elsewhere


ONCE = Counter(dict.fromkeys(COUNTED, 1))


def test_in_process_runs_each_config_function_once(config_log: Path) -> None:
    result = execute_pipeline(counting_pipeline, run_config=RUN_CONFIG)
    assert result.success and result.result_for_solid("total").output_value() == 6
    assert calls(config_log) == ONCE
    events = list(execute_pipeline_iterator(counting_pipeline, run_config=RUN_CONFIG))
    assert any(e.event_type_value == "PIPELINE_SUCCESS" for e in events)
    assert calls(config_log) == ONCE


@pytest.mark.slow
def test_multiprocess_runs_each_config_function_once_in_the_parent(
    config_log: Path, tmp_path: Path
) -> None:
    instance = DagsterInstance.local_temp(str(tmp_path / "instance"))
    run_config = {**RUN_CONFIG, "execution": {"multiprocess": {}}}
    result = execute_pipeline(counting_pipeline, run_config=run_config, instance=instance)
    assert result.success and result.result_for_solid("total").output_value() == 6
    # in memory intermediates were switched to filesystem ones: still one validation
    messages = [e.message for e in result.event_list if e.event_type_value == "ENGINE_EVENT"]
    assert any("uses filesystem intermediates" in (m or "") for m in messages)
    parent, workers = calls_by_process(config_log)
    assert parent == ONCE
    assert workers  # each worker rebuilt the run from its stored run config, in its own process


@pytest.mark.slow
@pytest.mark.dask
def test_dask_runs_each_config_function_once_in_the_parent(
    config_log: Path, tmp_path: Path
) -> None:
    pytest.importorskip("distributed")
    instance = DagsterInstance.local_temp(str(tmp_path / "instance"))
    cluster = {"local": {"n_workers": 1, "threads_per_worker": 1, "processes": True}}
    run_config = {**RUN_CONFIG, "execution": {"dask": {"config": {"cluster": cluster}}}}
    result = execute_pipeline(counting_pipeline, run_config=run_config, instance=instance)
    assert result.success and result.result_for_solid("total").output_value() == 6
    assert calls(config_log) == ONCE


def test_reexecution_runs_each_config_function_once(config_log: Path, tmp_path: Path) -> None:
    instance = DagsterInstance.local_temp(str(tmp_path / "instance"))
    run_config: dict[str, Any] = {**RUN_CONFIG, "intermediate_storage": {"filesystem": {}}}
    parent = execute_pipeline(counting_pipeline, run_config=run_config, instance=instance)
    assert calls(config_log) == ONCE
    again = reexecute_pipeline(
        counting_pipeline,
        parent.run_id,
        run_config=run_config,
        step_selection=["total.compute"],
        instance=instance,
    )
    assert again.success and again.result_for_solid("total").output_value() == 6
    assert calls(config_log) == ONCE
    events = list(
        reexecute_pipeline_iterator(
            counting_pipeline, parent.run_id, run_config=run_config, instance=instance
        )
    )
    assert any(e.event_type_value == "PIPELINE_SUCCESS" for e in events)
    assert calls(config_log) == ONCE


def test_execute_solid_runs_the_configured_function_once(config_log: Path) -> None:
    result = execute_solid(counted, run_config={"solids": {"counted": {"config": {"m": 4}}}})
    assert result.output_value() == 4
    assert calls(config_log) == Counter({"configured": 1})
    within = execute_solid_within_pipeline(
        counting_pipeline, "total", inputs={"a": 1, "b": 2}, run_config=RUN_CONFIG
    )
    assert within.output_value() == 6
    assert calls(config_log) == Counter({"resource": 1})


def test_a_malformed_execution_entry_is_reported_by_the_one_validation(config_log: Path) -> None:
    for execution in ({"in_process": {}, "multiprocess": {}}, {"nowhere": {}}, "in_process"):
        run_config = {**RUN_CONFIG, "execution": execution}
        with pytest.raises(DagsterInvalidConfigError, match="execution"):
            execute_pipeline(counting_pipeline, run_config=run_config)
    assert calls(config_log) == Counter()  # the run config was invalid: no config function ran
