"""The execution API (layer 6): ``execute_pipeline`` and its iterator, re-execution, and executing
solids on their own or within a pipeline — the reference's names, parameters and semantics.

One spine serves every one of them: the call's arguments are checked (preset, tags, selection),
then resolved once into a :class:`~.execution.request.RunRequest` — executor, storages, instance,
what the executor receives, the steps and parent of a re-execution — whose run config is validated
exactly once, so the user's config functions run once per run; :func:`~.execution.prepared.prepare_run`
makes it a run in the instance. This module adds only what needs the layers above the engine:
refusing a run while ``__main__`` is being imported, and making a pipeline reconstructable."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from .definitions.dependency import DependencyDefinition, SolidInvocation
from .definitions.environment import build_environment_config
from .definitions.executor import ExecutorDefinition
from .definitions.io import OutputDefinition
from .definitions.mode import ModeDefinition
from .definitions.pipeline import PipelineDefinition, dependencies_of
from .definitions.selection import select
from .definitions.solid import SolidDefinition
from .errors import (
    DagsterInvalidDefinitionError,
    DagsterInvalidSubsetError,
    DagsterInvariantViolationError,
    DagsterRunNotFoundError,
    DagsterUnmetExecutorRequirementsError,
)
from .events import DagsterEvent
from .execution.observers import session_defaults
from .execution.prepared import PreparedRun, prepare_run
from .execution.request import resolve_run_request
from .execution.results import (
    CompositeSolidExecutionResult,
    PipelineExecutionResult,
    SolidExecutionResult,
)
from .executors.bootstrap import refuse_run_while_importing_main
from .plan.plan import ExecutionPlan
from .reconstruct import ReconstructablePipeline, make_reconstructable
from .storage.instance import DagsterInstance
from .storage.runs import PipelineRun
from .user_events import Output


def execute_pipeline(
    pipeline: Any,
    run_config: Mapping[str, Any] | None = None,
    mode: str | None = None,
    preset: str | None = None,
    tags: Mapping[str, Any] | None = None,
    solid_selection: Sequence[str] | None = None,
    instance: DagsterInstance | None = None,
    raise_on_error: bool = True,
) -> PipelineExecutionResult:
    """Execute a pipeline synchronously and return its result.

    With ``raise_on_error`` (the default) the first user error is re-raised once its
    ``STEP_FAILURE`` has been stored; otherwise the result reports it and later steps are skipped.
    """
    run = _prepare_run(
        pipeline, run_config, mode, preset, tags, solid_selection, instance, session=True
    )
    return run.execute_observed(raise_on_error)


def execute_pipeline_iterator(
    pipeline: Any,
    run_config: Mapping[str, Any] | None = None,
    mode: str | None = None,
    preset: str | None = None,
    tags: Mapping[str, Any] | None = None,
    solid_selection: Sequence[str] | None = None,
    instance: DagsterInstance | None = None,
) -> Iterator[DagsterEvent]:
    """Execute a pipeline, yielding its events as they happen."""
    run = _prepare_run(
        pipeline, run_config, mode, preset, tags, solid_selection, instance, session=True
    )
    return run.iterate(raise_on_error=False)


def reexecute_pipeline(
    pipeline: Any,
    parent_run_id: str,
    run_config: Mapping[str, Any] | None = None,
    step_selection: Sequence[str] | None = None,
    mode: str | None = None,
    preset: str | None = None,
    tags: Mapping[str, Any] | None = None,
    instance: DagsterInstance | None = None,
    raise_on_error: bool = True,
    step_keys_to_execute: Sequence[str] | None = None,
) -> PipelineExecutionResult:
    """Re-execute run ``parent_run_id`` (all of it, or the steps ``step_selection`` selects)."""
    run = _prepare_reexecution(
        pipeline,
        parent_run_id,
        run_config,
        step_selection or step_keys_to_execute,
        mode,
        preset,
        tags,
        instance,
    )
    return run.execute_observed(raise_on_error)


def reexecute_pipeline_iterator(
    pipeline: Any,
    parent_run_id: str,
    run_config: Mapping[str, Any] | None = None,
    step_selection: Sequence[str] | None = None,
    mode: str | None = None,
    preset: str | None = None,
    tags: Mapping[str, Any] | None = None,
    instance: DagsterInstance | None = None,
    step_keys_to_execute: Sequence[str] | None = None,
) -> Iterator[DagsterEvent]:
    """Re-execute run ``parent_run_id``, yielding the events as they happen."""
    run = _prepare_reexecution(
        pipeline,
        parent_run_id,
        run_config,
        step_selection or step_keys_to_execute,
        mode,
        preset,
        tags,
        instance,
    )
    return run.iterate(raise_on_error=False)


def create_execution_plan(
    pipeline: Any,
    run_config: Mapping[str, Any] | None = None,
    mode: str | None = None,
    step_keys_to_execute: Sequence[str] | None = None,
) -> ExecutionPlan:
    """The execution plan of ``pipeline`` for ``run_config`` in ``mode``."""
    pipeline_def = _pipeline_def(pipeline)
    mode_def = pipeline_def.get_mode_definition(mode)
    env = build_environment_config(pipeline_def, run_config, mode_def)
    return ExecutionPlan.build(pipeline_def, env, step_keys_to_execute)


# --- solids ------------------------------------------------------------------------------------


def execute_solid(
    solid_def: SolidDefinition,
    mode_def: ModeDefinition | None = None,
    input_values: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    run_config: Mapping[str, Any] | None = None,
    raise_on_error: bool = True,
) -> SolidExecutionResult | CompositeSolidExecutionResult:
    """Execute one solid in a pipeline of its own; ``input_values`` feed its inputs directly."""
    if not hasattr(solid_def, "input_defs"):
        raise DagsterInvariantViolationError(
            f"execute_solid takes a solid definition, got {solid_def!r}"
        )
    solid_defs: list[Any] = [solid_def]
    inputs: dict[str, Any] = {}
    for input_name, value in (input_values or {}).items():
        if not solid_def.has_input(input_name):
            raise DagsterInvalidDefinitionError(
                f'execute_solid: solid "{solid_def.name}" has no input "{input_name}" (its inputs: '
                f"{[d.name for d in solid_def.input_defs] or 'none'})."
            )
        stub = _value_solid(f"__input_{input_name}", value)
        solid_defs.append(stub)
        inputs[input_name] = DependencyDefinition(stub.name)
    pipeline_def = PipelineDefinition(
        solid_defs,
        name=f"ephemeral_{solid_def.name}_solid_pipeline",
        dependencies={solid_def.name: inputs},
        mode_defs=[mode_def] if mode_def is not None else None,
    )
    result = _prepare_run(pipeline_def, run_config, None, None, tags, None, None).execute(
        raise_on_error
    )
    return result.result_for_handle(solid_def.name)


def execute_solids_within_pipeline(
    pipeline_def: PipelineDefinition,
    solid_names: Iterable[str],
    inputs: Mapping[str, Mapping[str, Any]] | None = None,
    run_config: Mapping[str, Any] | None = None,
    mode: str | None = None,
    preset: str | None = None,
    tags: Mapping[str, Any] | None = None,
    instance: DagsterInstance | None = None,
) -> dict[str, SolidExecutionResult | CompositeSolidExecutionResult]:
    """Execute some solids of a pipeline; ``inputs[solid][input]`` stubs inputs with values."""
    names = set(solid_names) if not isinstance(solid_names, str) else {solid_names}
    graph = pipeline_def.graph
    unknown = sorted(n for n in names if n not in graph.solids)
    if unknown:
        raise DagsterInvalidSubsetError(
            f"Pipeline {pipeline_def.name} has no solid named {unknown[0]}. "
            f'(Pipeline "{pipeline_def.name}" has no solids {unknown}; its solids: '
            f"{sorted(graph.solids)}.)"
        )
    keep = frozenset(names)
    dependencies = dependencies_of(graph, keep)
    solid_defs: list[Any] = [graph.solids[n].definition for n in graph.order if n in keep]
    for solid_name, solid_inputs in (inputs or {}).items():
        if solid_name not in keep:
            raise DagsterInvariantViolationError(
                f'Inputs were given for solid "{solid_name}", which is not among the solids to '
                f"execute {sorted(keep)}."
            )
        key = next(
            k for k in dependencies if isinstance(k, SolidInvocation) and k.alias == solid_name
        )
        definition = graph.solids[solid_name].definition
        for input_name, value in solid_inputs.items():
            if not definition.has_input(input_name):
                raise DagsterInvalidDefinitionError(
                    f'Solid "{solid_name}" has no input "{input_name}".'
                )
            stub = _value_solid(f"__stub_{solid_name}_{input_name}", value)
            solid_defs.append(stub)
            dependencies[key][input_name] = DependencyDefinition(stub.name)
    stubbed = PipelineDefinition(
        solid_defs,
        name=f"{pipeline_def.name}_stubbed",
        dependencies=dependencies,
        mode_defs=pipeline_def.mode_defs,
        preset_defs=pipeline_def.preset_defs,
        tags=pipeline_def.tags,
    )
    if preset is not None:
        run_config, mode, preset_tags, _ = _preset_args(
            pipeline_def, preset, run_config, mode, None
        )
        tags = {**preset_tags, **(tags or {})}
    run_config = _only_solids(run_config, keep)
    result = _prepare_run(stubbed, run_config, mode, None, tags, None, instance).execute(True)
    return {name: result.result_for_solid(name) for name in graph.order if name in keep}


def execute_solid_within_pipeline(
    pipeline_def: PipelineDefinition,
    solid_name: str,
    inputs: Mapping[str, Any] | None = None,
    run_config: Mapping[str, Any] | None = None,
    mode: str | None = None,
    preset: str | None = None,
    tags: Mapping[str, Any] | None = None,
    instance: DagsterInstance | None = None,
) -> SolidExecutionResult | CompositeSolidExecutionResult:
    """Execute one solid of a pipeline; ``inputs`` stub its inputs with values."""
    return execute_solids_within_pipeline(
        pipeline_def,
        {solid_name},
        inputs={solid_name: inputs} if inputs else None,
        run_config=run_config,
        mode=mode,
        preset=preset,
        tags=tags,
        instance=instance,
    )[solid_name]


# --- internals: each call resolved once (execution/request.py), then run (execution/prepared.py)


def _pipeline_def(pipeline: Any) -> PipelineDefinition:
    if isinstance(pipeline, PipelineDefinition):
        return pipeline
    get_definition = getattr(pipeline, "get_definition", None)
    if callable(get_definition):
        definition = get_definition()
        if isinstance(definition, PipelineDefinition):
            return definition
    raise DagsterInvariantViolationError(
        f"Expected a pipeline (a PipelineDefinition or a reconstructable pipeline), got {pipeline!r}"
        + (" — did you forget the @pipeline decorator?" if callable(pipeline) else "")
    )


def _preset_args(
    pipeline_def: PipelineDefinition,
    preset: str,
    run_config: Mapping[str, Any] | None,
    mode: str | None,
    solid_selection: Sequence[str] | None,
) -> tuple[Mapping[str, Any] | None, str, dict[str, Any], Sequence[str] | None]:
    if mode is not None:
        raise DagsterInvariantViolationError(
            f'You may set only one of mode ("{mode}") and preset ("{preset}").'
        )
    chosen = pipeline_def.get_preset(preset)
    if run_config is not None and dict(run_config) != (chosen.run_config or {}):
        raise DagsterInvariantViolationError(
            f'Preset "{preset}" sets the run config; do not pass a different run_config with it '
            "(use preset.with_additional_config(...) to extend it)."
        )
    if (
        solid_selection is not None
        and chosen.solid_selection is not None
        and list(solid_selection) != chosen.solid_selection
    ):
        raise DagsterInvariantViolationError(
            f'Preset "{preset}" selects solids {chosen.solid_selection}; the solid_selection '
            f"{list(solid_selection)} passed with it differs."
        )
    return (
        chosen.run_config,
        chosen.mode,
        dict(chosen.tags),
        solid_selection if solid_selection is not None else chosen.solid_selection,
    )


def _resolve_args(
    pipeline_def: PipelineDefinition,
    run_config: Mapping[str, Any] | None,
    mode: str | None,
    preset: str | None,
    tags: Mapping[str, Any] | None,
    solid_selection: Sequence[str] | None,
) -> tuple[Mapping[str, Any], str | None, dict[str, str], Sequence[str] | None]:
    preset_tags: dict[str, Any] = {}
    if preset is not None:
        run_config, mode, preset_tags, solid_selection = _preset_args(
            pipeline_def, preset, run_config, mode, solid_selection
        )
    if run_config is not None and not isinstance(run_config, Mapping):
        raise DagsterInvariantViolationError(
            f"run_config must be a dict, got {type(run_config).__name__}."
        )
    if solid_selection is not None and len(solid_selection) == 0:
        solid_selection = None  # an empty selection is the whole pipeline, as the reference
    merged_tags = {**_string_tags(pipeline_def.tags), **_string_tags(preset_tags)}
    for key, value in (tags or {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise DagsterInvariantViolationError(
                f"Run tags must be strings: tag {key!r} has the value {value!r} "
                f"({type(value).__name__}); pass str(value) or json.dumps(value)."
            )
        merged_tags[key] = value
    return dict(run_config or {}), mode, merged_tags, solid_selection


def _string_tags(tags: Mapping[str, Any]) -> dict[str, str]:
    import json

    out = {}
    for key, value in tags.items():
        if not isinstance(key, str):
            raise DagsterInvariantViolationError(f"Tag keys must be strings, got {key!r}.")
        out[key] = value if isinstance(value, str) else json.dumps(value)
    return out


def _prepare_run(
    pipeline: Any,
    run_config: Mapping[str, Any] | None,
    mode: str | None,
    preset: str | None,
    tags: Mapping[str, Any] | None,
    solid_selection: Sequence[str] | None,
    instance: DagsterInstance | None,
    session: bool = False,
) -> PreparedRun:
    refuse_run_while_importing_main()
    pipeline_def = _pipeline_def(pipeline)
    run_config, mode, run_tags, solid_selection = _resolve_args(
        pipeline_def, run_config, mode, preset, tags, solid_selection
    )
    subset = pipeline_def.subset_for_execution(solid_selection)
    request = resolve_run_request(
        pipeline,
        subset,
        subset.get_mode_definition(mode),
        run_config,
        run_tags,
        instance,
        _reconstruct(pipeline, pipeline_def),
        session=session_defaults() if session else None,
    )
    return prepare_run(request)


def _prepare_reexecution(
    pipeline: Any,
    parent_run_id: str,
    run_config: Mapping[str, Any] | None,
    step_selection: Sequence[str] | None,
    mode: str | None,
    preset: str | None,
    tags: Mapping[str, Any] | None,
    instance: DagsterInstance | None,
) -> PreparedRun:
    refuse_run_while_importing_main()
    defaults = session_defaults()
    persist_for_session = False
    if instance is None and defaults is not None:
        instance = defaults.instance()
        persist_for_session = defaults.persist_intermediates
    if instance is None:
        raise DagsterInvariantViolationError(
            "reexecute_pipeline needs the instance that holds the parent run (instance=...); "
            "a new ephemeral instance has no runs."
        )
    parent = instance.get_run_by_id(parent_run_id)
    if parent is None:
        raise DagsterRunNotFoundError(
            f"No parent run with id {parent_run_id} in the instance.", invalid_run_id=parent_run_id
        )
    pipeline_def = _pipeline_def(pipeline)
    run_config, mode, run_tags, _ = _resolve_args(
        pipeline_def, run_config, mode, preset, tags, None
    )
    subset = pipeline_def
    if parent.solid_selection is not None:
        subset = pipeline_def.subset_for_execution(list(parent.solid_selection))
    run_tags = {
        **run_tags,
        "dagster/parent_run_id": parent.run_id,
        "dagster/root_run_id": parent.root_run_id or parent.run_id,
    }
    request = resolve_run_request(
        pipeline,
        subset,
        subset.get_mode_definition(mode or parent.mode),
        run_config,
        run_tags,
        instance,
        _reconstruct(pipeline, pipeline_def),
        persist_intermediates=persist_for_session,
        step_keys=_selected_steps(parent, step_selection),
        parent_run=parent,
    )
    return prepare_run(request)


def _selected_steps(
    parent: PipelineRun, step_selection: Sequence[str] | None
) -> tuple[str, ...] | None:
    """The steps of ``parent``'s stored plan that ``step_selection`` selects, in its order."""
    if step_selection is None:
        return None
    parent_deps = (parent.execution_plan_snapshot or {}).get("step_deps")
    if parent_deps is None:
        raise DagsterInvariantViolationError(
            f"Run {parent.run_id} has no stored execution plan to select steps from."
        )
    deps = {k: set(v) for k, v in parent_deps.items()}
    chosen = select(list(step_selection), deps, what="step")
    # in the order of the selection, clause by clause: the run follows it within a level
    step_keys: list[str] = []
    seen: set[str] = set()
    for clause in step_selection:
        picked = select([clause], deps, what="step") if len(step_selection) > 1 else chosen
        for key in parent_deps:
            if key in picked and key not in seen:
                seen.add(key)
                step_keys.append(key)
    return tuple(step_keys)


