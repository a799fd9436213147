"""The extras of ``pyproject.toml`` hold what they promise: ``pip install -e '.[lab]'`` brings
JupyterLab and every third-party package the examples import (``examples/*.py`` and the
notebooks), directly or through what those packages require; ``.[test]`` includes what the tests
need beyond it (Dask included, for a real LocalCluster)."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement  # pytest requires packaging
from packaging.utils import canonicalize_name

tomllib = pytest.importorskip("tomllib", reason="Python < 3.11 has no tomllib")

REPO = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
EXTRAS: dict[str, list[str]] = PROJECT["optional-dependencies"]


def installed_closure(requirements: list[str]) -> set[str]:
    """The distributions ``requirements`` bring in, following the installed packages' own
    requirements (with the extras asked for)."""
    seen: set[str] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in seen or name == "notebook-pipelines":
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(requirement.name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for text in requires:
            child = Requirement(text)
            extras = requirement.extras or {""}
            if child.marker is None or any(child.marker.evaluate({"extra": e}) for e in extras):
                todo.append(child)
    return seen


def imported_by_the_examples() -> set[str]:
    """Top-level modules the example scripts and notebooks import."""
    sources = [p.read_text() for p in sorted((REPO / "examples").glob("*.py"))]
    for path in sorted((REPO / "examples").rglob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                code = "".join(cell["source"])
                if not code.startswith("%%"):
                    sources.append(re.sub(r"(?m)^\s*[%!].*$", "", code))
    modules: set[str] = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - {"__future__", "notebook_pipelines"}


def test_the_lab_extra_brings_jupyterlab_and_what_the_examples_import() -> None:
    lab = EXTRAS["lab"]
    assert "jupyterlab" in [canonicalize_name(Requirement(r).name) for r in lab]
    provided = installed_closure([*PROJECT["dependencies"], *lab])
    distributions = importlib.metadata.packages_distributions()
    imported = imported_by_the_examples()
    assert {"dask"} <= imported, imported  # 04 starts a LocalCluster itself
    missing = {
        module: distributions.get(module)
        for module in sorted(imported)
        if not {canonicalize_name(d) for d in distributions.get(module, [])} & provided
    }
    assert not missing, f"examples import these, which '.[lab]' does not install: {missing}"


def test_the_test_extra_brings_what_the_suite_runs_on() -> None:
    names = {canonicalize_name(Requirement(r).name) for r in EXTRAS["test"]}
    assert {"pytest", "jupyterlab", "nbclient", "jupyter-client", "dask"} <= names
    assert "distributed" in installed_closure(EXTRAS["test"])
