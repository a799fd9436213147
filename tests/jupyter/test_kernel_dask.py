"""A real notebook in a real kernel (nbclient): a ``%%solid``-built pipeline that names no mode runs
on a one-worker local Dask cluster with no other ceremony (the default mode offers ``dask``), and
the run widget's re-execute (what its buttons call) runs the selected step on Dask again, from the
run config the run stored."""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytest.importorskip("distributed", reason="the dask extra is not installed")

pytestmark = [pytest.mark.slow, pytest.mark.kernel, pytest.mark.dask]

CELLS = [
    "%load_ext notebook_pipelines",
    "%%solid load --outputs raw\nraw = [3, 1, 2]",
    "%%solid\ndef total(context, raw: list) -> int:\n    return sum(sorted(raw)) * 10",
    "from notebook_pipelines import pipeline, execute_pipeline\n"
    "@pipeline\n"
    "def dask_pipe():\n    total(load())",
    "run_config = {'execution': {'dask': {'config': {'cluster': {'local': {'n_workers': 1}}}}}}\n"
    "result = execute_pipeline(dask_pipe, run_config=run_config)\n"
    "print('DASK', result.success, result.result_for_solid('total').output_value())",
    "from notebook_pipelines import DagsterInstance, RunWidget\n"
    "again = RunWidget(result.run_id).reexecute('selected', steps=['total.compute'])\n"
    "engine = [e.message for e in again.event_list if e.event_type_value == 'ENGINE_EVENT']\n"
    "print('AGAIN', again.success, again.result_for_solid('total').output_value(),\n"
    "      DagsterInstance.get().get_run_by_id(again.run_id).parent_run_id == result.run_id,\n"
    "      any('Dask cluster' in m for m in engine))",
]


def test_notebook_pipeline_runs_under_dask(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    env = {
        **os.environ,
        "NOTEBOOK_PIPELINES_HOME": str(tmp_path),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    client = NotebookClient(
        nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.km = client.km or client.create_kernel_manager()
    started = time.monotonic()
    client.execute(env=env)
    elapsed = time.monotonic() - started
    text = "".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", []))
    assert "DASK True 60" in text, text
    assert "AGAIN True 60 True True" in text, text
    assert list((tmp_path / "cell_modules").glob("__np_pipeline_*.py"))
    assert elapsed < 60, f"the notebook took {elapsed:.1f}s"
