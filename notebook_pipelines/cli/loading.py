"""What the commands read from the user's files: the pipeline (``-f FILE -a NAME``), run config
(``-c a.yaml -c b.yaml``, deep-merged, later files win) and tags (``--tags JSON``).

``-a NAME`` names, in FILE, a pipeline, a function returning one, or a repository (with a single
pipeline); or, when FILE has no such attribute, a pipeline of one of FILE's repositories. The
pipeline comes back as a :class:`~notebook_pipelines.reconstruct.ReconstructablePipeline` with a
``file`` code pointer, so executors can rebuild it in other processes.

A run started from the command line records the file and the attribute in its tags
(:data:`FILE_TAG`, :data:`ATTRIBUTE_TAG`): ``runs reexecute`` finds the code there.
"""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from ..definitions.node import NodeDefinition
from ..definitions.pipeline import PipelineDefinition
from ..definitions.repository import RepositoryDefinition
from ..errors import DagsterError, DagsterInvariantViolationError, DagsterUserCodeExecutionError
from ..reconstruct import CodePointer, ReconstructablePipeline, load_pointer

#: Run tag: absolute path of the file a command-line run loaded its pipeline from.
FILE_TAG = "notebook_pipelines/file"
#: Run tag: the ``-a`` attribute a command-line run loaded its pipeline with.
ATTRIBUTE_TAG = "notebook_pipelines/attribute"


@dataclass(frozen=True)
class LoadedPipeline:
    """A pipeline loaded from ``-f FILE -a NAME``: how to rebuild it, and the definition itself."""

    reconstructable: ReconstructablePipeline
    definition: PipelineDefinition
    file: str  # absolute path
    attribute: str  # as given with -a

    @property
    def code_tags(self) -> dict[str, str]:
        """The run tags that let ``runs reexecute`` load this pipeline again."""
        return {FILE_TAG: self.file, ATTRIBUTE_TAG: self.attribute}


def load_pipeline(file: str, attribute: str) -> LoadedPipeline:
    """Load the pipeline ``attribute`` names in ``file`` (see the module docstring).

    Raises :class:`DagsterInvariantViolationError` for a missing file or name, and
    :class:`DagsterUserCodeExecutionError` when the file (or the function building the pipeline)
    raises.
    """
    path = os.path.abspath(os.path.expanduser(file))
    if not os.path.exists(path):
        raise DagsterInvariantViolationError(f"Pipeline file {file} does not exist.")
    if not os.path.isfile(path) or not path.endswith(".py"):
        raise DagsterInvariantViolationError(
            f"Pipeline file {file} is not a Python file (a .py file defining the pipeline)."
        )
    working_directory = os.path.dirname(path)
    # Import the file through the reconstruction machinery (so that the module object is the one
    # worker processes will rebuild), asking for its namespace to resolve NAME ourselves.
    namespace = _user_code(
        file, lambda: load_pointer(CodePointer("file", path, "__dict__", working_directory))
    )
    attr, pipeline_name = _resolve(file, attribute, namespace)
    pointer = CodePointer("file", path, attr, working_directory)
    recon = ReconstructablePipeline(pointer, pipeline_name)
    definition = _user_code(file, recon.get_definition)
    if not pipeline_name:
        recon = ReconstructablePipeline(pointer, definition.name)
    return LoadedPipeline(recon, definition, path, attribute)


