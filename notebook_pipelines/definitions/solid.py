"""Solids: :class:`SolidDefinition` and the ``@solid`` / ``@lambda_solid`` decorators.

A solid's compute function is called as ``compute_fn(context, inputs)`` and returns an iterable of
``Output``, ``AssetMaterialization``/``Materialization`` and ``ExpectationResult`` objects. The
decorators turn an ordinary function into that shape once, at definition time, following the
reference's return-value rules (a generator's items are yielded; one output wraps the return value;
no output allows only ``None``).
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, overload

from ..errors import DagsterInvalidDefinitionError, DagsterInvariantViolationError
from ..user_events import AssetMaterialization, ExpectationResult, Materialization, Output
from .io import InputDefinition, OutputDefinition
from .names import check_valid_name
from .node import NodeDefinition, definition_list, positional_order
from .types import resolve_dagster_type

ComputeFn = Callable[[Any, dict[str, Any]], Iterable[Any]]
CONTEXT_PARAM_NAMES = frozenset({"context", "_context", "_", "ctx"})


class SolidDefinition(NodeDefinition):
    """A unit of computation: inputs in, outputs out, through ``compute_fn(context, inputs)``."""

    def __init__(
        self,
        name: str,
        input_defs: Sequence[InputDefinition],
        compute_fn: ComputeFn,
        output_defs: Sequence[OutputDefinition],
        config_schema: Any = None,
        description: str | None = None,
        tags: Mapping[str, Any] | None = None,
        required_resource_keys: Iterable[str] | None = None,
        positional_inputs: Sequence[str] | None = None,
        version: str | None = None,
    ):
        super().__init__(
            name,
            input_defs,
            output_defs,
            description=description,
            tags=tags,
            positional_inputs=positional_inputs,
            config_schema=config_schema,
        )
        if not callable(compute_fn):
            raise DagsterInvalidDefinitionError(f'Solid "{name}": compute_fn must be callable.')
        self.compute_fn = compute_fn
        if isinstance(required_resource_keys, str):
            raise DagsterInvalidDefinitionError(
                f'Solid "{name}": required_resource_keys must be a set of names, not the string '
                f'"{required_resource_keys}" (write {{"{required_resource_keys}"}}).'
            )
        self.required_resource_keys = frozenset(required_resource_keys or ())
        for key in self.required_resource_keys:
            check_valid_name(key, f'solid "{name}" required_resource_keys')
        self.version = version

    @property
    def is_composite(self) -> bool:
        return False


# --- decorators --------------------------------------------------------------------------------


@overload
def solid(name: Callable[..., Any]) -> SolidDefinition: ...


@overload
def solid(
    name: str | None = None,
    description: str | None = None,
    input_defs: Sequence[InputDefinition] | None = None,
    output_defs: Sequence[OutputDefinition] | None = None,
    config_schema: Any = None,
    required_resource_keys: Iterable[str] | None = None,
    tags: Mapping[str, Any] | None = None,
    version: str | None = None,
) -> Callable[[Callable[..., Any]], SolidDefinition]: ...


def solid(
    name: Any = None,
    description: str | None = None,
    input_defs: Sequence[InputDefinition] | None = None,
    output_defs: Sequence[OutputDefinition] | None = None,
    config_schema: Any = None,
    required_resource_keys: Iterable[str] | None = None,
    tags: Mapping[str, Any] | None = None,
    version: str | None = None,
) -> Any:
    """Turn a function ``fn(context, *inputs)`` into a :class:`SolidDefinition`.

    Inputs come from the parameters after ``context`` (types from their annotations, defaults from
    their defaults) unless ``input_defs`` is given; the output is ``result`` typed by the return
    annotation unless ``output_defs`` is given. Usable bare (``@solid``) or with arguments.
    """
    if callable(name) and not isinstance(name, str):
        return _make_solid(name, None, None, None, None, None, None, None, None)

    def decorate(fn: Callable[..., Any]) -> SolidDefinition:
        return _make_solid(
            fn,
            name,
            description,
            input_defs,
            output_defs,
            config_schema,
            required_resource_keys,
            tags,
            version,
        )

    return decorate


def lambda_solid(
    name: Any = None,
    description: str | None = None,
    input_defs: Sequence[InputDefinition] | None = None,
    output_def: OutputDefinition | None = None,
) -> Any:
    """A solid without context or config: ``fn(*inputs)``; its return value is always the output."""
    if callable(name) and not isinstance(name, str):
        return _make_lambda_solid(name, None, None, None, None)

    def decorate(fn: Callable[..., Any]) -> SolidDefinition:
        return _make_lambda_solid(fn, name, description, input_defs, output_def)

    return decorate


def _make_solid(
    fn: Callable[..., Any],
    name: str | None,
    description: str | None,
    input_defs: Sequence[InputDefinition] | None,
    output_defs: Sequence[OutputDefinition] | None,
    config_schema: Any,
    required_resource_keys: Iterable[str] | None,
    tags: Mapping[str, Any] | None,
    version: str | None,
) -> SolidDefinition:
    solid_name = name or fn.__name__
    params = _parameters(fn, solid_name, takes_context=True)
    if not params or params[0].name not in CONTEXT_PARAM_NAMES:
        found = f'"{params[0].name}"' if params else "no parameters"
        raise DagsterInvalidDefinitionError(
            f'@solid "{solid_name}": the compute function must take the context as its first '
            f"parameter (named context), found {found}. Use @lambda_solid for a function "
            "without context."
        )
    resolved_inputs = _input_defs(fn, solid_name, params[1:], input_defs)
    resolved_outputs = (
        definition_list(output_defs, "output_defs", f'@solid "{solid_name}"')
        if output_defs is not None
        else [_output_from_annotation(fn, solid_name)]
    )
    return SolidDefinition(
        name=solid_name,
        input_defs=resolved_inputs,
        compute_fn=compute_fn_for(fn, solid_name, resolved_outputs, takes_context=True),
        output_defs=resolved_outputs,
        config_schema=config_schema,
        description=description or inspect.getdoc(fn),
        tags=tags,
        required_resource_keys=required_resource_keys,
        positional_inputs=positional_order([p.name for p in params[1:]], resolved_inputs),
        version=version,
    )


def _make_lambda_solid(
    fn: Callable[..., Any],
    name: str | None,
    description: str | None,
    input_defs: Sequence[InputDefinition] | None,
    output_def: OutputDefinition | None,
) -> SolidDefinition:
    solid_name = name or fn.__name__
    params = _parameters(fn, solid_name)
    resolved_inputs = _input_defs(fn, solid_name, params, input_defs)
    out = output_def if output_def is not None else _output_from_annotation(fn, solid_name)
    output_name = out.name

    def compute(_context: Any, inputs: dict[str, Any]) -> tuple[Output]:
        return (Output(fn(**inputs), output_name),)

    return SolidDefinition(
        name=solid_name,
        input_defs=resolved_inputs,
        compute_fn=compute,
        output_defs=[out],
        description=description or inspect.getdoc(fn),
        positional_inputs=positional_order([p.name for p in params], resolved_inputs),
    )


def compute_fn_for(
    fn: Callable[..., Any],
    solid_name: str,
    output_defs: Sequence[OutputDefinition],
    takes_context: bool,
) -> ComputeFn:
    """Wrap a user function as a compute function, applying the return-value rules."""
    if inspect.isgeneratorfunction(fn):
        if takes_context:
            return lambda context, inputs: fn(context, **inputs)
        return lambda _context, inputs: fn(**inputs)

    single_output = output_defs[0].name if len(output_defs) == 1 else None

    def compute(context: Any, inputs: dict[str, Any]) -> Iterable[Any]:
        result = fn(context, **inputs) if takes_context else fn(**inputs)
        if isinstance(result, Output):
            return (result,)
        if isinstance(result, (AssetMaterialization, Materialization, ExpectationResult)):
            # the reference's sentence is the message (scripts compare it); ours is a note
            error = DagsterInvariantViolationError(
                f"Error in solid {solid_name}: If you are returning an AssetMaterialization or an "
                "ExpectationResult from solid you must yield them to avoid ambiguity with an "
                "implied result from returning a value."
            )
            if sys.version_info >= (3, 11):  # notes are shown after the message in tracebacks
                error.add_note(
                    f'Solid "{solid_name}" returned a {type(result).__name__}; materializations '
                    "and expectation results must be yielded (make the function a generator)."
                )
            raise error
        if single_output is not None:
            return (Output(result, single_output),)
        if result is None:
            return ()
        raise DagsterInvariantViolationError(
            f'Solid "{solid_name}" returned a value ({type(result).__name__}) but has '
            f"{'no outputs' if not output_defs else f'{len(output_defs)} outputs'}: yield one "
            "Output(value, name) per output instead."
        )

    return compute


def _parameters(
    fn: Callable[..., Any], solid_name: str, takes_context: bool = False
) -> list[inspect.Parameter]:
    """The function's parameters; inputs (not the context, passed first) must be nameable."""
    if not callable(fn):
        raise DagsterInvalidDefinitionError(
            f'Solid "{solid_name}": expected a function, got {fn!r}'
        )
    params = list(inspect.signature(fn).parameters.values())
    for param in params[1:] if takes_context else params:
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.POSITIONAL_ONLY):
            raise DagsterInvalidDefinitionError(
                f'Solid "{solid_name}": parameter "{param.name}" cannot be positional-only or '
                "*args; inputs are passed by name."
            )
    return params


