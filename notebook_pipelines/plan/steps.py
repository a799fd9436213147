"""Execution steps: one compute step per leaf solid, keyed ``<solid handle>.compute``, with where each
input comes from and what each output materializes to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..events import StepKind, StepOutputHandle


@dataclass(frozen=True)
class FromStepOutput:
    """The input is an output of another step."""

    step_output_handle: StepOutputHandle


@dataclass(frozen=True)
class FromMultipleSources:
    """A fan-in input: a list of other steps' outputs (missing ones are dropped)."""

    sources: tuple[FromStepOutput, ...]


@dataclass(frozen=True)
class FromConfig:
    """The input is built by its type's loader from run config ``solids.<handle>.inputs.<name>``."""

    config_value: Any
    solid_handle: str


@dataclass(frozen=True)
class FromDefaultValue:
    """The input takes its definition's default value."""

    value: Any


StepInputSource = FromStepOutput | FromMultipleSources | FromConfig | FromDefaultValue


@dataclass(frozen=True)
class StepInput:
    """One input of a step (``source`` is None for an unconnected Nothing input)."""

    name: str
    dagster_type: Any
    source: StepInputSource | None

    @property
    def upstream_handles(self) -> tuple[StepOutputHandle, ...]:
        source = self.source
        if isinstance(source, FromStepOutput):
            return (source.step_output_handle,)
        if isinstance(source, FromMultipleSources):
            return tuple(s.step_output_handle for s in source.sources)
        return ()


@dataclass(frozen=True)
class StepOutput:
    """One output of a step, and the ``outputs`` config entries that materialize it."""

    name: str
    dagster_type: Any
    is_required: bool
    materializations: tuple[Any, ...] = ()


@dataclass(frozen=True, eq=False)
class ExecutionStep:
    """A unit of execution: the compute of one leaf solid."""

    key: str
    solid_handle: str
    solid: Any
    step_inputs: tuple[StepInput, ...]
    step_outputs: tuple[StepOutput, ...]
    tags: dict[str, str]
    hook_defs: frozenset[Any]
    priority: int = 0
    kind: StepKind = StepKind.COMPUTE
    upstream_step_keys: frozenset[str] = field(default_factory=frozenset)

    @property
    def solid_name(self) -> str:
        return str(self.solid.name)

    @property
    def solid_def(self) -> Any:
        return self.solid.definition

    @property
    def step_input_dict(self) -> dict[str, StepInput]:
        return {i.name: i for i in self.step_inputs}

    @property
    def step_output_dict(self) -> dict[str, StepOutput]:
        return {o.name: o for o in self.step_outputs}

    def step_output_named(self, name: str) -> StepOutput | None:
        for output in self.step_outputs:
            if output.name == name:
                return output
        return None

    def __repr__(self) -> str:
        return f"<ExecutionStep {self.key}>"
