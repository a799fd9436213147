"""The scheduling state of a running plan (:class:`ActiveExecution`).

Each step waits for its upstream steps in the plan; when the last one finishes, the step becomes
ready (if every input it needs was produced) or is to be skipped (an upstream failed, was skipped,
or did not yield an optional output). A fan-in input only needs one of its sources. Ready steps come
out by ``dagster/priority`` (higher first), then plan order. Work per step is proportional to its
edges, so a plan of any size costs the same per step.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable

from ..errors import DagsterInvariantViolationError
from ..events import DagsterEvent, StepOutputHandle
from .plan import ExecutionPlan
from .retries import Retries
from .steps import ExecutionStep, FromMultipleSources, FromStepOutput


def inputs_available(step: ExecutionStep, available: Callable[[StepOutputHandle], bool]) -> bool:
    """The skip rule: a step can run when the output behind each of its inputs is ``available``
    — for a fan-in input, the output of at least one of its sources."""
    for step_input in step.step_inputs:
        source = step_input.source
        if isinstance(source, FromStepOutput):
            if not available(source.step_output_handle):
                return False
        elif isinstance(source, FromMultipleSources) and not any(
            available(s.step_output_handle) for s in source.sources
        ):
            return False
    return True


class ActiveExecution:
    """Which steps are waiting, ready, running, waiting to retry, done or to be skipped."""

    def __init__(self, plan: ExecutionPlan, retries: Retries):
        self.plan = plan
        self.retries = retries
        steps = plan.topological_steps()
        self._steps = {s.key: s for s in steps}
        self._order = {s.key: i for i, s in enumerate(steps)}
        self._waiting_on: dict[str, int] = {}
        self._downstream: dict[str, list[str]] = {s.key: [] for s in steps}
        self._ready: list[tuple[int, int, str]] = []
        self._to_skip: list[str] = []
        self._retry_at: list[tuple[float, int, str]] = []
        self.in_flight: set[str] = set()
        self.succeeded: set[str] = set()
        self.failed: set[str] = set()
        self.skipped: set[str] = set()
        self.produced: set[StepOutputHandle] = set()
        for step in steps:
            upstream = [k for k in step.upstream_step_keys if k in self._steps]
            self._waiting_on[step.key] = len(upstream)
            for key in upstream:
                self._downstream[key].append(step.key)
        for step in steps:
            if self._waiting_on[step.key] == 0:
                self._decide(step)

    # --- what to do next -------------------------------------------------------------------------

    @property
    def is_complete(self) -> bool:
        return not (
            self._ready
            or self._to_skip
            or self._retry_at
            or self.in_flight
            or self._pending_count()
        )

    def _pending_count(self) -> int:
        done = len(self.succeeded) + len(self.failed) + len(self.skipped)
        queued = len(self._ready) + len(self._to_skip) + len(self._retry_at) + len(self.in_flight)
        return len(self._steps) - done - queued

    def get_steps_to_execute(self, limit: int | None = None) -> list[ExecutionStep]:
        """Take up to ``limit`` ready steps (highest priority first) and mark them in flight."""
        self._release_due_retries()
        taken: list[ExecutionStep] = []
        while self._ready and (limit is None or len(taken) < limit):
            _, _, key = heapq.heappop(self._ready)
            self.in_flight.add(key)
            taken.append(self._steps[key])
        return taken

    def get_next_step(self) -> ExecutionStep | None:
        steps = self.get_steps_to_execute(1)
        return steps[0] if steps else None

    def get_steps_to_skip(self) -> list[ExecutionStep]:
        """Steps that cannot run because an input they need was not produced; marks them skipped."""
        skipped: list[ExecutionStep] = []
        while self._to_skip:
            key = self._to_skip.pop()
            self.skipped.add(key)
            skipped.append(self._steps[key])
            self._finish(key)
        return skipped

    def seconds_until_retry(self) -> float | None:
        """How long until the next step waiting to retry is due (None: none waiting)."""
        if not self._retry_at:
            return None
        return max(0.0, self._retry_at[0][0] - time.monotonic())

    def sleep_until_ready(self) -> None:
        """Block until a retry is due, when nothing else can be done now."""
        if not self._ready and not self._to_skip and not self.in_flight:
            wait = self.seconds_until_retry()
            if wait:
                time.sleep(wait)

    # --- what happened ---------------------------------------------------------------------------

    def handle_event(self, event: DagsterEvent) -> None:
        """Update the state from one step event."""
        kind = event.event_type_value
        key = event.step_key
        if key is None or key not in self._steps:
            return
        if kind == "STEP_OUTPUT":
            self.produced.add(event.event_specific_data.step_output_handle)
        elif kind == "STEP_SUCCESS":
            self.mark_success(key)
        elif kind == "STEP_FAILURE":
            self.mark_failed(key)
        elif kind == "STEP_UP_FOR_RETRY":
            self.mark_up_for_retry(key, event.event_specific_data.seconds_to_wait)
        elif kind == "STEP_SKIPPED" and key not in self.skipped:
            self.in_flight.discard(key)
            self.skipped.add(key)
            self._finish(key)

    def mark_success(self, key: str) -> None:
        self._leave_flight(key)
        self.succeeded.add(key)
        self._finish(key)

    def mark_failed(self, key: str) -> None:
        self._leave_flight(key)
        self.failed.add(key)
        self._finish(key)

    def mark_up_for_retry(self, key: str, seconds_to_wait: float | None = None) -> None:
        self._leave_flight(key)
        self.retries.mark_attempt(key)
        due = time.monotonic() + (seconds_to_wait or 0)
        heapq.heappush(self._retry_at, (due, self._order[key], key))

    def mark_interrupted(self) -> list[str]:
        """Stop scheduling: return the keys still in flight and forget everything queued."""
        in_flight = sorted(self.in_flight)
        self._ready.clear()
        self._retry_at.clear()
        self._to_skip.clear()
        return in_flight

    def unfinished_step_keys(self) -> list[str]:
        """Steps that started but never reported success or failure."""
        return sorted(self.in_flight)

    # --- internals -------------------------------------------------------------------------------

    def _leave_flight(self, key: str) -> None:
        if key not in self.in_flight:
            raise DagsterInvariantViolationError(
                f'Step "{key}" finished without being started by the executor.'
            )
        self.in_flight.remove(key)

    def _finish(self, key: str) -> None:
        for child in self._downstream[key]:
            remaining = self._waiting_on[child] - 1
            self._waiting_on[child] = remaining
            if remaining == 0:
                self._decide(self._steps[child])

    def _decide(self, step: ExecutionStep) -> None:
        if self._can_run(step):
            heapq.heappush(self._ready, (-step.priority, self._order[step.key], step.key))
        else:
            self._to_skip.append(step.key)

    def _can_run(self, step: ExecutionStep) -> bool:
        return inputs_available(step, self._available)

    def _available(self, handle: StepOutputHandle) -> bool:
        """An output of a step outside this plan comes from storage; one inside it must have been
        produced by a step that did not fail."""
        if handle.step_key not in self._steps:
            return True
        return handle in self.produced and handle.step_key not in self.failed

    def _release_due_retries(self) -> None:
        now = time.monotonic()
        while self._retry_at and self._retry_at[0][0] <= now:
            _, order, key = heapq.heappop(self._retry_at)
            heapq.heappush(self._ready, (-self._steps[key].priority, order, key))

    def steps_for(self, keys: Iterable[str]) -> list[ExecutionStep]:
        return [self._steps[k] for k in keys]
