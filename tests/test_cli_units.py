"""The command line's pure helpers, in process: config merging, tags, durations, tracebacks,
error paragraphs and the DOT text of pipelines with fan-in and several outputs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from notebook_pipelines import (
    DagsterInvalidConfigError,
    DependencyDefinition,
    InputDefinition,
    Int,
    List,
    MultiDependencyDefinition,
    Output,
    OutputDefinition,
    PipelineDefinition,
    solid,
)
from notebook_pipelines.cli.app import build_parser, main
from notebook_pipelines.cli.graph import pipeline_to_dot, quote
from notebook_pipelines.cli.loading import deep_merge, parse_tags
from notebook_pipelines.cli.output import (
    error_paragraph,
    error_summary,
    format_duration,
    table,
    traceback_text,
)
from notebook_pipelines.config.result import ConfigError
from notebook_pipelines.errors import SerializableErrorInfo


def test_deep_merge_merges_mappings_and_replaces_the_rest() -> None:
    base = {"solids": {"a": {"config": {"n": 1, "w": "x"}}}, "list": [1, 2], "keep": True}
    override = {"solids": {"a": {"config": {"n": 2}}, "b": {}}, "list": [3]}
    assert deep_merge(base, override) == {
        "solids": {"a": {"config": {"n": 2, "w": "x"}}, "b": {}},
        "list": [3],
        "keep": True,
    }
    assert base["solids"]["a"]["config"]["n"] == 1  # inputs untouched


def test_parse_tags() -> None:
    assert parse_tags('{"a": "b", "n": 1, "l": [1]}') == {"a": "b", "n": "1", "l": "[1]"}
    with pytest.raises(ValueError, match="JSON object"):
        parse_tags("[1]")
    with pytest.raises(ValueError, match="JSON object"):
        parse_tags("{nope")


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "-"),
        (0.00042, "0.4ms"),
        (0.0123, "12ms"),
        (1.5, "1.50s"),
        (125, "2m05s"),
        (3720, "1h02m"),
    ],
)
def test_format_duration(seconds: float | None, shown: str) -> None:
    assert format_duration(seconds) == shown


def test_table_aligns_columns() -> None:
    assert table(["A", "LONG"], [["xyz", "1"], ["w", "22"]]) == "A    LONG\nxyz  1\nw    22"


def test_traceback_text_puts_the_users_exception_first() -> None:
    user = SerializableErrorInfo(
        "ValueError: boom\n", ('  File "u.py", line 1, in f\n',), "ValueError"
    )
    outer = SerializableErrorInfo("StepError: wrapped\n", ("  File engine\n",), "StepError", user)
    text = traceback_text(outer)
    assert text.index("ValueError: boom") < text.index("direct cause") < text.index("StepError")
    assert error_summary(outer) == "ValueError: boom"
    assert error_summary(None) == "unknown error"


def test_error_paragraph_has_no_blank_lines() -> None:
    bad = ConfigError(("root", "solids", "a"), "bad\n\nvalue", "FIELD_NOT_DEFINED")
    error = DagsterInvalidConfigError("Invalid run config", [bad, bad])
    text = error_paragraph(error)
    assert text.startswith("Error: Invalid run config (2 errors):")
    assert "\n\n" not in text and text.count("root:solids:a") == 2


def test_quote_escapes_dot_strings() -> None:
    assert quote('a "b"\\c\nd') == '"a \\"b\\"\\\\c\\nd"'


def test_dot_of_fan_in_and_several_outputs() -> None:
    @solid(output_defs=[OutputDefinition(Int, "left"), OutputDefinition(Int, "right")])
    def split(_context: Any) -> Iterator[Output]:
        yield Output(1, "left")
        yield Output(2, "right")

    @solid(input_defs=[InputDefinition("xs", List[Int])])
    def total(_context: Any, xs: list[int]) -> int:
        return sum(xs)

    pipe = PipelineDefinition(
        [split, total],
        name="fan",
        dependencies={
            "total": {
                "xs": MultiDependencyDefinition(
                    [DependencyDefinition("split", "left"), DependencyDefinition("split", "right")]
                )
            }
        },
    )
    dot = pipeline_to_dot(pipe)
    assert '"split" [label="split\\n() -> (left: Int, right: Int)"];' in dot
    assert '"total" [label="total\\n(xs: List[Int]) -> Int"];' in dot
    assert '"split" -> "total" [label="left -> xs"];' in dot
    assert '"split" -> "total" [label="right -> xs"];' in dot


def test_main_returns_exit_codes_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "pipeline" in capsys.readouterr().out
    assert main(["runs", "list", "--limit", "x"]) == 2
    assert "--limit" in capsys.readouterr().err
    assert build_parser().prog == "notebook-pipelines"
