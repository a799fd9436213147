"""Post-mortem of a failed step: its stored inputs (:func:`load_step_inputs`), and its compute run
again in this process under the debugger, stopping where it raises (:func:`debug_step`; in a
notebook ``%pipeline_debug`` and ``result.debug_step(step_key)``).

What the step needs comes from the run's record in the instance: run config, mode and selection
(so the config and resources are the run's), and its inputs are read from the run's intermediate
storage (filesystem intermediates; a run started in a notebook session stores them by default), or
through ``reader`` (a result's own storage, which also serves in-memory runs in this process). The
pipeline definition is given, or found by the run's pipeline name through the finder the notebook
layer registers (:func:`set_pipeline_finder`: the notebook's variables).

With no definition in this process (after a kernel restart, say), :func:`load_step_inputs` still
reads the inputs, with what the run stored in its plan snapshot (:func:`inputs_snapshot`): where
each input comes from and where the run's filesystem intermediates are; it names any input that
needs the definition (from run config, a custom serialization strategy) and why. Running the
compute again needs the solid's code, so :func:`debug_step` needs the definition.

The re-run writes nothing: its events stay in a list, its outputs in memory. Resources are built
(and torn down) as for the run; hooks do not run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..definitions.environment import build_environment_config
from ..definitions.pipeline import PipelineDefinition
from ..definitions.registry import Registered
from ..definitions.serialization import PickleSerializationStrategy
from ..definitions.storage import (
    fs_intermediate_storage,
    fs_system_storage,
    mem_intermediate_storage,
    mem_system_storage,
)
from ..errors import (
    DagsterError,
    DagsterExecutionStepNotFoundError,
    DagsterInvariantViolationError,
    DagsterRunNotFoundError,
)
from ..events import (
    ObjectStoreOperationResultData,
    ObjectStoreOperationType,
    StepOutputHandle,
)
from ..plan.plan import ExecutionPlan
from ..plan.retries import Retries, RetryMode
from ..plan.steps import FromConfig, FromDefaultValue, FromMultipleSources, FromStepOutput
from ..storage.instance import DagsterInstance
from ..storage.intermediates import (
    ObjectStoreIntermediateStorage,
    _base_dir,
    run_id_root,
    run_values_store,
)
from ..storage.object_store import FilesystemObjectStore
from ..storage.runs import PipelineRun
from .debug_io import DebugIO
from .init_contexts import TypeCheckContext
from .log_manager import DagsterLogManager
from .observers import session_defaults
from .setup import RunSetup, build_storage, storage_definition
from .step import execute_step

#: ``reader(dagster_type, step_output_handle) -> value`` (a result's own storage)
Reader = Callable[[Any, StepOutputHandle], Any]
#: how the modules of ``%%solid`` cells are named (``jupyter.cell_modules``, a layer above)
_CELL_PREFIX = "__np_cell_"
#: ``finder(pipeline_name, used) -> PipelineDefinition | None``: the definition to debug a run
#: of ``pipeline_name`` with; ``used`` is the pipeline the caller has (a result's), or None. A
#: notebook session's finder answers with the notebook's current code (cells fixed since the run).
PipelineFinder = Callable[[str, Any], Any]

_finders: list[PipelineFinder] = []


def set_pipeline_finder(finder: PipelineFinder | None) -> None:
    """Find pipeline definitions by name with ``finder`` (``None``: none); without a finder, a
    given pipeline is used as it is."""
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
        self.step_key = step_key
        pipeline_def = _definition(pipeline, run.pipeline_name)
        if pipeline_def is None:  # none in this process: only what the run stored
            self.definition: PipelineDefinition | None = None
            return
        self.definition = pipeline_def
        if run.solid_selection:
            pipeline_def = pipeline_def.subset_for_execution(list(run.solid_selection))
        self.pipeline_def = pipeline_def
        self.mode_def = pipeline_def.get_mode_definition(run.mode)
        self.env = build_environment_config(pipeline_def, run.run_config, self.mode_def)
        self.plan = ExecutionPlan.build(pipeline_def, self.env)
        self.step = self.plan.get_step_by_key(step_key)

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
        return _stored_reader(self._storage(), self.run.run_id, self.step_key)

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
                handles = [item.step_output_handle for item in source.sources]
                values[step_input.name] = _fan_in(read, dagster_type, handles)
            elif isinstance(source, FromConfig):
                loader = dagster_type.loader
                context = TypeCheckContext(self.run.run_id, log, None, loader)
                values[step_input.name] = loader.construct_from_config_value(
                    context, source.config_value
                )
            elif isinstance(source, FromDefaultValue):
                values[step_input.name] = source.value
        return values

    def stored_inputs(self) -> dict[str, Any]:
        """The inputs read with what the run stored (its plan snapshot), without the definition."""
        snapshot = self.run.execution_plan_snapshot or {}
        recorded = snapshot.get(STEP_INPUTS)
        if not isinstance(recorded, dict):  # a run stored before the snapshot had them
            raise _no_definition(self.run.pipeline_name)
        if self.step_key not in (snapshot.get("step_deps") or {}):
            raise DagsterExecutionStepNotFoundError(
                f'No step "{self.step_key}" in the stored plan of run {self.run.run_id} '
                f'(pipeline "{self.run.pipeline_name}").',
                [self.step_key],
            )
        entries: dict[str, Any] = recorded.get(self.step_key) or {}
        why = [
            f'input "{name}" {reason}'
            for name, entry in entries.items()
            if (reason := _needs_definition(entry)) is not None
        ]
        if why:
            raise DagsterInvariantViolationError(
                f'Cannot load the inputs of step "{self.step_key}" of run {self.run.run_id} '
                f'without the definition of pipeline "{self.run.pipeline_name}", which is not in '
                f"this process: {'; '.join(why)}. Run the cells that define its solids and the "
                "pipeline first (after a kernel restart they are gone), or pass it: pipeline=..."
            )
        read: Reader | None = None
        values: dict[str, Any] = {}
        for name, entry in entries.items():
            if "default" in entry:
                values[name] = entry["default"]
                continue
            if read is None:
                read = _stored_reader(
                    self._stored_storage(snapshot.get(STORAGE) or {}),
                    self.run.run_id,
                    self.step_key,
                )
            handles = [StepOutputHandle(step, output) for step, output in entry["from"]]
            if entry.get("fan_in"):
                values[name] = _fan_in(read, None, handles)
            else:
                values[name] = read(None, handles[0])
        return values

    def _stored_storage(self, stored: dict[str, Any]) -> ObjectStoreIntermediateStorage:
        """The run's filesystem intermediates, as its snapshot says where they are."""
        kind = stored.get("kind")
        if kind == "in_memory":
            raise DagsterInvariantViolationError(
                f'Run "{self.run.run_id}" kept its values in memory, in the process that ran it; '
                "they are gone once that process ends (after a kernel restart too), so the "
                f'inputs of step "{self.step_key}" cannot be loaded. Run it with filesystem '
                "intermediates (a notebook session does so by default) to load them later."
            )
        if kind != "filesystem":
            raise DagsterInvariantViolationError(
                f'Run "{self.run.run_id}" stores its values with the storage '
                f'"{stored.get("name")}", which only the pipeline\'s definition can read: run the '
                "cells that define its solids and the pipeline first, or pass it: pipeline=..."
            )
        base_dir = stored.get("base_dir")
        store = (
            FilesystemObjectStore(base_dir)
            if isinstance(base_dir, str)
            else run_values_store(self.instance)
        )
        return ObjectStoreIntermediateStorage(store, run_id_root, self.run.run_id)

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


