"""Post-mortem of a failed step: its stored inputs (:func:`load_step_inputs`), and its compute run
again in this process under the debugger, stopping where it raises (:func:`debug_step`; in a
notebook ``%pipeline_debug`` and ``result.debug_step(step_key)``).

What the step needs comes from the run's record in the instance: run config, mode and selection
(so the config and resources are the run's), and its inputs are read from the run's intermediate
storage (filesystem intermediates; a run started in a notebook session stores them by default), or
through ``reader`` (a result's own storage, which also serves in-memory runs in this process). The
pipeline definition is given, or found by the run's pipeline name through the finder the notebook
layer registers (:func:`set_pipeline_finder`: the notebook's variables).

The re-run writes nothing: its events stay in a list, its outputs in memory. Resources are built
(and torn down) as for the run; hooks do not run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..definitions.environment import build_environment_config
from ..definitions.pipeline import PipelineDefinition
from ..errors import DagsterError, DagsterInvariantViolationError, DagsterRunNotFoundError
from ..events import (
    ObjectStoreOperationResultData,
    ObjectStoreOperationType,
    StepOutputHandle,
)
from ..plan.plan import ExecutionPlan
from ..plan.retries import Retries, RetryMode
from ..plan.steps import FromConfig, FromDefaultValue, FromMultipleSources, FromStepOutput
from ..storage.instance import DagsterInstance
from ..storage.runs import PipelineRun
from .debug_io import DebugIO
from .init_contexts import TypeCheckContext
from .log_manager import DagsterLogManager
from .observers import session_defaults
from .setup import RunSetup, build_storage, storage_definition
from .step import execute_step

#: ``reader(dagster_type, step_output_handle) -> value`` (a result's own storage)
Reader = Callable[[Any, StepOutputHandle], Any]
#: ``finder(pipeline_name) -> PipelineDefinition | None``
PipelineFinder = Callable[[str], Any]

_finders: list[PipelineFinder] = []


def set_pipeline_finder(finder: PipelineFinder | None) -> None:
    """Find pipeline definitions by name with ``finder`` when none is given (``None``: none)."""
    _finders[:] = [finder] if finder is not None else []


class _FailedStep:
    """A stored run's step, ready to load inputs for or to run again."""

    def __init__(
        self,
        run_id: str,
        step_key: str,
        instance: DagsterInstance | None,
        pipeline: Any,
        reader: Reader | None,
    ):
        self.owned: DagsterInstance | None = None
        if instance is None:
            defaults = session_defaults()  # a notebook session's instance, else the home one
            if defaults is not None:
                instance = defaults.instance()
            else:
                instance = self.owned = DagsterInstance.get()
        self.instance = instance
        try:
            self._load(run_id, step_key, pipeline)
        except BaseException:
            self.close()
            raise
        self.reader = reader

    def close(self) -> None:
        """Close the instance if this opened it."""
        if self.owned is not None:
            self.owned.dispose()
            self.owned = None

    def _load(self, run_id: str, step_key: str, pipeline: Any) -> None:
        run = self.instance.get_run_by_id(run_id)
        if run is None:
            raise DagsterRunNotFoundError(
                f'No run "{run_id}" in the instance at {self.instance.root_directory}.',
                invalid_run_id=run_id,
            )
        self.run: PipelineRun = run
        pipeline_def = _definition(pipeline, run.pipeline_name)
        if run.solid_selection:
            pipeline_def = pipeline_def.subset_for_execution(list(run.solid_selection))
        self.pipeline_def = pipeline_def
        self.mode_def = pipeline_def.get_mode_definition(run.mode)
        self.env = build_environment_config(pipeline_def, run.run_config, self.mode_def)
        self.plan = ExecutionPlan.build(pipeline_def, self.env)
        self.step = self.plan.get_step_by_key(step_key)
        self.step_key = step_key

    def _storage(self) -> Any:
        storage_def = storage_definition(self.mode_def, self.env)
        if storage_def.required_resource_keys:
            raise DagsterInvariantViolationError(
                f'Run "{self.run.run_id}" stores its outputs with "{storage_def.name}", which '
                "needs resources; load the step's inputs from the run's result instead."
            )
        storage, _ = build_storage(
            storage_def,
            self.pipeline_def,
            self.mode_def,
            self.run,
            self.instance,
            self.env,
            {},
        )
        if not storage.is_persistent:
            raise DagsterInvariantViolationError(
                f'Run "{self.run.run_id}" kept its outputs in memory ("{storage_def.name}"), so '
                f'the inputs of step "{self.step_key}" are gone. Run it with filesystem '
                "intermediates (a notebook session does so by default), or use "
                "result.debug_step() on the result of a run in this process."
            )
        return storage

    def read(self) -> Reader:
        """How this step's inputs are read: ``reader``, or the run's stored intermediates."""
        if self.reader is not None:
            return self.reader
        storage = self._storage()

        def read_stored(dagster_type: Any, handle: StepOutputHandle) -> Any:
            if not storage.has_intermediate(handle):
                raise DagsterInvariantViolationError(
                    f'No value stored for output "{handle.output_name}" of step '
                    f'"{handle.step_key}" in run "{self.run.run_id}" (looked at '
                    f"{storage.uri_for(handle)}): that step may have failed or not run, or the "
                    f'stored value was deleted. Step "{self.step_key}" cannot get its inputs.'
                )
            try:
                return storage.get_intermediate(dagster_type, handle)
            except AttributeError as error:  # pickle: a class of __main__ not defined (yet)
                missing = _missing_main_name(error)
                if missing is None:
                    raise
                raise DagsterInvariantViolationError(
                    f'The stored value of output "{handle.output_name}" of step '
                    f'"{handle.step_key}" is a {missing}, which was defined in the notebook: '
                    f"re-run the cell defining {missing} first."
                ) from error

        return read_stored

    def inputs(self) -> dict[str, Any]:
        read = self.read()
        log = DagsterLogManager(self.run.run_id, {}, [], lambda _record: None)
        values: dict[str, Any] = {}
        for step_input in self.step.step_inputs:
            source = step_input.source
            dagster_type = step_input.dagster_type
            if source is None or dagster_type.is_nothing:
                continue
            if isinstance(source, FromStepOutput):
                values[step_input.name] = read(dagster_type, source.step_output_handle)
            elif isinstance(source, FromMultipleSources):
                items = []
                for item in source.sources:
                    try:
                        items.append(read(dagster_type, item.step_output_handle))
                    except DagsterError:
                        continue  # a fan-in input drops what was not produced, as in a run
                values[step_input.name] = items
            elif isinstance(source, FromConfig):
                loader = dagster_type.loader
                context = TypeCheckContext(self.run.run_id, log, None, loader)
                values[step_input.name] = loader.construct_from_config_value(
                    context, source.config_value
                )
            elif isinstance(source, FromDefaultValue):
                values[step_input.name] = source.value
        return values

    def rerun(self, target: DebugIO | None) -> BaseException | None:
        """Run the step's compute again here; on an exception, debug it post-mortem through
        ``target`` and return it; ``None`` when the step did not fail this time."""
        from .debugger import Debugger

        debugger = Debugger(target, step_key=self.step_key)
        events: list[Any] = []
        setup = RunSetup(
            self.pipeline_def,
            self.run,
            self.instance,
            self.env,
            self.plan,
            raise_on_error=True,
            sink=events.append,
            in_worker=True,  # no executor, no loggers: nothing is written or printed
        )
        for _ in setup.initialize():
            pass
        context = setup.context
        assert context is not None
        context.intermediate_storage = _ReadOnlyStorage(self.read())
        try:
            for _event in execute_step(context.for_step(self.step), Retries(RetryMode.DISABLED)):
                pass
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            debugger.write_banner(
                f'Step "{self.step_key}" of run {self.run.run_id} raised again: '
                f"{type(exc).__name__}: {exc}\n"
            )
            debugger.post_mortem(exc.__traceback__)  # type: ignore[arg-type]
            return exc
        finally:
            for _ in setup.teardown():
                pass
        return None


