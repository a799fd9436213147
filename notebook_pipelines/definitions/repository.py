"""Repositories: a named collection of pipelines (``@repository`` or :class:`RepositoryDefinition`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import DagsterInvalidDefinitionError, DagsterInvariantViolationError
from .names import check_valid_name
from .pipeline import PipelineDefinition


class RepositoryDefinition:
    """Pipelines by name; a value may also be a zero-argument function returning the pipeline.

    ``pipelines`` is a list of pipelines, a dict of name to pipeline (or function), or the
    reference's lazy form ``{"pipelines": {name: function}}``.
    """

    def __init__(
        self,
        name: str,
        pipelines: Sequence[Any] | Mapping[str, Any],
        description: str | None = None,
    ):
        self.name = check_valid_name(name, "repository")
        self.description = description
        self._pipelines: dict[str, Any] = {}
        pipelines = _unwrap_repository_data(self.name, pipelines)
        items = (
            pipelines.items() if isinstance(pipelines, Mapping) else [(None, p) for p in pipelines]
        )
        for key, value in items:
            if isinstance(value, PipelineDefinition):
                pipeline_name = key or value.name
                _check_pipeline_name(self.name, pipeline_name, value, DagsterInvalidDefinitionError)
            elif callable(value) and key is not None:
                pipeline_name = key
            else:
                raise DagsterInvalidDefinitionError(
                    f'Repository "{name}" holds pipelines (or name → function returning one), got '
                    f"{value!r}"
                )
            if pipeline_name in self._pipelines:
                raise DagsterInvalidDefinitionError(
                    f'Repository "{name}" has two pipelines named "{pipeline_name}".'
                )
            self._pipelines[pipeline_name] = value

    @property
    def pipeline_names(self) -> list[str]:
        return list(self._pipelines)

    def has_pipeline(self, name: str) -> bool:
        return name in self._pipelines

    def get_pipeline(self, name: str) -> PipelineDefinition:
        value = self._pipelines.get(name)
        if value is None:
            raise DagsterInvariantViolationError(
                f'Repository "{self.name}" has no pipeline "{name}"; its pipelines: '
                f"{sorted(self._pipelines)}."
            )
        if not isinstance(value, PipelineDefinition):
            value = value()
            if not isinstance(value, PipelineDefinition):
                raise DagsterInvariantViolationError(
                    f'Repository "{self.name}": the function for pipeline "{name}" returned '
                    f"{value!r}, not a pipeline."
                )
            _check_pipeline_name(self.name, name, value, DagsterInvariantViolationError)
            self._pipelines[name] = value
        return value

    def get_all_pipelines(self) -> list[PipelineDefinition]:
        return [self.get_pipeline(name) for name in self._pipelines]


_REPOSITORY_DATA_KEYS = frozenset({"pipelines", "partition_sets", "schedules"})


def _unwrap_repository_data(
    repo: str, pipelines: Sequence[Any] | Mapping[str, Any]
) -> Sequence[Any] | Mapping[str, Any]:
    """The pipelines of the reference's ``{"pipelines": {...}, "schedules": {...}}`` form."""
    if not (
        isinstance(pipelines, Mapping)
        and isinstance(pipelines.get("pipelines"), Mapping)
        and set(pipelines) <= _REPOSITORY_DATA_KEYS
    ):
        return pipelines
    unsupported = sorted(k for k in pipelines if k != "pipelines" and pipelines[k])
    if unsupported:
        raise DagsterInvalidDefinitionError(
            f'Repository "{repo}": {unsupported} are not supported (schedules and partition sets '
            "are out of scope); give only pipelines."
        )
    return pipelines["pipelines"]


def _check_pipeline_name(repo: str, key: str, pipeline: PipelineDefinition, error: type) -> None:
    if pipeline.name != key:
        raise error(
            f'Repository "{repo}": the pipeline under the name "{key}" is named '
            f'"{pipeline.name}"; the names must match.'
        )


def repository(name: Any = None, description: str | None = None) -> Any:
    """Decorate a function returning a list (or dict) of pipelines as a :class:`RepositoryDefinition`."""

    def make(fn: Callable[[], Any], repo_name: str | None) -> RepositoryDefinition:
        return RepositoryDefinition(repo_name or fn.__name__, fn(), description)

    if callable(name):
        return make(name, None)
    return lambda fn: make(fn, name)
