"""Building graphs by calling solids inside a ``@pipeline`` or ``@composite_solid`` body.

While a body runs, a :class:`CompositionContext` is on a stack; calling a solid definition (or a
:class:`PendingInvocation` from ``.alias()``, ``.tag()``, ``.with_hooks()``) records the invocation
and returns handles to its outputs, which are passed on to other solids. A definition called twice
without an alias gets ``name_2``, ``name_3``, ... as the reference does.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import DagsterInvalidDefinitionError, DagsterInvariantViolationError
from .dependency import DependencyDefinition, MultiDependencyDefinition, SolidInvocation
from .names import check_valid_name

if TYPE_CHECKING:
    from .hook import HookDefinition
    from .io import InputDefinition
    from .node import NodeDefinition


@dataclass(frozen=True)
class InvokedSolidOutputHandle:
    """An output of a solid invoked in a composition body; pass it to another solid's input."""

    solid_name: str
    output_name: str
    definition: Any = field(compare=False, repr=False)

    @property
    def output_def(self) -> Any:
        return self.definition.output_def_named(self.output_name)


@dataclass(frozen=True)
class InputMappingNode:
    """A composite solid's own input, as seen inside its body."""

    input_def: InputDefinition


@dataclass
class _Invocation:
    definition: NodeDefinition
    alias: str
    tags: Mapping[str, Any] | None
    hook_defs: frozenset[Any]
    bindings: dict[str, Any]


class CompositionContext:
    """Collects the invocations made while one composition body runs."""

    def __init__(self, owner: str):
        self.owner = owner
        self.invocations: dict[str, _Invocation] = {}
        self._uses: dict[str, int] = {}

    def add(
        self,
        definition: NodeDefinition,
        alias: str | None,
        tags: Mapping[str, Any] | None,
        hook_defs: frozenset[Any],
        bindings: dict[str, Any],
    ) -> str:
        if alias is None:
            count = self._uses.get(definition.name, 0) + 1
            self._uses[definition.name] = count
            alias = definition.name if count == 1 else f"{definition.name}_{count}"
            while alias in self.invocations:
                count += 1
                self._uses[definition.name] = count
                alias = f"{definition.name}_{count}"
        elif alias in self.invocations:
            raise DagsterInvalidDefinitionError(
                f'{self.owner}: the alias "{alias}" is used twice; aliases must be unique.'
            )
        self.invocations[alias] = _Invocation(definition, alias, tags, hook_defs, bindings)
        return alias

    def solid_defs(self) -> list[NodeDefinition]:
        seen: dict[int, NodeDefinition] = {}
        for invocation in self.invocations.values():
            seen.setdefault(id(invocation.definition), invocation.definition)
        return list(seen.values())

    def dependencies(self) -> dict[SolidInvocation, dict[str, Any]]:
        deps: dict[SolidInvocation, dict[str, Any]] = {}
        for inv in self.invocations.values():
            key = SolidInvocation(inv.definition.name, inv.alias, inv.tags, inv.hook_defs)
            input_deps: dict[str, Any] = {}
            for input_name, binding in inv.bindings.items():
                if isinstance(binding, InvokedSolidOutputHandle):
                    input_deps[input_name] = DependencyDefinition(
                        binding.solid_name, binding.output_name
                    )
                elif isinstance(binding, list):
                    input_deps[input_name] = MultiDependencyDefinition(
                        [DependencyDefinition(h.solid_name, h.output_name) for h in binding]
                    )
            deps[key] = input_deps
        return deps

    def input_mappings(self) -> list[tuple[InputDefinition, str, str]]:
        """(composite input, inner solid alias, inner input name) for every mapped input."""
        return [
            (binding.input_def, inv.alias, input_name)
            for inv in self.invocations.values()
            for input_name, binding in inv.bindings.items()
            if isinstance(binding, InputMappingNode)
        ]


_STACK: list[CompositionContext] = []


def run_composition(
    owner: str, body: Callable[..., Any], kwargs: dict[str, Any]
) -> tuple[CompositionContext, Any]:
    """Run a composition body with a fresh context; return the context and the body's result."""
    context = CompositionContext(owner)
    _STACK.append(context)
    try:
        result = body(**kwargs)
    finally:
        _STACK.pop()
    return context, result