def _input_defs(
    fn: Callable[..., Any],
    solid_name: str,
    params: list[inspect.Parameter],
    input_defs: Sequence[InputDefinition] | None,
) -> list[InputDefinition]:
    named = [p for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD]
    has_var_kw = len(named) != len(params)
    if input_defs is None:
        hints = _type_hints(fn)
        return [
            InputDefinition(
                p.name,
                hints.get(p.name),
                **({} if p.default is inspect.Parameter.empty else {"default_value": p.default}),
            )
            for p in named
        ]
    defs = definition_list(input_defs, "input_defs", f'Solid "{solid_name}"')
    # Nothing inputs only order the solid after its upstream; no value is passed for them.
    nothing = {d.name for d in defs if d.dagster_type.is_nothing}
    declared = {d.name for d in defs} - nothing
    param_names = {p.name for p in named}
    missing = [
        p.name for p in named if p.name not in declared and p.default is inspect.Parameter.empty
    ]
    extra = sorted(declared - param_names) if not has_var_kw else []
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"parameters without an InputDefinition: {missing}")
        if extra:
            parts.append(f"InputDefinitions without a parameter: {extra}")
        if nothing & set(missing):
            parts.append(
                f"Nothing inputs {sorted(nothing & set(missing))} receive no value, so they must "
                "not be parameters"
            )
        raise DagsterInvalidDefinitionError(
            f'Solid "{solid_name}": input_defs do not match the function\'s parameters ('
            + "; ".join(parts)
            + ")."
        )
    return defs


def _output_from_annotation(fn: Callable[..., Any], solid_name: str) -> OutputDefinition:
    hints = _type_hints(fn)
    if "return" not in hints or inspect.isgeneratorfunction(fn):
        # a generator's annotation (Iterator[Output], ...) describes what it yields, not a value
        return OutputDefinition()
    annotation = hints["return"]
    resolve_dagster_type(annotation, f'return annotation of solid "{solid_name}"')
    return OutputDefinition(annotation)


def _type_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    try:
        import typing

        return typing.get_type_hints(fn)
    except Exception:  # unresolvable string annotations: fall back to the raw ones
        return {
            k: v for k, v in getattr(fn, "__annotations__", {}).items() if not isinstance(v, str)
        }
