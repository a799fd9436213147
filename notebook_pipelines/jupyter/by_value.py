"""Notebook pipelines by value: the whole pipeline pickled (cloudpickle) for worker processes.

:func:`dump_pipeline` pickles a notebook-defined :class:`PipelineDefinition` with everything it
holds: solids written with plain ``@solid`` in a cell, composites, modes with their ``@resource``
functions, hooks, loggers, Dagster types and Python classes, helper functions and constants the
notebook code reads, ``configured`` solids. Code defined in the notebook (``__main__``) travels by
value; importable code by reference. ``%%solid`` solids (and functions or classes of ``%%solid``
cells) travel as references to their cell module files, with the notebook variables their cell
captured, so every process runs the code of the cell module. The source of the notebook cells whose
code travels by value goes along and is put into the worker's ``linecache`` under the cell's file
name, so worker tracebacks show the cell's lines.

Before anything is written, what cannot leave the kernel (a lock, an open file or socket, a
generator...) or a name the notebook code reads but the notebook does not define raises
:class:`DagsterInvariantViolationError` naming the variable and the solid (:mod:`.leaks`).

:func:`load_pipeline` (in any process) reads the file back. Nothing here imports IPython.
"""

from __future__ import annotations

import io
import linecache
import marshal
import os
import pickle
import sys
from types import CodeType, FunctionType, ModuleType
from typing import IO, Any

import cloudpickle

from ..definitions.pipeline import PipelineDefinition
from ..errors import DagsterInvariantViolationError
from . import cell_modules, leaks

FORMAT = 1
VALUE_PREFIX = "__np_value_"
#: The attribute of a generated pipeline module holding the rebuilt pipeline.
PIPELINE_ATTRIBUTE = "pipeline"


class _NotebookPickler(cloudpickle.Pickler):
    """cloudpickle, with ``%%solid`` code as references to cell module files, remembering the
    notebook functions it pickles by value."""

    def __init__(self, file: IO[bytes]):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.cell_modules: dict[str, ModuleType] = {}
        self.functions: dict[int, FunctionType] = {}

    def persistent_id(self, obj: Any) -> Any:
        reference = cell_modules.cell_reference(obj)
        if reference is not None:
            module = sys.modules[reference[1]]
            self.cell_modules.setdefault(module.__name__, module)
            return (reference[0], module.__file__, reference[2])
        return None

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, CodeType):
            # Code objects travel as marshal data, which keeps every field, co_filename and line
            # numbers included: tracebacks and pdb in the worker then name the cell (and find its
            # lines in linecache), whatever a cloudpickle release does with the file name (3.1.3
            # replaces it with "<dynamic-code>"). Client and workers run the same Python.
            return marshal.loads, (marshal.dumps(obj),)
        if isinstance(obj, FunctionType) and obj.__module__ == "__main__":
            self.functions.setdefault(id(obj), obj)
        leaks.refuse_open_files(obj)
        return super().reducer_override(obj)


class _NotebookUnpickler(pickle.Unpickler):
    def persistent_load(self, pid: Any) -> Any:
        kind, path, qualname = pid
        module = cell_modules.import_cell_module(path)
        if kind == "solid":
            return getattr(module, cell_modules.SOLID_ATTRIBUTE)
        return getattr(module, qualname)


def dump_pipeline(pipeline_def: PipelineDefinition) -> bytes:
    """The pipeline and what it needs, pickled; raises (naming the variable and the solid) when
    something cannot leave the kernel."""
    buffer = io.BytesIO()
    pickler = _NotebookPickler(buffer)
    try:
        pickler.dump(pipeline_def)
        done: set[str] = set()
        while pending := [m for name, m in pickler.cell_modules.items() if name not in done]:
            captured = []
            for module in pending:
                done.add(module.__name__)
                cell_modules.refresh(module)  # the notebook's values as the run starts
                for name in getattr(module, cell_modules.CAPTURED_ATTRIBUTE, []):
                    captured.append((module.__file__, name, getattr(module, name)))
            pickler.dump(captured)
        pickler.dump(None)
    except Exception as exc:
        raise DagsterInvariantViolationError(leaks.explain_unpicklable(pipeline_def, exc)) from exc
    functions = list(pickler.functions.values())
    missing = leaks.explain_missing_names(pipeline_def, functions)
    if missing:
        raise DagsterInvariantViolationError(missing)
    record = {"format": FORMAT, "sources": _sources(functions), "payload": buffer.getvalue()}
    return pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)


def _sources(functions: list[FunctionType]) -> dict[str, list[str]]:
    """The lines of the notebook cells (not files on disk) that the functions were defined in."""
    sources: dict[str, list[str]] = {}
    for fn in functions:
        filename = fn.__code__.co_filename
        if filename in sources or os.path.exists(filename):
            continue
        lines = linecache.getlines(filename)
        if lines:
            sources[filename] = list(lines)
    return sources


def write_pipeline_module(pipeline_def: PipelineDefinition) -> str:
    """Write the pickled pipeline and a module loading it (both content-addressed) under the
    instance's home; return the module's path."""
    data = dump_pipeline(pipeline_def)
    value_path = cell_modules.write_file(data, VALUE_PREFIX, ".pkl")
    source = (
        f'"""Generated by notebook_pipelines: notebook pipeline "{pipeline_def.name}", rebuilt '
        'in any process."""\n\n'
        "from notebook_pipelines.jupyter.by_value import load_pipeline\n\n"
        f"{PIPELINE_ATTRIBUTE} = load_pipeline({value_path!r})\n"
    )
    return cell_modules.write_module(source, cell_modules.PIPELINE_PREFIX)


def load_pipeline(path: str) -> PipelineDefinition:
    """Read a pipeline written by :func:`write_pipeline_module`: the cells' sources go into
    ``linecache`` first, then the pipeline is unpickled and the ``%%solid`` cell modules get the
    notebook variables they captured."""
    with open(path, "rb") as data:
        record = pickle.load(data)
    if record.get("format") != FORMAT:
        raise DagsterInvariantViolationError(
            f"{path} was written by another version of notebook_pipelines: re-run the pipeline "
            "from the notebook."
        )
    for filename, lines in record["sources"].items():
        linecache.cache[filename] = (sum(map(len, lines)), None, lines, filename)
    unpickler = _NotebookUnpickler(io.BytesIO(record["payload"]))
    pipeline_def = unpickler.load()
    while (captured := unpickler.load()) is not None:
        for module_path, name, value in captured:
            setattr(cell_modules.import_cell_module(module_path), name, value)
    if not isinstance(pipeline_def, PipelineDefinition):  # pragma: no cover - written above
        raise DagsterInvariantViolationError(f"{path} does not hold a pipeline.")
    return pipeline_def
