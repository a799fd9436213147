"""Running one step, in order: start, inputs (loaded, type-checked, ``STEP_INPUT``), the compute
function inside the user-code boundary (outputs type-checked, stored and materialized;
materializations and expectations reported), success — or failure, retry, with the error as data.

Every error fails the step (``STEP_FAILURE``), whoever's it is: the user's code (the event carries
the user's own exception), a value the user's code gave us (an output that cannot be pickled:
:class:`~..errors.DagsterUnstorableOutputError`), the environment (a full disk, a damaged stored
output: :class:`~..errors.DagsterEnvironmentError`, whose message names the run, step, output and
file; an ``OSError`` storage did not class) or the engine itself (said to be an internal error).
With ``raise_on_error`` the error is re-raised (for user code: the user's own exception) after
``STEP_FAILURE`` has been emitted and stored; without it the run goes on and reports the failure.
Every executor follows the same rule (a worker process never dies of such an error).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Generator, Iterator
from typing import Any

from ..errors import (
    DagsterEnvironmentError,
    DagsterError,
    DagsterExecutionStepExecutionError,
    DagsterInvariantViolationError,
    DagsterStepOutputNotFoundError,
    DagsterTypeCheckDidNotPass,
    DagsterTypeCheckError,
    DagsterTypeLoadingError,
    DagsterTypeMaterializationError,
    DagsterUnstorableOutputError,
    DagsterUserCodeExecutionError,
    SerializableErrorInfo,
    serializable_error_info_from_exc_info,
)
from ..events import (
    DagsterEvent,
    DagsterEventType,
    ObjectStoreOperationResultData,
    StepExpectationResultData,
    StepFailureData,
    StepInputData,
    StepMaterializationData,
    StepOutputData,
    StepOutputHandle,
    StepRetryData,
    StepSuccessData,
    TypeCheckData,
    UserFailureData,
)
from ..plan.retries import Retries
from ..plan.steps import (
    FromConfig,
    FromDefaultValue,
    FromMultipleSources,
    FromStepOutput,
    StepInput,
)
from ..storage.intermediates import unpicklable_output_message
from ..user_events import (
    AssetMaterialization,
    ExpectationResult,
    Failure,
    Materialization,
    Output,
    RetryRequested,
    TypeCheck,
)
from .boundary import PASS_THROUGH, user_code_error_boundary, wrap_user_error
from .contexts import SolidExecutionContext, SystemComputeExecutionContext
from .init_contexts import TypeCheckContext
from .step_events import format_duration, step_event


def execute_step(ctx: SystemComputeExecutionContext, retries: Retries) -> Iterator[DagsterEvent]:
    """Run the step of ``ctx``; yield its events as they are emitted."""
    key = ctx.step_key
    attempt = retries.get_attempt_count(key)
    if attempt:
        yield step_event(
            ctx,
            DagsterEventType.STEP_RESTARTED,
            None,
            f'Started re-execution (attempt # {attempt + 1}) of step "{key}".',
        )
    else:
        yield step_event(
            ctx, DagsterEventType.STEP_START, None, f'Started execution of step "{key}".'
        )
    start = time.perf_counter()
    try:
        inputs: dict[str, Any] = {}
        step_inputs = ctx.step.step_inputs
        if step_inputs:
            # every input is loaded (OBJECT_STORE_OPERATION) before any is checked (STEP_INPUT)
            loaded = []
            for step_input in step_inputs:
                loaded.append((step_input, (yield from _load_input(ctx, step_input))))
            for step_input, value in loaded:
                if value is not _NO_VALUE:
                    yield from _check_input(ctx, step_input, value, inputs)
        yield from _run_compute(ctx, inputs)
        duration_ms = (time.perf_counter() - start) * 1000
        yield step_event(
            ctx,
            DagsterEventType.STEP_SUCCESS,
            StepSuccessData(duration_ms),
            f'Finished execution of step "{key}" in {format_duration(duration_ms)}.',
        )
    except RetryRequested as request:
        yield _retry_or_fail(ctx, retries, request, attempt)
    except Failure as failure:
        yield _failure_event(
            ctx,
            serializable_error_info_from_exc_info(),
            UserFailureData("intentional-failure", failure.description, failure.metadata_entries),
        )
        if ctx.plan_context.raise_on_error:
            raise
    except DagsterUserCodeExecutionError as error:
        # the failure is the user's own exception (class, message, traceback); where it
        # happened is in the event's message
        yield _failure_event(
            ctx,
            serializable_error_info_from_exc_info(error.original_exc_info),
            message_suffix=None
            if isinstance(error, DagsterExecutionStepExecutionError)
            else str(error),
        )
        if ctx.plan_context.raise_on_error:
            raise error.user_exception from None
    except DagsterError as error:
        # a classed error: of the run's definitions, of a value the user's code gave us (an output
        # that cannot be stored), or of the environment (a full disk, a damaged stored output),
        # whose own message names the step, the output and the file
        yield _failure_event(
            ctx,
            serializable_error_info_from_exc_info(),
            message_suffix=str(error) if isinstance(error, _OWN_MESSAGE) else None,
        )
        if ctx.plan_context.raise_on_error:
            raise
    except KeyboardInterrupt:
        yield _failure_event(
            ctx, serializable_error_info_from_exc_info(), message_suffix="interrupted"
        )
        raise
    except Exception as error:
        # not user code (that is wrapped above) and not a classed error: a fault of the
        # environment the storage did not class (OSError, MemoryError) or an engine bug. Either
        # fails the step like any other error, in every executor (a worker must not die of it).
        yield _failure_event(
            ctx, serializable_error_info_from_exc_info(), message_suffix=_unclassed(error)
        )
        if ctx.plan_context.raise_on_error:
            raise


# --- inputs ------------------------------------------------------------------------------------


_NO_VALUE = object()  # an input that takes no value (Nothing, or unconnected)


def _load_input(
    ctx: SystemComputeExecutionContext, step_input: StepInput
) -> Generator[DagsterEvent, None, Any]:
    """Yield the events of loading ``step_input``; return its value (or ``_NO_VALUE``)."""
    source = step_input.source
    dagster_type = step_input.dagster_type
    if source is None or dagster_type.is_nothing:
        return _NO_VALUE
    storage = ctx.intermediate_storage
    if isinstance(source, FromStepOutput):
        value, op = storage.get_intermediate_op(dagster_type, source.step_output_handle)
        yield _object_store_event(ctx, op, step_input.name)
    elif isinstance(source, FromMultipleSources):
        value = []
        for item in source.sources:
            if storage.has_intermediate(item.step_output_handle):
                item_value, op = storage.get_intermediate_op(dagster_type, item.step_output_handle)
                value.append(item_value)
                yield _object_store_event(ctx, op, step_input.name)
    elif isinstance(source, FromConfig):
        loader = dagster_type.loader
        with user_code_error_boundary(
            DagsterTypeLoadingError,
            lambda: f'Error loading input "{step_input.name}" of step "{ctx.step_key}" from config',
            step_key=ctx.step_key,
        ):
            value = loader.construct_from_config_value(
                _type_context(ctx, loader), source.config_value
            )
    elif isinstance(source, FromDefaultValue):
        value = source.value
    else:  # pragma: no cover - the plan only makes the sources above
        raise DagsterInvariantViolationError(f"Unknown input source {source!r}")
    return value


def _check_input(
    ctx: SystemComputeExecutionContext, step_input: StepInput, value: Any, inputs: dict[str, Any]
) -> Iterator[DagsterEvent]:
    """Type-check a loaded input: ``STEP_INPUT`` (also when the check fails, then raised)."""
    dagster_type = step_input.dagster_type
    check = _type_check(ctx, dagster_type, value, f'input "{step_input.name}"')
    yield step_event(
        ctx,
        DagsterEventType.STEP_INPUT,
        StepInputData(step_input.name, _type_check_data(check, step_input.name)),
        f'Got input "{step_input.name}" of type "{dagster_type.display_name}". '
        f"(Type check {'passed' if check.success else 'failed'}).",
    )
    if not check.success:
        raise DagsterTypeCheckDidNotPass(
            f'Type check failed for step input "{step_input.name}" of step "{ctx.step_key}" - '
            f'expected type "{dagster_type.display_name}". {check.description or ""}'.rstrip(),
            check.metadata_entries,
            dagster_type,
        )
    inputs[step_input.name] = value


# --- compute -----------------------------------------------------------------------------------


def _run_compute(
    ctx: SystemComputeExecutionContext, inputs: dict[str, Any]
) -> Iterator[DagsterEvent]:
    solid_def = ctx.solid_def
    message = (
        f'Error occurred during the execution of step "{ctx.step_key}" (solid "{ctx.solid_handle}")'
    )
    kwargs = {
        "step_key": ctx.step_key,
        "solid_name": ctx.solid_handle,
        "solid_def_name": solid_def.name,
    }
    # `context` is found by this name by `breakpoint()` (see breakpoints.py)
    context = SolidExecutionContext(ctx)
    try:
        try:
            iterator = iter(solid_def.compute_fn(context, inputs))
        except PASS_THROUGH:
            raise
        except Exception as exc:
            raise _compute_error(ctx, message, exc, kwargs)  # noqa: B904 (it sets the cause)
        seen: set[str] = set()
        while True:
            try:
                item = next(iterator, _DONE)
            except PASS_THROUGH:
                raise
            except Exception as exc:
                raise _compute_error(ctx, message, exc, kwargs)  # noqa: B904 (it sets the cause)
            if item is _DONE:
                break
            if isinstance(item, Output):
                yield from _handle_output(ctx, item, seen)
            elif isinstance(item, (AssetMaterialization, Materialization)):
                yield step_event(
                    ctx,
                    DagsterEventType.STEP_MATERIALIZATION,
                    StepMaterializationData(item),
                    f'Materialized value "{item.label}".',
                )
            elif isinstance(item, ExpectationResult):
                yield step_event(
                    ctx,
                    DagsterEventType.STEP_EXPECTATION_RESULT,
                    StepExpectationResultData(item),
                    f"Expectation{f' {item.label}' if item.label else ''} "
                    f"{'passed' if item.success else 'failed'}.",
                )
            else:
                raise DagsterInvariantViolationError(
                    f'Solid "{ctx.solid_handle}" yielded {item!r} ({type(item).__name__}); a solid '
                    "may yield Output, AssetMaterialization, Materialization or ExpectationResult."
                )
        for step_output in ctx.step.step_outputs:
            if step_output.name in seen or not step_output.is_required:
                continue
            if step_output.dagster_type.is_nothing:
                ctx.log.info(f'Emitting implicit Nothing for output "{step_output.name}".')
                yield from _handle_output(ctx, Output(None, step_output.name), seen)
                continue
            raise DagsterStepOutputNotFoundError(
                f'Step "{ctx.step_key}" (solid "{ctx.solid_handle}") did not yield its required output '
                f'"{step_output.name}". Yield Output(value, "{step_output.name}") or mark the output '
                "is_required=False.",
                step_key=ctx.step_key,
                output_name=step_output.name,
            )
    finally:
        if context._pdb is not None:  # the solid used its debugger: let go of the thread
            context._pdb.close()


_DONE = object()


def _compute_error(
    ctx: SystemComputeExecutionContext, message: str, exc: Exception, kwargs: dict[str, Any]
) -> DagsterError:
    """What the solid's compute raising ``exc`` fails the step with (raise it in the ``except``
    block: the user's error wraps ``exc``, a plain pdb that no one answered is our error)."""
    bdb = sys.modules.get("bdb")  # a plain pdb in the solid ended with BdbQuit
    if bdb is not None and isinstance(exc, bdb.BdbQuit):
        from .debugger import plain_debugger_error

        error: DagsterError = plain_debugger_error(ctx.step_key, exc)
        error.__suppress_context__ = True  # the error says it all (as breakpoint()'s does)
        return error
    error = wrap_user_error(DagsterExecutionStepExecutionError, message, exc, **kwargs)
    error.__cause__ = exc  # (``raise ... from exc``)
    return error