def _fan_in(read: Reader, dagster_type: Any, handles: list[StepOutputHandle]) -> list[Any]:
    items = []
    for handle in handles:
        try:
            items.append(read(dagster_type, handle))
        except DagsterError:
            continue  # a fan-in input drops what was not produced, as in a run
    return items


def _stored_reader(storage: Any, run_id: str, step_key: str) -> Reader:
    """Reads the values of run ``run_id`` from ``storage`` for step ``step_key``'s inputs; what
    is missing, or a notebook class that is not defined, is said plainly."""

    def read_stored(dagster_type: Any, handle: StepOutputHandle) -> Any:
        if not storage.has_intermediate(handle):
            raise DagsterInvariantViolationError(
                f'No value stored for output "{handle.output_name}" of step '
                f'"{handle.step_key}" in run "{run_id}" (looked at '
                f"{storage.uri_for(handle)}): that step may have failed or not run, or the "
                f'stored value was deleted. Step "{step_key}" cannot get its inputs.'
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
                f"run the cell defining {missing} first."
            ) from error
        except ModuleNotFoundError as error:  # pickle: a class of a module not importable here
            if not error.name:
                raise
            cell = (
                ", the module of a %%solid cell: run that cell first"
                if error.name.startswith(_CELL_PREFIX)
                else ": install it, or make it importable"
            )
            raise DagsterInvariantViolationError(
                f'The stored value of output "{handle.output_name}" of step '
                f'"{handle.step_key}" refers to module "{error.name}", which cannot be imported '
                f"in this process{cell}."
            ) from error

    return read_stored


