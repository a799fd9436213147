"""Runs whose intermediates and compute logs live in an object store (moto's S3 server on
loopback): the instance's ``instance.yaml`` names the store, or run config does
(``intermediate_storage: {object_store: {config: {url: ...}}}``); in process and in worker
processes; re-execution from a failure copies the parent's outputs inside the bucket;
``runs logs`` reads a step's logs from the store; an unreachable store or a missing bucket fails
the step naming the URL."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import yaml

from notebook_pipelines import (
    DagsterEventType,
    DagsterInstance,
    execute_pipeline,
    reconstructable,
    reexecute_pipeline,
)
from notebook_pipelines.cli.app import main as cli_main
from tests.s3_server import bucket_keys, s3_bucket, s3_endpoint, s3_env, storage_options
from tests.storage.object_store_pipelines import chain

__all__ = ["s3_bucket", "s3_endpoint", "s3_env"]  # fixtures

pytestmark = pytest.mark.slow

STEPS = ["start.compute", "double.compute", "flaky.compute", "end.compute"]


@pytest.fixture
def test_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "markers"
    folder.mkdir()
    monkeypatch.setenv("NP_TEST_DIR", str(folder))
    return folder


@pytest.fixture
def instance(
    tmp_path: Path, s3_endpoint: str, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DagsterInstance]:
    home = tmp_path / "home"
    home.mkdir()
    options = storage_options(s3_endpoint)
    (home / "instance.yaml").write_text(
        yaml.safe_dump(
            {
                "intermediates": {"url": f"s3://{s3_bucket}/values", "storage_options": options},
                "compute_logs": {"url": f"s3://{s3_bucket}/logs", "storage_options": options},
            }
        )
    )
    monkeypatch.setenv("NOTEBOOK_PIPELINES_HOME", str(home))
    instance = DagsterInstance.get()
    yield instance
    instance.dispose()


def _addresses(result: Any, op: str) -> list[str]:
    return [
        e.event_specific_data.address
        for e in result.event_list
        if e.event_type == DagsterEventType.OBJECT_STORE_OPERATION
        and e.event_specific_data.op.value == op
    ]


def _config(multiprocess: bool) -> dict[str, Any]:
    execution = {"multiprocess": {"config": {"max_concurrent": 2}}} if multiprocess else {}
    return {
        "intermediate_storage": {"filesystem": {}},
        **({"execution": execution} if execution else {}),
    }


@pytest.mark.parametrize("multiprocess", [False, True], ids=["in_process", "multiprocess"])
def test_values_live_in_the_bucket_and_reexecution_copies_inside_it(
    instance: DagsterInstance,
    s3_endpoint: str,
    s3_bucket: str,
    test_dir: Path,
    multiprocess: bool,
) -> None:
    (test_dir / "fail").write_text("")
    pipe = reconstructable(chain) if multiprocess else chain
    parent = execute_pipeline(pipe, _config(multiprocess), instance=instance, raise_on_error=False)
    assert not parent.success
    assert parent.result_for_solid("flaky").failure_data is not None
    run_id = parent.run_id
    stored = _addresses(parent, "SET_OBJECT")
    assert stored == [
        f"s3://{s3_bucket}/values/{run_id}/intermediates/{step}/result" for step in STEPS[:2]
    ]
    keys = bucket_keys(s3_endpoint, s3_bucket, f"values/{run_id}/")
    assert keys == [f"values/{run_id}/intermediates/{step}/result" for step in sorted(STEPS[:2])]

    (test_dir / "fail").unlink()
    child = reexecute_pipeline(
        pipe,
        run_id,
        run_config=_config(multiprocess),
        instance=instance,
        step_selection=["flaky.compute*"],
    )
    assert child.success
    assert child.result_for_solid("end").output_value() == 30
    copied = _addresses(child, "CP_OBJECT")
    assert copied == [f"s3://{s3_bucket}/values/{child.run_id}/intermediates/double.compute/result"]
    child_keys = bucket_keys(s3_endpoint, s3_bucket, f"values/{child.run_id}/")
    assert child_keys == [
        f"values/{child.run_id}/intermediates/{step}/result"
        for step in ("double.compute", "end.compute", "flaky.compute")
    ]

    # compute logs were uploaded when each step ended; runs logs reads them from the bucket
    log_keys = bucket_keys(s3_endpoint, s3_bucket, f"logs/{run_id}/")
    assert f"logs/{run_id}/compute_logs/start.compute.out" in log_keys
    assert f"logs/{run_id}/compute_logs/double.compute.out" in log_keys
    shutil.rmtree(instance.compute_logs_directory(run_id))  # as on a machine that did not run it
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli_main(["runs", "logs", run_id, "double.compute", "--stdout"]) == 0
    assert "double got 1" in out.getvalue()
    assert instance.compute_log_manager.read_logs(run_id, "start.compute")[0] == (
        "start says hello\n"
    )


def test_object_store_storage_in_run_config(
    s3_endpoint: str, s3_bucket: str, s3_env: None, test_dir: Path
) -> None:
    instance = DagsterInstance.local_temp()
    url = f"s3://{s3_bucket}/explicit"
    config = {
        "intermediate_storage": {
            "object_store": {
                "config": {"url": url, "storage_options": storage_options(s3_endpoint)}
            }
        }
    }
    result = execute_pipeline(chain, config, instance=instance)
    assert result.success
    assert result.result_for_solid("end").output_value() == 30
    assert _addresses(result, "SET_OBJECT")[0] == (
        f"{url}/{result.run_id}/intermediates/start.compute/result"
    )
    stored_config = instance.get_run_by_id(result.run_id).run_config  # type: ignore[union-attr]
    assert "testing-secret" not in repr(stored_config)  # secrets stay in the environment
    instance.dispose()


def _failure(result: Any, solid: str) -> str:
    data = result.result_for_solid(solid).failure_data
    assert data is not None
    return str(data.error.message)


@pytest.mark.parametrize("multiprocess", [False, True], ids=["in_process", "multiprocess"])
@pytest.mark.parametrize("fault", ["unreachable", "no_bucket"])
def test_a_store_that_cannot_be_used_fails_the_step_naming_the_url(
    s3_endpoint: str, s3_env: None, test_dir: Path, fault: str, multiprocess: bool
) -> None:
    from tests.storage.test_fsspec_store import _free_port

    endpoint = f"http://127.0.0.1:{_free_port()}" if fault == "unreachable" else s3_endpoint
    url = "s3://no-such-bucket/prefix"
    instance = DagsterInstance.local_temp()
    config: dict[str, Any] = {
        "intermediate_storage": {
            "object_store": {"config": {"url": url, "storage_options": storage_options(endpoint)}}
        }
    }
    if multiprocess:
        config["execution"] = {"multiprocess": {}}
    pipe = reconstructable(chain) if multiprocess else chain
    result = execute_pipeline(pipe, config, instance=instance, raise_on_error=False)
    assert not result.success
    message = _failure(result, "start")
    assert f"{url}/{result.run_id}/intermediates/start.compute/result" in message
    assert ("reachable" if fault == "unreachable" else "bucket") in message
    assert result.result_for_solid("double").skipped
    instance.dispose()