def _resolve(file: str, attribute: str, namespace: Mapping[str, Any]) -> tuple[str, str]:
    """``(attribute holding the pipeline or its repository, pipeline name or "" if unknown yet)``."""
    if attribute in namespace:
        target = namespace[attribute]
        if isinstance(target, PipelineDefinition):
            return attribute, target.name
        if isinstance(target, RepositoryDefinition):
            names = target.pipeline_names
            if len(names) == 1:
                return attribute, names[0]
            raise DagsterInvariantViolationError(
                f'"{attribute}" in {file} is repository "{target.name}", which has the pipelines '
                f"{sorted(names)}: name one of them with -a."
            )
        if isinstance(target, NodeDefinition):
            raise DagsterInvariantViolationError(
                f'"{attribute}" in {file} is the solid "{target.name}", not a pipeline. '
                f"{_what_is_there(namespace)}"
            )
        if callable(target):
            return attribute, ""  # a function returning the pipeline; called on load
        raise DagsterInvariantViolationError(
            f'"{attribute}" in {file} is {type(target).__name__} {target!r}, not a pipeline, a '
            "function returning one or a repository."
        )
    holders = [
        name
        for name, value in namespace.items()
        if isinstance(value, RepositoryDefinition) and value.has_pipeline(attribute)
    ]
    if len(holders) == 1:
        return holders[0], attribute
    if len(holders) > 1:
        raise DagsterInvariantViolationError(
            f'Pipeline "{attribute}" is in several repositories of {file} ({holders}); '
            "name the repository with -a instead."
        )
    raise DagsterInvariantViolationError(
        f'"{attribute}" is not defined in {file}, and no repository there has a pipeline of that '
        f"name. {_what_is_there(namespace)}"
    )


def _what_is_there(namespace: Mapping[str, Any]) -> str:
    pipelines = [n for n, v in namespace.items() if isinstance(v, PipelineDefinition)]
    in_repos = sorted(
        {
            p
            for v in namespace.values()
            if isinstance(v, RepositoryDefinition)
            for p in v.pipeline_names
        }
    )
    found = pipelines + [p for p in in_repos if p not in pipelines]
    if not found:
        return "The file defines no pipeline at its top level."
    return f"Pipelines found there: {', '.join(found)}."


def _user_code(file: str, load: Any) -> Any:
    """Call ``load()``; an exception of the user's code becomes one readable error naming where."""
    try:
        return load()
    except DagsterError:
        raise
    except Exception as exc:
        where = _innermost_user_frame(exc, os.path.abspath(file))
        raise DagsterUserCodeExecutionError(
            f"Loading the pipeline from {file} raised {type(exc).__name__}: {exc}{where}",
            exc,
        ) from exc


def _innermost_user_frame(exc: BaseException, path: str) -> str:
    if isinstance(exc, SyntaxError) and exc.filename:
        return f" (at {exc.filename}, line {exc.lineno})"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == path]
    if not frames:
        return ""
    frame = frames[-1]
    return f" (at {frame.filename}, line {frame.lineno}, in {frame.name})"


# --- run config ----------------------------------------------------------------------------------


def load_run_config(files: Sequence[str] | None) -> dict[str, Any] | None:
    """The YAML files deep-merged in order (later files win; lists are replaced), or ``None`` if
    no file was given (so that a preset's config applies)."""
    if not files:
        return None
    merged: dict[str, Any] = {}
    for file in files:
        merged = deep_merge(merged, _read_yaml(file))
    return merged


def _read_yaml(file: str) -> dict[str, Any]:
    try:
        with open(os.path.expanduser(file), encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError:
        raise DagsterInvariantViolationError(f"Config file {file} does not exist.") from None
    except OSError as exc:
        raise DagsterInvariantViolationError(
            f"Cannot read config file {file}: {exc.strerror}."
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DagsterInvariantViolationError(
            f"Config file {file} is not valid YAML{where}: {problem}."
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DagsterInvariantViolationError(
            f"Config file {file} must hold a mapping (solids:, resources:, ...), not a "
            f"{type(data).__name__}."
        )
    return data


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` merged in: mappings merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged


def parse_tags(text: str) -> dict[str, str]:
    """``--tags``: a JSON object; values that are not strings become their JSON text (run tags
    are strings: ``{"try": 2}`` is the tag ``try`` = ``"2"``). Raises ``ValueError`` (a usage
    error) otherwise."""
    try:
        tags = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f'--tags must be a JSON object, e.g. \'{{"team": "data"}}\': {exc}'
        ) from None
    if not isinstance(tags, dict):
        raise ValueError(f"--tags must be a JSON object, got {type(tags).__name__}")
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in tags.items()}
