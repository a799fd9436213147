"""The warm-kernel pool: a kernel is reused, and reset between notebooks (namespace, execution
count, user modules); a failing notebook's kernel is reset too."""

from __future__ import annotations

import pytest

from notebook_pipelines import (
    DagsterInstance,
    OutputDefinition,
    define_notebook_solid,
    execute_pipeline,
    pipeline,
)
from notebook_pipelines.notebooks import WARM_KERNELS_TAG, kernel_pool

from .conftest import DATA, QUIET

pytestmark = [pytest.mark.slow, pytest.mark.kernel]

state = define_notebook_solid(
    "state",
    DATA / "state.ipynb",
    output_defs=[OutputDefinition(name="state")],
    config_schema={"tag": str},
    config_as_parameters=True,
    warm_kernel=True,
)
fresh_state = define_notebook_solid(
    "state",
    DATA / "state.ipynb",
    output_defs=[OutputDefinition(name="state")],
    config_schema={"tag": str},
    config_as_parameters=True,
)


@pipeline
def warm() -> None:
    state()


@pipeline
def by_tag() -> None:
    fresh_state()


def _run(instance: DagsterInstance, definition: object, tag: str, **kwargs: object) -> dict:
    result = execute_pipeline(
        definition,
        run_config={**QUIET, "solids": {"state": {"config": {"tag": tag}}}},
        instance=instance,
        **kwargs,
    )
    assert result.success
    return dict(result.result_for_solid("state").output_value("state"))


def test_the_warm_pool_reuses_kernels_and_resets_them(instance: DagsterInstance) -> None:
    pool = kernel_pool()
    started, reused = pool.started, pool.reused
    first = _run(instance, warm, "first")
    second = _run(instance, warm, "second")
    assert pool.reused >= reused + 1 and pool.started <= started + 1
    for seen in (first, second):
        assert seen["leaked"] == []  # `previous_tag` of the last notebook is gone
        assert seen["fresh_helper"] is True  # the user module was dropped and imported again
    assert second["counter"] == ["second"]  # ... so its state is fresh
    assert second["count"] == first["count"]  # the execution count starts again at 1

    # the run tag opts a whole run in, for solids that did not ask
    reused = pool.reused
    third = _run(instance, by_tag, "third", tags={WARM_KERNELS_TAG: "true"})
    assert pool.reused == reused + 1 and third["counter"] == ["third"]
