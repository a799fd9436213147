"""``%pipeline_runs``: the table built from the instance, its options and errors, and the magic
through a real IPython InteractiveShell."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from notebook_pipelines import execute_pipeline, lambda_solid, pipeline
from notebook_pipelines.jupyter.runs import parse_runs_line, runs_table
from notebook_pipelines.storage.instance import DagsterInstance
from notebook_pipelines.storage.runs import PipelineRunStatus

from .ipython_shell import interactive_shell


@lambda_solid
def one() -> int:
    return 1


@lambda_solid
def explode(value: int) -> int:
    raise ValueError(f"kaboom <{value}>\nsecond line")


@pipeline
def good_pipe() -> None:
    one()


@pipeline
def bad_pipe() -> None:
    explode(one())


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NOTEBOOK_PIPELINES_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def instance(home: Path) -> Iterator[DagsterInstance]:
    with DagsterInstance.get() as inst:
        yield inst


@pytest.fixture
def shell(home: Path) -> Iterator[InteractiveShell]:
    with interactive_shell() as ip:
        yield ip


def _runs(instance: DagsterInstance) -> tuple[str, str]:
    good = execute_pipeline(good_pipe, instance=instance)
    bad = execute_pipeline(bad_pipe, instance=instance, raise_on_error=False)
    assert good.success and not bad.success
    return good.run_id, bad.run_id


def test_table_rows_text_and_html(instance: DagsterInstance) -> None:
    good_id, bad_id = _runs(instance)
    runs = runs_table(instance)
    assert [row.run_id for row in runs.rows] == [bad_id, good_id]  # newest first
    bad, good = runs.rows
    assert (good.pipeline_name, good.status, good.steps_ok, good.steps_failed, good.failure) == (
        "good_pipe",
        PipelineRunStatus.SUCCESS,
        1,
        0,
        "",
    )
    assert (bad.status, bad.steps_ok, bad.steps_failed) == (PipelineRunStatus.FAILURE, 1, 1)
    assert bad.failure.startswith("explode.compute: ValueError: kaboom <1>")
    assert "second line" not in bad.failure and bad.failure.endswith(" ...")
    assert good.duration != "-" and good.started != "-"

    text = repr(runs)
    assert text.splitlines()[0].split() == [
        "Run",
        "Pipeline",
        "Status",
        "Started",
        "Duration",
        "Steps",
        "ok",
        "Failed",
        "Failure",
    ]
    assert bad_id[:8] in text and bad_id not in text and "FAILURE" in text

    page = runs._repr_html_()
    assert page.startswith("<table") and f"title='{bad_id}'" in page
    assert "kaboom &lt;1&gt;" in page and "kaboom <1>" not in page  # escaped


def test_filters_and_empty_message(instance: DagsterInstance) -> None:
    good_id, bad_id = _runs(instance)
    assert [r.run_id for r in runs_table(instance, pipeline="good_pipe").rows] == [good_id]
    assert [r.run_id for r in runs_table(instance, status="FAILURE").rows] == [bad_id]
    assert [r.run_id for r in runs_table(instance, limit=1).rows] == [bad_id]
    empty = runs_table(instance, pipeline="nope", status=PipelineRunStatus.CANCELED)
    assert empty.rows == ()
    assert repr(empty).startswith('No runs of pipeline "nope" with status CANCELED in the instance')
    assert empty._repr_html_().startswith("<p>No runs")


def test_options() -> None:
    args = parse_runs_line("--pipeline 'my pipe' --limit 3 --status failure")
    assert (args.pipeline, args.limit, args.status) == ("my pipe", 3, PipelineRunStatus.FAILURE)
    assert parse_runs_line("").limit == 20


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--limit x", "--limit: not a whole number: 'x'"),
        ("--limit 0", "must be at least 1"),
        ("--status DONE", r"unknown status 'DONE' \(known: NOT_STARTED, STARTED, SUCCESS"),
        ("--bogus", "unrecognized arguments: --bogus"),
        ("--pipeline 'unclosed", "No closing quotation"),
    ],
)
def test_bad_options_are_usage_errors(shell: InteractiveShell, line: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        shell.run_line_magic("pipeline_runs", line)


def test_magic_displays_html_with_text_fallback(shell: InteractiveShell) -> None:
    with DagsterInstance.get() as instance:
        good_id, bad_id = _runs(instance)
    with capture_output() as captured:
        returned = shell.run_line_magic("pipeline_runs", "--status SUCCESS")
    assert returned is None and captured.stdout == ""
    [output] = captured.outputs
    assert good_id[:8] in output.data["text/html"] and bad_id[:8] not in output.data["text/html"]
    assert output.data["text/plain"].startswith("Run ") and "good_pipe" in output.data["text/plain"]


def test_magic_with_no_runs(shell: InteractiveShell, home: Path) -> None:
    with capture_output() as captured:
        shell.run_line_magic("pipeline_runs", "")
    [output] = captured.outputs
    assert output.data["text/plain"] == f"No runs in the instance at {home}."
