"""What solids and composite solids share: a name, inputs, outputs, config, tags, and the ways to
place them in a pipeline (calling them in a composition body, ``alias``, ``tag``, ``with_hooks``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..config import Field, convert_to_field
from ..errors import DagsterInvalidDefinitionError
from .io import InputDefinition, OutputDefinition, check_unique_names
from .names import check_valid_name

if TYPE_CHECKING:
    from .composition import PendingInvocation


class NodeDefinition:
    """Base of :class:`SolidDefinition` and :class:`CompositeSolidDefinition`."""

    def __init__(
        self,
        name: str,
        input_defs: Sequence[InputDefinition],
        output_defs: Sequence[OutputDefinition],
        description: str | None = None,
        tags: Mapping[str, Any] | None = None,
        positional_inputs: Sequence[str] | None = None,
        config_schema: Any = None,
    ):
        self.name = check_valid_name(name, f'solid "{name}"')
        what = f'solid "{name}"'
        for input_def in input_defs:
            if not isinstance(input_def, InputDefinition):
                raise DagsterInvalidDefinitionError(
                    f"{what}: input_defs must be InputDefinition objects, got {input_def!r}"
                )
        for output_def in output_defs:
            if not isinstance(output_def, OutputDefinition):
                raise DagsterInvalidDefinitionError(
                    f"{what}: output_defs must be OutputDefinition objects, got {output_def!r}"
                )
        check_unique_names(list(input_defs), "inputs", what)
        check_unique_names(list(output_defs), "outputs", what)
        self.input_defs = list(input_defs)
        self.output_defs = list(output_defs)
        self.input_dict = {d.name: d for d in self.input_defs}
        self.output_dict = {d.name: d for d in self.output_defs}
        self.description = description
        self.tags = validate_tags(tags, what)
        self.positional_inputs = (
            list(positional_inputs)
            if positional_inputs is not None
            else [d.name for d in input_defs]
        )
        self.config_field: Field | None = (
            convert_to_field(config_schema, where=f"{what} config_schema")
            if config_schema is not None
            else None
        )

    @property
    def config_schema(self) -> Field | None:
        return self.config_field

    def has_input(self, name: str) -> bool:
        return name in self.input_dict

    def has_output(self, name: str) -> bool:
        return name in self.output_dict

    def input_def_named(self, name: str) -> InputDefinition:
        try:
            return self.input_dict[name]
        except KeyError:
            raise DagsterInvalidDefinitionError(
                f'Solid "{self.name}" has no input "{name}"; its inputs are '
                f"{sorted(self.input_dict) or 'none'}."
            ) from None

    def output_def_named(self, name: str) -> OutputDefinition:
        try:
            return self.output_dict[name]
        except KeyError:
            raise DagsterInvalidDefinitionError(
                f'Solid "{self.name}" has no output "{name}"; its outputs are '
                f"{sorted(self.output_dict) or 'none'}."
            ) from None

    def iterate_solid_defs(self) -> list[NodeDefinition]:
        """This definition and every definition nested in it."""
        return [self]

    # --- placing the definition in a composition ---------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .composition import PendingInvocation

        return PendingInvocation(self)(*args, **kwargs)

    def alias(self, name: str) -> PendingInvocation:
        from .composition import PendingInvocation

        return PendingInvocation(self, alias=name)

    def tag(self, tags: Mapping[str, Any]) -> PendingInvocation:
        from .composition import PendingInvocation

        return PendingInvocation(self, tags=tags)

    def with_hooks(self, hook_defs: Any) -> PendingInvocation:
        from .composition import PendingInvocation

        return PendingInvocation(self, hook_defs=hook_defs)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def positional_order(
    param_names: Sequence[str], input_defs: Sequence[InputDefinition]
) -> list[str]:
    """The inputs a positional call in a composition body binds, in order: the function's
    parameters that are inputs, in the function's order (not the order of ``input_defs``); then,
    if exactly one input has no parameter (it arrives through ``**kwargs``, or is a Nothing input),
    that one, as it is unambiguous. Several such inputs can only be given by keyword."""
    names = {d.name for d in input_defs}
    ordered = [p for p in param_names if p in names]
    rest = [d.name for d in input_defs if d.name not in ordered]
    return ordered + rest if len(rest) == 1 else ordered


def definition_list(value: Any, what: str, owner: str) -> list[Any]:
    """``value`` as a list; a single definition or a string where a list belongs is an error."""
    if isinstance(value, (list, tuple)):
        return list(value)
    raise DagsterInvalidDefinitionError(
        f"{owner}: {what} must be a list, got {value!r}"
        + (f" (write [{value!r}])" if not isinstance(value, (str, Mapping)) else "")
    )


def validate_tags(tags: Mapping[str, Any] | None, what: str) -> dict[str, str]:
    """Tags are string keys; non-string values are kept as their JSON text (as the reference does)."""
    import json

    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise DagsterInvalidDefinitionError(f"{what}: tags must be a dict, got {tags!r}")
    out: dict[str, str] = {}
    for key, value in tags.items():
        if not isinstance(key, str):
            raise DagsterInvalidDefinitionError(f"{what}: tag keys must be strings, got {key!r}")
        if isinstance(value, str):
            out[key] = value
        else:
            try:
                out[key] = json.dumps(value)
            except TypeError:
                raise DagsterInvalidDefinitionError(
                    f'{what}: tag "{key}" must be a string or JSON-able, got {value!r}'
                ) from None
    return out
