"""The notebook's current definitions (L7): which pipeline a re-execution, a post-mortem or
``load_step_inputs`` should use now that cells may have been re-run since a run started.

:func:`current_pipeline` answers "the current definition of pipeline NAME in this notebook": the
notebook variable holding a :class:`PipelineDefinition` of that name that was (re)defined last —
else the pipeline the run used — with every solid whose cell was re-run with other code since
(``%%solid`` or plain ``@solid``) swapped for its current version, so fixing a solid's cell is
enough, re-running the ``@pipeline`` cell is not needed. It also says what differs from the
pipeline the run used (``transform changed in In [12]``), for the widget to show.

Which cell (``In [n]``) defined a solid or a pipeline is recorded after each cell
(:func:`watch` registers an IPython ``post_run_cell`` callback; the session turns it on).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..definitions.dependency import (
    DependencyDefinition,
    MultiDependencyDefinition,
    SolidInvocation,
)
from ..definitions.node import NodeDefinition
from ..definitions.pipeline import PipelineDefinition
from ..definitions.solid import SolidDefinition
from . import cell_modules, strategy

__all__ = [
    "CurrentPipeline",
    "cell_of",
    "current_definition",
    "current_pipeline",
    "notebook_namespace",
    "stale_note",
    "watch",
]

#: definition object -> the execution count of the cell after which it was first seen
_SEEN: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
_SHELLS: list[Any] = []
#: the attribute of a pipeline rebuilt here naming the notebook's pipeline it was rebuilt from
REBUILT_FROM = "_np_rebuilt_from"


@dataclass(frozen=True)
class CurrentPipeline:
    """The pipeline to use now, and how it differs from the one a run used."""

    definition: PipelineDefinition
    #: what differs from the run's pipeline, e.g. ``transform changed in In [12]``
    changes: tuple[str, ...] = ()
    #: built here from the current solids (the ``@pipeline`` cell itself was not re-run)
    rebuilt: bool = False

    def describe(self) -> str:
        """One line for the user: which definition is used."""
        if not self.changes:
            return f'with pipeline "{self.definition.name}" as it was (no cell changed since)'
        return "with the cells as they are now: " + "; ".join(self.changes)


def watch(shell: Any) -> None:
    """Record, after each cell of ``shell``, which cell defined the solids and pipelines of the
    notebook (idempotent)."""
    _SHELLS[:] = [shell]
    _record(shell, 0)
    events = getattr(shell, "events", None)
    if events is not None and _post_run_cell not in events.callbacks["post_run_cell"]:
        events.register("post_run_cell", _post_run_cell)


def _post_run_cell(result: Any = None) -> None:
    if _SHELLS:
        count = getattr(result, "execution_count", None)
        _record(_SHELLS[0], count if isinstance(count, int) else 0)


def _record(shell: Any, count: int) -> None:
    for name, value in list(getattr(shell, "user_ns", {}).items()):
        if (
            not name.startswith("_")
            and isinstance(value, (PipelineDefinition, NodeDefinition))
            and value not in _SEEN
        ):
            _SEEN[value] = count


def cell_of(definition: Any) -> int | None:
    """The execution count of the cell that defined ``definition`` (None when unknown)."""
    try:
        count = _SEEN.get(definition)
    except TypeError:
        return None
    return count or None


def notebook_namespace() -> Mapping[str, Any]:
    """The notebook's namespace (the watched shell's, else the running IPython's; empty outside)."""
    if _SHELLS:
        return getattr(_SHELLS[0], "user_ns", {})
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the notebook layer
        return {}
    shell = get_ipython()
    return getattr(shell, "user_ns", {}) if shell is not None else {}


def _definition_of(pipeline: Any) -> PipelineDefinition | None:
    if callable(getattr(pipeline, "get_definition", None)):
        pipeline = pipeline.get_definition()
    return pipeline if isinstance(pipeline, PipelineDefinition) else None


def _newest(candidates: list[tuple[str, Any]], name: str) -> Any:
    """The candidate defined last (by cell), the variable called ``name`` on a tie."""
    if not candidates:
        return None
    return max(
        enumerate(candidates),
        key=lambda item: (cell_of(item[1][1]) or 0, item[1][0] == name, item[0]),
    )[1][1]


def current_pipeline(name: str, used: Any = None) -> CurrentPipeline | None:
    """The notebook's current definition of pipeline ``name`` (see the module docstring);
    ``used``: the pipeline (definition or reconstructable) the run was started with, the fallback
    and what the changes are measured against. None when neither is known."""
    user_ns = notebook_namespace()
    used_def = _definition_of(used)
    candidates = [
        (key, value)
        for key, value in list(user_ns.items())
        if not key.startswith("_") and isinstance(value, PipelineDefinition) and value.name == name
    ]
    found: PipelineDefinition | None = _newest(candidates, name) or used_def
    if found is None:
        return None
    base: PipelineDefinition = found
    replaced = {
        solid_def.name: current
        for solid_def in _top_level_defs(base)
        if (current := _current_solid(solid_def, user_ns)) is not None
    }
    definition = rebuild(base, replaced) if replaced else base
    if (
        replaced
        and used_def is not None
        and getattr(used_def, REBUILT_FROM, None) is base
        and _same_solids(used_def, definition)
    ):
        definition = used_def  # rebuilt before from the same cells: the same pipeline
    return CurrentPipeline(definition, _changes(used_def, base, definition), bool(replaced))


