"""The conformance suite's pipelines with the Dask executor added to their modes, rebuilt by name in
every Dask worker (``build_reconstructable_pipeline(__name__, "with_dask", [name])``)."""

from __future__ import annotations

import functools

from notebook_pipelines import ModeDefinition, PipelineDefinition
from notebook_pipelines.definitions.pipeline import dependencies_of
from notebook_pipelines.executors.dask import dask_executor
from notebook_pipelines.testing import suite_pipelines


@functools.cache
def with_dask(name: str) -> PipelineDefinition:
    """``suite_pipelines.<name>`` whose every mode also offers the ``dask`` executor."""
    base: PipelineDefinition = getattr(suite_pipelines, name)
    modes = [
        ModeDefinition(
            mode.name,
            resource_defs=mode.resource_defs,
            logger_defs=mode.loggers,
            system_storage_defs=mode.system_storage_defs,
            executor_defs=[*mode.executor_defs, dask_executor],
            description=mode.description,
            intermediate_storage_defs=mode.intermediate_storage_defs,
        )
        for mode in base.mode_definitions
    ]
    return PipelineDefinition(
        [base.graph.solids[n].definition for n in base.graph.order],
        name=base.name,
        description=base.description,
        dependencies=dependencies_of(base.graph, None),
        mode_defs=modes,
        preset_defs=base.preset_defs,
        tags=base.tags,
        hook_defs=base.hook_defs,
    )