class PendingInvocation:
    """A solid definition about to be invoked, with an alias, tags or hooks chosen."""

    def __init__(
        self,
        definition: NodeDefinition,
        alias: str | None = None,
        tags: Mapping[str, Any] | None = None,
        hook_defs: Any = None,
    ):
        self.definition = definition
        self.given_alias = check_valid_name(alias, "alias") if alias is not None else None
        self.tags = dict(tags) if tags else None
        self.hook_defs = _hook_set(hook_defs)

    def alias(self, name: str) -> PendingInvocation:
        return PendingInvocation(self.definition, name, self.tags, self.hook_defs)

    def tag(self, tags: Mapping[str, Any]) -> PendingInvocation:
        merged = dict(self.tags or {})
        merged.update(tags)
        return PendingInvocation(self.definition, self.given_alias, merged, self.hook_defs)

    def with_hooks(self, hook_defs: Any) -> PendingInvocation:
        return PendingInvocation(
            self.definition, self.given_alias, self.tags, self.hook_defs | _hook_set(hook_defs)
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        definition = self.definition
        name = self.given_alias or definition.name
        if not _STACK:
            raise DagsterInvariantViolationError(
                f'Solid "{name}" was called outside a @pipeline or @composite_solid body. Inside '
                "those bodies, calling a solid wires it into the graph. To run a solid on its own, "
                f"use execute_solid({definition.name}, input_values={{...}})."
            )
        context = _STACK[-1]
        bindings = self._bind(context.owner, name, args, kwargs)
        alias = context.add(definition, self.given_alias, self.tags, self.hook_defs, bindings)
        outputs = [
            InvokedSolidOutputHandle(alias, output_def.name, definition)
            for output_def in definition.output_defs
        ]
        if not outputs:
            return None
        if len(outputs) == 1:
            return outputs[0]
        cls = namedtuple(f"_{definition.name}_outputs", [h.output_name for h in outputs])  # type: ignore[misc]
        return cls(*outputs)

    def _bind(
        self, owner: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        definition = self.definition
        positional = definition.positional_inputs
        if len(args) > len(positional):
            keyword_only = [d.name for d in definition.input_defs if d.name not in positional]
            if keyword_only:
                raise DagsterInvalidDefinitionError(
                    f'{owner}: solid "{name}" was called with {len(args)} positional arguments, '
                    f"but only {len(positional)} of its inputs {positional} have a position (its "
                    f"function's parameters); the inputs {keyword_only} have none. Use keyword "
                    "args instead."
                )
            raise DagsterInvalidDefinitionError(
                f'{owner}: solid "{name}" takes {len(positional)} input(s) {positional}, but was '
                f"called with {len(args)} positional arguments."
            )
        bindings: dict[str, Any] = dict(zip(positional, args, strict=False))
        for key, value in kwargs.items():
            if key in bindings:
                raise DagsterInvalidDefinitionError(
                    f'{owner}: input "{key}" of solid "{name}" was given twice.'
                )
            if not definition.has_input(key):
                raise DagsterInvalidDefinitionError(
                    f'{owner}: solid "{name}" has no input "{key}" (its inputs: '
                    f"{sorted(definition.input_dict) or 'none'})."
                )
            bindings[key] = value
        for input_name, value in list(bindings.items()):
            bindings[input_name] = _check_binding(owner, name, input_name, value)
        return bindings


def _check_binding(owner: str, solid_name: str, input_name: str, value: Any) -> Any:
    if isinstance(value, (InvokedSolidOutputHandle, InputMappingNode)):
        return value
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        raise DagsterInvalidDefinitionError(
            f'{owner}: input "{input_name}" of solid "{solid_name}" received all the outputs of a '
            f"multi-output solid; pick one, e.g. outputs.{value._fields[0]}."
        )
    # "a list containing invalid types" is the reference's phrase, which users match
    lead = f"{owner}: "
    if isinstance(value, (list, tuple)) and value:
        items = list(value)
        if all(isinstance(v, InvokedSolidOutputHandle) for v in items):
            return items
        lead += "a list containing invalid types was given: "
        if any(isinstance(v, InputMappingNode) for v in items):
            raise DagsterInvalidDefinitionError(
                f'{lead}input "{input_name}" of solid "{solid_name}" fans in a composite '
                "input; fan-in takes only outputs of solids."
            )
    raise DagsterInvalidDefinitionError(
        f'{lead}input "{input_name}" of solid "{solid_name}" received {value!r}. Inside a '
        "composition body an input must be the output of another solid (or a list of outputs "
        "to fan in); supply constant values through run config (solids.<name>.inputs) instead."
    )


def _hook_set(hook_defs: Any) -> frozenset[HookDefinition]:
    if hook_defs is None:
        return frozenset()
    from .hook import HookDefinition

    hooks = frozenset(hook_defs) if not isinstance(hook_defs, HookDefinition) else {hook_defs}
    for hook in hooks:
        if not isinstance(hook, HookDefinition):
            raise DagsterInvalidDefinitionError(
                f"with_hooks takes hook definitions (@success_hook, @failure_hook), got {hook!r}"
            )
    return frozenset(hooks)
