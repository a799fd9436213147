"""Executors: how a run's steps are submitted. :class:`ExecutorDefinition` (name, config schema,
creation function), the :class:`Executor` interface, ``@executor``, and the built-in definitions
``in_process_executor``, ``multiprocess_executor`` and ``dask_executor``: their names and config
schemas; the executors package implements them and registers each under its name (see
:mod:`.registry`).

``default_executors`` is the reference's list, ``[in_process_executor, multiprocess_executor]``, so
that ``[*default_executors, dask_executor]`` (the reference's way to add Dask) keeps working. A mode
that names no executors gets :func:`mode_default_executors`: those two, and ``dask_executor`` when the
``dask`` extra is installed — found without importing it (:func:`dask_available`), so that
``execution: {dask: ...}`` works on any pipeline while ``import notebook_pipelines`` and runs on the
other executors never load Dask. Without the extra, :func:`explain_missing_executors` adds to the
config error of ``execution: {dask: ...}`` how to install it.
"""

from __future__ import annotations

import abc
import dataclasses
import enum
import functools
import importlib.util
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..config import Bool, ConfigError, Field, Int, Selector, String, convert_to_field
from ..errors import DagsterInvalidDefinitionError
from .names import check_valid_name
from .registry import Registered


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
    executor_creation_fn=Registered("executor", "in_process"),
    description="Runs every step in this process, one at a time, by dagster/priority.",
)

multiprocess_executor = ExecutorDefinition(
    "multiprocess",
    config_schema={
        "max_concurrent": Field(Int, default_value=0, description="0: the number of CPUs."),
        "retries": retries_config_field(),
        "start_method": Field(String, default_value="spawn", description="spawn or forkserver."),
    },
    executor_creation_fn=Registered("executor", "multiprocess"),
    description="Runs steps in a pool of worker processes.",
    requirements=MULTIPROCESS_REQUIREMENTS,
)

dask_executor = ExecutorDefinition(
    "dask",
    config_schema={
        "cluster": Field(
            Selector(
                {
                    "local": {
                        "n_workers": Field(Int, default_value=2),
                        "threads_per_worker": Field(Int, default_value=1),
                        "processes": Field(Bool, default_value=True),
                    },
                    "existing": {"address": Field(String)},
                }
            ),
            default_value={"local": {}},
            description="Start a local Dask cluster for the run, or use the scheduler at address.",
        ),
        "retries": retries_config_field(),
    },
    executor_creation_fn=Registered("executor", "dask"),
    description="Runs each step as a task on a dask.distributed cluster (extra: dask).",
    requirements=MULTIPROCESS_REQUIREMENTS,
)

#: The reference's default executors (what ``ModeDefinition(executor_defs=default_executors)`` gets).
default_executors = [in_process_executor, multiprocess_executor]

#: How to install what an optional built-in executor needs, by executor name.
DASK_INSTALL_HINT = "pip install 'notebook-pipelines[dask]'"


@functools.cache
def dask_available() -> bool:
    """Whether the ``dask`` extra is installed (``dask`` and ``distributed`` can be imported),
    found without importing either."""
    for name in ("dask", "distributed"):
        try:
            if importlib.util.find_spec(name) is None:
                return False
        except (ImportError, ValueError):  # a finder that refuses the name, a broken install
            return False
    return True


def mode_default_executors() -> list[ExecutorDefinition]:
    """The executors of a mode that names none: :data:`default_executors`, and ``dask_executor``
    when the ``dask`` extra is installed."""
    return [*default_executors, dask_executor] if dask_available() else list(default_executors)


def explain_missing_executors(
    errors: Iterable[ConfigError], executor_defs: Iterable[ExecutorDefinition]
) -> list[ConfigError]:
    """``errors`` of a run config, where ``execution: {dask: ...}`` names an executor the mode
    does not have, with what to do about it appended (install the extra, or add the executor to
    the mode's ``executor_defs``)."""
    names = {d.name for d in executor_defs}
    if dask_executor.name in names:
        return list(errors)
    if dask_available():
        advice = (
            "This mode lists its own executor_defs, without dask: add "
            "notebook_pipelines.executors.dask.dask_executor to them to run on Dask."
        )
    else:
        advice = (
            f"The Dask executor needs the dask extra, which is not installed: {DASK_INSTALL_HINT}"
        )
    prefix = f"Received unexpected config entry {json.dumps(dask_executor.name)}"
    return [
        dataclasses.replace(error, message=f"{error.message.rstrip('.')}. {advice}")
        if error.path == ("root", "execution")
        and error.reason == "unexpected_field"
        and error.message.startswith(prefix)
        else error
        for error in errors
    ]
