"""The notebook reconstruction strategy: notebook pipelines that leave the kernel.

For a pipeline defined in the notebook (``defining_module == "__main__"``), the strategy pickles the
pipeline itself (:mod:`.by_value`): notebook code by value (cloudpickle), ``%%solid`` solids as
references to their content-addressed cell modules, importable code by reference. It writes the
pickle and a small *pipeline module* loading it next to the cell modules (both content-addressed)
and returns a :class:`ReconstructablePipeline` with a ``file`` pointer to that module, which worker
processes (multiprocess, Dask) load like any file. The worker thus runs exactly the pipeline object
of the kernel, however it was built (``@pipeline``, ``PipelineDefinition(...)``, ``configured``...).

What cannot leave the kernel (a lock, an open file or socket, a generator, captured by a solid
directly or through a helper) and names the notebook code reads but the notebook does not define
raise :class:`DagsterInvariantViolationError` naming the variable and the solid before the run
starts (:mod:`.leaks`). Solids whose cell (``%%solid`` or plain ``@solid``) was re-run with other
code since the pipeline was built warn (:class:`~.cell_modules.StaleSolidWarning`).
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Iterator, Mapping
from types import CodeType, FunctionType
from typing import Any

from ..definitions.node import NodeDefinition
from ..definitions.pipeline import PipelineDefinition
from ..definitions.solid import SolidDefinition
from ..reconstruct import CodePointer, ReconstructablePipeline
from . import by_value, cell_modules

_SHELL: list[Any] = []
#: pipeline -> the names of its stale solids already warned about after a cell ran.
_WARNED: weakref.WeakKeyDictionary[PipelineDefinition, set[str]] = weakref.WeakKeyDictionary()


def set_shell(shell: Any) -> None:
    """The IPython shell whose namespace the strategy reads; after each of its cells, pipelines in
    the namespace that use a solid whose cell was re-run with other code warn (once)."""
    _SHELL[:] = [shell]
    events = getattr(shell, "events", None)
    if events is not None and warn_stale_pipelines not in events.callbacks["post_run_cell"]:
        events.register("post_run_cell", warn_stale_pipelines)


def notebook_strategy(pipeline_def: PipelineDefinition) -> ReconstructablePipeline | None:
    """A reconstructable form of a notebook-defined pipeline, or None for any other pipeline."""
    if pipeline_def.defining_module != "__main__" or not _SHELL:
        return None
    for message in stale_messages(pipeline_def, _SHELL[0].user_ns):
        warnings.warn(message, cell_modules.StaleSolidWarning, stacklevel=2)
    path = by_value.write_pipeline_module(pipeline_def)
    pointer = CodePointer("file", path, by_value.PIPELINE_ATTRIBUTE)
    return ReconstructablePipeline(pointer, pipeline_def.name)


def warn_stale_pipelines(result: Any = None) -> None:
    """Warn about the notebook's pipelines built from an older version of a solid's cell (an
    IPython ``post_run_cell`` callback)."""
    user_ns = _SHELL[0].user_ns if _SHELL else {}
    for name, value in list(user_ns.items()):
        if name.startswith("_") or not isinstance(value, PipelineDefinition):
            continue
        warned = _WARNED.setdefault(value, set())
        for solid_name in stale_solids(value, user_ns):
            if solid_name in warned:
                continue
            warned.add(solid_name)
            warnings.warn_explicit(
                f'Pipeline "{value.name}" uses an old version of solid "{solid_name}": its cell '
                "was re-run with other code. Re-run the @pipeline cell to use the new version.",
                cell_modules.StaleSolidWarning,
                filename="notebook_pipelines",
                lineno=0,
                registry={},  # warn every time, not once per message
            )


def stale_messages(pipeline_def: PipelineDefinition, user_ns: Mapping[str, Any]) -> Iterator[str]:
    """Why solids of ``pipeline_def`` are stale (see :func:`stale_solids`)."""
    for solid_name in stale_solids(pipeline_def, user_ns):
        yield (
            f'Solid "{solid_name}" is stale: its cell was re-run with other code since this '
            "pipeline was built. Re-run the @pipeline cell to use the new version."
        )


def stale_solids(pipeline_def: PipelineDefinition, user_ns: Mapping[str, Any]) -> list[str]:
    """The solids of ``pipeline_def`` whose ``%%solid`` cell, or plain ``@solid`` cell, was re-run
    with other code since the pipeline was built."""
    if pipeline_def.defining_module != "__main__":
        return []
    return [
        solid_def.name
        for solid_def in pipeline_def.all_solid_defs
        if isinstance(solid_def, SolidDefinition)
        and (
            cell_modules.stale_message(solid_def) is not None
            or _plain_solid_is_stale(solid_def, user_ns)
        )
    ]


def _plain_solid_is_stale(solid_def: SolidDefinition, user_ns: Mapping[str, Any]) -> bool:
    fn = notebook_function(solid_def)
    if fn is None:
        return False
    for name in dict.fromkeys((fn.__name__, solid_def.name)):
        current = user_ns.get(name)
        if (
            isinstance(current, SolidDefinition)
            and current is not solid_def
            and current.name == solid_def.name
        ):
            current_fn = notebook_function(current)
            if current_fn is not None and _fingerprint(current_fn.__code__) != _fingerprint(
                fn.__code__
            ):
                return True
    return False


def notebook_function(node_def: NodeDefinition) -> FunctionType | None:
    """The notebook function a plain ``@solid`` / ``@lambda_solid`` wraps, or None."""
    compute_fn = getattr(node_def, "compute_fn", None)
    if not isinstance(compute_fn, FunctionType):
        return None
    for cell in compute_fn.__closure__ or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if isinstance(value, FunctionType) and value.__module__ == "__main__":
            return value
    return None


def _fingerprint(code: CodeType) -> tuple[Any, ...]:
    consts = tuple(_fingerprint(c) if isinstance(c, CodeType) else c for c in code.co_consts)
    return (code.co_code, consts, code.co_names, code.co_varnames)
