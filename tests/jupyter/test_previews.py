"""Output previews: bounded reprs, tables as HTML, values that cannot be shown or read."""

from __future__ import annotations

from typing import Any

from notebook_pipelines.jupyter.previews import MAX_TEXT, output_previews, preview


class Table:
    """Renders itself like a pandas DataFrame: ``head`` and ``_repr_html_``."""

    def __init__(self, rows: int):
        self.rows = rows

    def head(self, n: int) -> Table:
        return Table(min(n, self.rows))

    def _repr_html_(self) -> str:
        return f"<table>{'<tr><td>x</td></tr>' * self.rows}</table>"

    def __repr__(self) -> str:
        return f"Table({self.rows})"


class BrokenRepr:
    def __repr__(self) -> str:
        raise ValueError("no repr today")


def test_tables_show_their_first_rows_as_html() -> None:
    shown = preview(Table(1000))
    assert shown["html"].count("<tr>") == 20
    assert shown["text"] == "Table(1000)" and shown["type"] == "Table"


def test_long_values_are_cut() -> None:
    assert len(preview("x" * 10_000)["text"]) < MAX_TEXT + 50
    assert "more characters" in preview("x" * 10_000)["text"]
    assert preview(list(range(1000)))["text"].endswith("...]")


def test_a_broken_repr_does_not_break_the_preview() -> None:
    assert "repr failed: ValueError: no repr today" in preview(BrokenRepr())["text"]


def test_unreadable_and_unavailable_values_say_why() -> None:
    def read(step_key: str, output_name: str) -> Any:
        raise FileNotFoundError(f"{step_key}/{output_name}")

    assert output_previews(["result"], "a.compute", read) == [
        {"name": "result", "text": "(cannot read the value: FileNotFoundError: a.compute/result)"}
    ]
    assert "kept its outputs in memory" in output_previews(["x"], "a.compute", None)[0]["text"]


def test_a_real_dataframe_shows_its_first_rows() -> None:
    pandas = __import__("pytest").importorskip("pandas")
    frame = pandas.DataFrame({"station": ["a", "b"] * 50, "t_max": range(100)})
    shown = preview(frame)
    assert shown["type"] == "DataFrame"
    assert "<th>19</th>" in shown["html"] and "<th>20</th>" not in shown["html"]  # 20 rows
    assert "t_max" in shown["html"]
    series = preview(frame["t_max"])
    assert "<table" in series["html"]
