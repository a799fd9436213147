"""A validated run config, resolved for execution (:class:`EnvironmentConfig`).

:func:`build_environment_config` validates a run config against the pipeline's schema, reporting
every error at once with its path, applies composite config mappings and ``configured`` mappings,
and flattens per-solid config by solid handle (``outer.inner``). In a solid subset, entries for
solids outside the selection are dropped before validation, not reported (DESIGN §2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..config import Shape, validate_config
from ..errors import (
    DagsterConfigMappingFunctionError,
    DagsterInvalidConfigError,
)
from .composite import CompositeSolidDefinition
from .configured import resolve_configured
from .run_config_schema import run_config_schema, solid_fields, storage_key

if TYPE_CHECKING:
    from .graph import Graph
    from .mode import ModeDefinition
    from .pipeline import PipelineDefinition


@dataclass(frozen=True)
class SolidConfig:
    """The config of one solid (by handle): its ``config``, ``inputs`` and ``outputs`` entries."""

    config: Any = None
    inputs: Mapping[str, Any] = field(default_factory=dict)
    outputs: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class EnvironmentConfig:
    """Everything a run needs from its run config, validated and resolved."""

    run_config: Mapping[str, Any]
    solids: Mapping[str, SolidConfig]
    execution_name: str
    execution_config: Any
    storage_kind: str  # "intermediate_storage" or "storage"
    storage_name: str
    storage_config: Any
    resources: Mapping[str, Any]
    loggers: Mapping[str, Any]

    def solid_config(self, handle: str) -> SolidConfig:
        return self.solids.get(handle, _EMPTY)


_EMPTY = SolidConfig()


def build_environment_config(
    pipeline_def: PipelineDefinition, run_config: Mapping[str, Any] | None, mode_def: ModeDefinition
) -> EnvironmentConfig:
    """Validate ``run_config`` for ``pipeline_def`` in ``mode_def``; raise listing every error."""
    if run_config is None:
        run_config = {}
    elif isinstance(run_config, Mapping):
        run_config = dict(run_config)
        if pipeline_def.is_subset_pipeline:
            run_config = _drop_unselected_solids(pipeline_def, run_config)
    # anything else is left to validation, which reports it as the wrong type at root
    result = validate_config(run_config_schema(pipeline_def, mode_def), run_config)
    if not result.success:
        raise DagsterInvalidConfigError(
            f'Invalid run config for pipeline "{pipeline_def.name}" (mode "{mode_def.name}")',
            mode_def.explain_config_errors(result.errors),
            run_config,
        )
    value = result.value
    solids: dict[str, SolidConfig] = {}
    _flatten_solids(pipeline_def.graph, value.get("solids") or {}, "", ("root", "solids"), solids)
    execution_name, execution_config = _selected(value["execution"])
    execution_config = resolve_configured(
        mode_def.executor_def_named(execution_name),
        execution_config,
        f'executor "{execution_name}"',
        ("root", "execution", execution_name, "config"),
    )
    storage_kind = storage_key(run_config)
    storage_name, storage_config = _selected(value[storage_kind])
    storage_def = (
        mode_def.system_storage_def_named(storage_name)
        if storage_kind == "storage"
        else mode_def.intermediate_storage_def_named(storage_name)
    )
    storage_config = resolve_configured(
        storage_def,
        storage_config,
        f'storage "{storage_name}"',
        ("root", storage_kind, storage_name, "config"),
    )
    resource_entries = value.get("resources") or {}
    resources = {
        name: resolve_configured(
            resource_def,
            (resource_entries.get(name) or {}).get("config"),
            f'resource "{name}"',
            ("root", "resources", name, "config"),
        )
        for name, resource_def in mode_def.resource_defs.items()
    }
    loggers = {
        name: resolve_configured(
            mode_def.loggers[name],
            (entry or {}).get("config"),
            f'logger "{name}"',
            ("root", "loggers", name, "config"),
        )
        for name, entry in (value.get("loggers") or {}).items()
    }
    return EnvironmentConfig(
        run_config=run_config,
        solids=solids,
        execution_name=execution_name,
        execution_config=execution_config,
        storage_kind=storage_kind,
        storage_name=storage_name,
        storage_config=storage_config,
        resources=resources,
        loggers=loggers,
    )


def _selected(selector_value: Mapping[str, Any]) -> tuple[str, Any]:
    ((name, entry),) = selector_value.items()
    return name, (entry or {}).get("config")


def _drop_unselected_solids(
    pipeline_def: PipelineDefinition, run_config: dict[str, Any]
) -> dict[str, Any]:
    solids = run_config.get("solids")
    parent = pipeline_def.parent_pipeline_def
    if not isinstance(solids, Mapping) or parent is None:
        return run_config
    kept = {
        name: entry
        for name, entry in solids.items()
        if pipeline_def.has_solid_named(name) or not parent.has_solid_named(name)
    }
    return {**run_config, "solids": kept}


def _flatten_solids(
    graph: Graph,
    solids_value: Mapping[str, Any],
    prefix: str,
    path: tuple[str, ...],
    out: dict[str, SolidConfig],
) -> None:
    for name in graph.order:
        definition = graph.solids[name].definition
        handle = f"{prefix}{name}"
        entry = solids_value.get(name) or {}
        where = f'solid "{handle}"'
        if isinstance(definition, CompositeSolidDefinition):
            inner_value = entry.get("solids") or {}
            if definition.config_mapping is not None:
                config = resolve_configured(
                    definition, entry.get("config"), where, (*path, name, "config")
                )
                inner_value = _apply_config_mapping(definition, config, handle, path)
            out[handle] = SolidConfig(
                None, entry.get("inputs") or {}, tuple(entry.get("outputs") or ())
            )
            _flatten_solids(
                definition.graph, inner_value, f"{handle}.", (*path, name, "solids"), out
            )
        else:
            config = resolve_configured(
                definition, entry.get("config"), where, (*path, name, "config")
            )
            out[handle] = SolidConfig(
                config, entry.get("inputs") or {}, tuple(entry.get("outputs") or ())
            )


def _apply_config_mapping(
    definition: Any, config_value: Any, handle: str, path: tuple[str, ...]
) -> Mapping[str, Any]:
    try:
        mapped = definition.config_mapping.config_fn(config_value)
    except Exception as exc:
        raise DagsterConfigMappingFunctionError(
            f'The config mapping function of composite solid "{handle}" raised '
            f"{type(exc).__name__}: {exc}",
            user_exception=exc,
        ) from exc
    inner_mapped = frozenset((m.solid_name, m.input_name) for m in definition.input_mappings)
    schema = Shape(solid_fields(definition.graph, inner_mapped))
    result = validate_config(schema, mapped, path=(*path, handle.rsplit(".", 1)[-1], "solids"))
    if not result.success:
        raise DagsterInvalidConfigError(
            f'The config mapping of composite solid "{handle}" produced invalid config for its '
            "solids",
            result.errors,
            mapped,
        )
    mapped_value: Mapping[str, Any] = result.value
    return mapped_value
