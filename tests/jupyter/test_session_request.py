"""In a notebook session (a real IPython InteractiveShell with the extension loaded), a run with no
instance goes to the home instance with its outputs on disk — and its run config is still
validated once: the user's config functions run once per run, for the run and its
re-execution (:mod:`notebook_pipelines.execution.request`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from notebook_pipelines import execute_pipeline, reexecute_pipeline
from tests.execution.counting_pipelines import RUN_CONFIG, counting_pipeline
from tests.execution.test_request import ONCE, calls


def test_a_session_run_and_its_reexecution_run_each_config_function_once(
    shell: InteractiveShell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "config.log"
    log.write_text("")
    monkeypatch.setenv("NP_TEST_CONFIG_LOG", str(log))
    result = execute_pipeline(counting_pipeline, run_config=RUN_CONFIG)
    assert result.success
    messages = [e.message or "" for e in result.event_list if e.event_type_value == "ENGINE_EVENT"]
    assert any("stored on disk under the instance" in m for m in messages)
    assert calls(log) == ONCE
    again = reexecute_pipeline(
        counting_pipeline, result.run_id, run_config=RUN_CONFIG, step_selection=["total.compute"]
    )
    assert again.success and again.result_for_solid("total").output_value() == 6
    assert calls(log) == ONCE