def _handle_output(
    ctx: SystemComputeExecutionContext, output: Output, seen: set[str]
) -> Iterator[DagsterEvent]:
    name = output.output_name
    step_output = ctx.step.step_output_named(name)
    if step_output is None:
        raise DagsterInvariantViolationError(
            f'Solid "{ctx.solid_handle}" yielded an output "{name}" that it does not define; its '
            f"outputs: {[o.name for o in ctx.step.step_outputs] or 'none'}."
        )
    if name in seen:
        raise DagsterInvariantViolationError(
            f'Solid "{ctx.solid_handle}" yielded output "{name}" more than once.'
        )
    seen.add(name)
    dagster_type = step_output.dagster_type
    value = output.value
    check = _type_check(ctx, dagster_type, value, f'output "{name}"')
    handle = StepOutputHandle(ctx.step_key, name)
    yield step_event(
        ctx,
        DagsterEventType.STEP_OUTPUT,
        StepOutputData(handle, _type_check_data(check, name)),
        f'Yielded output "{name}" of type "{dagster_type.display_name}". '
        f"(Type check {'passed' if check.success else 'failed'}).",
    )
    if not check.success:
        raise DagsterTypeCheckDidNotPass(
            f'Type check failed for step output "{name}" of step "{ctx.step_key}" - expected '
            f'type "{dagster_type.display_name}". {check.description or ""}'.rstrip(),
            check.metadata_entries,
            dagster_type,
        )
    storage = ctx.intermediate_storage
    try:
        op = storage.set_intermediate(dagster_type, handle, value)
    except DagsterError:
        raise
    except Exception as exc:  # pickling the value raised (its own __reduce__, a C extension)
        raise DagsterUnstorableOutputError(unpicklable_output_message(handle, exc)) from exc
    yield _object_store_event(ctx, op)
    for config_value in step_output.materializations:
        materializer = dagster_type.materializer
        with user_code_error_boundary(
            DagsterTypeMaterializationError,
            lambda: f'Error materializing output "{name}" of step "{ctx.step_key}"',
            step_key=ctx.step_key,
        ):
            materializations = materializer.materialize_runtime_values(
                _type_context(ctx, materializer), config_value, value
            )
        for materialization in materializations:
            yield step_event(
                ctx,
                DagsterEventType.STEP_MATERIALIZATION,
                StepMaterializationData(materialization),
                f'Materialized value "{materialization.label}".',
            )