class _ReadOnlyStorage:
    """The re-run's intermediate storage: inputs read through ``read``, outputs kept in memory."""

    is_persistent = False

    def __init__(self, read: Reader):
        self._read = read
        self._written: dict[StepOutputHandle, Any] = {}

    def has_intermediate(self, handle: StepOutputHandle) -> bool:
        if handle in self._written:
            return True
        try:
            self._read(None, handle)
        except DagsterError:
            return False
        return True

    def get_intermediate_op(
        self, dagster_type: Any, handle: StepOutputHandle
    ) -> tuple[Any, ObjectStoreOperationResultData]:
        value = (
            self._written[handle] if handle in self._written else self._read(dagster_type, handle)
        )
        return value, _op("GET_OBJECT", handle)

    def get_intermediate(self, dagster_type: Any, handle: StepOutputHandle) -> Any:
        return self.get_intermediate_op(dagster_type, handle)[0]

    def set_intermediate(
        self, dagster_type: Any, handle: StepOutputHandle, value: Any
    ) -> ObjectStoreOperationResultData:
        self._written[handle] = value
        return _op("SET_OBJECT", handle)


def _op(kind: str, handle: StepOutputHandle) -> ObjectStoreOperationResultData:
    return ObjectStoreOperationResultData(
        ObjectStoreOperationType(kind), handle.output_name, "(post-mortem, in memory)", handle
    )


