"""The channel between a notebook solid's step and the kernel running its notebook (layer 5).

Both sides import this module (the kernel through ``from notebook_pipelines import notebook``), so
it imports nothing heavy: no papermill, no nbformat.

Where things live, for run ``<run_id>`` and step ``<step_key>`` of an instance whose storage folder
is ``<storage>`` (:meth:`~notebook_pipelines.DagsterInstance.storage_directory`)::

    <storage>/<run_id>/notebooks/<step_key>.ipynb          the executed notebook (kept)
    <storage>/<run_id>/notebooks/<step_key>.io/            the exchange folder of the step
        inputs/<name>            an input value that is not plain JSON and is not already in the
                                 run's filesystem intermediate storage (its type's serialization)
        outputs/<name>           a value the notebook yielded, until the step has stored it
        strategies/<name>        a pickled serialization strategy (custom Dagster types)
        pipeline.pickle          the pipeline's reconstructable pointer (for in-notebook resources)
        events.jsonl             what the notebook reported, one JSON object a line, in order

The handle (:class:`RunHandle`, plain JSON) reaches the kernel as one papermill parameter,
:data:`HANDLE_PARAMETER`, in the cell papermill injects after the ``parameters`` cell. A second
injected cell (:data:`BIND_TAG`) hands it to :func:`notebook_pipelines.notebook.bind_run`, which
replaces each non-JSON input's variable (a :data:`INPUT_MARKER` dict naming a file) with the value
read from that file, so no value ever travels through notebook source.

Lines of ``events.jsonl`` (written by the kernel, read back by the step when the notebook ends):
``{"kind": "log", "time", "level", "message"}`` (``context.log``), ``{"kind": "event", "event"}``
(a packed ``AssetMaterialization`` / ``ExpectationResult`` / ``Materialization``) and
``{"kind": "output", "name"}`` (a value is in ``outputs/<name>``).
"""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..definitions.serialization import (
    DEFAULT_SERIALIZATION_STRATEGY,
    SerializationStrategy,
    pickle_dumps,
)

#: The papermill parameter that carries the :class:`RunHandle` (as a dict).
HANDLE_PARAMETER = "_notebook_pipelines_run"
#: The tag of the cell that binds the run in the kernel (injected after papermill's cell).
BIND_TAG = "notebook-pipelines-bind"
#: The tag papermill gives the cell it injects.
PAPERMILL_INJECTED_TAG = "injected-parameters"
#: The key of the dict that stands for a non-JSON input in the injected parameters.
INPUT_MARKER = "__notebook_pipelines_input__"
#: The source of the bind cell.
BIND_SOURCE = (
    "# notebook-pipelines: bind this kernel to the run (reads the inputs that are not plain JSON)\n"
    "import notebook_pipelines.notebook as _np_notebook\n"
    f"_np_notebook.bind_run({HANDLE_PARAMETER}, globals())"
)
#: Version of the handle layout; a kernel refuses a handle from a newer release.
PROTOCOL_VERSION = 1
#: The strategy name standing for the default pickle strategy (no strategy file needed).
DEFAULT_STRATEGY_NAME = "pickle"


@dataclass(frozen=True)
class ValueRef:
    """Where a value lives in a file, and how to read it: ``strategy`` is
    :data:`DEFAULT_STRATEGY_NAME` or the path of a pickled :class:`SerializationStrategy`."""

    path: str
    strategy: str = DEFAULT_STRATEGY_NAME


@dataclass(frozen=True)
class OutputSpec:
    """What the kernel needs to know of one output of the solid."""

    strategy: str = DEFAULT_STRATEGY_NAME
    required: bool = True


