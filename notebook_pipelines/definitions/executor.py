"""Executors: how a run's steps are submitted. :class:`ExecutorDefinition` (name, config schema,
creation function), the :class:`Executor` interface, ``@executor``, and the built-in definitions
``in_process_executor`` and ``multiprocess_executor`` (implemented in ``notebook_pipelines.executors``
and bound late, see :mod:`.builtin`)."""

from __future__ import annotations

import abc
import enum
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..config import Field, Int, Selector, String, convert_to_field
from ..errors import DagsterInvalidDefinitionError
from .builtin import BuiltinFactory
from .names import check_valid_name


class Executor(abc.ABC):
    """Runs the steps of an execution plan and yields their events."""

    @abc.abstractmethod
    def execute(self, pipeline_context: Any, execution_plan: Any) -> Iterator[Any]:
        """Run ``execution_plan`` under ``pipeline_context``; yield every event as it happens."""

    @property
    @abc.abstractmethod
    def retries(self) -> Any:
        """The retry policy (a ``Retries`` object)."""


class ExecutorRequirement(str, enum.Enum):
    """What an executor needs of a run; the API provides it or says why it cannot."""

    #: steps run in other processes, which rebuild the pipeline from where its code lives
    RECONSTRUCTABLE_PIPELINE = "reconstructable_pipeline"
    #: other processes find the run's folders (intermediates, compute logs) through the instance
    NON_EPHEMERAL_INSTANCE = "non_ephemeral_instance"
    #: other processes read the values steps pass each other
    PERSISTENT_INTERMEDIATES = "persistent_intermediates"


MULTIPROCESS_REQUIREMENTS = frozenset(ExecutorRequirement)


class ExecutorDefinition:
    """A named way to execute runs; ``executor_creation_fn(init_context) -> Executor``."""

    def __init__(
        self,
        name: str,
        config_schema: Any = None,
        executor_creation_fn: Callable[[Any], Executor] | None = None,
        required_resource_keys: Iterable[str] | None = None,
        description: str | None = None,
        requirements: Iterable[ExecutorRequirement] = (),
    ):
        self.name = check_valid_name(name, "executor")
        if executor_creation_fn is None or not callable(executor_creation_fn):
            raise DagsterInvalidDefinitionError(
                f'Executor "{name}": executor_creation_fn must be callable.'
            )
        self.config_field: Field | None = (
            convert_to_field(config_schema, where=f'executor "{name}" config_schema')
            if config_schema is not None
            else None
        )
        self.executor_creation_fn = executor_creation_fn
        self.required_resource_keys = frozenset(required_resource_keys or ())
        self.description = description
        self.requirements = frozenset(ExecutorRequirement(r) for r in requirements)

    @property
    def config_schema(self) -> Field | None:
        return self.config_field

    def __repr__(self) -> str:
        return f"<ExecutorDefinition {self.name}>"


def executor(
    name: Any = None,
    config_schema: Any = None,
    required_resource_keys: Iterable[str] | None = None,
) -> Any:
    """Decorate ``fn(init_context) -> Executor`` as an :class:`ExecutorDefinition`."""
    if callable(name):
        return ExecutorDefinition(name.__name__, None, name)

    def decorate(fn: Callable[[Any], Executor]) -> ExecutorDefinition:
        return ExecutorDefinition(name or fn.__name__, config_schema, fn, required_resource_keys)

    return decorate


def retries_config_field() -> Field:
    """``retries: {enabled: {}} | {disabled: {}}``, enabled by default."""
    return Field(
        Selector({"enabled": {}, "disabled": {}}),
        default_value={"enabled": {}},
        description="Whether RetryRequested re-runs a step.",
    )


in_process_executor = ExecutorDefinition(
    "in_process",
    config_schema={
        "retries": retries_config_field(),
        "marker_to_close": Field(String, is_required=False),
    },
    executor_creation_fn=BuiltinFactory("notebook_pipelines.executors.in_process:create"),
    description="Runs every step in this process, one at a time, by dagster/priority.",
)

multiprocess_executor = ExecutorDefinition(
    "multiprocess",
    config_schema={
        "max_concurrent": Field(Int, default_value=0, description="0: the number of CPUs."),
        "retries": retries_config_field(),
        "start_method": Field(String, default_value="spawn", description="spawn or forkserver."),
    },
    executor_creation_fn=BuiltinFactory("notebook_pipelines.executors.multiprocess:create"),
    description="Runs steps in a pool of worker processes.",
    requirements=MULTIPROCESS_REQUIREMENTS,
)

default_executors = [in_process_executor, multiprocess_executor]
