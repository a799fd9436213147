"""Notebook names a ``%%solid`` cell needs while its module is being defined: annotations
(``df: pd.DataFrame``, ``-> Point``), decorators and default values are evaluated when the cell
module runs, before the solid exists, so they must already be in the module's namespace.

:func:`preload_header` finds the names the cell's module-level code reads but does not define,
takes their values from the notebook, and saves them (cloudpickle: modules by reference, notebook
classes by value) in a content-addressed file beside the cell module; the header line it returns
loads that file first thing in every process that imports the module. In the kernel itself the
notebook's own objects are used (:data:`_IN_KERNEL`), so ``isinstance`` checks against notebook
classes keep working there.
"""

from __future__ import annotations

import ast
import builtins
import dis
import inspect
import pickle
from collections.abc import Mapping, MutableMapping
from types import CodeType
from typing import Any

import cloudpickle

from ..errors import DagsterInvariantViolationError
from . import cell_modules

PRELOAD_PREFIX = "__np_preload_"
_IN_KERNEL: dict[str, dict[str, Any]] = {}


def module_level_reads(source: str) -> set[str]:
    """The global names ``source``'s module-level code reads (annotations, decorators, default
    values, class bodies; not function bodies, which run later) and does not define itself."""
    code = compile(source, "<cell>", "exec", dont_inherit=True)  # not this module's __future__
    return {
        name
        for name in _reads(code) - defined_names(source) - set(dir(builtins))
        if not (name.startswith("__") and name.endswith("__"))  # __annotations__, __name__...
    }


_LOADS = frozenset({"LOAD_NAME", "LOAD_GLOBAL"})


def _reads(code: CodeType) -> set[str]:
    names = {str(i.argval) for i in dis.get_instructions(code) if i.opname in _LOADS}
    for const in code.co_consts:
        # class bodies run when the module runs; functions (CO_OPTIMIZED) only when called
        if isinstance(const, CodeType) and not const.co_flags & inspect.CO_OPTIMIZED:
            names |= _reads(const)
    return names


def defined_names(source: str) -> set[str]:
    """The names ``source`` defines at module level (functions, classes, imports, assignments)."""
    defined: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                defined |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return defined


def preload_header(source: str, user_ns: Mapping[str, Any], solid: str) -> tuple[str, list[str]]:
    """The header line that gives the cell module the notebook names it needs at definition time
    (``""`` when it needs none), and those names."""
    names = sorted(n for n in module_level_reads(source) if n in user_ns)
    if not names:
        return "", []
    values = {name: user_ns[name] for name in names}
    try:
        data = cloudpickle.dumps(values)
    except Exception as exc:
        raise DagsterInvariantViolationError(
            f"%%solid {solid}: the cell uses the notebook variable(s) {', '.join(names)} while it "
            f"is defined (annotations, decorators, defaults), and one cannot be saved with the cell "
            f"module for worker processes ({type(exc).__name__}: {exc}). Import it in the cell "
            "instead."
        ) from None
    path = cell_modules.write_file(data, PRELOAD_PREFIX, ".pkl")
    _IN_KERNEL[path] = values
    header = cell_modules.generated(
        "import notebook_pipelines.jupyter.preload as __np_preload; "
        f"__np_preload.load(globals(), {path!r})"
    )
    return header, names


def load(namespace: MutableMapping[str, Any], path: str) -> None:
    """Put the preloaded notebook names into a cell module's namespace (called by its header)."""
    values = _IN_KERNEL.get(path)
    if values is None:
        with open(path, "rb") as file:
            values = pickle.load(file)
    namespace.update(values)