@dataclass(frozen=True)
class RunHandle:
    """Everything the kernel learns about the step it runs for (plain JSON)."""

    run_id: str
    step_key: str
    solid_handle: str
    solid_name: str
    pipeline_name: str
    mode: str
    notebook: str
    exchange_dir: str
    solid_config: Any = None
    run_config: Mapping[str, Any] = field(default_factory=dict)
    resource_keys: tuple[str, ...] = ()
    resource_configs: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, OutputSpec] = field(default_factory=dict)
    collect_outputs: str | None = None
    instance_root: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    version: int = PROTOCOL_VERSION

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["resource_keys"] = list(self.resource_keys)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunHandle:
        values = dict(data)
        version = values.get("version", PROTOCOL_VERSION)
        if version > PROTOCOL_VERSION:
            raise ValueError(
                f"This notebook was started by a newer notebook-pipelines (run handle version "
                f"{version}; this kernel understands {PROTOCOL_VERSION}): use the same release in "
                "the kernel as in the pipeline."
            )
        values["outputs"] = {k: OutputSpec(**v) for k, v in values.get("outputs", {}).items()}
        values["resource_keys"] = tuple(values.get("resource_keys", ()))
        return cls(**values)

    # --- the exchange folder ---

    def input_path(self, name: str) -> str:
        return os.path.join(self.exchange_dir, "inputs", name)

    def output_path(self, name: str) -> str:
        return os.path.join(self.exchange_dir, "outputs", name)

    @property
    def events_path(self) -> str:
        return os.path.join(self.exchange_dir, "events.jsonl")

    @property
    def pipeline_pointer_path(self) -> str:
        return os.path.join(self.exchange_dir, "pipeline.pickle")


def notebooks_directory(storage_directory: str, run_id: str) -> str:
    """The folder of a run's executed notebooks."""
    return os.path.join(storage_directory, run_id, "notebooks")


def executed_notebook_path(storage_directory: str, run_id: str, step_key: str) -> str:
    """Where the executed notebook of ``step_key`` is kept."""
    return os.path.join(notebooks_directory(storage_directory, run_id), f"{step_key}.ipynb")


def exchange_directory(storage_directory: str, run_id: str, step_key: str) -> str:
    """The exchange folder of ``step_key`` (see the module docstring)."""
    return os.path.join(notebooks_directory(storage_directory, run_id), f"{step_key}.io")


# --- plain JSON ----------------------------------------------------------------------------------


def is_plain_json(value: Any) -> bool:
    """Whether ``value`` survives a JSON round trip unchanged (then it may go in the source)."""
    if value is None or type(value) in (bool, int, str):
        return True
    if type(value) is float:
        return value == value and value not in (float("inf"), float("-inf"))
    if type(value) is list:
        return all(is_plain_json(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and is_plain_json(v) for k, v in value.items())
    return False


# --- values in files -----------------------------------------------------------------------------


def strategy_ref(strategy: SerializationStrategy | None, folder: str, name: str) -> str:
    """How the other side finds ``strategy``: the default's name, or a pickled copy's path."""
    if strategy is None or type(strategy) is type(DEFAULT_SERIALIZATION_STRATEGY):
        return DEFAULT_STRATEGY_NAME
    path = os.path.join(folder, "strategies", name)
    _write_atomically(path, pickle_dumps(strategy))
    return path


def load_strategy(ref: str) -> SerializationStrategy:
    """The strategy a :func:`strategy_ref` names."""
    if ref == DEFAULT_STRATEGY_NAME:
        return DEFAULT_SERIALIZATION_STRATEGY
    with open(ref, "rb") as file_obj:
        strategy: SerializationStrategy = pickle.load(file_obj)
    return strategy


def write_value(path: str, value: Any, strategy: SerializationStrategy) -> None:
    """Serialise ``value`` to ``path`` (through a temporary file: never half a value)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temp = os.path.join(os.path.dirname(path), f".tmp-{os.getpid()}-{os.path.basename(path)}")
    mode = strategy.write_mode
    try:
        with open(temp, mode, encoding=None if "b" in mode else "utf-8") as file_obj:
            strategy.serialize(value, file_obj)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.remove(temp)
        raise


def read_value(ref: ValueRef) -> Any:
    """The value a :class:`ValueRef` points at."""
    strategy = load_strategy(ref.strategy)
    mode = strategy.read_mode
    with open(ref.path, mode, encoding=None if "b" in mode else "utf-8") as file_obj:
        return strategy.deserialize(file_obj)


def _write_atomically(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temp = f"{path}.tmp-{os.getpid()}"
    with open(temp, "wb") as file_obj:
        file_obj.write(data)
    os.replace(temp, path)


# --- the events file -----------------------------------------------------------------------------


def append_line(path: str, entry: Mapping[str, Any]) -> None:
    """Append one JSON line to the events file (flushed at once: the step may read it next)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a", encoding="utf-8") as file_obj:
        file_obj.write(json.dumps(entry) + "\n")


def read_lines(path: str) -> Iterator[dict[str, Any]]:
    """The entries of an events file, in order (none if the notebook wrote none)."""
    try:
        with open(path, encoding="utf-8") as file_obj:
            lines = file_obj.readlines()
    except FileNotFoundError:
        return
    for line in lines:
        if line.strip():
            yield json.loads(line)