def _missing_main_name(error: AttributeError) -> str | None:
    """``Point`` for pickle's "Can't get attribute 'Point' on <module '__main__'...>"."""
    text = str(error)
    if "__main__" not in text or "Can't get attribute '" not in text:
        return None
    return text.split("Can't get attribute '", 1)[1].split("'", 1)[0]


def _definition(pipeline: Any, name: str) -> PipelineDefinition:
    if pipeline is not None and callable(getattr(pipeline, "get_definition", None)):
        pipeline = pipeline.get_definition()
    if pipeline is None:
        for finder in _finders:
            pipeline = finder(name)
    if not isinstance(pipeline, PipelineDefinition):
        raise DagsterInvariantViolationError(
            f'Cannot find the definition of pipeline "{name}" in this process: the step\'s '
            "inputs are read, and its compute run again, with the pipeline's definition. Run the "
            "cells that define its solids and the pipeline first (after a kernel restart they are "
            "gone), or pass it: pipeline=..."
        )
    if pipeline.name != name:
        raise DagsterInvariantViolationError(
            f'The run is of pipeline "{name}", not of the given pipeline "{pipeline.name}".'
        )
    return pipeline


def load_step_inputs(
    run_id: str,
    step_key: str,
    instance: DagsterInstance | None = None,
    pipeline: Any = None,
) -> dict[str, Any]:
    """The inputs step ``step_key`` of run ``run_id`` got (or would have got), by input name,
    read from the run's stored outputs; nothing is run. ``instance`` defaults to the notebook
    session's instance, else the home instance;
    ``pipeline`` (the definition) to the notebook variable of the run's pipeline name."""
    step = _FailedStep(run_id, step_key, instance, pipeline, None)
    try:
        return step.inputs()
    finally:
        step.close()


def debug_step(
    run_id: str,
    step_key: str,
    instance: DagsterInstance | None = None,
    pipeline: Any = None,
    *,
    reader: Reader | None = None,
    target: DebugIO | None = None,
) -> BaseException | None:
    """Run the compute of step ``step_key`` of run ``run_id`` again in this process with the
    inputs and config it had, and stop in the debugger where it raises (post-mortem); return the
    exception (``None``, with a message, if it did not fail this time)."""
    step = _FailedStep(run_id, step_key, instance, pipeline, reader)
    try:
        error = step.rerun(target)
    finally:
        step.close()
    if error is None:
        from .debugger import Debugger

        Debugger(target, step_key=step_key).write_banner(
            f'Step "{step_key}" of run {run_id} did not fail when run again here.\n'
        )
    return error
