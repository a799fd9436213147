"""The run widget's static fallback (notebook_pipelines/jupyter/static_html.py): the progress line."""

from __future__ import annotations

from notebook_pipelines.jupyter.static_html import progress_text


def test_progress_text_names_how_the_steps_ended_in_order() -> None:
    progress = {"done": 4, "total": 5, "canceled": 1, "failed": 1, "skipped": 0, "succeeded": 2}
    assert progress_text(progress) == "5 steps: 2 succeeded, 1 failed, 1 canceled, 1 not finished"
    assert progress_text({"done": 0, "total": 1}) == "1 step: 1 not finished"
    assert progress_text({"done": 0, "total": 0}) == "0 steps"
