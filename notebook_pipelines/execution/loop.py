"""The one scheduling loop of a run (layer 4), for every executor: executors differ only in how a
step is submitted.

:func:`run_steps` drives a run's :class:`~..plan.active.ActiveExecution` (which holds the order —
``dagster/priority``, then plan order — and the skip/abandon rule of :func:`~..plan.active.decide_step`)
over a :class:`Launcher`, which only starts steps and reports what its workers send as the typed
messages of :mod:`.messages`. Everything else lives here, once:

- skipping (``STEP_SKIPPED`` for steps that cannot run), at most ``capacity`` steps in flight;
- retries: a ``STEP_UP_FOR_RETRY`` puts the step back, due after its ``seconds_to_wait``; the loop
  waits for it (in its poll's timeout, or asleep when nothing runs) and launches the next attempt;
- ``raise_on_error`` with steps that run elsewhere (``Launcher.where``): after the first
  ``STEP_FAILURE`` no new step starts, the steps in flight finish, the launcher shuts down, and
  :func:`run_steps` returns the failures for :func:`step_failures_error` (a step run in process
  raises the user's own error itself);
- an attempt that ends without reporting (:class:`~.messages.Done`), with an engine error around it,
  or whose worker died (:class:`~.messages.WorkerLost`): the step's ``STEP_FAILURE``;
- Ctrl-C (or any error, or the consumer closing the iterator): the launcher is shut down at once
  and the steps in flight fail (the run is then CANCELED by the caller); the error goes on.

Workers' output (:class:`~.messages.Output`) is shown here through an :class:`~.output_relay.OutputRelay`.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterable, Iterator, Sequence
from typing import Protocol

from ..errors import DagsterSubprocessError, SerializableErrorInfo
from ..events import DagsterEvent, DagsterEventType, StepFailureData
from ..plan.active import ActiveExecution
from ..plan.plan import ExecutionPlan
from ..plan.retries import Retries
from ..plan.steps import ExecutionStep
from .contexts import PlanExecutionContext
from .messages import Done, Message, Output, OutputEnd, Record, WorkerLost
from .output_relay import OutputRelay
from .step_events import step_event
from .step_runner import SKIPPED_FOR_FAILURE, SKIPPED_FOR_UPSTREAM, skipped_step_events

_FAILURE = DagsterEventType.STEP_FAILURE.value


class Launcher(Protocol):
    """How an executor submits steps: all the loop needs of it."""

    @property
    def capacity(self) -> int | None:
        """How many more steps it can take now (None: every ready step; 0: it is busy, also
        with an attempt that reported its end but whose worker has not said it is done)."""
        ...

    @property
    def where(self) -> str | None:
        """Where steps run, for :func:`step_failures_error` (None: in this process, where a
        failed step raises its own error with ``raise_on_error``)."""
        ...

    def launch(self, step: ExecutionStep, attempt: int) -> Iterable[Message]:
        """Submit attempt ``attempt`` (0 first) of ``step``; messages of submitting it."""
        ...

    def poll(self, timeout: float | None) -> Iterable[Message]:
        """Wait up to ``timeout`` seconds (None: until something happens) for what the steps in
        flight send; the loop handles each message before the next is taken."""
        ...

    def shutdown(self, error: BaseException | None) -> Iterable[Message]:
        """Tear the workers down: at the run's end (``error`` None: their teardown's messages) or
        at once (interrupted, or the run stopped by ``error``)."""
        ...

    def stopped(self, error: BaseException) -> tuple[SerializableErrorInfo | None, str]:
        """The error info and the end of the ``STEP_FAILURE`` message of a step in flight when
        the run was stopped by ``error``."""
        ...


Failures = list[tuple[str, SerializableErrorInfo | None]]


def run_steps(
    ctx: PlanExecutionContext, plan: ExecutionPlan, retries: Retries, launcher: Launcher
) -> Generator[DagsterEvent, None, Failures]:
    """Run ``plan``'s steps through ``launcher``; yield every event as it happens. Returns (as the
    generator's value) the failures that stopped the run with ``raise_on_error``: raise
    :func:`step_failures_error` for them, after the executor's last events."""
    return _Loop(ctx, plan, retries, launcher).run()


