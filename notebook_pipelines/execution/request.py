"""One resolution per call of the execution API (layer 4): the :class:`RunRequest`.

Every call of ``execute_pipeline``, ``execute_pipeline_iterator``, ``reexecute_pipeline(_iterator)``
and ``execute_solid*`` is resolved once, by :func:`resolve_run_request`, into a frozen
:class:`RunRequest` — the run spine's single source of what a run is:

1. the choices first, from the raw run config: which executor (its ``execution`` key) and which
   storage (``intermediate_storage``, or the older ``storage``) it selects, read as validation
   will read them (:func:`..definitions.run_config_schema.selector_choice`), with the mode;
2. from those alone, the storage the run really uses: the notebook session's persistent default
   (filesystem intermediates when the run config names no storage) and the automatic switch to
   filesystem intermediates for an executor that passes values between processes (multiprocess,
   Dask) — which gives the final run config;
3. that run config validated **exactly once** (:func:`..definitions.environment.build_environment_config`):
   the user's config functions (``configured()`` functions, composite config mappings, configured
   resources, executors, storages, loggers) run there, once per run, in the parent process. A
   malformed ``execution`` or storage entry is left to this validation, which reports it with its
   path; worker processes rebuild the run from the run config stored with the run;
4. the instance (the one given, the session's, a local temporary one when the executor's processes
   must share it, else an ephemeral one) and what the executor receives (a reconstructable pipeline
   when it runs steps in other processes).

What was chosen on the user's behalf is kept as ``notices``: the run reports each as an
``ENGINE_EVENT`` once it starts. :mod:`.prepared` turns a request into a run in the instance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..definitions.environment import EnvironmentConfig, build_environment_config
from ..definitions.executor import ExecutorDefinition, ExecutorRequirement
from ..definitions.mode import ModeDefinition
from ..definitions.pipeline import PipelineDefinition
from ..definitions.run_config_schema import (
    EXECUTION_DEFAULT,
    STORAGE_DEFAULT,
    selector_choice,
    storage_key,
)
from ..errors import DagsterInvariantViolationError
from ..storage.instance import DagsterInstance
from ..storage.runs import PipelineRun
from .observers import SessionDefaults

#: what the executor receives for a pipeline definition when its steps run in other processes
Reconstruct = Callable[[ExecutorDefinition, PipelineDefinition], Any]


@dataclass(frozen=True)
class RunRequest:
    """One call of the execution API, resolved: everything its run needs, decided once."""

    given: Any  #: what the caller passed (the whole pipeline, not the subset that runs)
    pipeline_def: PipelineDefinition  #: the (subset) pipeline that runs
    target: Any  #: what the executor receives (a reconstructable pipeline when there is one)
    mode_def: ModeDefinition
    executor_def: ExecutorDefinition
    run_config: Mapping[str, Any]  #: the final run config (what the run stores)
    env: EnvironmentConfig  #: ``run_config``, validated once
    instance: DagsterInstance
    tags: Mapping[str, str]
    step_keys: tuple[str, ...] | None = None  #: the steps of a re-execution
    parent_run: PipelineRun | None = None
    notices: tuple[str, ...] = ()


def resolve_run_request(
    given: Any,
    pipeline_def: PipelineDefinition,
    mode_def: ModeDefinition,
    run_config: Mapping[str, Any],
    tags: Mapping[str, str],
    instance: DagsterInstance | None,
    reconstruct: Reconstruct,
    *,
    session: SessionDefaults | None = None,
    persist_intermediates: bool = False,
    step_keys: tuple[str, ...] | None = None,
    parent_run: PipelineRun | None = None,
) -> RunRequest:
    """Resolve one call into a :class:`RunRequest`, validating its run config once.

    ``session`` gives the instance when ``instance`` is None (and says whether its runs keep their
    intermediates on disk); ``persist_intermediates`` asks for that with an instance given (a
    re-execution in a session).
    """
    config = dict(run_config)
    session_notices: list[str] = []
    if session is not None and instance is None:
        persist_intermediates = session.persist_intermediates
    executor_def = selector_choice(
        config.get("execution"), mode_def.executor_defs, EXECUTION_DEFAULT
    )
    notices = _fit_storage(config, mode_def, executor_def, persist_intermediates)
    env = build_environment_config(pipeline_def, config, mode_def)
    if executor_def is None or executor_def.name != env.execution_name:
        raise DagsterInvariantViolationError(
            f'The run config chose the executor "{env.execution_name}", which was not read from '
            f"its execution entry {config.get('execution')!r} beforehand."
        )
    if session is not None and instance is None:
        instance = session.instance()
        session_notices.append(
            "No instance was given: this session keeps the run in its instance at "
            f"{instance.root_directory}."
        )
    needs = executor_def.requirements
    target: Any = pipeline_def
    if ExecutorRequirement.RECONSTRUCTABLE_PIPELINE in needs:
        target = reconstruct(executor_def, pipeline_def)
    if instance is None:
        if ExecutorRequirement.NON_EPHEMERAL_INSTANCE in needs:
            instance = DagsterInstance.local_temp()
            notices.append(
                f'No instance was given and the "{executor_def.name}" executor needs one its '
                f"processes share: using a local temporary instance in {instance.root_directory} "
                "(removed when this process exits)."
            )
        else:
            instance = DagsterInstance.ephemeral()
    return RunRequest(
        given=given,
        pipeline_def=pipeline_def,
        target=target,
        mode_def=mode_def,
        executor_def=executor_def,
        run_config=config,
        env=env,
        instance=instance,
        tags=dict(tags),
        step_keys=step_keys,
        parent_run=parent_run,
        notices=(*session_notices, *notices),
    )


def _fit_storage(
    config: dict[str, Any],
    mode_def: ModeDefinition,
    executor_def: ExecutorDefinition | None,
    persist_intermediates: bool,
) -> list[str]:
    """Choose the run's storage in ``config`` (in place), from its storage keys, the executor and
    the session; return the notices saying what was changed."""
    notices: list[str] = []
    if (
        persist_intermediates
        and "storage" not in config
        and "intermediate_storage" not in config
        and "filesystem" in {d.name for d in mode_def.intermediate_storage_defs}
    ):
        config["intermediate_storage"] = {"filesystem": {}}
        notices.append(
            "The run's outputs are stored on disk under the instance so that it can be "
            "re-executed (choose a storage in the run config, or pass instance=, to do otherwise)."
        )
    if executor_def is None or ExecutorRequirement.PERSISTENT_INTERMEDIATES not in (
        executor_def.requirements
    ):
        return notices
    key = storage_key(config)
    defs = mode_def.system_storage_defs if key == "storage" else mode_def.intermediate_storage_defs
    storage_def = selector_choice(config.get(key), defs, STORAGE_DEFAULT)
    if storage_def is not None and not storage_def.is_persistent:
        config.pop("storage", None)
        config["intermediate_storage"] = {"filesystem": {}}
        notices.append(
            f'The "{executor_def.name}" executor passes values between processes, so this run '
            f'uses filesystem intermediates instead of "{storage_def.name}".'
        )
    return notices