def _object_store_event(
    ctx: SystemComputeExecutionContext, op: ObjectStoreOperationResultData, input_name: str = ""
) -> DagsterEvent:
    if input_name:
        message = f'Retrieved intermediate object for input "{input_name}" from {op.address}'
    else:
        message = f'Stored intermediate object for output "{op.value_name}" in {op.address}'
    return step_event(ctx, DagsterEventType.OBJECT_STORE_OPERATION, op, message)


# --- type checks -------------------------------------------------------------------------------


def _type_context(ctx: SystemComputeExecutionContext, typed: Any) -> TypeCheckContext:
    keys: frozenset[str] = getattr(typed, "required_resource_keys", frozenset())
    resources = ctx.plan_context.scoped_resources(keys, f"type {getattr(typed, 'name', typed)}")
    return TypeCheckContext(ctx.run_id, ctx.log, resources, typed)


def _type_check(
    ctx: SystemComputeExecutionContext, dagster_type: Any, value: Any, what: str
) -> TypeCheck:
    context = _LazyTypeCheckContext(ctx, dagster_type)
    try:
        check: TypeCheck = dagster_type.type_check(context, value)
        return check
    except PASS_THROUGH:
        raise
    except Exception as exc:
        raise wrap_user_error(
            DagsterTypeCheckError,
            f'Error in the type check of {what} of step "{ctx.step_key}" '
            f'(type "{dagster_type.display_name}")',
            exc,
            step_key=ctx.step_key,
        ) from exc


