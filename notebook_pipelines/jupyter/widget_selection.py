"""What the run widget's re-execute buttons would run, checked before the click (L7).

:func:`preview_selection` turns the query box's text (``*clean+``, step keys or solid names) into
step keys of a stored run; :func:`selection_problem` says why those steps cannot be re-executed
with a given definition of the pipeline — a step the current definition no longer has, or an
input of a selected step whose producer is not selected and whose output the parent run never
stored (it failed, was skipped or did not run) — the same rule the re-execution itself applies,
so the widget refuses before the click instead of failing after it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..definitions.pipeline import PipelineDefinition
from ..definitions.selection import select
from ..errors import DagsterError
from ..execution.reexecution import stored_outputs
from ..storage.instance import DagsterInstance
from ..storage.runs import PipelineRun

__all__ = ["clauses", "preview_selection", "selection_problem"]


def clauses(query: str) -> list[str]:
    """The clauses of a query (separated by commas or white space)."""
    return [c for c in re.split(r"[,\s]+", query.strip()) if c]


def step_clause(clause: str, upstream: Mapping[str, Any]) -> str:
    """A clause naming a solid (``*clean+``) as the clause of its compute step
    (``*clean.compute+``); step keys are kept."""
    match = re.fullmatch(r"([*+]*)(.*?)([*+]*)", clause)
    if match is None:  # pragma: no cover - the pattern matches every string
        return clause
    before, core, after = match.groups()
    if core not in upstream and f"{core}.compute" in upstream:
        return f"{before}{core}.compute{after}"
    return clause


def run_upstream(run: PipelineRun | None) -> dict[str, set[str]]:
    """The step DAG (step key -> upstream step keys) of a stored run's plan."""
    snapshot = run.execution_plan_snapshot if run is not None else None
    deps = (snapshot if isinstance(snapshot, Mapping) else {}).get("step_deps") or {}
    return {key: set(ups) for key, ups in deps.items()}


def preview_selection(query: str, run: PipelineRun | None) -> dict[str, Any]:
    """``{"query", "steps", "error"?}``: the steps of ``run`` that ``query`` selects, in plan
    order; ``error`` when it does not parse or matches nothing."""
    found = clauses(query)
    if not found:
        return {"query": query, "steps": []}
    upstream = run_upstream(run)
    try:
        chosen = select([step_clause(c, upstream) for c in found], upstream, what="step")
    except DagsterError as exc:
        return {"query": query, "steps": [], "error": str(exc)}
    steps = [k for k in upstream if k in chosen]
    if not steps:
        return {"query": query, "steps": [], "error": f"{query!r} selects no step of this run."}
    return {"query": query, "steps": steps}


def selection_problem(
    definition: PipelineDefinition,
    run: PipelineRun,
    steps: Sequence[str],
    instance: DagsterInstance,
) -> str | None:
    """Why re-executing ``steps`` of ``run`` with ``definition`` cannot work, or None."""
    from ..api import create_execution_plan

    pipeline_def = definition
    try:
        if run.solid_selection:
            pipeline_def = definition.subset_for_execution(list(run.solid_selection))
        full = create_execution_plan(pipeline_def, run.run_config, run.mode)
    except DagsterError as exc:
        return f'The current definition of pipeline "{definition.name}" cannot run: {exc}'
    missing = [key for key in steps if not full.has_step(key)]
    if missing:
        return (
            f'The current definition of pipeline "{definition.name}" no longer has '
            f"{_plural(missing, 'step')} {', '.join(missing)}: select other steps, or run the "
            "pipeline anew."
        )
    plan = full.build_subset_plan(steps)
    selected = set(steps)
    stored = stored_outputs(instance, run.run_id)
    for step in plan.topological_steps():
        for step_input in step.step_inputs:
            for handle in step_input.upstream_handles:
                if handle.step_key in selected or handle in stored:
                    continue
                return (
                    f'Step "{step.key}" needs output "{handle.output_name}" of step '
                    f'"{handle.step_key}", which run {run.run_id[:8]} did not store (that step '
                    f"failed, was skipped or did not run): add {handle.step_key} to the selection."
                )
    return None


def _plural(items: Sequence[str], word: str) -> str:
    return word if len(items) == 1 else f"{word}s"
