"""A ``%%solid`` cell sees the notebook as it is when its solid runs, like a function defined in
the notebook: variables changed after the cell ran, helpers defined in later cells — in the kernel
and in worker processes. Names the cell defines itself stay the cell's."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

from notebook_pipelines import execute_pipeline

from .ipython_shell import run

CELLS = [
    "from notebook_pipelines import pipeline\nthreshold = 1\nscale = 100",
    "%%solid\ndef uses_threshold() -> int:\n    return threshold",
    "%%solid\ndef uses_later() -> int:\n    return defined_later()",
    "%%solid\nscale = 2\ndef own_scale() -> int:\n    return scale * threshold",
    "threshold = 10\ndef defined_later():\n    return 42\nscale = 1000",
    "@pipeline\ndef live():\n    uses_threshold()\n    uses_later()\n    own_scale()",
]


@pytest.mark.parametrize("executor", ["in_process", "multiprocess"])
def test_a_cell_reads_the_notebook_as_it_is_when_the_solid_runs(
    shell: InteractiveShell, executor: str
) -> None:
    for cell in CELLS:
        run(shell, cell)
    result = execute_pipeline(shell.user_ns["live"], run_config={"execution": {executor: {}}})
    assert result.success
    assert result.result_for_solid("uses_threshold").output_value() == 10
    assert result.result_for_solid("uses_later").output_value() == 42
    # `scale` is the cell's own (2), the notebook's later `scale` does not replace it
    assert result.result_for_solid("own_scale").output_value() == 20
