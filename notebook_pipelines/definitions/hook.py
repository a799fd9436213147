"""Hooks: functions run after a step, on success (``@success_hook``) or failure (``@failure_hook``).

A hook never fails a run: the engine reports an exception in a hook as ``HOOK_ERRORED``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..errors import DagsterInvalidDefinitionError
from ..events import DagsterEventType
from .names import check_valid_name

# hook_fn(context, step_event_list) -> whether the hook ran (False: its condition did not match)
HookFn = Callable[[Any, Sequence[Any]], bool]


class HookDefinition:
    """A named hook with the resources it needs."""

    def __init__(
        self, name: str, hook_fn: HookFn, required_resource_keys: Iterable[str] | None = None
    ):
        self.name = check_valid_name(name, "hook")
        if not callable(hook_fn):
            raise DagsterInvalidDefinitionError(f'Hook "{name}": hook_fn must be callable.')
        self.hook_fn = hook_fn
        self.required_resource_keys = frozenset(required_resource_keys or ())

    def __call__(self, target: Any) -> Any:
        """Apply the hook to a pipeline (``@my_hook`` above ``@pipeline``)."""
        with_hooks = getattr(target, "with_hooks", None)
        if with_hooks is None:
            raise DagsterInvalidDefinitionError(
                f'Hook "{self.name}" can decorate a pipeline or a solid, not {target!r}.'
            )
        return with_hooks({self})

    def __repr__(self) -> str:
        return f"<HookDefinition {self.name}>"


def _hook_decorator(
    trigger: DagsterEventType, name: Any, required_resource_keys: Iterable[str] | None
) -> Any:
    def make(fn: Callable[[Any], Any], hook_name: str | None) -> HookDefinition:
        def hook_fn(context: Any, event_list: Sequence[Any]) -> bool:
            if any(event.event_type_value == trigger for event in event_list):
                fn(context)
                return True
            return False

        return HookDefinition(hook_name or fn.__name__, hook_fn, required_resource_keys)

    if callable(name):
        return make(name, None)

    def decorate(fn: Callable[[Any], Any]) -> HookDefinition:
        return make(fn, name)

    return decorate


def success_hook(name: Any = None, required_resource_keys: Iterable[str] | None = None) -> Any:
    """Decorate ``fn(context)`` to run after each step of the solids it is applied to succeeds."""
    return _hook_decorator(DagsterEventType.STEP_SUCCESS, name, required_resource_keys)


def failure_hook(name: Any = None, required_resource_keys: Iterable[str] | None = None) -> Any:
    """Decorate ``fn(context)`` to run after each step of the solids it is applied to fails."""
    return _hook_decorator(DagsterEventType.STEP_FAILURE, name, required_resource_keys)