def _reconstruct(
    pipeline: Any, full_def: PipelineDefinition
) -> Callable[[ExecutorDefinition, PipelineDefinition], Any]:
    """What an executor running steps in other processes receives for the (subset) pipeline: the
    caller's reconstructable pipeline, or one made for ``full_def``, narrowed to the subset."""

    def reconstruct(executor_def: ExecutorDefinition, subset: PipelineDefinition) -> Any:
        recon = pipeline if isinstance(pipeline, ReconstructablePipeline) else None
        if recon is None:
            try:
                recon = make_reconstructable(full_def)
            except DagsterInvariantViolationError as exc:
                raise DagsterUnmetExecutorRequirementsError(
                    f'The "{executor_def.name}" executor runs steps in other processes, which '
                    f'must rebuild pipeline "{full_def.name}" from its code, and it cannot be '
                    f"rebuilt: {exc}"
                ) from exc
        return recon.subset_for_execution(subset.solid_selection)

    return reconstruct


def _value_solid(name: str, value: Any) -> SolidDefinition:
    def compute(_context: Any, _inputs: dict[str, Any]) -> tuple[Output]:
        return (Output(value),)

    return SolidDefinition(name, [], compute, [OutputDefinition()])


def _only_solids(run_config: Mapping[str, Any] | None, keep: frozenset[str]) -> dict[str, Any]:
    config = dict(run_config or {})
    solids = config.get("solids")
    if isinstance(solids, Mapping):
        config["solids"] = {k: v for k, v in solids.items() if k in keep}
    return config
