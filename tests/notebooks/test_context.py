"""``get_context`` interactively (in this process, and in a real kernel through nbclient) and in a
run (the step's config and tags, resources built in the kernel from the pipeline's own mode), and
the notebook solid under the multiprocess executor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from notebook_pipelines import (
    AssetMaterialization,
    DagsterInstance,
    ModeDefinition,
    ResourceDefinition,
    execute_pipeline,
    reconstructable,
)
from notebook_pipelines import notebook as nbp

from .conftest import DATA, QUIET


def test_get_context_interactively_builds_the_modes_resources() -> None:
    torn_down: list[str] = []

    def greeting(init_context: Any) -> Any:
        yield f"hello {init_context.resource_config['name']}"
        torn_down.append("greeting")

    mode = ModeDefinition(resource_defs={"greeting": ResourceDefinition(greeting, {"name": str})})
    context = nbp.get_context(
        solid_config={"n": 3},
        run_config={"resources": {"greeting": {"config": {"name": "ada"}}}},
        mode_def=mode,
    )
    assert not nbp.is_in_run() and not context.in_run
    assert context.solid_config == {"n": 3}
    assert context.resources.greeting == "hello ada"
    context.log.info("interactive log line")
    assert nbp.yield_result(41, "anything") == 41  # interactively: handed back as is
    event = AssetMaterialization("x")
    assert nbp.yield_event(event) is event
    nbp.get_context()  # a new context tears the previous one's resources down
    assert torn_down == ["greeting"]


@pytest.mark.slow
@pytest.mark.kernel
def test_get_context_interactively_in_a_kernel(tmp_path: Path) -> None:
    nb = nbformat.read(DATA / "resources.ipynb", as_version=4)
    nb.cells.insert(
        1,
        nbformat.v4.new_code_cell(
            "from notebook_pipelines import ModeDefinition, ResourceDefinition\n"
            "from notebook_pipelines import notebook as nbp\n"
            "mode = ModeDefinition(resource_defs={'greeting': "
            "ResourceDefinition.hardcoded_resource('hi')})\n"
            "nbp.get_context(mode_def=mode)\n"
            "get_tag = lambda key: 'interactive'"
        ),
    )
    # the notebook's own cell calls get_context() again: the same kind of development context
    nb.cells[-1].source = (
        "context = nbp.get_context(mode_def=mode)\n"
        "print('RESULT', nbp.yield_result(context.resources.greeting + ' from ' + "
        "str(context.get_tag('step_key')), 'result'), nbp.is_in_run())"
    )
    client = NotebookClient(nb, timeout=60, kernel_name="python3")
    client.execute(cwd=str(DATA))
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "RESULT hi from None False" in text, text


@pytest.mark.slow
@pytest.mark.kernel
def test_get_context_in_a_run_has_the_steps_resources(instance: DagsterInstance) -> None:
    import resource_pipeline

    result = execute_pipeline(
        reconstructable(resource_pipeline.resource_pipeline),
        run_config={**QUIET, "resources": {"greeting": {"config": {"word": "bonjour"}}}},
        instance=instance,
    )
    assert result.success
    assert result.result_for_solid("greet").output_value() == "bonjour from greet.compute"


@pytest.mark.slow
@pytest.mark.kernel
def test_a_notebook_solid_runs_in_worker_processes(instance: DagsterInstance) -> None:
    import resource_pipeline

    result = execute_pipeline(
        reconstructable(resource_pipeline.resource_pipeline),
        run_config={
            **QUIET,
            "resources": {"greeting": {"config": {"word": "hallo"}}},
            "execution": {"multiprocess": {"config": {"max_concurrent": 1}}},
            "intermediate_storage": {"filesystem": {}},
        },
        instance=instance,
    )
    assert result.success
    assert result.result_for_solid("greet").output_value() == "hallo from greet.compute"
