"""Retry policy of a run: whether ``RetryRequested`` re-runs a step, and how many attempts each step
has had."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any


class RetryMode(str, enum.Enum):
    """Enabled: re-queue the step. Disabled: fail it. Deferred: a worker leaves it to the parent."""

    ENABLED = "enabled"
    DISABLED = "disabled"
    DEFERRED = "deferred"


class Retries:
    """The retry mode plus the attempt count of each step key."""

    def __init__(self, mode: RetryMode, previous_attempts: Mapping[str, int] | None = None):
        self.mode = mode
        self._attempts: dict[str, int] = dict(previous_attempts or {})

    @staticmethod
    def from_config(config: Mapping[str, Any] | None) -> Retries:
        """From executor config ``{"enabled": {}}`` or ``{"disabled": {}}`` (default enabled)."""
        if not config:
            return Retries(RetryMode.ENABLED)
        (name,) = config.keys()
        return Retries(RetryMode(name))

    @property
    def enabled(self) -> bool:
        return self.mode is RetryMode.ENABLED

    @property
    def disabled(self) -> bool:
        return self.mode is RetryMode.DISABLED

    @property
    def deferred(self) -> bool:
        return self.mode is RetryMode.DEFERRED

    def get_attempt_count(self, step_key: str) -> int:
        return self._attempts.get(step_key, 0)

    def mark_attempt(self, step_key: str) -> None:
        self._attempts[step_key] = self._attempts.get(step_key, 0) + 1

    def for_inner_plan(self) -> Retries:
        """The policy a worker process runs one step under: the parent decides on retries."""
        mode = RetryMode.DEFERRED if self.enabled else self.mode
        return Retries(mode, self._attempts)

    def to_config(self) -> dict[str, dict[str, Any]]:
        return {self.mode.value: {}}
