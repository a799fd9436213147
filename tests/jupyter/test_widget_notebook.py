"""A notebook solid's executed notebook in the run widget (a real kernel runs the notebook): the
step's detail carries it rendered as HTML, with the failing cell's traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from notebook_pipelines import (
    DagsterInstance,
    InputDefinition,
    Int,
    OutputDefinition,
    define_notebook_solid,
    execute_pipeline,
    lambda_solid,
    pipeline,
)
from notebook_pipelines.jupyter.notebook_html import notebook_html
from notebook_pipelines.jupyter.widget import RunWidget

pytestmark = [pytest.mark.slow, pytest.mark.kernel]

DATA = Path(__file__).resolve().parents[1] / "notebooks" / "data"

failing = define_notebook_solid(
    "failing",
    DATA / "fail.ipynb",
    input_defs=[InputDefinition("x")],
    output_defs=[OutputDefinition(Int)],
)


@lambda_solid
def two() -> int:
    return 2


@pipeline
def fails() -> None:
    failing(two())


def test_the_executed_notebook_is_shown_with_its_failing_cell(tmp_path: Path) -> None:
    instance = DagsterInstance.local_temp(tmp_path)
    result = execute_pipeline(
        fails, {"intermediate_storage": {"filesystem": {}}}, instance=instance, raise_on_error=False
    )
    assert not result.success
    widget = RunWidget.for_run(result.run_id, instance)
    widget.selected_step = "failing.compute"
    shown = widget.step_detail["notebook"]
    assert shown["path"].endswith("failing.compute.ipynb") and Path(shown["path"]).exists()
    assert "def explode(value):" in shown["html"]
    assert "ZeroDivisionError" in shown["html"]  # the failing cell's traceback
    assert "\x1b[" not in shown["html"]  # ANSI colours removed
    assert "np-nb-injected" in shown["html"]  # the parameters papermill injected, marked
    widget.selected_step = "two.compute"
    assert widget.step_detail["notebook"] is None
    widget.close()


def test_an_unreadable_notebook_says_so(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    assert "Cannot read" in notebook_html(str(bad))
    assert "Cannot read" in notebook_html(str(tmp_path / "missing.ipynb"))
