"""Papermill batch runs: parameter sets (list, grid, file), a batch of 4 sets in parallel worker
processes with a summary table, re-execution of only the failed sets, and a batch on Dask."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from notebook_pipelines import (
    DagsterInstance,
    DagsterInvariantViolationError,
    NotebookBatchResult,
    rerun_failed_sets,
    run_notebook_batch,
)
from notebook_pipelines.notebooks import parameter_sets_from

SWEEP = Path(__file__).resolve().parent / "notebooks" / "data" / "sweep.ipynb"


def test_parameter_sets_from_a_list_a_grid_and_files(tmp_path: Path) -> None:
    assert parameter_sets_from([{"a": 1}, {"a": 2}]) == [{"a": 1}, {"a": 2}]
    grid = {"alpha": [0.1, 0.5], "n": [10, 100]}
    assert parameter_sets_from(grid) == [
        {"alpha": 0.1, "n": 10},
        {"alpha": 0.1, "n": 100},
        {"alpha": 0.5, "n": 10},
        {"alpha": 0.5, "n": 100},
    ]
    assert parameter_sets_from({"a": 1, "b": [1, 2]}) == [{"a": 1, "b": 1}, {"a": 1, "b": 2}]
    yaml_file = tmp_path / "grid.yaml"
    yaml_file.write_text("alpha: [0.1, 0.5]\nn: [10, 100]\n")
    assert len(parameter_sets_from(str(yaml_file))) == 4
    json_file = tmp_path / "sets.json"
    json_file.write_text(json.dumps([{"x": 1}, {"x": [1, 2]}]))
    assert parameter_sets_from(json_file) == [{"x": 1}, {"x": [1, 2]}]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ([], "no parameter sets"),
        ([{"a": object()}], "not plain JSON"),
        ([{"not a name": 1}], "not a Python variable name"),
        ([1, 2], "not a dict"),
        ({"a": []}, "grid axes without values"),
        ("missing.yaml", "Cannot read parameter sets"),
    ],
)
def test_bad_parameter_sets_are_refused(source: object, message: str) -> None:
    with pytest.raises(DagsterInvariantViolationError, match=message):
        parameter_sets_from(source)


def _sets(allow: Path) -> list[dict]:
    return [
        {"alpha": 0.5, "n": 10, "allow": ""},
        {"alpha": -1.0, "n": 10, "allow": str(allow)},
        {"alpha": 2.0, "n": 3, "allow": ""},
        {"alpha": -2.0, "n": 5, "allow": str(allow)},
    ]


@pytest.mark.slow
@pytest.mark.kernel
def test_a_batch_in_parallel_then_only_the_failed_sets_again(tmp_path: Path) -> None:
    allow = tmp_path / "allow"
    with DagsterInstance.local_temp(tmp_path / "instance") as instance:
        result = run_notebook_batch(
            SWEEP,
            _sets(allow),
            executor="multiprocess",
            max_concurrent=2,
            output_dir=tmp_path / "out",
            instance=instance,
        )
        assert isinstance(result, NotebookBatchResult) and not result.success
        assert [row.status for row in result.rows] == ["SUCCESS", "FAILURE", "SUCCESS", "FAILURE"]
        assert result.rows[0].values == {"score": 5.0, "n": 10}
        assert result.rows[2].values == {"score": 6.0, "n": 3}
        failed = result.rows[1]
        assert failed.error is not None and "In [5] (cell index 3)" in failed.error
        assert "ValueError: negative alpha: -1.0" in failed.error
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
            f"sweep-{i}.ipynb" for i in range(4)
        ]
        table = result.table()
        assert "alpha=-1.0" in table and "FAILURE" in table and "score=5.0" in table
        assert "<table>" in result._repr_html_()
        assert repr(result).startswith("<NotebookBatchResult ") and "2 of 4 failed" in repr(result)
        assert table in repr(result)  # a terminal shows the table, not the dataclass

        allow.write_text("ok")  # what made the two sets fail is fixed: run only those again
        again = rerun_failed_sets(result, instance=instance)
        assert again.success and again.run_id != result.run_id
        assert [row.values["score"] for row in again.rows] == [5.0, -10.0, 6.0, -10.0]
        assert [row.run_id for row in again.rows] == [
            result.run_id,
            again.run_id,
            result.run_id,
            again.run_id,
        ]
        child = instance.get_run_by_id(again.run_id)
        assert child is not None and child.parent_run_id == result.run_id
        executed = {r.step_key for r in instance.all_logs(again.run_id, of_type="STEP_START")}
        assert "set_0.compute" not in executed and "set_1.compute" in executed
        # nothing left to re-run
        assert rerun_failed_sets(again.run_id, instance=instance).run_id == again.run_id


@pytest.mark.slow
@pytest.mark.kernel
@pytest.mark.dask
def test_a_batch_on_dask(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    with DagsterInstance.local_temp(tmp_path / "instance") as instance:
        result = run_notebook_batch(
            SWEEP,
            {"alpha": [1.0, 2.0], "n": [2, 3]},
            executor="dask",
            max_concurrent=2,
            instance=instance,
        )
    assert result.success, result.table()
    assert [row.values["score"] for row in result.rows] == [2.0, 3.0, 4.0, 6.0]
