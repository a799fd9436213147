"""A real notebook in a real kernel (nbclient): two ``%%solid`` cells and a ``@pipeline`` run
in process and under the multiprocess executor with no other ceremony."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = [pytest.mark.slow, pytest.mark.kernel]

CELLS = [
    "%load_ext notebook_pipelines",
    "%%solid load --outputs raw\nraw = [3, 1, 2]",
    "%%solid\ndef total(context, raw: list) -> int:\n    return sum(sorted(raw)) * 10",
    "from notebook_pipelines import pipeline, execute_pipeline\n"
    "@pipeline\ndef nb_pipe():\n    total(load())",
    "inproc = execute_pipeline(nb_pipe)\n"
    "print('INPROC', inproc.success, inproc.result_for_solid('total').output_value())",
    "multi = execute_pipeline(nb_pipe, run_config={'execution': {'multiprocess': {}}})\n"
    "print('MULTI', multi.success, multi.result_for_solid('total').output_value())",
]


def test_notebook_pipeline_runs_in_process_and_multiprocess(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    env = {
        **os.environ,
        "NOTEBOOK_PIPELINES_HOME": str(tmp_path),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.km = client.km or client.create_kernel_manager()
    client.execute(env=env)
    text = "".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", []))
    assert "INPROC True 60" in text, text
    assert "MULTI True 60" in text, text
    assert list((tmp_path / "cell_modules").glob("__np_pipeline_*.py"))
