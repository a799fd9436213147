"""The reference's own tests, run against this package: Dagster 0.9.22's ``dagster_tests/core_tests``
files that use only the top-level ``dagster`` API, imported through a ``dagster`` package that is
``notebook_pipelines`` (a shim written for the run).

How: the ``dagster==0.9.22`` wheel is downloaded with pip (``--no-deps --only-binary=:all:``) into
``build/reference/`` (``NOTEBOOK_PIPELINES_REFERENCE_CACHE`` overrides; pip's own cache makes a new
download take seconds), the selected test files are extracted from it, and pytest runs them in a
subprocess (``-p no:cacheprovider -o addopts= -W ignore``, ``PYTHONPATH`` = the shim), reporting
each test's outcome through a small plugin. Every collected test must pass, except those listed in
:data:`KNOWN_FAILURES` with the reason; a known failure that starts passing fails this test too, so
that the list stays true. Nothing of the reference is kept in the repository.

Which files (:func:`selected`): those whose code imports no ``dagster.<submodule>`` and no
``dagster_*`` package, has no relative imports (helpers shared between the reference's test
files), does not name the reference's internals (``dagster.core``, ``utils``, ``seven``, ``check``,
``cli``, ``api``, ``config``, ``grpc``) and is not Python-2 specific (``py2``) — and does not import
the reference's internal ``check`` module through ``from dagster import check`` (two files do:
``test_naming_collisions.py`` and ``test_pipeline_errors.py``; ``check`` is the reference's argument
validation library, not part of the public API, so those files cannot be imported here).

When the wheel cannot be downloaded (no network, no index): the test fails under ``CI=true`` and is
skipped, saying why, otherwise.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
REFERENCE = "dagster==0.9.22"
WHEEL = "dagster-0.9.22-py3-none-any.whl"
TESTS_IN_WHEEL = "dagster_tests/"
SUITE = "dagster_tests/core_tests/"

#: Reference tests that fail here, by pytest node id (relative to ``dagster_tests/``), with why.
KNOWN_FAILURES: dict[str, str] = {
    "core_tests/test_import.py::test_no_warnings_on_import": (
        "uses pytest.warns(None), which pytest 8 refuses (TypeError) whatever the package does"
    ),
}

#: What makes a file use more than the top-level package (the line-by-line criterion).
_NOT_TOP_LEVEL = re.compile(
    r"^\s*(from|import) dagster\."  # a submodule of dagster
    r"|from dagster_|import dagster_"  # another package of the reference (dagster_test, ...)
    r"|^from \."  # relative imports: helpers that are not selected
    r"|dagster\.(core|utils|seven|check|cli|api|config|grpc)"  # the reference's internals
    r"|py2",  # Python 2 specific
    re.M,
)

#: Names of the reference's top-level package that are internal modules, not its public API.
_INTERNAL_MODULES = frozenset({"check"})


def uses_only_the_top_level_api(source: str) -> bool:
    """Whether a reference test file can run against ``notebook_pipelines`` through the shim."""
    if _NOT_TOP_LEVEL.search(source):
        return False
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "dagster"
            and any(alias.name in _INTERNAL_MODULES for alias in node.names)
        ):
            return False
    return True


def cache_dir() -> Path:
    configured = os.environ.get("NOTEBOOK_PIPELINES_REFERENCE_CACHE")
    return Path(configured) if configured else REPO / "build" / "reference"


def reference_wheel() -> Path:
    """The reference's wheel, downloaded once into :func:`cache_dir`."""
    folder = cache_dir()
    wheel = folder / WHEEL
    if wheel.is_file():
        if zipfile.is_zipfile(wheel):
            return wheel
        wheel.unlink()  # an interrupted download: fetch it again
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    command += ["--disable-pip-version-check", "-q", "-d", str(folder), REFERENCE]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        problem = None if done.returncode == 0 else (done.stderr.strip() or done.stdout.strip())
    except (OSError, subprocess.TimeoutExpired) as exc:
        problem = str(exc)
    if problem is None and not wheel.is_file():
        problem = f"pip did not leave {WHEEL} in {folder}"
    if problem is not None:
        reason = f"cannot download the reference's wheel ({REFERENCE}): {problem[-1500:]}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return wheel


