"""The pieces of a papermill batch (layer 5): parameter sets, and the solids of the sweep pipeline.

A batch runs one notebook over N parameter sets as one pipeline: N notebook solids ``set_0`` …
``set_<N-1>`` (fan-out; each set's parameters are that solid's config, injected as notebook
variables papermill style, so they are in the run config and re-execution reuses them) and a
collector, ``collect``, whose one fan-in input receives what every set yielded (it runs once all
the sets have succeeded: a failed set abandons the fan-in, so the batch's table reads each set's
own output instead). In a batch, ``nbp.yield_result(value, name)`` accepts any name: the values of a set are collected into
one output, ``{"set": "set_3", "values": {name: value, ...}}``.

Parameter sets come from a list of dicts, from a grid (a dict of lists: the product, in key order:
``{"alpha": [0.1, 0.5], "n": [10, 100]}`` → 4 sets), or from a YAML/JSON file holding either.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from ..config import Permissive
from ..definitions.io import InputDefinition, OutputDefinition
from ..definitions.solid import SolidDefinition
from ..definitions.types import Any as AnyType
from ..definitions.types import List
from ..errors import DagsterInvariantViolationError
from ..user_events import Output
from .protocol import is_plain_json
from .solid import NotebookSolidSpec, notebook_solid_from_spec

#: The output of a batch set, and the name of the collector solid.
VALUES_OUTPUT = "values"
COLLECTOR = "collect"


def set_solid_name(index: int) -> str:
    return f"set_{index}"


def parameter_sets_from(source: Any) -> list[dict[str, Any]]:
    """The parameter sets ``source`` describes: a list of dicts, a grid (dict of lists), or the
    path of a YAML/JSON file holding one of those. Every value must be plain JSON."""
    where = "parameter sets"
    if isinstance(source, (str, os.PathLike)):
        where = os.fspath(source)
        source = _load_file(where)
    if isinstance(source, Mapping):
        sets = _grid(source, where)
    elif isinstance(source, Sequence) and not isinstance(source, (str, bytes)):
        sets = [dict(item) if isinstance(item, Mapping) else item for item in source]
    else:
        raise DagsterInvariantViolationError(
            f"{where}: expected a list of parameter dicts or a grid (a dict of lists), got "
            f"{type(source).__name__}."
        )
    if not sets:
        raise DagsterInvariantViolationError(f"{where}: no parameter sets (the list is empty).")
    for index, params in enumerate(sets):
        if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
            raise DagsterInvariantViolationError(
                f"{where}: parameter set {index} is not a dict of names to values: {params!r}"
            )
        for name, value in params.items():
            if not name.isidentifier():
                raise DagsterInvariantViolationError(
                    f'{where}: parameter set {index}: "{name}" is not a Python variable name.'
                )
            if not is_plain_json(value):
                raise DagsterInvariantViolationError(
                    f'{where}: parameter set {index}: "{name}" = {value!r} is not plain JSON '
                    "(numbers, strings, booleans, null, lists and dicts of those)."
                )
    return sets


def _grid(grid: Mapping[str, Any], where: str) -> list[dict[str, Any]]:
    names = list(grid)
    axes = [v if isinstance(v, list) else [v] for v in grid.values()]
    if any(not axis for axis in axes):
        empty = [n for n, axis in zip(names, axes, strict=True) if not axis]
        raise DagsterInvariantViolationError(f"{where}: grid axes without values: {empty}.")
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*axes)]


def _load_file(path: str) -> Any:
    import yaml

    try:
        with open(path, encoding="utf-8") as file_obj:
            text = file_obj.read()
    except OSError as exc:
        raise DagsterInvariantViolationError(
            f"Cannot read parameter sets from {path}: {exc}"
        ) from exc
    try:
        return json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise DagsterInvariantViolationError(
            f"{path} is not valid {'JSON' if path.endswith('.json') else 'YAML'}: {exc}"
        ) from exc


def batch_run_config(parameter_sets: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The ``solids`` section of a batch run: each set's parameters as its solid's config."""
    return {set_solid_name(i): {"config": dict(params)} for i, params in enumerate(parameter_sets)}


def set_solids(
    notebook_path: str,
    count: int,
    kernel_name: str | None = None,
    warm_kernels: bool = True,
    execution_timeout: float | None = None,
) -> list[SolidDefinition]:
    """The ``count`` notebook solids of a batch."""
    if count < 1:
        raise DagsterInvariantViolationError("A notebook batch needs at least one parameter set.")
    return [
        notebook_solid_from_spec(
            NotebookSolidSpec(
                set_solid_name(i),
                os.path.abspath(notebook_path),
                kernel_name,
                warm_kernel=warm_kernels,
                config_as_parameters=True,
                collect_outputs=VALUES_OUTPUT,
                execution_timeout=execution_timeout,
            ),
            [],
            [OutputDefinition(AnyType, VALUES_OUTPUT, is_required=False)],
            config_schema=Permissive(),
        )
        for i in range(count)
    ]


def collector_solid() -> SolidDefinition:
    """``collect``: the values of every successful set, by set name."""

    def compute(_context: Any, inputs: dict[str, Any]) -> tuple[Output]:
        return (Output({item["set"]: item["values"] for item in inputs["sets"]}),)

    return SolidDefinition(
        name=COLLECTOR,
        input_defs=[InputDefinition("sets", List[AnyType])],
        compute_fn=compute,
        output_defs=[OutputDefinition(AnyType)],
        description="The values each parameter set's notebook yielded, by set.",
    )