def _same_solids(a: PipelineDefinition, b: PipelineDefinition) -> bool:
    old = {s.name: s.definition for s in a.graph.solids.values()}
    new = {s.name: s.definition for s in b.graph.solids.values()}
    return old.keys() == new.keys() and all(old[k] is new[k] for k in old)


def current_definition(name: str, used: Any = None) -> PipelineDefinition | None:
    """:func:`current_pipeline`'s definition only (None when no pipeline ``name`` is known): for
    the debugger and ``load_step_inputs``, which resolve a step against the notebook's code."""
    found = current_pipeline(name, used)
    return found.definition if found is not None else None


def _top_level_defs(pipeline_def: PipelineDefinition) -> list[NodeDefinition]:
    seen: dict[str, NodeDefinition] = {}
    for solid in pipeline_def.graph.solids.values():
        seen.setdefault(solid.definition.name, solid.definition)
    return list(seen.values())


def _current_solid(solid_def: NodeDefinition, user_ns: Mapping[str, Any]) -> Any:
    """The notebook's newer version of ``solid_def`` (its cell re-run with other code), or None."""
    if not isinstance(solid_def, SolidDefinition):
        return None
    names = [solid_def.name]
    fn = strategy.notebook_function(solid_def)
    if fn is not None:
        names.append(fn.__name__)
    for key in dict.fromkeys(names):
        value = user_ns.get(key)
        if (
            isinstance(value, SolidDefinition)
            and value is not solid_def
            and value.name == solid_def.name
            and not same_code(value, solid_def)
        ):
            return value
    return None


def same_code(a: NodeDefinition, b: NodeDefinition) -> bool:
    """Whether two definitions of a solid run the same code: the same ``%%solid`` cell module,
    or plain notebook functions with equal code."""
    if a is b:
        return True
    module_a = getattr(a, cell_modules.CELL_MODULE_ATTRIBUTE, None)
    module_b = getattr(b, cell_modules.CELL_MODULE_ATTRIBUTE, None)
    if module_a is not None or module_b is not None:
        return bool(module_a == module_b)
    fn_a, fn_b = strategy.notebook_function(a), strategy.notebook_function(b)
    if fn_a is not None and fn_b is not None:
        return bool(fn_a.__code__ == fn_b.__code__)
    return False


def rebuild(
    pipeline_def: PipelineDefinition, replaced: Mapping[str, NodeDefinition]
) -> PipelineDefinition:
    """``pipeline_def`` with its solid definitions named in ``replaced`` swapped for those (same
    wiring, aliases, tags, hooks, modes and presets)."""
    graph = pipeline_def.graph
    defs: dict[str, NodeDefinition] = {}
    dependencies: dict[SolidInvocation, dict[str, Any]] = {}
    for alias in graph.order:
        solid = graph.solids[alias]
        old = solid.definition
        new = replaced.get(old.name, old)
        defs[new.name] = new
        tags = {k: v for k, v in solid.tags.items() if old.tags.get(k) != v}
        invocation = SolidInvocation(
            new.name,
            alias if alias != new.name else None,
            tags or None,
            frozenset(solid.hook_defs - pipeline_def.hook_defs),
        )
        inputs: dict[str, Any] = {}
        for input_name, source in graph.sources.get(alias, {}).items():
            deps = [DependencyDefinition(r.solid_name, r.output_name) for r in source.refs]
            inputs[input_name] = MultiDependencyDefinition(deps) if source.is_fan_in else deps[0]
        dependencies[invocation] = inputs
    rebuilt = PipelineDefinition(
        list(defs.values()),
        name=pipeline_def.name,
        description=pipeline_def.description,
        dependencies=dependencies,
        mode_defs=pipeline_def.mode_defs,
        preset_defs=pipeline_def.preset_defs,
        tags=pipeline_def.tags,
        hook_defs=pipeline_def.hook_defs,
    )
    rebuilt.defining_module = pipeline_def.defining_module  # the notebook's, not this module's
    setattr(rebuilt, REBUILT_FROM, getattr(pipeline_def, REBUILT_FROM, pipeline_def))
    return rebuilt


def _changes(
    used: PipelineDefinition | None, base: PipelineDefinition, definition: PipelineDefinition
) -> tuple[str, ...]:
    if used is None or used is definition:
        return ()
    changes: list[str] = []
    old = {s.name: s.definition for s in used.graph.solids.values()}
    new = {s.name: s.definition for s in definition.graph.solids.values()}
    for alias, new_def in new.items():
        where = _where(new_def)
        if alias not in old:
            changes.append(f"{alias} added{where}")
        elif not same_code(old[alias], new_def):
            changes.append(f"{alias} changed{where}")
    changes.extend(f"{alias} removed" for alias in old if alias not in new)
    if not changes and base is not getattr(used, REBUILT_FROM, used):
        changes.append(f'pipeline "{definition.name}" redefined{_where(base)}')
    return tuple(changes)


def _where(definition: Any) -> str:
    count = cell_of(definition)
    return f" in In [{count}]" if count else ""


def stale_note(pipeline: Any) -> str:
    """The stale warning as one line for the widget: the solids of ``pipeline`` (the one a run
    was started with) whose cells were re-run with other code before it started ("" if none)."""
    pipeline_def = _definition_of(pipeline)
    if pipeline_def is None:
        return ""
    stale = strategy.stale_solids(pipeline_def, notebook_namespace())
    if not stale:
        return ""
    whose = "its cell was" if len(stale) == 1 else "their cells were"
    return (
        f"This run used an old version of {', '.join(stale)}: {whose} re-run with other code "
        "since the @pipeline cell. Re-execute uses the cells as they are now."
    )
