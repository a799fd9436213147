"""The Binder set-up (``binder/``) works: done as Binder does it, in a fresh virtual environment,
the example notebooks run there.

What repo2docker does with ``binder/``: ``apt-get install`` the packages of ``apt.txt``, ``pip
install -r requirements.txt`` into the environment that runs JupyterLab, then run ``postBuild``
from the repository's root. The slow test does the same in a new ``python -m venv`` and then runs
``examples/run_all.py`` with that environment's Python, so that every notebook executes in a kernel
of the new environment (the ``python3`` kernel of ipykernel resolves to the interpreter that starts
it). What differs from real Binder:

- the system packages are not installed here (that needs root and belongs to ``make``'s
  ``system-deps``): the test checks that ``apt.txt`` names graphviz and that ``dot`` is there;
- pip's cache is reused (repo2docker installs with ``--no-cache-dir``), to keep the test near a
  minute; the packages still come from the package index, as on Binder (the test is skipped, saying
  why, when the index cannot be reached);
- no JupyterLab server: the notebooks run through nbclient (a dependency of papermill, so in the
  environment already), as ``make demo`` runs them; repo2docker's own base environment, with
  JupyterLab, is not reproduced.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.test_examples import NOTEBOOKS, check_executed

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"

NETWORK_ERRORS = re.compile(
    r"NewConnectionError|Network is unreachable|Temporary failure in name resolution|"
    r"Max retries exceeded|ConnectTimeout|ReadTimeout|No matching distribution found"
)


def requirement_names(lines: list[str]) -> set[str]:
    """Normalised requirement names (with extras) of requirement lines (options such as ``-c``
    skipped)."""
    names = set()
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            found = re.match(r"[A-Za-z0-9_.-]+(\[[^\]]*\])?", line)
            assert found, line
            names.add(found[0].lower().replace("_", "-"))
    return names


def test_binder_files_match_the_package() -> None:
    """requirements.txt is the package's dependencies and its dask extra, constrained by the
    project's lock (the versions of ``make setup``); apt.txt has graphviz; postBuild is executable
    and installs the package, editable, with the dask extra, from the lock too."""
    tomllib = pytest.importorskip("tomllib", reason="Python < 3.11 has no tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = requirement_names(project["dependencies"] + project["optional-dependencies"]["dask"])
    lines = (BINDER / "requirements.txt").read_text().splitlines()
    listed = requirement_names(lines)
    assert listed == wanted
    # pip reads a nested file's path relative to the file that names it
    assert "-c ../requirements/lock.txt" in lines
    assert (BINDER / "../requirements/lock.txt").resolve().is_file()
    assert "graphviz" in (BINDER / "apt.txt").read_text().split()
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK)
    text = post_build.read_text()
    assert text.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in text
    assert "pip install" in text and "-e '.[dask]'" in text
    assert "-c requirements/lock.txt" in text


def _run(
    argv: list[str], env: dict[str, str], timeout: int, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env, check=False
    )


@pytest.mark.slow
@pytest.mark.kernel
@pytest.mark.dask
def test_the_examples_run_in_a_binder_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("dot") is None:
        pytest.skip("graphviz's dot is not installed (binder/apt.txt; make system-deps)")
    # the notebooks' home, also here: the checks compare the paths the notebooks print with it
    monkeypatch.setenv("NOTEBOOK_PIPELINES_HOME", str(tmp_path / "home"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    }
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        NOTEBOOK_PIPELINES_HOME=str(tmp_path / "home"),
    )

    # repo2docker: pip install -r binder/requirements.txt, then binder/postBuild from the root
    pip = _run(
        [str(python), "-m", "pip", "install", "-q", "-r", str(BINDER / "requirements.txt")],
        env,
        timeout=600,
    )
    if pip.returncode != 0 and NETWORK_ERRORS.search(pip.stderr):
        pytest.skip(f"the package index cannot be reached: {pip.stderr.strip()[-500:]}")
    assert pip.returncode == 0, pip.stderr[-3000:]
    post_build = _run(["bash", str(BINDER / "postBuild")], env, timeout=300)
    assert post_build.returncode == 0, post_build.stderr[-3000:]

    # the environment has the package (from this checkout) and the kernel is its own
    probe = _run(
        [
            str(python),
            "-c",
            "import sys, notebook_pipelines, distributed\n"
            "from jupyter_client.kernelspec import KernelSpecManager\n"
            "spec = KernelSpecManager().get_kernel_spec('python3')\n"
            "print(sys.prefix); print(notebook_pipelines.__file__); print(spec.resource_dir)",
        ],
        env,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    prefix, package, kernel_dir = probe.stdout.split()
    assert Path(prefix) == venv
    assert Path(package).is_relative_to(ROOT / "notebook_pipelines")
    assert Path(kernel_dir).is_relative_to(venv)

    # the example notebooks, executed with that environment's Python and kernels
    out = tmp_path / "executed"
    done = _run(
        [str(python), str(ROOT / "examples" / "run_all.py"), "--out", str(out)], env, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr[-5000:]
    assert sorted(path.name for path in out.glob("*.ipynb")) == [path.name for path in NOTEBOOKS]
    for path in NOTEBOOKS:
        check_executed(nbformat.read(out / path.name, as_version=4), path.stem)
