"""The real faults the executor conformance suite's :class:`FaultsSuite` injects in every executor:
a full disk is a small tmpfs mount (root only: skipped, saying why, where it cannot be mounted),
unmounted after the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ..faults import tmpfs


class RealFaults:
    """Mix in before ``ExecutorSuite``: ``full_disk`` is a real, small tmpfs."""

    @pytest.fixture
    def full_disk(self, tmp_path: Path) -> Iterator[Path]:
        with tmpfs(tmp_path / "full-disk", size="4m") as path:
            yield path