class _LazyTypeCheckContext(TypeCheckContext):
    """A TypeCheckContext whose log and resources are only built if the check uses them (built-in
    checks never do, and the engine type-checks every input and output)."""

    __slots__ = ("_step",)

    def __init__(self, ctx: SystemComputeExecutionContext, dagster_type: Any):
        self._step = ctx
        self.run_id = ctx.run_id
        self.dagster_type = dagster_type

    def __getattr__(self, name: str) -> Any:
        if name == "log":
            return self._step.log
        if name == "resources":
            keys = self.dagster_type.required_resource_keys
            return self._step.plan_context.scoped_resources(
                keys, f"type {self.dagster_type.display_name}"
            )
        raise AttributeError(name)


def _type_check_data(check: TypeCheck, label: str) -> TypeCheckData:
    return TypeCheckData(check.success, label, check.description, tuple(check.metadata_entries))


# --- failures and retries ----------------------------------------------------------------------

#: errors whose own message (not their cause's) says why the step failed: what, where and which file
_OWN_MESSAGE = (DagsterEnvironmentError, DagsterUnstorableOutputError)


def _unclassed(error: Exception) -> str:
    """What a step's failure says of an error that is neither the user's nor classed."""
    what = f"{type(error).__name__}: {error}"
    if isinstance(error, (OSError, MemoryError)):
        return f"{what} (a fault of the environment, not of the solid's code)"
    return (
        f"{what}. This is an internal error of notebook-pipelines, not of the solid's code: "
        "please report it with the failure's traceback."
    )


def _failure_event(
    ctx: SystemComputeExecutionContext,
    error: SerializableErrorInfo,
    user_failure_data: UserFailureData | None = None,
    message_suffix: str | None = None,
) -> DagsterEvent:
    cause = error.cause or error
    detail = message_suffix or cause.message.strip()
    return step_event(
        ctx,
        DagsterEventType.STEP_FAILURE,
        StepFailureData(error, user_failure_data),
        f'Execution of step "{ctx.step_key}" failed: {detail}',
    )


def _retry_or_fail(
    ctx: SystemComputeExecutionContext, retries: Retries, request: RetryRequested, attempt: int
) -> DagsterEvent:
    error = serializable_error_info_from_exc_info()
    if retries.disabled:
        return _failure_event(ctx, error, message_suffix="RetryRequested but retries are disabled.")
    if attempt >= request.max_retries:
        return _failure_event(
            ctx, error, message_suffix=f"Exceeded max_retries of {request.max_retries}."
        )
    wait = request.seconds_to_wait
    return step_event(
        ctx,
        DagsterEventType.STEP_UP_FOR_RETRY,
        StepRetryData(error, wait),
        f'Execution of step "{ctx.step_key}" failed and has requested a retry'
        + (f" in {wait} seconds." if wait else "."),
    )