class _Loop:
    def __init__(
        self, ctx: PlanExecutionContext, plan: ExecutionPlan, retries: Retries, launcher: Launcher
    ):
        self.ctx = ctx
        self.plan = plan
        self.retries = retries
        self.launcher = launcher
        self.active = ActiveExecution(plan, retries)
        self.attempts: dict[str, int] = {}  # the attempt in flight of each step
        self.failures: Failures = []
        self.stop_on_failure = ctx.raise_on_error and launcher.where is not None
        self.stopping = False
        self.output = OutputRelay()

    def run(self) -> Generator[DagsterEvent, None, Failures]:
        active = self.active
        launcher = self.launcher
        in_flight = active.in_flight
        failure = _FAILURE
        try:
            while not active.is_complete:
                yield from skip_events(self.ctx, active)
                if self.stopping:
                    if not in_flight:
                        break
                else:
                    free = launcher.capacity
                    if free is None or free > 0:
                        for step in active.get_steps_to_execute(free):
                            launched = self._launch(step)
                            if launched:
                                for message in launched:
                                    yield from self.handle(message)
                if not in_flight and (launcher.capacity != 0 or active.is_complete):
                    active.sleep_until_ready()  # only retries are left, none due yet
                    continue
                for message in launcher.poll(active.seconds_until_retry()):
                    if isinstance(message, DagsterEvent):  # the hot path: a step run in process
                        active.handle_event(message)
                        if message.event_type_value == failure:
                            self._failed(message)
                        yield message
                    elif (
                        isinstance(message, Done)
                        and message.step_key not in in_flight
                        and not self.output.pending
                    ):
                        continue  # the attempt reported its end: nothing to do
                    else:
                        yield from self.handle(message)
        except BaseException as error:
            yield from self._stop(error)
            raise
        for message in launcher.shutdown(None):
            yield from self.handle(message)
        self.output.flush()
        return self.failures if self.stopping else []

    def _launch(self, step: ExecutionStep) -> Iterable[Message]:
        attempt = self.retries.get_attempt_count(step.key)
        self.attempts[step.key] = attempt
        return self.launcher.launch(step, attempt)

    # --- messages --------------------------------------------------------------------------------

    def handle(self, message: Message) -> Iterator[DagsterEvent]:
        kind = type(message)
        if kind is DagsterEvent:
            yield from self._event(message)  # type: ignore[arg-type]
        elif kind is Record:
            record = message.record  # type: ignore[union-attr]
            self.ctx.forward(record)
            if record.dagster_event is not None:
                yield from self._event(record.dagster_event)
        elif kind is Output:
            self.output.write(message.tag, message.stream, message.text)  # type: ignore[union-attr]
        elif kind is OutputEnd:
            self.output.flush(*message.tags)  # type: ignore[union-attr]
        elif kind is Done:
            yield from self._done(message)  # type: ignore[arg-type]
        elif kind is WorkerLost:
            assert isinstance(message, WorkerLost)
            key = message.step_key
            if key in self.active.in_flight and self.attempts.get(key) == message.attempt:
                if message.note:
                    yield self.ctx.engine_event(message.note)
                yield from self.fail(key, message.error, message.why)

    def _event(self, event: DagsterEvent) -> Iterator[DagsterEvent]:
        self.active.handle_event(event)
        if event.event_type_value == _FAILURE:
            self._failed(event)
        yield event

    def _failed(self, event: DagsterEvent) -> None:
        data = event.event_specific_data
        self.failures.append((event.step_key or "", getattr(data, "error", None)))
        if self.stop_on_failure:
            self.stopping = True

    def _done(self, message: Done) -> Iterator[DagsterEvent]:
        """An attempt ended: a step still in flight for that attempt never said how it ended."""
        key = message.step_key
        self.output.flush(key)
        if key not in self.active.in_flight or self.attempts.get(key) != message.attempt:
            return  # it reported its end (or it is up for retry, or running its next attempt)
        if message.error is not None:
            yield from self.fail(key, message.error, message.why)
        else:
            yield from self.fail(
                key, None, "it ended in its worker without reporting success or failure"
            )

    def fail(
        self, step_key: str, info: SerializableErrorInfo | None, why: str
    ) -> Iterator[DagsterEvent]:
        """The ``STEP_FAILURE`` of ``step_key`` (``why``: the end of its message)."""
        event = step_event(
            self.ctx.for_step(self.plan.get_step_by_key(step_key)),
            DagsterEventType.STEP_FAILURE,
            StepFailureData(info),
            f'Execution of step "{step_key}" failed: {why.rstrip()}'
            + ("" if why.endswith("\n") else "."),
        )
        yield from self._event(event)

    # --- the end ---------------------------------------------------------------------------------

    def _stop(self, error: BaseException) -> Iterator[DagsterEvent]:
        """Stopped by ``error`` (Ctrl-C, an error, the consumer closing): shut the launcher down
        at once and fail the steps in flight. Nothing is yielded once the consumer closed."""
        closing = isinstance(error, GeneratorExit)
        in_flight = self.active.mark_interrupted()
        events: list[DagsterEvent] = []
        for message in self.launcher.shutdown(error):
            events.extend(self.handle(message))
        self.output.flush()
        info, why = self.launcher.stopped(error)
        for key in in_flight:
            if key in self.active.in_flight:
                events.extend(self.fail(key, info, why))
        if not closing:
            yield from events


def skip_events(
    plan_context: PlanExecutionContext, active: ActiveExecution
) -> Iterator[DagsterEvent]:
    """Emit ``STEP_SKIPPED`` (and ``HOOK_SKIPPED``) for every step that can no longer run."""
    for step in active.get_steps_to_skip():
        why = SKIPPED_FOR_FAILURE if step.key in active.abandoned else SKIPPED_FOR_UPSTREAM
        yield from skipped_step_events(plan_context.for_step(step), why)


def step_failures_error(
    failures: Sequence[tuple[str, SerializableErrorInfo | None]], where: str
) -> DagsterSubprocessError:
    """One :class:`~..errors.DagsterSubprocessError` carrying the error of every step that failed
    in ``where`` (the user's exception crossed the process boundary as data only)."""
    keys = ", ".join(f'"{key}"' for key, _ in failures)
    detail = "; ".join(f"{key}: {info.message.strip()}" for key, info in failures if info)
    return DagsterSubprocessError(
        f"Step(s) {keys} failed in {where}: {detail}",
        [info for _, info in failures if info is not None],
    )


def elapsed_ms(start: float) -> str:
    """Milliseconds since ``start`` (a ``time.perf_counter()``), as the executors report them."""
    return f"{(time.perf_counter() - start) * 1000:.0f}ms"
