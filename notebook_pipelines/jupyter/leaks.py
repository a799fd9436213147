"""Why a notebook pipeline cannot leave the kernel, said in the notebook's own terms.

When pickling a pipeline for worker processes fails, :func:`explain_unpicklable` walks the
pipeline the way the pickle does (definitions, the closures and globals of notebook functions,
classes, containers) and narrows the failure down to what cannot be pickled: the solid (or
resource, hook, logger, type) that holds it, the notebook variable that names it and the helper
functions it was reached through. :func:`explain_missing_names` names a global that notebook code
reads but the notebook does not define (a NameError that would otherwise only show in the worker).
"""

from __future__ import annotations

import builtins
import dis
import functools
import io
import pickle
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from types import CodeType, FunctionType, MethodType
from typing import Any

import cloudpickle

from ..definitions.composite import CompositeSolidDefinition
from ..definitions.hook import HookDefinition
from ..definitions.logger import LoggerDefinition
from ..definitions.node import NodeDefinition
from ..definitions.pipeline import PipelineDefinition
from ..definitions.resource import ResourceDefinition
from ..definitions.type_base import DagsterType
from . import cell_modules

_GLOBAL_OPS = frozenset({"LOAD_GLOBAL", "STORE_GLOBAL", "DELETE_GLOBAL"})
#: Containers longer than this are not searched when looking for a function.
_MAX_ITEMS = 1000
_SKIPPED_CLASS_ATTRIBUTES = frozenset({"__dict__", "__weakref__", "__doc__", "__module__"})


@dataclass(frozen=True)
class Where:
    """The place of a value in the pipeline: its owner (``solid "x"``), the notebook variable
    naming it and the notebook functions on the way to it (the owner's own function first)."""

    owner: str
    variable: str | None = None
    functions: tuple[str, ...] = ()
    key: Any = None  # the dict key the value is stored under, naming resources and loggers

    def via(self) -> str:
        """`` through helper()`` for the notebook functions after the owner's own, or ""."""
        helpers = self.functions[1:]
        return f" through {', '.join(helpers)}" if helpers else ""


def global_names(code: CodeType, ops: frozenset[str] = _GLOBAL_OPS) -> list[str]:
    """The global names a code object (and the code nested in it) uses, in order."""
    names = [str(i.argval) for i in dis.get_instructions(code) if i.opname in ops]
    for const in code.co_consts:
        if isinstance(const, CodeType):
            names.extend(global_names(const, ops))
    return list(dict.fromkeys(names))


