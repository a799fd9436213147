"""Notebook solids through real kernels and real papermill: passing and failing notebooks, inputs
and outputs of several types, events and logs reported back, the executed notebook kept, and the
clear errors (missing notebook, missing kernel, missing or unstorable output, stray breakpoints)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from notebook_pipelines import (
    DagsterInstance,
    DagsterNotebookError,
    DagsterNotebookExecutionError,
    DagsterStepOutputNotFoundError,
    Dict,
    InputDefinition,
    Int,
    OutputDefinition,
    define_notebook_solid,
    execute_pipeline,
    lambda_solid,
    pipeline,
    solid,
)
from notebook_pipelines.notebooks.protocol import INPUT_MARKER, executed_notebook_path

from .conftest import DATA, QUIET

pytestmark = [pytest.mark.slow, pytest.mark.kernel]

add = define_notebook_solid(
    "add",
    DATA / "add.ipynb",
    input_defs=[InputDefinition("a", Int), InputDefinition("b", Int)],
    output_defs=[OutputDefinition(Int, "sum")],
    config_schema={"scale": int},
)


@lambda_solid
def two() -> int:
    return 2


@solid
def double(_context: Any, value: int) -> int:
    return value * 2


@pipeline
def adding() -> None:
    double(add(a=two(), b=two()))


def _injected_source(path: str) -> str:
    cells = json.loads(Path(path).read_text())["cells"]
    (cell,) = [c for c in cells if "injected-parameters" in c["metadata"].get("tags", [])]
    return "".join(cell["source"])


def _events(instance: DagsterInstance, run_id: str, step_key: str) -> list[Any]:
    return [r for r in instance.all_logs(run_id) if r.step_key == step_key]


def test_a_passing_notebook_solid(instance: DagsterInstance) -> None:
    result = execute_pipeline(
        adding,
        run_config={**QUIET, "solids": {"add": {"config": {"scale": 10}}}},
        instance=instance,
    )
    assert result.success
    assert result.result_for_solid("add").output_value("sum") == 40
    assert result.result_for_solid("double").output_value() == 80
    records = _events(instance, result.run_id, "add.compute")
    kinds = [r.dagster_event.event_type_value for r in records if r.dagster_event]
    assert "STEP_EXPECTATION_RESULT" in kinds
    assert kinds.count("STEP_MATERIALIZATION") == 2  # the notebook's, and the executed notebook
    assert kinds.count("STEP_OUTPUT") == 1  # written once
    logs = [r.user_message for r in records if r.dagster_event is None]
    assert "adding 2 and 2" in logs  # context.log inside the notebook: the step's records
    path = executed_notebook_path(instance.storage_directory(), result.run_id, "add.compute")
    assert os.path.isfile(path)
    materialized = result.result_for_solid("add").materializations_during_compute
    assert any(
        entry.label == "executed notebook" and entry.entry_data.path == path
        for m in materialized
        for entry in m.metadata_entries
    )
    assert _injected_source(path).startswith("# Parameters\na = 2\nb = 2\n")
    assert not os.path.exists(path.replace(".ipynb", ".io"))  # the exchange folder is gone


failing = define_notebook_solid(
    "failing",
    DATA / "fail.ipynb",
    input_defs=[InputDefinition("x")],
    output_defs=[OutputDefinition(Int)],
)


@pipeline
def fails() -> None:
    double(failing(two()))


def test_a_failing_cell_is_a_step_failure_naming_the_cell(instance: DagsterInstance) -> None:
    result = execute_pipeline(fails, run_config=QUIET, instance=instance, raise_on_error=False)
    assert not result.success
    step = result.result_for_solid("failing")
    message = step.compute_step_failure_event.message
    assert "In [6] (cell index 3)" in message, message
    assert "ZeroDivisionError: division by zero" in message
    assert "explode" in message  # the notebook's traceback is carried
    assert result.result_for_solid("double").skipped
    path = executed_notebook_path(instance.storage_directory(), result.run_id, "failing.compute")
    assert os.path.isfile(path)  # kept also when the notebook fails
    (materialization,) = step.materializations_during_compute
    entries = {e.label: e.entry_data for e in materialization.metadata_entries}
    assert entries["failed cell"].text == "In [6] (cell index 3)"
    assert entries["executed notebook"].path == path
    logs = [r.user_message for r in _events(instance, result.run_id, "failing.compute")]
    assert "about to fail" in logs  # what the notebook logged before failing is kept

    with pytest.raises(DagsterNotebookExecutionError) as raised:
        execute_pipeline(fails, run_config=QUIET, instance=instance)
    assert raised.value.cell_index == 3 and raised.value.ename == "ZeroDivisionError"


typed = define_notebook_solid(
    "typed",
    DATA / "types.ipynb",
    input_defs=[
        InputDefinition("number", Int),
        InputDefinition("mapping", Dict),
        InputDefinition("obj"),
    ],
    output_defs=[
        OutputDefinition(Int, "number"),
        OutputDefinition(Dict, "mapping"),
        OutputDefinition(name="obj"),
    ],
)


@pytest.mark.parametrize("storage", ["in_memory", "filesystem"])
def test_inputs_and_outputs_of_several_types(instance: DagsterInstance, storage: str) -> None:
    import helpers

    @solid
    def make_box(_context: Any) -> Any:
        return helpers.Box(41)

    @pipeline
    def typed_pipeline() -> None:
        typed(number=two(), mapping=_mapping(), obj=make_box())

    result = execute_pipeline(
        typed_pipeline,
        run_config={**QUIET, "intermediate_storage": {storage: {}}},
        instance=instance,
    )
    assert result.success
    out = result.result_for_solid("typed")
    assert out.output_value("number") == 4
    assert out.output_value("mapping") == {"k": [1, 2], "seen": True}
    assert out.output_value("obj") == helpers.Box(42)
    path = executed_notebook_path(instance.storage_directory(), result.run_id, "typed.compute")
    injected = _injected_source(path)
    assert "Box(" not in injected and INPUT_MARKER in injected  # by handle, never by source
    if storage == "filesystem":  # read straight from the run's intermediate storage
        assert f"{result.run_id}/intermediates/make_box.compute/result" in injected


@lambda_solid
def _mapping() -> dict:
    return {"k": [1, 2]}


def test_a_dataframe_travels_both_ways(instance: DagsterInstance) -> None:
    pd = pytest.importorskip("pandas")
    frames = define_notebook_solid(
        "frames",
        DATA / "frame.ipynb",
        input_defs=[InputDefinition("frame")],
        output_defs=[OutputDefinition(name="frame")],
    )

    @solid
    def make_frame(_context: Any) -> Any:
        return pd.DataFrame({"x": [1, 2, 3]})

    @pipeline
    def frame_pipeline() -> None:
        frames(frame=make_frame())

    result = execute_pipeline(frame_pipeline, run_config=QUIET, instance=instance)
    assert list(result.result_for_solid("frames").output_value("frame")["double"]) == [2, 4, 6]


@pytest.mark.parametrize("how", ["pdb", "breakpoint", "input"])
def test_a_stray_breakpoint_fails_fast(instance: DagsterInstance, how: str) -> None:
    stray = define_notebook_solid(
        "stray", DATA / "stdin.ipynb", config_schema={"how": str}, config_as_parameters=True
    )

    @pipeline
    def stray_pipeline() -> None:
        stray()

    start = time.monotonic()
    with pytest.raises(DagsterNotebookExecutionError) as raised:
        execute_pipeline(
            stray_pipeline,
            run_config={**QUIET, "solids": {"stray": {"config": {"how": how}}}},
            instance=instance,
        )
    assert time.monotonic() - start < 30  # no hang
    assert raised.value.ename == "StdinNotImplementedError"
    assert "input requests. A notebook solid has no stdin" in str(raised.value)
    assert raised.value.cell_index == 1


def test_clear_errors_name_the_notebook_and_what_is_wrong(
    instance: DagsterInstance, tmp_path: Path
) -> None:
    def run(definition: Any) -> Any:
        @pipeline(name=f"p_{definition.name}")
        def one() -> None:
            definition()

        return execute_pipeline(one, run_config=QUIET, instance=instance)

    missing = tmp_path / "nowhere.ipynb"
    with pytest.raises(DagsterNotebookError, match=r"nowhere\.ipynb does not exist"):
        run(define_notebook_solid("missing", missing))

    with pytest.raises(DagsterNotebookError, match='no Jupyter kernel named "no-such-kernel"'):
        run(define_notebook_solid("nokernel", DATA / "silent.ipynb", kernel_name="no-such-kernel"))

    with pytest.raises(DagsterStepOutputNotFoundError) as raised:
        run(
            define_notebook_solid("silent", DATA / "silent.ipynb", output_defs=[OutputDefinition()])
        )
    assert "silent.ipynb" in str(raised.value) and 'required output "result"' in str(raised.value)

    with pytest.raises(DagsterNotebookExecutionError) as failed:
        run(
            define_notebook_solid(
                "unstorable", DATA / "unstorable.ipynb", output_defs=[OutputDefinition()]
            )
        )
    assert 'Output "result" of notebook' in str(failed.value)
    assert "unstorable.ipynb" in str(failed.value) and "cannot be stored" in str(failed.value)
