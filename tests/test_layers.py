"""The layer map of DESIGN.md §3, enforced on the source with `ast`.

Every import statement in every module under notebook_pipelines/ counts, including those inside
functions and under `if TYPE_CHECKING:`, and so do the imports made by name: a string that names a
module of the package (`"notebook_pipelines.executors.dask"`, `"notebook_pipelines.x.y:attr"`, the
leading text of an f-string) and the first argument of `importlib.import_module(...)` or
`__import__(...)`, relative names resolved against the module's package. A module may import from a
lower layer or from its own component (its own subpackage, or itself); the top-level `__init__.py`
may import anything.
Some third-party packages may be imported only by the components that own them, so that the
engine imports fast and runs in a plain script.

To change the map, amend LAYERS / THIRD_PARTY_OWNERS below (and CONTRIBUTING.md).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "notebook_pipelines"
PACKAGE_DIR = Path(__file__).resolve().parents[1] / PACKAGE

# component (top-level module or subpackage of notebook_pipelines) -> layer
LAYERS: dict[str, int] = {
    "errors": 0,
    "serdes": 0,
    "config": 1,
    "events": 1,
    "user_events": 1,
    "definitions": 2,
    "plan": 3,
    "storage": 3,
    "execution": 4,
    "executors": 5,
    "notebooks": 5,
    "reconstruct": 5,
    "api": 6,
    "cli": 6,
    "batch": 6,  # papermill batch runs: drive the execution API over a notebook's sweep pipeline
    "notebook": 6,  # `from notebook_pipelines import notebook as nbp`: what a notebook imports
    "__main__": 6,  # `python -m notebook_pipelines`: runs the command line
    "jupyter": 7,
    # conformance suites: may import anything below the notebook layer; nothing imports them
    "testing": 7,
}

# Imports between two components of the same layer are refused, except these (importer, imported).
SAME_LAYER_ALLOWED: set[tuple[str, str]] = {
    # errors travel across processes as serdes records (SerializableErrorInfo)
    ("errors", "serdes"),
    # run events carry the materializations and expectations that users yield
    ("events", "user_events"),
    # the command line drives the execution API (execute_pipeline_iterator, reexecute_...)
    ("cli", "api"),
    # batch runs are runs: executed and re-executed through the execution API
    ("batch", "api"),
    # `notebook-pipelines notebook batch` runs and prints a batch
    ("cli", "batch"),
    # a notebook solid hands its pipeline's reconstructable pointer to the kernel (resources)
    ("notebooks", "reconstruct"),
    # `python -m notebook_pipelines` is the command line
    ("__main__", "cli"),
}

# Strings that look like a module of the package but are not imports, (module, string): reason.
NOT_IMPORTS: dict[tuple[str, str], str] = {
    # the logger of what a notebook solid's notebook logs (as `nbp.get_context().log` would)
    ("notebook_pipelines.notebooks.context", "notebook_pipelines.notebook"): "a logger name",
}

# third-party top-level package -> the modules (dotted prefixes) that alone may import it
THIRD_PARTY_OWNERS: dict[str, tuple[str, ...]] = {
    "IPython": (f"{PACKAGE}.jupyter",),
    "ipywidgets": (f"{PACKAGE}.jupyter",),
    "anywidget": (f"{PACKAGE}.jupyter",),
    "graphviz": (f"{PACKAGE}.jupyter",),
    "dask": (f"{PACKAGE}.executors.dask",),
    "distributed": (f"{PACKAGE}.executors.dask",),
    "papermill": (f"{PACKAGE}.notebooks",),
}


@dataclass(frozen=True)
class Import:
    line: int
    target: str  # absolute dotted name of what is imported (module, or module.name)


def module_name(path: Path, root: Path) -> str:
    """Dotted name of a source file; a package's `__init__.py` is named after the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, is_package: bool) -> list[Import]:
    """Every import in `source`, resolved to absolute dotted names.

    `from X import a, b` yields `X.a` and `X.b` (each may be a submodule or a name in X): that is
    how `from notebook_pipelines import config` is seen to import the config component.
    """
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                if node.level - 1 >= len(parts):
                    raise ValueError(f"{module}:{node.lineno}: relative import beyond the top")
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            found += [Import(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


#: a whole string naming a module of the package, optionally with `:attribute`
_MODULE_STRING = re.compile(rf"({PACKAGE}(?:\.[A-Za-z_]\w*)+)(?::[A-Za-z_][\w.]*)?")
#: the leading text of an f-string that names a module of the package
_MODULE_PREFIX = re.compile(rf"({PACKAGE}(?:\.[A-Za-z_]\w*)+)(?::|\.?$)")
_IMPORT_FUNCTIONS = {"import_module", "__import__"}


def _resolve_relative(name: str, package: str) -> str | None:
    """`..jupyter.graph` against `notebook_pipelines.definitions` -> `notebook_pipelines.jupyter.graph`."""
    level = len(name) - len(name.lstrip("."))
    parts = package.split(".")
    if level - 1 >= len(parts):
        return None
    base = ".".join(parts[: len(parts) - (level - 1)])
    rest = name[level:]
    return f"{base}.{rest}" if rest else base


def string_imports_of(source: str, module: str, is_package: bool) -> list[Import]:
    """Every import by name in `source`: strings naming a module of the package, and the names
    given to `import_module` / `__import__` (relative ones resolved)."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = _MODULE_STRING.fullmatch(node.value)
            if match:
                found.append(Import(node.lineno, match.group(1)))
        elif isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                match = _MODULE_PREFIX.match(first.value)
                if match:
                    found.append(Import(node.lineno, match.group(1)))
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            name = node.args[0]
            if called not in _IMPORT_FUNCTIONS or not isinstance(name, ast.Constant):
                continue
            if not isinstance(name.value, str) or not name.value.startswith("."):
                continue  # absolute names are strings, seen above
            anchor = package
            given = node.args[1] if len(node.args) > 1 else None
            for keyword in node.keywords:
                if keyword.arg == "package":
                    given = keyword.value
            if isinstance(given, ast.Constant) and isinstance(given.value, str):
                anchor = given.value
            resolved = _resolve_relative(name.value, anchor)
            if resolved is not None:
                found.append(Import(node.lineno, resolved))
    return [imp for imp in found if (module, imp.target) not in NOT_IMPORTS]


def component_of(dotted: str) -> str | None:
    """`notebook_pipelines.config.field.Field` -> `config`; the bare package -> `""`."""
    parts = dotted.split(".")
    if parts[0] != PACKAGE:
        return None
    return parts[1] if len(parts) > 1 else ""


def violations_in(source: str, module: str, is_package: bool, where: str) -> list[str]:
    """Layer and ownership violations of one module, as `file:line: message` strings."""
    own = component_of(module)
    problems = []
    if own != "" and own not in LAYERS:
        problems.append(
            f"{where}:1: component {own!r} is not in the layer map (tests/test_layers.py)"
        )
        return problems
    by_name = string_imports_of(source, module, is_package)
    for imp in imports_of(source, module, is_package) + by_name:
        top = imp.target.split(".")[0]
        owners = THIRD_PARTY_OWNERS.get(top)
        if owners and not any(module == o or module.startswith(o + ".") for o in owners):
            problems.append(
                f"{where}:{imp.line}: imports {top} (only {', '.join(owners)} may import it)"
            )
        target = component_of(imp.target)
        if target is None or own == "":  # third-party, or the top-level __init__.py
            continue
        if target == own or (own, target) in SAME_LAYER_ALLOWED:
            continue
        if imp in by_name and target not in LAYERS:
            continue  # a dotted name under the package that is no component (a logger's, say)
        if target == "" or target not in LAYERS:
            # `from notebook_pipelines import X` where X is a public name, not a component: it
            # goes through the top-level __init__, which imports every layer.
            problems.append(
                f"{where}:{imp.line}: imports {imp.target} through the top-level package; import "
                "it from the module that defines it"
            )
        elif LAYERS[target] >= LAYERS[own]:
            problems.append(
                f"{where}:{imp.line}: {own} (layer {LAYERS[own]}) imports {target} "
                f"(layer {LAYERS[target]}): only lower layers may be imported"
            )
    return list(dict.fromkeys(problems))  # `from x import a, b` is one problem, not two


def package_modules() -> list[Path]:
    return sorted(PACKAGE_DIR.rglob("*.py"))


def test_package_exists() -> None:
    assert (PACKAGE_DIR / "__init__.py").is_file(), f"{PACKAGE_DIR}/__init__.py is missing"


def test_every_module_respects_the_layer_map() -> None:
    root = PACKAGE_DIR.parent
    problems = []
    for path in package_modules():
        problems += violations_in(
            path.read_text(encoding="utf-8"),
            module_name(path, root),
            path.name == "__init__.py",
            str(path.relative_to(root)),
        )
    assert not problems, "layer map violations:\n" + "\n".join(problems)


# The checker itself, on made-up modules: it must see what it is meant to see.


@pytest.mark.parametrize(
    ("source", "module", "is_package", "expected"),
    [
        ("from ..execution import context", "notebook_pipelines.plan.step", False, "layer 4"),
        ("from ..storage import keys", "notebook_pipelines.plan.step", False, "layer 3"),
        ("from .errors import DagsterError", "notebook_pipelines.serdes", False, "layer 0"),
        ("from . import api", "notebook_pipelines.events", False, "layer 6"),
        ("from .. import jupyter", "notebook_pipelines.config", True, "layer 7"),
        ("import notebook_pipelines.storage.x", "notebook_pipelines.plan", True, "layer 3"),
        ("def f():\n    from ..api import run", "notebook_pipelines.storage.db", False, "layer 6"),
        ("from notebook_pipelines import solid", "notebook_pipelines.api", False, "top-level"),
        ("import IPython", "notebook_pipelines.execution.x", False, "only"),
        ("from dask import delayed", "notebook_pipelines.executors.multi", False, "only"),
        ("import papermill", "notebook_pipelines.jupyter.magics", False, "only"),
        ("", "notebook_pipelines.unknown", False, "not in the layer map"),
        # imports by name
        ('X = "notebook_pipelines.jupyter.graph"', "notebook_pipelines.definitions.d", False, "7"),
        ('f("notebook_pipelines.executors.a:create")', "notebook_pipelines.definitions", True, "5"),
        ('f"notebook_pipelines.storage.x:make_{k}"', "notebook_pipelines.plan.p", False, "3"),
        ('f"notebook_pipelines.api.{name}"', "notebook_pipelines.plan.p", False, "layer 6"),
        (
            'import_module("..jupyter.graph", __package__)',
            "notebook_pipelines.definitions.d",
            False,
            "7",
        ),
        (
            'importlib.import_module(".cli", "notebook_pipelines")',
            "notebook_pipelines.events",
            False,
            "6",
        ),
        ('__import__("..api")', "notebook_pipelines.storage.x", False, "layer 6"),
    ],
)
def test_the_checker_finds_violations(
    source: str, module: str, is_package: bool, expected: str
) -> None:
    problems = violations_in(source, module, is_package, "x.py")
    assert len(problems) == 1 and expected in problems[0], problems


@pytest.mark.parametrize(
    ("source", "module", "is_package"),
    [
        ("from ..errors import DagsterError", "notebook_pipelines.config.field", False),
        ("from .base import ConfigType", "notebook_pipelines.config.field", False),
        ("from . import base", "notebook_pipelines.config", True),
        ("from .serdes import pack", "notebook_pipelines.errors", False),
        ("def f():\n    from ...plan import step", "notebook_pipelines.execution.run.x", False),
        ("import graphviz", "notebook_pipelines.jupyter.display", False),
        ("import distributed", "notebook_pipelines.executors.dask", False),
        ("import papermill", "notebook_pipelines.notebooks.solid", False),
        ("from .jupyter import load_ipython_extension", "notebook_pipelines", True),
        ("from ..api import execute_pipeline", "notebook_pipelines.testing.suite", False),
        ("import os, json\nfrom typing import Any", "notebook_pipelines.errors", False),
        ('X = "notebook_pipelines.storage.keys"', "notebook_pipelines.execution.x", False),
        ('X = "notebook_pipelines.jupyter.graph"', "notebook_pipelines.jupyter.magics", False),
        ('log = "notebook_pipelines.check_dagster_type"', "notebook_pipelines.definitions", True),
        ('if name.startswith("notebook_pipelines."): pass', "notebook_pipelines.config", True),
        ('"""See notebook_pipelines.api for the API."""', "notebook_pipelines.config", True),
        ('import_module(".in_process", __name__)', "notebook_pipelines.executors", True),
        ('X = "notebook_pipelines.notebook"', "notebook_pipelines.notebooks.context", False),
    ],
)
def test_the_checker_accepts_allowed_imports(source: str, module: str, is_package: bool) -> None:
    assert violations_in(source, module, is_package, "x.py") == []
