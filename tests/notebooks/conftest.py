"""Shared by the notebook tests: the test notebooks' folder on ``sys.path`` (their helper module
and the reconstructable pipeline are imported both here and in the kernels, which run there), and
a persistent instance per test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from notebook_pipelines import DagsterInstance

DATA = Path(__file__).resolve().parent / "data"
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}

if str(DATA) not in sys.path:
    sys.path.insert(0, str(DATA))


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[DagsterInstance]:
    with DagsterInstance.local_temp(tmp_path / "instance") as opened:
        yield opened
