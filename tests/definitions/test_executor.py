"""Executor definitions: ``default_executors`` is the reference's list; a mode that names no
executors also offers ``dask`` when the ``dask`` extra is installed, found without importing Dask;
the same definition listed twice is kept once; and without the extra (simulated for real in a
subprocess, whose import system refuses ``dask`` and ``distributed``), ``execution: {dask: ...}``
is the reference's config error followed by how to install the extra."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from notebook_pipelines import (
    DagsterInvalidConfigError,
    DagsterInvalidDefinitionError,
    ExecutorDefinition,
    ModeDefinition,
    default_executors,
    execute_pipeline,
    in_process_executor,
    multiprocess_executor,
    pipeline,
    solid,
)
from notebook_pipelines.definitions.executor import (
    DASK_INSTALL_HINT,
    dask_available,
    dask_executor,
    mode_default_executors,
)

REPO = Path(__file__).resolve().parents[2]

with_dask = pytest.mark.skipif(not dask_available(), reason="the dask extra is not installed")


@solid
def one(_context: Any) -> int:
    return 1


def test_default_executors_is_the_reference_list() -> None:
    assert default_executors == [in_process_executor, multiprocess_executor]
    assert dask_executor.name == "dask"
    assert dask_executor.requirements == multiprocess_executor.requirements


@with_dask
def test_a_mode_that_names_no_executors_offers_dask_with_the_extra() -> None:
    from notebook_pipelines.executors.dask import dask_executor as from_the_executor_module

    assert from_the_executor_module is dask_executor
    mode = ModeDefinition()
    assert mode.executor_defs == [*default_executors, dask_executor] == mode_default_executors()
    assert mode.executor_def_named("dask") is dask_executor


@pytest.mark.parametrize(
    "listed",
    [
        pytest.param(lambda: [*default_executors, dask_executor], id="reference-form"),
        pytest.param(lambda: [*ModeDefinition().executor_defs, dask_executor], id="defaults-again"),
    ],
)
def test_listing_the_same_definition_again_keeps_it_once(listed: Any) -> None:
    mode = ModeDefinition(executor_defs=listed())
    assert [e.name for e in mode.executor_defs] == ["in_process", "multiprocess", "dask"]


def test_two_different_executors_with_one_name_are_an_error() -> None:
    other = ExecutorDefinition("dask", None, in_process_executor.executor_creation_fn)
    with pytest.raises(DagsterInvalidDefinitionError, match='two executor_defs are named "dask"'):
        ModeDefinition(executor_defs=[*default_executors, dask_executor, other])


def test_a_mode_with_executor_defs_offers_exactly_those() -> None:
    @pipeline(mode_defs=[ModeDefinition(executor_defs=[in_process_executor])])
    def only_in_process() -> None:
        one()

    assert [e.name for e in only_in_process.mode_definitions[0].executor_defs] == ["in_process"]
    with pytest.raises(DagsterInvalidConfigError) as raised:
        execute_pipeline(only_in_process, run_config={"execution": {"dask": {}}})
    (error,) = raised.value.errors
    assert error.path_str == "root:execution"
    assert error.message.startswith(
        'Received unexpected config entry "dask" at path root:execution. Expected one of '
        '"in_process"'
    )
    if dask_available():
        assert "add notebook_pipelines.executors.dask.dask_executor" in error.message
    else:
        assert DASK_INSTALL_HINT in error.message


def test_other_config_errors_are_left_alone() -> None:
    @pipeline
    def plain() -> None:
        one()

    with pytest.raises(DagsterInvalidConfigError) as raised:
        execute_pipeline(plain, run_config={"execution": {"dusk": {}}})
    (error,) = raised.value.errors
    assert "pip install" not in error.message and "dask_executor" not in error.message


def run_python(code: str, tmp_path: Path) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter (this venv, the repository importable, a home of its
    own); it prints one JSON document as its last line."""
    script = tmp_path / "probe.py"
    script.write_text(textwrap.dedent(code))
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "NOTEBOOK_PIPELINES_HOME": str(tmp_path / "home"),
    }
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


PIPELINE = """
from notebook_pipelines import ModeDefinition, execute_pipeline, pipeline, solid


@solid
def one(_context):
    return 1


@pipeline
def plain():
    one()


DASK_CONFIG = {"execution": {"dask": {"config": {"cluster": {"local": {"n_workers": 1}}}}}}
"""


@with_dask
def test_offering_dask_imports_no_dask(tmp_path: Path) -> None:
    """Defining pipelines, validating a Dask run config and running in process load no Dask."""
    found = run_python(
        PIPELINE
        + """
import json, sys
from notebook_pipelines.definitions.environment import build_environment_config

env = build_environment_config(plain, DASK_CONFIG, plain.get_mode_definition())
result = execute_pipeline(plain)
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"dask", "distributed"})
print(json.dumps({"executor": env.execution_name, "success": result.success, "loaded": loaded}))
""",
        tmp_path,
    )
    assert found == {"executor": "dask", "success": True, "loaded": []}


NO_DASK = """
import importlib.abc
import sys


class RefuseDask(importlib.abc.MetaPathFinder):
    '''The import system of an environment without the dask extra.'''

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("dask", "distributed"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, RefuseDask())
"""


def test_without_the_extra_asking_for_dask_says_how_to_install_it(tmp_path: Path) -> None:
    found = run_python(
        NO_DASK
        + PIPELINE
        + """
import json
from notebook_pipelines import DagsterInvalidConfigError
from notebook_pipelines.definitions.executor import dask_available, dask_executor

out = {"available": dask_available(), "executors": [e.name for e in ModeDefinition().executor_defs]}
try:
    execute_pipeline(plain, run_config=DASK_CONFIG)
except DagsterInvalidConfigError as exc:
    out["config_error"] = [e.message for e in exc.errors]
try:
    import notebook_pipelines.executors.dask
except ImportError as exc:
    out["import_error"] = str(exc)


@pipeline(mode_defs=[ModeDefinition(executor_defs=[dask_executor])])
def listed():
    one()


try:
    execute_pipeline(listed, run_config=DASK_CONFIG)
except Exception as exc:
    out["run_error"] = f"{type(exc).__name__}: {exc}"
print(json.dumps(out))
""",
        tmp_path,
    )
    assert found["available"] is False
    assert found["executors"] == ["in_process", "multiprocess"]
    (message,) = found["config_error"]
    assert message == (
        'Received unexpected config entry "dask" at path root:execution. Expected one of '
        '"in_process", "multiprocess". The Dask executor needs the dask extra, which is not '
        "installed: pip install 'notebook-pipelines[dask]'"
    )
    assert DASK_INSTALL_HINT in found["import_error"]
    # a mode that lists dask_executor anyway: the run cannot start, saying the same
    assert DASK_INSTALL_HINT in found["run_error"], found["run_error"]
