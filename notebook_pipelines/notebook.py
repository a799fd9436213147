"""What a notebook imports to take part in a run: ``from notebook_pipelines import notebook as nbp``
(layer 6: the in-notebook face of :mod:`notebook_pipelines.notebooks.context`).

``context = nbp.get_context(solid_config=..., run_config=..., mode_def=...)`` works interactively
(a development context with the mode's resources) and in a run (the step's context: its config,
``context.log`` recorded as the step's events, its resources); ``nbp.yield_result(value,
output_name="result")`` and ``nbp.yield_event(AssetMaterialization(...) | ExpectationResult(...))``
hand values and events back to the step. See :mod:`notebook_pipelines.notebooks.protocol` for how.
"""

from .notebooks.context import (
    NotebookContext,
    NotebookRunContext,
    bind_run,
    get_context,
    is_in_run,
    yield_event,
    yield_result,
)

__all__ = [
    "NotebookContext",
    "NotebookRunContext",
    "bind_run",
    "get_context",
    "is_in_run",
    "yield_event",
    "yield_result",
]
