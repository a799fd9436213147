"""A history on a read-only disk (an archive, a colleague's copy), for real: a run is made in a
folder, which is then seen through a read-only bind mount. Reading works (``runs list``, ``runs
show``, ``runs logs``, the table of ``%pipeline_runs``); what writes says the history is read-only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from notebook_pipelines.errors import DagsterReadOnlyStorageError
from notebook_pipelines.storage.instance import DagsterInstance

from .faults import read_only_bind

__all__ = ["read_only_bind"]  # the fixture, used by name below

PIPELINE = textwrap.dedent(
    '''
    """A one-step pipeline that prints."""
    from notebook_pipelines import lambda_solid, pipeline


    @lambda_solid
    def hello():
        print("hello from the archive")
        return 1


    @pipeline
    def archived():
        hello()
    '''
)


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NOTEBOOK_PIPELINES_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "notebook_pipelines.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture
def archive(tmp_path: Path, read_only_bind: Callable[[Path], Path]) -> tuple[Path, Path, str]:
    """(the read-only view of a history with one run, its pipeline file, the run's id)."""
    source = tmp_path / "history"
    code = tmp_path / "archived.py"
    code.write_text(PIPELINE)
    done = cli(source, "pipeline", "execute", "-f", str(code), "-a", "archived")
    assert done.returncode == 0, done.stderr
    instance = DagsterInstance.from_ref(DagsterInstance.local_temp(source).get_ref())
    run_id = instance.get_runs()[0].run_id
    instance.dispose()
    return read_only_bind(source), code, run_id


def test_a_read_only_history_can_be_read(archive: tuple[Path, Path, str]) -> None:
    home, _, run_id = archive
    listed = cli(home, "runs", "list")
    assert listed.returncode == 0, listed.stderr
    assert run_id in listed.stdout and "SUCCESS" in listed.stdout
    shown = cli(home, "runs", "show", run_id)
    assert shown.returncode == 0, shown.stderr
    assert "PIPELINE_SUCCESS" in shown.stdout and "hello.compute" in shown.stdout
    logs = cli(home, "runs", "logs", run_id, "hello.compute")
    assert logs.returncode == 0, logs.stderr
    assert "hello from the archive" in logs.stdout
    assert not any(p.name.startswith("instance.yaml.") for p in home.iterdir())


def test_the_notebook_runs_table_reads_it(
    archive: tuple[Path, Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from notebook_pipelines.jupyter.runs import runs_table

    home, _, run_id = archive
    monkeypatch.setenv("NOTEBOOK_PIPELINES_HOME", str(home))
    with DagsterInstance.get() as instance:  # what %pipeline_runs opens
        assert instance.is_read_only
        assert run_id[:8] in str(runs_table(instance, None, 20, None))
        with pytest.raises(DagsterReadOnlyStorageError, match=f"history at {home} is read-only"):
            instance.delete_run(run_id)
        assert instance.has_run(run_id)


@pytest.mark.parametrize(
    "command",
    [
        ["runs", "delete", "RUN"],
        ["runs", "reexecute", "RUN"],
        ["pipeline", "execute", "-f", "CODE", "-a", "archived"],
    ],
    ids=["delete", "reexecute", "execute"],
)
def test_commands_that_write_say_the_history_is_read_only(
    archive: tuple[Path, Path, str], command: list[str]
) -> None:
    home, code, run_id = archive
    args = [run_id if a == "RUN" else str(code) if a == "CODE" else a for a in command]
    done = cli(home, *args)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"The history at {home} is read-only" in done.stderr
    assert "Traceback" not in done.stderr
    listed = cli(home, "runs", "list")
    assert listed.stdout.count("SUCCESS") == 1 and run_id in listed.stdout  # nothing changed
