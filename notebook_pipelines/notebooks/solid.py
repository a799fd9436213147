"""Notebooks as solids: :func:`define_notebook_solid` and the step that runs the notebook
(layer 5).

The step (running in whatever process the executor chose):

1. makes the step's exchange folder and :class:`~.protocol.RunHandle` (see :mod:`.protocol`);
2. passes each input as a papermill parameter: plain JSON values as themselves; any other value by
   a handle to a file — the upstream output's own file in the run's filesystem intermediate
   storage when it is there, else a file the step writes with the input type's serialization;
3. executes the notebook with papermill (:mod:`.runner`) in a fresh kernel, or a warm one from the
   pool (:mod:`.pool`) when the solid or the run asks for it;
4. keeps the executed notebook at ``<storage>/<run_id>/notebooks/<step_key>.ipynb`` and reports it
   first, as an ``AssetMaterialization`` (key ``notebooks/<solid>``, with its path), also when a
   cell failed (or timed out, or its kernel died) and when an output then fails its type check;
5. reads back, in order, what the notebook reported (``context.log`` records are stored as the
   step's log records with their own timestamps; materializations and expectations are yielded as
   the step's events; each yielded value is read from the exchange folder and yielded as an
   ``Output``, which the engine type-checks and stores in the run's intermediate storage — once —
   before the exchange file is removed); then a failing cell raises
   :class:`~..errors.DagsterNotebookExecutionError`, which the engine turns into the step's
   ``STEP_FAILURE`` (it names the cell and carries the traceback).
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ..definitions.io import InputDefinition, OutputDefinition
from ..definitions.solid import SolidDefinition
from ..errors import (
    DagsterInvalidDefinitionError,
    DagsterNotebookError,
    DagsterNotebookExecutionError,
    DagsterStepOutputNotFoundError,
)
from ..events import EventRecord
from ..plan.steps import FromStepOutput
from ..reconstruct import make_reconstructable
from ..serdes import unpack
from ..storage.file_manager import LocalFileHandle
from ..storage.intermediates import ObjectStoreIntermediateStorage, upload_run_file
from ..storage.object_store import FilesystemObjectStore
from ..user_events import AssetMaterialization, EventMetadataEntry, Output
from . import runner
from .pool import WARM_KERNELS_TAG, kernel_pool
from .protocol import (
    HANDLE_PARAMETER,
    INPUT_MARKER,
    OutputSpec,
    RunHandle,
    ValueRef,
    exchange_directory,
    executed_notebook_path,
    is_plain_json,
    load_strategy,
    read_lines,
    read_value,
    strategy_ref,
    write_value,
)

#: Tag of a notebook solid: the notebook it runs (also shown by the CLI and the widget).
NOTEBOOK_TAG = "notebook_pipelines/notebook"
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NotebookSolidSpec:
    """How a notebook solid runs its notebook."""

    name: str
    notebook_path: str
    kernel_name: str | None = None
    output_notebook: str | None = None
    warm_kernel: bool = False
    config_as_parameters: bool = False
    collect_outputs: str | None = None
    execution_timeout: float | None = None


def define_notebook_solid(
    name: str,
    notebook_path: str | os.PathLike[str],
    input_defs: Sequence[InputDefinition] | None = None,
    output_defs: Sequence[OutputDefinition] | None = None,
    config_schema: Any = None,
    required_resource_keys: Iterable[str] | None = None,
    output_notebook: str | None = None,
    tags: Mapping[str, Any] | None = None,
    kernel_name: str | None = None,
    description: str | None = None,
    warm_kernel: bool = False,
    config_as_parameters: bool = False,
    execution_timeout: float | None = None,
) -> SolidDefinition:
    """A solid that runs the notebook at ``notebook_path`` with papermill.

    Inputs reach the notebook as variables set in the cell injected after its ``parameters``
    cell; inside, ``nbp.get_context()`` gives the solid's config, log and resources, and
    ``nbp.yield_result(value, output_name)`` hands each output back. ``output_notebook`` names an
    extra output carrying a :class:`~notebook_pipelines.LocalFileHandle` to the executed notebook.
    ``warm_kernel`` takes kernels from the warm pool (reset between notebooks);
    ``config_as_parameters`` also injects the solid's config (a dict) as notebook variables,
    papermill style. ``execution_timeout`` bounds each cell (seconds): a cell running longer fails
    the step (naming the cell), and its kernel is shut down.
    """
    path = os.path.abspath(os.fspath(notebook_path))
    outputs = list(output_defs or [])
    if output_notebook is not None:
        if any(o.name == output_notebook for o in outputs):
            raise DagsterInvalidDefinitionError(
                f'Notebook solid "{name}": output_notebook "{output_notebook}" clashes with an '
                "output of the same name."
            )
        outputs.append(OutputDefinition(LocalFileHandle, output_notebook))
    spec = NotebookSolidSpec(
        name,
        path,
        kernel_name,
        output_notebook,
        warm_kernel,
        config_as_parameters,
        None,
        execution_timeout,
    )
    return notebook_solid_from_spec(
        spec, input_defs or [], outputs, config_schema, required_resource_keys, tags, description
    )


def notebook_solid_from_spec(
    spec: NotebookSolidSpec,
    input_defs: Sequence[InputDefinition],
    output_defs: Sequence[OutputDefinition],
    config_schema: Any = None,
    required_resource_keys: Iterable[str] | None = None,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
) -> SolidDefinition:
    """The solid for ``spec`` (the batch runner's solids set ``collect_outputs``)."""

    def compute(context: Any, inputs: dict[str, Any]) -> Iterator[Any]:
        return run_notebook_step(spec, context, inputs)

    return SolidDefinition(
        name=spec.name,
        input_defs=input_defs,
        compute_fn=compute,
        output_defs=output_defs,
        config_schema=config_schema,
        description=description or f"Runs the notebook {spec.notebook_path} with papermill.",
        tags={**(tags or {}), NOTEBOOK_TAG: spec.notebook_path},
        required_resource_keys=required_resource_keys,
        positional_inputs=[d.name for d in input_defs],
    )


# --- the step ------------------------------------------------------------------------------------


def run_notebook_step(
    spec: NotebookSolidSpec, context: Any, inputs: dict[str, Any]
) -> Iterator[Any]:
    """The compute of a notebook solid (see the module docstring)."""
    import shutil

    system = context.get_system_context()
    storage_dir = context.instance.storage_directory()
    output_path = executed_notebook_path(storage_dir, context.run_id, context.step_key)
    exchange = exchange_directory(storage_dir, context.run_id, context.step_key)
    shutil.rmtree(exchange, ignore_errors=True)  # a retry starts clean
    os.makedirs(exchange, exist_ok=True)
    try:
        handle = _handle(spec, system, exchange)
        parameters = _parameters(spec, system, inputs, handle)
        parameters[HANDLE_PARAMETER] = handle.to_json()
        _write_pipeline_pointer(system, handle)
        warm = spec.warm_kernel or _truthy(system.pipeline_run.tags.get(WARM_KERNELS_TAG))
        run = runner.NotebookRun(
            spec.notebook_path,
            output_path,
            parameters,
            spec.kernel_name,
            kernel_pool() if warm else None,
            spec.execution_timeout,
        )
        failure: DagsterNotebookExecutionError | None = None
        try:
            runner.execute(run)
        except DagsterNotebookExecutionError as error:
            failure = error
        # the executed notebook first: it is reported also when an output the notebook yielded
        # then fails (its type check, its storage) and ends the step
        stored = upload_run_file(  # values in an object store: the notebook goes there too
            system.intermediate_storage, output_path, ["notebooks", f"{context.step_key}.ipynb"]
        )
        yield _notebook_materialization(spec, context.solid_handle, output_path, failure, stored)
        yield from _reported(system, handle, skip_outputs=failure is not None)
        if failure is not None:
            raise failure
        _check_required_outputs(spec, system, handle)
        if spec.output_notebook is not None:
            yield Output(LocalFileHandle(output_path), spec.output_notebook)
    finally:
        shutil.rmtree(exchange, ignore_errors=True)


def _handle(spec: NotebookSolidSpec, system: Any, exchange: str) -> RunHandle:
    instance = system.instance
    outputs: dict[str, OutputSpec] = {}
    if spec.collect_outputs is not None:
        outputs[spec.collect_outputs] = OutputSpec()
    else:
        for step_output in system.step.step_outputs:
            if step_output.name == spec.output_notebook:
                continue
            ref = strategy_ref(
                step_output.dagster_type.serialization_strategy, exchange, step_output.name
            )
            outputs[step_output.name] = OutputSpec(ref, step_output.is_required)
    keys = tuple(sorted(system.solid_def.required_resource_keys))
    env_resources = system.environment_config.resources
    return RunHandle(
        run_id=system.run_id,
        step_key=system.step_key,
        solid_handle=system.solid_handle,
        solid_name=system.solid_def.name,
        pipeline_name=system.pipeline_name,
        mode=system.mode_def.name,
        notebook=spec.notebook_path,
        exchange_dir=exchange,
        solid_config=_json_or_none(system.solid_config, "solid config"),
        run_config=_json_or_none(dict(system.run_config), "run config") or {},
        resource_keys=keys,
        resource_configs={k: _json_or_none(env_resources.get(k), f"resource {k}") for k in keys},
        outputs=outputs,
        collect_outputs=spec.collect_outputs,
        instance_root=None if instance.is_ephemeral else instance.root_directory,
        tags={k: str(v) for k, v in system.logging_tags.items()},
    )


def _json_or_none(value: Any, what: str) -> Any:
    if is_plain_json(value):
        return value
    _log.debug("notebook solid: %s is not plain JSON; not passed to the kernel", what)
    return None


def _parameters(
    spec: NotebookSolidSpec, system: Any, inputs: Mapping[str, Any], handle: RunHandle
) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    config = system.solid_config
    if spec.config_as_parameters and isinstance(config, Mapping):
        parameters.update({k: v for k, v in config.items() if is_plain_json(v)})
    step_inputs = {i.name: i for i in system.step.step_inputs}
    for name, value in inputs.items():
        if name in parameters:
            raise DagsterInvalidDefinitionError(
                f'Notebook solid "{spec.name}": input "{name}" has the name of a config key; '
                "rename one of them."
            )
        if is_plain_json(value):
            parameters[name] = value
        else:
            ref = _input_ref(system, step_inputs[name], value, handle)
            parameters[name] = {INPUT_MARKER: asdict(ref)}
    return parameters


def _input_ref(system: Any, step_input: Any, value: Any, handle: RunHandle) -> ValueRef:
    """Where the kernel reads a non-JSON input: the upstream output's file in the run's filesystem
    intermediate storage, or a file written here with the input type's serialization."""
    strategy = step_input.dagster_type.serialization_strategy
    ref = strategy_ref(strategy, handle.exchange_dir, f"input-{step_input.name}")
    storage = system.intermediate_storage
    source = step_input.source
    if (
        isinstance(source, FromStepOutput)
        and isinstance(storage, ObjectStoreIntermediateStorage)
        and isinstance(storage.object_store, FilesystemObjectStore)
        and storage.has_intermediate(source.step_output_handle)
    ):
        return ValueRef(storage.uri_for(source.step_output_handle), ref)
    path = handle.input_path(step_input.name)
    try:
        write_value(path, value, load_strategy(ref))
    except Exception as exc:
        raise DagsterNotebookError(
            f'Notebook {handle.notebook} (step "{handle.step_key}"): input "{step_input.name}" '
            f"({type(value).__name__}) cannot be handed to the kernel: it is not plain JSON and "
            f"cannot be serialized: {type(exc).__name__}: {exc}",
            handle.notebook,
        ) from exc
    return ValueRef(path, ref)


def _write_pipeline_pointer(system: Any, handle: RunHandle) -> None:
    """Let the kernel rebuild the pipeline (for its resources) when the pipeline can be rebuilt."""
    try:
        pointer = make_reconstructable(system.pipeline_def)
        data = pickle.dumps(pointer)
    except Exception:
        return  # the kernel says so if the notebook asks for the pipeline or resources
    with open(handle.pipeline_pointer_path, "wb") as file_obj:
        file_obj.write(data)


def _reported(system: Any, handle: RunHandle, skip_outputs: bool) -> Iterator[Any]:
    """What the notebook reported, in order: log records (stored as the step's), events and
    outputs (yielded; each output's file is removed once the engine has stored the value). A
    batch solid's collected values are one output, yielded at the end."""
    plan = system.plan_context
    for entry in read_lines(handle.events_path):
        kind = entry.get("kind")
        if kind == "log":
            plan.forward(
                EventRecord(
                    handle.run_id,
                    float(entry["time"]),
                    int(entry["level"]),
                    str(entry["message"]),
                    handle.pipeline_name,
                    handle.step_key,
                )
            )
        elif kind == "event":
            yield unpack(entry["event"])
        elif kind == "output" and not skip_outputs and handle.collect_outputs is None:
            yield from _output(handle, entry["name"])
    collected = handle.collect_outputs
    if collected is not None and not skip_outputs:
        path = handle.output_path(collected)
        values = _read_output(handle, collected) if os.path.exists(path) else {}
        yield Output({"set": handle.solid_handle, "values": values}, collected)
        if os.path.exists(path):
            os.remove(path)


def _output(handle: RunHandle, name: str) -> Iterator[Output]:
    yield Output(_read_output(handle, name), name)
    os.remove(handle.output_path(name))  # stored by the engine: the run's storage has the copy


def _read_output(handle: RunHandle, name: str) -> Any:
    path = handle.output_path(name)
    try:
        return read_value(ValueRef(path, handle.outputs[name].strategy))
    except Exception as exc:
        raise DagsterNotebookError(
            f'Notebook {handle.notebook}: output "{name}" cannot be read back from {path}: '
            f"{type(exc).__name__}: {exc}",
            handle.notebook,
        ) from exc


def _notebook_materialization(
    spec: NotebookSolidSpec,
    solid_handle: str,
    output_path: str,
    failure: DagsterNotebookExecutionError | None,
    stored: str | None = None,
) -> AssetMaterialization:
    entries = [
        EventMetadataEntry.path(output_path, "executed notebook"),
        EventMetadataEntry.path(spec.notebook_path, "source notebook"),
    ]
    if stored is not None:
        entries.append(EventMetadataEntry.url(stored, "stored notebook"))
    if failure is not None:
        cell = (
            f"In [{failure.execution_count}] (cell index {failure.cell_index})"
            if failure.cell_index is not None
            else "an injected cell"
        )
        entries.append(EventMetadataEntry.text(cell, "failed cell"))
        entries.append(EventMetadataEntry.text(f"{failure.ename}: {failure.evalue}", "error"))
    return AssetMaterialization(
        asset_key=["notebooks", solid_handle],
        description=(
            f"Executed notebook of {solid_handle}" + (" (failed)" if failure is not None else "")
        ),
        metadata_entries=entries,
    )


def _check_required_outputs(spec: NotebookSolidSpec, system: Any, handle: RunHandle) -> None:
    if spec.collect_outputs is not None:
        return
    yielded = {e["name"] for e in read_lines(handle.events_path) if e.get("kind") == "output"}
    for name, output in handle.outputs.items():
        if output.required and name not in yielded:
            raise DagsterStepOutputNotFoundError(
                f'Notebook {spec.notebook_path} (solid "{system.solid_handle}", step '
                f'"{system.step_key}") never yielded its required output "{name}". Call '
                f'nbp.yield_result(value, output_name="{name}") in the notebook, or make the '
                "output optional (is_required=False).",
                step_key=system.step_key,
                output_name=name,
            )


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")