def _needs_definition(entry: dict[str, Any]) -> str | None:
    """Why the input recorded as ``entry`` cannot be loaded without the definition, if so."""
    if "config" in entry:
        return (
            f"comes from the run config ({entry['config']}), and turning config into a value "
            "needs its type's loader, from the definition"
        )
    if "default_type" in entry:
        return (
            f"takes its default value, a {entry['default_type']}, which is kept in the "
            "definition (the run stores only plain JSON defaults)"
        )
    strategy = entry.get("strategy")
    if strategy is not None:
        name, type_name = strategy
        step, output = entry["from"][0]
        return (
            f'is output "{output}" of step "{step}", stored with the serialization strategy '
            f'"{name}" of type "{type_name}": only the definition can read it back'
        )
    return None


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


def _no_definition(name: str) -> DagsterInvariantViolationError:
    return DagsterInvariantViolationError(
        f'Cannot find the definition of pipeline "{name}" in this process: the step\'s '
        "inputs are read, and its compute run again, with the pipeline's definition. Run the "
        "cells that define its solids and the pipeline first (after a kernel restart they are "
        "gone), or pass it: pipeline=..."
    )


def _definition(pipeline: Any, name: str) -> PipelineDefinition | None:
    """The given pipeline (checked), else the one a finder has; ``None``: none in this process."""
    if pipeline is not None and callable(getattr(pipeline, "get_definition", None)):
        pipeline = pipeline.get_definition()
    for finder in _finders:
        pipeline = finder(name, pipeline) or pipeline
    if pipeline is None:
        return None
    if not isinstance(pipeline, PipelineDefinition):
        raise _no_definition(name)
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
    ``pipeline`` (the definition) to the notebook variable of the run's pipeline name.

    With no definition in this process (after a kernel restart, say), the inputs are read with
    what the run stored: its plan snapshot says where each input comes from and where the run's
    filesystem intermediates are. An input that needs the definition (from run config, a default
    that is not plain JSON, a custom serialization strategy) is named, with why."""
    step = _FailedStep(run_id, step_key, instance, pipeline, None)
    try:
        if step.definition is None:
            return step.stored_inputs()
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
    caller: str = "debug_step",
) -> BaseException | None:
    """Run the compute of step ``step_key`` of run ``run_id`` again in this process with the
    inputs and config it had, and stop in the debugger where it raises (post-mortem); return the
    exception (``None``, with a message, if it did not fail this time). ``caller`` names what
    was called in the message when the definition is missing (``%pipeline_debug``)."""
    step = _FailedStep(run_id, step_key, instance, pipeline, reader)
    try:
        if step.definition is None:
            passing = ", or pass it: pipeline=..." if caller == "debug_step" else ""
            raise DagsterInvariantViolationError(
                f"{caller} needs the solid's code, and the definition of pipeline "
                f'"{step.run.pipeline_name}" is not in this process: run the cells that define '
                f"its solids and the pipeline (after a kernel restart they are gone){passing}; "
                f'load_step_inputs("{run_id}", "{step_key}") works without them.'
            )
        error = step.rerun(target)
    finally:
        step.close()
    if error is None:
        from .debugger import Debugger

        Debugger(target, step_key=step_key).write_banner(
            f'Step "{step_key}" of run {run_id} did not fail when run again here.\n'
        )
    return error


# --- what the run stores for a post-mortem without the definition ------------------------------

#: The run's execution-plan snapshot keys written by :func:`inputs_snapshot`.
STEP_INPUTS = "step_inputs"
STORAGE = "intermediate_storage"
#: the creation functions of the built-in storages (named in the registry), by kind of storage
_FS_TARGETS = frozenset(d.creation_fn for d in (fs_intermediate_storage, fs_system_storage))
_MEMORY_TARGETS = frozenset(d.creation_fn for d in (mem_intermediate_storage, mem_system_storage))
#: a default value is stored when it is plain JSON no longer than this
_MAX_DEFAULT_JSON = 1000


def inputs_snapshot(plan: ExecutionPlan, mode_def: Any) -> dict[str, Any]:
    """What :func:`load_step_inputs` needs to read a step's inputs with no definition at hand,
    as plain JSON data for the run's stored plan snapshot (:data:`STEP_INPUTS`, :data:`STORAGE`).

    ``step_inputs``: step key → input name → where it comes from: ``{"from": [[step, output]]}``
    (``"fan_in": true`` for a list of outputs), ``{"config": "<path>"}`` or ``{"default": value}``
    (``{"default_type": "<class>"}`` when the value is not plain JSON), with ``"strategy":
    [name, type]`` when the value is read, or was written, with a serialization strategy other
    than pickle. Steps without inputs to load are left out. ``intermediate_storage``: ``{"kind":
    "filesystem", "base_dir": path | None}``, ``{"kind": "in_memory"}`` or ``{"kind": "other",
    "name": ...}``.
    """
    env = plan.environment_config
    assert env is not None
    steps = plan.step_dict
    recorded: dict[str, dict[str, Any]] = {}
    for step in plan.steps:
        entries: dict[str, Any] = {}
        for step_input in step.step_inputs:
            source = step_input.source
            if source is None or step_input.dagster_type.is_nothing:
                continue
            entries[step_input.name] = _source_entry(step_input, source, steps)
        if entries:
            recorded[step.key] = entries
    return {STEP_INPUTS: recorded, STORAGE: _storage_entry(storage_definition(mode_def, env), env)}


def _custom_strategy(dagster_type: Any) -> list[str] | None:
    """``[strategy name, type name]`` when ``dagster_type`` is not stored with plain pickle."""
    strategy = getattr(dagster_type, "serialization_strategy", None)
    if strategy is None or type(strategy) is PickleSerializationStrategy:
        return None
    return [strategy.name, dagster_type.display_name]


def _source_entry(step_input: Any, source: Any, steps: dict[str, Any]) -> dict[str, Any]:
    if isinstance(source, FromConfig):
        path = ":solids:".join(source.solid_handle.split("."))
        return {"config": f"root:solids:{path}:inputs:{step_input.name}"}
    if isinstance(source, FromDefaultValue):
        value = source.value
        try:
            text = json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            text = None
        if text is not None and len(text) <= _MAX_DEFAULT_JSON:
            back = json.loads(text)
            if type(back) is type(value) and back == value:  # not a tuple made a list, say
                return {"default": value}
        return {"default_type": type(value).__qualname__}
    handles = step_input.upstream_handles
    entry: dict[str, Any] = {"from": [[h.step_key, h.output_name] for h in handles]}
    if isinstance(source, FromMultipleSources):
        entry["fan_in"] = True
    strategy = _custom_strategy(step_input.dagster_type)
    for handle in handles:
        if strategy is not None:
            break
        upstream = steps.get(handle.step_key)
        output = upstream.step_output_named(handle.output_name) if upstream else None
        strategy = _custom_strategy(getattr(output, "dagster_type", None))
    if strategy is not None:
        entry["strategy"] = strategy
    return entry


def _storage_entry(storage_def: Any, env: Any) -> dict[str, Any]:
    target = storage_def.creation_fn
    target = target if isinstance(target, Registered) else None  # a user's may be unhashable
    if target in _FS_TARGETS:
        try:
            base_dir = _base_dir(env.storage_config, "storage")
        except DagsterInvariantViolationError:  # the run fails creating its storage, and says why
            return {"kind": "other", "name": storage_def.name}
        return {"kind": "filesystem", "base_dir": base_dir}
    if target in _MEMORY_TARGETS:
        return {"kind": "in_memory"}
    return {"kind": "other", "name": storage_def.name}
