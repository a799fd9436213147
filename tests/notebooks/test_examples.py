"""The notebook examples run as a user runs them (``python examples/...``), in a temporary home."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.kernel]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (
            "notebook_solid.py",
            ["success: True", "report: total 55, mean 5.50", "executed notebook"],
        ),
        ("notebook_batch.py", ["success: True", "growth=38.3376", "rate=0.2, steps=20"]),
    ],
)
def test_the_notebook_examples_run(script: str, expected: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for text in expected:
        assert text in done.stdout, done.stdout
