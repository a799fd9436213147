"""What the notebook-layer tests share: ``shell``, a real IPython InteractiveShell with
``%load_ext notebook_pipelines`` done and ``$NOTEBOOK_PIPELINES_HOME`` in the test's tmp_path
(``run_cell`` in :mod:`.ipython_shell` runs a cell in it and raises its error)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from .ipython_shell import interactive_shell


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    monkeypatch.setenv("NOTEBOOK_PIPELINES_HOME", str(tmp_path))
    with interactive_shell() as ip:
        yield ip
