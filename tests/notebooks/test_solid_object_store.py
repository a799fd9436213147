"""A notebook solid in a run whose values live in an object store (moto's S3 server on
loopback): its inputs and output travel as usual, and the executed notebook is uploaded next to
the run's values, its URI recorded in the notebook's materialization."""

from __future__ import annotations

from typing import Any

import pytest

from notebook_pipelines import DagsterInstance, ModeDefinition, execute_pipeline, pipeline
from notebook_pipelines.definitions.storage import (
    object_store_plus_default_intermediate_storage_defs,
)
from tests.s3_server import bucket_keys, s3_bucket, s3_endpoint, s3_env, storage_options

from .conftest import QUIET
from .test_solid import add, double, two

__all__ = ["s3_bucket", "s3_endpoint", "s3_env"]  # fixtures

pytestmark = [pytest.mark.slow, pytest.mark.kernel]


@pipeline(
    mode_defs=[
        ModeDefinition(
            intermediate_storage_defs=object_store_plus_default_intermediate_storage_defs
        )
    ]
)
def adding_remotely() -> None:
    double(add(a=two(), b=two()))


def test_the_executed_notebook_is_uploaded_with_the_values(
    instance: DagsterInstance, s3_endpoint: str, s3_bucket: str
) -> None:
    url = f"s3://{s3_bucket}/runs"
    storage = {"url": url, "storage_options": storage_options(s3_endpoint)}
    config: dict[str, Any] = {
        **QUIET,
        "solids": {"add": {"config": {"scale": 10}}},
        "intermediate_storage": {"object_store": {"config": storage}},
    }
    result = execute_pipeline(adding_remotely, run_config=config, instance=instance)
    assert result.success
    assert result.result_for_solid("double").output_value() == 80
    run_id = result.run_id
    assert f"runs/{run_id}/notebooks/add.compute.ipynb" in bucket_keys(s3_endpoint, s3_bucket)
    entries = [
        entry
        for m in result.result_for_solid("add").materializations_during_compute
        for entry in m.metadata_entries
        if entry.label == "stored notebook"
    ]
    assert [e.entry_data.url for e in entries] == [f"{url}/{run_id}/notebooks/add.compute.ipynb"]