def pickling_error(obj: Any) -> str | None:
    """Why ``obj`` cannot be pickled for a worker process, or None."""
    try:
        _Probe(_Sink(), protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


class _Probe(cloudpickle.Pickler):
    """Pickles like :mod:`.by_value` does, into nothing: a ``%%solid`` solid stands for the
    notebook variables its cell captured (its code stays in its cell module)."""

    def reducer_override(self, obj: Any) -> Any:
        refuse_open_files(obj)
        return super().reducer_override(obj)

    def persistent_id(self, obj: Any) -> Any:
        reference = cell_modules.cell_reference(obj)
        if reference is None:
            return None
        if reference[0] == "solid":
            error = pickling_error(_captured(sys.modules[reference[1]]))
            if error is not None:
                raise TypeError(error)
        return "cell"


def refuse_open_files(obj: Any) -> None:
    """Raise for a file object: cloudpickle would send a copy of its content (or nothing) instead
    of the open file."""
    if isinstance(obj, io.IOBase) and not isinstance(obj, (io.BytesIO, io.StringIO)):
        if obj is sys.stdout or obj is sys.stderr:  # cloudpickle sends these by reference
            return
        raise TypeError(f"cannot send an open file ({type(obj).__name__}) to another process")


def _captured(module: Any) -> list[Any]:
    return [getattr(module, name) for name in getattr(module, cell_modules.CAPTURED_ATTRIBUTE, [])]


class _Sink:
    def write(self, data: bytes) -> int:
        return len(data)


def explain_unpicklable(pipeline_def: PipelineDefinition, exc: BaseException) -> str:
    """The message for a pipeline whose pickling failed with ``exc``."""
    root = Where(f'pipeline "{pipeline_def.name}"')
    found = _first_unpicklable(pipeline_def, root, set())
    if found is None:
        return (
            f'Pipeline "{pipeline_def.name}" cannot leave the kernel for worker processes: '
            f"pickling it failed ({type(exc).__name__}: {exc})."
        )
    where, value, error = found
    if where.variable:
        what = f'uses the notebook variable "{where.variable}" ({type(value).__name__})'
    else:
        what = f"holds a {type(value).__name__}"
    return (
        f'Pipeline "{pipeline_def.name}" cannot leave the kernel for worker processes: '
        f"{where.owner} {what}{where.via()}, which cannot be pickled ({error}). Create it inside the "
        "solid, or in a resource (@resource), instead of capturing it from the notebook."
    )


def explain_missing_names(pipeline_def: PipelineDefinition, functions: list[FunctionType]) -> str:
    """The message for notebook functions reading globals the notebook does not define, or ""."""
    for fn in functions:
        missing = [
            name
            for name in global_names(fn.__code__, frozenset({"LOAD_GLOBAL"}))
            if name not in fn.__globals__ and not hasattr(builtins, name)
        ]
        if not missing:
            continue
        where = _locate(pipeline_def, fn, Where(f'pipeline "{pipeline_def.name}"'), set())
        owner = where.owner if where else f"the notebook function {fn.__qualname__}()"
        via = where.via() if where else ""
        names = ", ".join(f'"{name}"' for name in missing)
        return (
            f'Pipeline "{pipeline_def.name}" cannot leave the kernel for worker processes: '
            f"{owner} uses the name {names}{via} (in {fn.__qualname__}()), which the notebook "
            "does not define. "
            "Run the cell that defines it (or fix the name) before running the pipeline."
        )
    return ""


def _first_unpicklable(obj: Any, where: Where, seen: set[int]) -> tuple[Where, Any, str] | None:
    if id(obj) in seen:
        return None
    seen.add(id(obj))
    error = pickling_error(obj)
    if error is None:
        return None
    for child, child_where in _children(obj, where):
        found = _first_unpicklable(child, child_where, seen)
        if found is not None:
            return found
    return where, obj, error


def _locate(obj: Any, target: Any, where: Where, seen: set[int]) -> Where | None:
    if obj is target:
        return where
    if id(obj) in seen:
        return None
    seen.add(id(obj))
    for child, child_where in _children(obj, where):
        found = _locate(child, target, child_where, seen)
        if found is not None:
            return found
    return None


def _children(obj: Any, where: Where) -> Iterator[tuple[Any, Where]]:
    """The values ``obj`` holds that a pickle of it holds too, each with its place."""
    plain = replace(where, key=None)
    if isinstance(obj, (str, bytes, int, float, bool, type(None))):
        return
    if isinstance(obj, FunctionType):
        yield from _function_children(obj, plain)
    elif isinstance(obj, MethodType):
        yield obj.__func__, plain
        yield obj.__self__, plain
    elif isinstance(obj, functools.partial):
        yield obj.func, plain
        yield from ((value, plain) for value in obj.args)
        yield from ((value, plain) for value in obj.keywords.values())
    elif isinstance(obj, (staticmethod, classmethod)):
        yield obj.__func__, plain
    elif isinstance(obj, property):
        yield from ((f, plain) for f in (obj.fget, obj.fset, obj.fdel) if f is not None)
    elif isinstance(obj, type):
        if obj.__module__ == "__main__":
            inside = replace(plain, functions=(*plain.functions, obj.__qualname__))
            for name, value in vars(obj).items():
                if name not in _SKIPPED_CLASS_ATTRIBUTES:
                    yield value, inside
    elif isinstance(obj, dict):
        if len(obj) <= _MAX_ITEMS:
            for key, value in obj.items():
                yield value, replace(plain, key=key)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        if len(obj) <= _MAX_ITEMS:
            yield from ((value, where) for value in obj)
    else:
        yield from _object_children(obj, where, plain)


def _function_children(fn: FunctionType, where: Where) -> Iterator[tuple[Any, Where]]:
    notebook = fn.__module__ == "__main__"
    if notebook:
        where = replace(where, functions=(*where.functions, f"{fn.__qualname__}()"))
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=False):
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        yield value, replace(where, variable=name) if notebook else where
    if notebook:
        for name in global_names(fn.__code__):
            if name in fn.__globals__:
                yield fn.__globals__[name], replace(where, variable=name)
    for value in (fn.__defaults__ or ()) + tuple((fn.__kwdefaults__ or {}).values()):
        yield value, where


def _object_children(obj: Any, where: Where, plain: Where) -> Iterator[tuple[Any, Where]]:
    module = type(obj).__module__
    if not (module == "__main__" or module.startswith("notebook_pipelines.")):
        return
    label = _owner_label(obj, where)
    inside = plain if label is None else Where(label)
    if isinstance(obj, NodeDefinition):
        module_name = obj.__dict__.get(cell_modules.CELL_MODULE_ATTRIBUTE)
        cell = sys.modules.get(module_name) if module_name else None
        if (
            cell is not None and cell_modules.cell_reference(obj) is not None
        ):  # a %%solid solid: its code stays in its module, with what it captured
            own = replace(inside, functions=(f"{obj.name}()",))  # later functions are helpers
            for name in getattr(cell, cell_modules.CAPTURED_ATTRIBUTE, []):
                yield getattr(cell, name), replace(own, variable=name)
            return
    yield from ((value, inside) for value in getattr(obj, "__dict__", {}).values())
    for slot in getattr(type(obj), "__slots__", ()):
        if hasattr(obj, slot):
            yield getattr(obj, slot), inside


_LABELS: list[tuple[type, Callable[[Any, Where], str]]] = [
    (CompositeSolidDefinition, lambda o, w: f'composite solid "{o.name}"'),
    (NodeDefinition, lambda o, w: f'solid "{o.name}"'),
    (HookDefinition, lambda o, w: f'hook "{o.name}"'),
    (ResourceDefinition, lambda o, w: f'resource "{w.key}"' if w.key else "a resource"),
    (LoggerDefinition, lambda o, w: f'logger "{w.key}"' if w.key else "a logger"),
    (DagsterType, lambda o, w: f'type "{o.name}" of {w.owner}'),
]


def _owner_label(obj: Any, where: Where) -> str | None:
    for cls, label in _LABELS:
        if isinstance(obj, cls):
            return label(obj, where)
    return None