def selected(wheel: Path, into: Path) -> list[str]:
    """Extract the selected test files of the reference's suite into ``into`` (paths relative to
    ``dagster_tests/``, kept); return those paths, sorted."""
    chosen: list[str] = []
    with zipfile.ZipFile(wheel) as archive:
        for name in sorted(archive.namelist()):
            filename = name.rsplit("/", 1)[-1]
            if not (
                name.startswith(SUITE) and filename.startswith("test_") and name.endswith(".py")
            ):
                continue
            source = archive.read(name).decode("utf-8")
            if not uses_only_the_top_level_api(source):
                continue
            relative = name[len(TESTS_IN_WHEEL) :]
            (into / relative).parent.mkdir(parents=True, exist_ok=True)
            (into / relative).write_text(source, encoding="utf-8")
            chosen.append(relative)
    return chosen


SHIM = '''\
"""The reference's tests import ``dagster``: here, that is notebook_pipelines."""

import notebook_pipelines as _np
from notebook_pipelines import *  # noqa: F403


def __getattr__(name):
    return getattr(_np, name)
'''

#: A pytest plugin for the inner run: each test's outcome (and a collection error's) to JSON.
REPORTER = '''\
"""Records each test's outcome, by node id, in the JSON file $NP_REFERENCE_REPORT."""

import json
import os

_OUTCOMES = {}


def _crash(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    return crash.message if crash is not None else str(report.longrepr)[-500:]


def pytest_collectreport(report):
    if report.failed:
        _OUTCOMES[report.nodeid] = {"outcome": "error", "message": _crash(report)}


def pytest_runtest_logreport(report):
    entry = _OUTCOMES.setdefault(report.nodeid, {"outcome": "passed", "message": ""})
    if report.failed and entry["outcome"] != "failed":
        failed = "failed" if report.when == "call" else "error"
        entry.update(outcome=failed, message=_crash(report))
    elif report.skipped and entry["outcome"] == "passed":
        entry.update(outcome="skipped", message=_crash(report))


def pytest_sessionfinish(session):
    with open(os.environ["NP_REFERENCE_REPORT"], "w") as file:
        json.dump(_OUTCOMES, file, indent=1, sort_keys=True)
'''


def run_reference_suite(work: Path) -> tuple[list[str], dict[str, dict[str, str]], str]:
    """The selected files, each test's outcome, and pytest's output."""
    suite = work / "dagster_tests"
    files = selected(reference_wheel(), suite)
    # a config file of its own: the inner pytest must not find this repository's settings
    (suite / "pytest.ini").write_text("[pytest]\n")
    shim = work / "shim"
    (shim / "dagster").mkdir(parents=True)
    (shim / "dagster" / "__init__.py").write_text(SHIM)
    (shim / "_np_reference_report.py").write_text(REPORTER)
    report = work / "outcomes.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(shim), str(REPO)]),
        "NP_REFERENCE_REPORT": str(report),
        "NOTEBOOK_PIPELINES_HOME": str(work / "home"),
        "DAGSTER_HOME": str(work / "home"),
    }
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts="]
    command += ["-W", "ignore", "--import-mode=importlib", "-p", "_np_reference_report", *files]
    done = subprocess.run(
        command, cwd=suite, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    output = done.stdout + done.stderr
    assert report.is_file(), (
        f"the reference's suite did not run (exit {done.returncode}):\n{output}"
    )
    outcomes: dict[str, dict[str, str]] = json.loads(report.read_text())
    return files, outcomes, output


def test_the_reference_suite_passes_but_for_the_known_failures(tmp_path: Path) -> None:
    files, outcomes, output = run_reference_suite(tmp_path)
    assert len(files) >= 20, f"only {len(files)} reference test files selected: {files}"
    assert not [
        f for f in files if f.endswith(("test_naming_collisions.py", "test_pipeline_errors.py"))
    ]
    ran = [node for node, o in outcomes.items() if "::" in node]
    assert len(ran) >= 100, f"only {len(ran)} reference tests ran:\n{output[-3000:]}"
    failing = {
        node: o["message"] for node, o in outcomes.items() if o["outcome"] in ("failed", "error")
    }
    new = {node: message for node, message in failing.items() if node not in KNOWN_FAILURES}
    fixed = sorted(node for node in KNOWN_FAILURES if node not in failing)
    problems = []
    if new:
        problems.append(
            f"{len(new)} reference test(s) fail that are not in KNOWN_FAILURES:\n"
            + "\n".join(
                f"  {node}\n    {textwrap.shorten(m, 300)}" for node, m in sorted(new.items())
            )
        )
    if fixed:
        problems.append(
            "in KNOWN_FAILURES but passing now (or gone): remove them from the list:\n"
            + "\n".join(f"  {node}" for node in fixed)
        )
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
