"""The scheduling state of a running plan (:class:`ActiveExecution`), which the run's one
scheduling loop (:mod:`..execution.loop`) drives for every executor.

Each step waits for its upstream steps in the plan; when the last one finishes, :func:`decide_step`
says what becomes of it (the one rule every executor applies):

- an upstream step behind any of its inputs failed, or was itself stopped by a failure: the step is
  *abandoned* (never run: a failed source never produces a downstream value, also through a fan-in);
- otherwise an input that was not produced (an optional output not yielded, or a step skipped for
  that reason) makes it *skipped* — except that a fan-in input only needs one of its sources (the
  ones not produced are left out of the list);
- otherwise it is ready.

Ready steps come out by ``dagster/priority`` (higher first), then in the order they became ready —
at first, and among steps freed at the same time, in plan order (topological levels, by step key
within a level; see :meth:`ExecutionPlan.topological_steps`). Work per step is proportional to its
edges, so a plan of any size costs the same per step.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable

from ..errors import DagsterInvariantViolationError
from ..events import DagsterEvent, DagsterEventType, StepOutputHandle
from .plan import ExecutionPlan
from .retries import Retries
from .steps import ExecutionStep, FromMultipleSources, FromStepOutput

#: what :func:`decide_step` says of a step whose upstream steps have all finished
RUN = "run"
SKIP = "skip"
ABANDON = "abandon"

#: what became of an output a step input reads (``state`` of :func:`decide_step`)
AVAILABLE = "available"
NOT_PRODUCED = "not produced"
FAILED = "failed"


def decide_step(step: ExecutionStep, state: Callable[[StepOutputHandle], str]) -> str:
    """``RUN``, ``SKIP`` or ``ABANDON`` for ``step``, given the ``state`` of each output its inputs
    read: ``AVAILABLE``, ``NOT_PRODUCED`` (its step succeeded without yielding it, or was skipped)
    or ``FAILED`` (its step failed or was abandoned)."""
    verdict = RUN
    for step_input in step.step_inputs:
        source = step_input.source
        if isinstance(source, FromStepOutput):
            found = state(source.step_output_handle)
            if found is FAILED:
                return ABANDON
            if found is not AVAILABLE:
                verdict = SKIP
        elif isinstance(source, FromMultipleSources):
            states = [state(s.step_output_handle) for s in source.sources]
            if FAILED in states:
                return ABANDON
            if AVAILABLE not in states:
                verdict = SKIP
    return verdict


class ActiveExecution:
    """Which steps are waiting, ready, running, waiting to retry, done, skipped or abandoned."""

    def __init__(self, plan: ExecutionPlan, retries: Retries):
        self.plan = plan
        self.retries = retries
        steps = plan.topological_steps()
        self._steps = {s.key: s for s in steps}
        self._order = {s.key: i for i, s in enumerate(steps)}
        self._waiting_on: dict[str, int] = {}
        self._downstream: dict[str, list[str]] = {s.key: [] for s in steps}
        self._ready: list[tuple[int, int, str]] = []
        self._freed: list[str] = []  # became ready since the last take, not yet queued
        self._sequence = 0  # when each step entered the ready queue
        self._to_skip: list[str] = []
        self._retry_at: list[tuple[float, int, str]] = []
        self.in_flight: set[str] = set()
        self.succeeded: set[str] = set()
        self.failed: set[str] = set()
        #: steps that did not run: skipped for a missing input, or abandoned after a failure
        self.skipped: set[str] = set()
        #: the skipped steps that an upstream failure stopped
        self.abandoned: set[str] = set()
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
            or self._freed
            or self._to_skip
            or self._retry_at
            or self.in_flight
            or self._pending_count()
        )

    def _pending_count(self) -> int:
        done = len(self.succeeded) + len(self.failed) + len(self.skipped)
        queued = (
            len(self._ready)
            + len(self._freed)
            + len(self._to_skip)
            + len(self._retry_at)
            + len(self.in_flight)
        )
        return len(self._steps) - done - queued

    def get_steps_to_execute(self, limit: int | None = None) -> list[ExecutionStep]:
        """Take up to ``limit`` ready steps (highest priority first) and mark them in flight."""
        self._release_due_retries()
        self._queue_freed()
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
        """Steps that cannot run because an input they need was not produced or an upstream step
        failed (``abandoned``); marks them skipped. In plan order."""
        skipped: list[ExecutionStep] = []
        while self._to_skip:
            batch = sorted(self._to_skip, key=self._order.__getitem__)
            self._to_skip.clear()
            for key in batch:
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
        if not self._ready and not self._freed and not self._to_skip and not self.in_flight:
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
        if kind == DagsterEventType.STEP_OUTPUT:
            self.produced.add(event.event_specific_data.step_output_handle)
        elif kind == DagsterEventType.STEP_SUCCESS:
            self.mark_success(key)
        elif kind == DagsterEventType.STEP_FAILURE:
            self.mark_failed(key)
        elif kind == DagsterEventType.STEP_UP_FOR_RETRY:
            self.mark_up_for_retry(key, event.event_specific_data.seconds_to_wait)
        elif kind == DagsterEventType.STEP_SKIPPED and key not in self.skipped:
            # a step that found, when it started, an input missing from storage
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
        self._freed.clear()
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
        verdict = decide_step(step, self._state)
        if verdict is RUN:
            self._freed.append(step.key)
            return
        if verdict is ABANDON:
            self.abandoned.add(step.key)
        self._to_skip.append(step.key)

    def _state(self, handle: StepOutputHandle) -> str:
        """An output of a step outside this plan comes from storage (the step checks it is there
        when it starts); one inside it must have been produced by a step that did not fail."""
        key = handle.step_key
        if key not in self._steps:
            return AVAILABLE
        if key in self.failed or key in self.abandoned:
            return FAILED
        return AVAILABLE if handle in self.produced else NOT_PRODUCED

    def _queue_freed(self) -> None:
        """Queue the steps freed since the last take: they enter the ready queue together, in
        plan order, after the steps already waiting there (of the same priority)."""
        if not self._freed:
            return
        freed = self._freed
        if len(freed) > 1:
            freed.sort(key=self._order.__getitem__)
        for key in freed:
            self._push_ready(key)
        freed.clear()

    def _push_ready(self, key: str) -> None:
        self._sequence += 1
        heapq.heappush(self._ready, (-self._steps[key].priority, self._sequence, key))

    def _release_due_retries(self) -> None:
        now = time.monotonic()
        while self._retry_at and self._retry_at[0][0] <= now:
            _, _, key = heapq.heappop(self._retry_at)
            self._push_ready(key)

    def steps_for(self, keys: Iterable[str]) -> list[ExecutionStep]:
        return [self._steps[k] for k in keys]
