"""The examples run as a new user runs them, and show what they say they show.

Every ``examples/*.ipynb`` runs in a real kernel through ``examples/run_all.py`` (nbclient; working
directory ``examples/``; cells tagged ``skip-in-tests`` are not run) with its own
``$NOTEBOOK_PIPELINES_HOME``; notebooks added later join by themselves. The outputs are checked
against the data (``examples/data/weather.csv``, read here independently of the notebooks) and the
story each notebook tells. ``hello_pipeline.py`` runs as a script, and the command lines of
``examples/README.md`` run as written there, on a copy of the script.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def _load_run_all() -> Any:
    spec = importlib.util.spec_from_file_location("examples_run_all", EXAMPLES / "run_all.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


run_all = _load_run_all()
NOTEBOOKS = run_all.example_notebooks()
# Each notebook takes a few seconds alone (04, with its worker processes and Dask cluster, about
# 15 s); the bound leaves room for a machine busy with other tests.
SECONDS_PER_NOTEBOOK = 90


# --- reading executed notebooks ------------------------------------------------------------------


def code_cells(nb: Any) -> list[Any]:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def cell_text(cell: Any, streams: tuple[str, ...] = ("stdout",)) -> str:
    """What a cell printed on ``streams``, plus the text/plain of its results and displays."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream" and out.name in streams:
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(out.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def notebook_text(nb: Any) -> str:
    return "\n".join(cell_text(cell) for cell in code_cells(nb))


def cell_starting(nb: Any, prefix: str) -> Any:
    """The (first) code cell whose source starts with ``prefix``."""
    matches = [cell for cell in code_cells(nb) if cell.source.startswith(prefix)]
    assert matches, f"no code cell starts with {prefix!r}"
    return matches[0]


def mime_types(cell: Any) -> set[str]:
    return {
        mime
        for out in cell.get("outputs", [])
        if out.output_type in ("execute_result", "display_data")
        for mime in out.get("data", {})
    }


WIDGET = "application/vnd.jupyter.widget-view+json"


# --- the data, read independently of the notebooks -----------------------------------------------


def weather_rows() -> list[dict[str, str]]:
    with open(EXAMPLES / "data" / "weather.csv", newline="") as f:
        return list(csv.DictReader(f))


def mean_max_by_station() -> dict[str, float]:
    means = {}
    rows = [row for row in weather_rows() if row["temp_max_c"]]
    for station in sorted({row["station"] for row in rows}):
        temps = [float(row["temp_max_c"]) for row in rows if row["station"] == station]
        means[station] = round(sum(temps) / len(temps), 2)
    return means


def test_the_dataset_is_small_real_csv_with_a_few_gaps() -> None:
    rows = weather_rows()
    assert 300 <= len(rows) <= 500
    assert set(rows[0]) == {"date", "station", "temp_min_c", "temp_max_c", "precip_mm", "wind_kmh"}
    assert {row["station"] for row in rows} == {"harbor", "airport", "hillside", "downtown"}
    assert sum(1 for row in rows if not row["temp_max_c"]) == 5  # 03_reexecution trips over them
    assert all(
        float(row["temp_min_c"]) <= float(row["temp_max_c"]) for row in rows if row["temp_max_c"]
    )


def test_the_committed_notebooks_are_clean() -> None:
    """Committed without outputs or execution counts; valid nbformat; a kernelspec; markdown
    that explains (at least one markdown cell for every two code cells)."""
    assert len(NOTEBOOKS) >= 4
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata["kernelspec"]["name"] == "python3", path.name
        for cell in code_cells(nb):
            assert cell.outputs == [] and cell.execution_count is None, (path.name, cell.source)
        markdown = [cell for cell in nb.cells if cell.cell_type == "markdown"]
        assert nb.cells[0].cell_type == "markdown", path.name
        assert 2 * len(markdown) >= len(code_cells(nb)), path.name


SOLID_NOTEBOOKS = sorted((EXAMPLES / "notebooks").glob("*.ipynb"))


def test_the_notebooks_run_as_solids_are_clean() -> None:
    """``examples/notebooks/``: committed without outputs, each with a cell tagged ``parameters``
    (what a run's inputs replace) and markdown saying what it is."""
    assert len(SOLID_NOTEBOOKS) >= 4
    for path in SOLID_NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert nb.cells[0].cell_type == "markdown", path.name
        for cell in code_cells(nb):
            assert cell.outputs == [] and cell.execution_count is None, (path.name, cell.source)
        tagged = [c for c in code_cells(nb) if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, path.name


@pytest.mark.slow
@pytest.mark.kernel
@pytest.mark.parametrize("path", SOLID_NOTEBOOKS, ids=[p.stem for p in SOLID_NOTEBOOKS])
def test_a_notebook_run_as_a_solid_also_runs_on_its_own(path: Path) -> None:
    """Opened in Jupyter (working directory: its folder), it runs top to bottom on the sample
    values of its ``parameters`` cell, outside any run."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=60, kernel_name="python3").execute(cwd=str(path.parent))
    check_executed(nb, path.stem)


# --- what each notebook must show ------------------------------------------------------------------


def check_quickstart(nb: Any) -> None:
    text = notebook_text(nb)
    assert "success: True" in text
    kept = sum(1 for row in weather_rows() if row["temp_max_c"])
    assert f"rows kept: {kept}" in text
    for station, mean in mean_max_by_station().items():
        assert re.search(rf"^{station}\s+\d+ days, mean max\s+{mean:.2f} °C", text, re.M), station
    dag = cell_starting(nb, "@pipeline")
    svg = next(out for out in dag.outputs if "image/svg+xml" in out.get("data", {}))
    for name in ("load_readings", "clean_readings", "station_summary"):
        assert name in svg["data"]["image/svg+xml"]
    assert WIDGET in mime_types(cell_starting(nb, "result = execute_pipeline"))
    assert "STEP_SUCCESS" in cell_text(cell_starting(nb, "for event in result"))
    runs = cell_text(cell_starting(nb, "%pipeline_runs"))
    assert "weather_pipeline" in runs and "SUCCESS" in runs
    assert WIDGET in mime_types(cell_starting(nb, "from notebook_pipelines import RunWidget"))


def check_config_resources_modes(nb: Any) -> None:
    errors = cell_text(cell_starting(nb, "bad_config"))
    assert "(3 errors)" in errors
    assert "root:solids:load_station:config:station" in errors and "mountain" in errors
    assert 'unexpected config entry "unti"' in errors
    assert 'Missing required config entry "resources"' in errors
    test_run = cell_text(cell_starting(nb, "result = execute_pipeline(\n    station_report"))
    assert "success: True | published to memory://harbor-monthly" in test_run
    assert "'month': '2024-03'" in test_run
    assert "hook: report of run" in test_run
    preset = cell_text(
        cell_starting(nb, 'result = execute_pipeline(station_report, preset="hillside')
    )
    assert "published to hillside-monthly.csv" in preset
    assert "station,month,mean_temp_max,rain_mm,rainy_days\nhillside,2024-01," in preset
    retries = cell_text(cell_starting(nb, "flaky ="))
    assert "success: True" in retries
    assert retries.count("STEP_UP_FOR_RETRY") == 2 and retries.count("STEP_RESTARTED") == 2
    assert "STEP_SUCCESS" in retries
    down = cell_text(cell_starting(nb, "down ="))
    assert "hook: ALERT, load_station failed" in down
    assert "success: False" in down
    assert re.search(r"monthly_stats\s+success=False skipped=True", down)
    assert re.search(r"publish\s+success=False skipped=True", down)


def check_reexecution(nb: Any) -> None:
    first = cell_text(cell_starting(nb, "failed = first"))
    assert "success: False" in first
    assert "could not convert string to float: ''" in first
    assert "skipped: ['station_means', 'warmest_days', 'report']" in first
    second = cell_text(cell_starting(nb, "def steps_that_ran"))
    assert "success: True" in second
    ran = "['clean_readings.compute', 'station_means.compute', 'warmest_days.compute', 'report.compute']"
    assert f"steps that ran: {ran}" in second  # load_readings came from the first run
    for station, mean in mean_max_by_station().items():
        assert re.search(rf"^{station}\s+mean max\s+{mean:.2f} °C", second, re.M), station
    assert second.count("warm: ") == 3
    third = cell_text(cell_starting(nb, "third = "))
    assert "success: True" in third
    assert "steps that ran: ['warmest_days.compute', 'report.compute']" in third
    assert third.count("warm: ") == 5
    history = cell_text(cell_starting(nb, "with DagsterInstance.get()"))
    lines = history.strip().splitlines()
    first_id = re.match(r"run (\w{8})\s+FAILURE\s+parent -\s+root -", lines[0])
    assert first_id, history
    assert re.match(rf"run \w{{8}}\s+SUCCESS\s+parent {first_id[1]}\s+root {first_id[1]}", lines[1])
    assert re.match(rf"run \w{{8}}\s+SUCCESS\s+parent \w{{8}}\s+root {first_id[1]}", lines[2])


def check_parallel_and_dask(nb: Any) -> None:
    text = notebook_text(nb)
    for executor in ("in_process", "multiprocess", "dask"):
        assert re.search(rf"^{executor}: success=True in \d+\.\d\d s$", text, re.M), executor
        assert re.search(rf"^{executor}\s+\d+\.\d\d s$", text, re.M), executor
    assert "cluster up: 2 workers" in text
    assert "same results: True" in text
    for station, mean in mean_max_by_station().items():
        line = re.search(
            rf"^{station}\s+([\d.]+) °C\s+\(95 % interval\s+([\d.]+) to\s+([\d.]+)\)", text, re.M
        )
        assert line, station
        low, value, high = float(line[2]), float(line[1]), float(line[3])
        assert value == mean and low < value < high
    for executor in ("in_process", "multiprocess", "dask"):
        cell = next(c for c in code_cells(nb) if f'timed_run("{executor}"' in c.source)
        assert WIDGET in mime_types(cell), executor


def station_days(station: str, month: str = "") -> list[dict[str, str]]:
    """The readings of ``station`` (in ``month``, "2024-01", when given) with a maximum
    temperature."""
    return [
        row
        for row in weather_rows()
        if row["station"] == station and row["date"].startswith(month) and row["temp_max_c"]
    ]


def monthly_summary(station: str) -> dict[str, dict[str, Any]]:
    """What ``notebooks/station_summary.ipynb`` computes for ``station``."""
    days = station_days(station)
    summary = {}
    for month in sorted({row["date"][:7] for row in days}):
        these = [row for row in days if row["date"].startswith(month)]
        summary[month] = {
            "days": len(these),
            "mean_max_c": round(sum(float(r["temp_max_c"]) for r in these) / len(these), 2),
            "rain_mm": round(sum(float(r["precip_mm"]) for r in these), 1),
            "rainy_days": sum(1 for r in these if float(r["precip_mm"]) > 0),
        }
    return summary


def cell_html(cell: Any) -> str:
    return "\n".join(
        out.get("data", {}).get("text/html", "")
        for out in cell.get("outputs", [])
        if out.output_type in ("execute_result", "display_data")
    )


def check_notebooks_as_solids(nb: Any) -> None:
    interactive = cell_text(cell_starting(nb, "from notebook_pipelines import notebook as nbp"))
    assert "in a run: False" in interactive
    assert "solid config: {'station': 'sample'}" in interactive
    assert "yield_result returns: {'2024-01': {'days': 2}}" in interactive
    dag = cell_starting(nb, "import csv")
    assert "image/svg+xml" in mime_types(dag)
    assert WIDGET in mime_types(cell_starting(nb, "run_config = {"))
    # the pipeline's outputs: the notebook's own numbers, computed here from the CSV
    outputs = cell_text(cell_starting(nb, "summary = result"))
    assert "success: True" in outputs
    summary = monthly_summary("hillside")
    for month, stats in summary.items():
        assert f"{month} {stats}" in outputs, month
    wettest = max(summary, key=lambda month: summary[month]["rain_mm"])
    stats = summary[wettest]
    assert (
        f"wettest month: {wettest}, {stats['rain_mm']} mm on {stats['rainy_days']} days" in outputs
    )
    found = re.search(r"^executed notebook: (.+\.ipynb)$", outputs, re.M)
    assert found, outputs
    kept = Path(found[1])  # under this test's home, and a notebook that ran
    assert kept.is_relative_to(os.environ["NOTEBOOK_PIPELINES_HOME"]) and kept.is_file()
    assert all(c.execution_count for c in code_cells(nbformat.read(kept, as_version=4)))
    executed = cell_text(cell_starting(nb, "import nbformat"))
    assert "injected: days = [{" in executed
    assert f"hillside: {len(station_days('hillside'))} days" in executed
    for month, stats in summary.items():
        assert re.search(rf"^{month}  mean max\s+{stats['mean_max_c']:.2f} °C", executed, re.M)
    events = cell_text(cell_starting(nb, "for expectation in"))
    assert "expectation 'every month has days': success=True" in events
    assert "materialization 'hillside-monthly': {'wettest month': " in events
    assert f"'executed notebook': PathMetadataEntryData(path='{kept}')" in events
    assert str(kept) in cell_text(cell_starting(nb, "import subprocess"))
    # the batch: set 3 (airport, February) trips over a missing reading
    batch = cell_starting(nb, "from notebook_pipelines import rerun_failed_sets")
    assert WIDGET in mime_types(batch)
    logged = cell_text(batch, ("stderr",))  # the failed cell's traceback, in the step's failure
    assert 'set_3.compute" failed' in logged
    assert '----> 1 temps = [float(row["temp_max_c"]) for row in rows]' in logged
    assert "3/4 succeeded" in cell_html(cell_starting(nb, "batch"))
    failed = cell_text(cell_starting(nb, 'print(f"{len(batch.rows)'))
    assert "3 of 4 sets succeeded" in failed
    assert "set 3 {'station': 'airport', 'month': '2024-02'}: FAILURE" in failed
    assert re.search(
        r"failed in In \[\d+\] \(cell index 3\): ValueError: could not convert string to float: ''",
        failed,
    )
    assert "4/4 succeeded" in cell_html(cell_starting(nb, "again = rerun_failed_sets"))
    again = cell_text(cell_starting(nb, 'print("success:", again.success)'))
    assert "success: True" in again and "ran again: [3]" in again
    for index, (station, month) in enumerate(
        [(s, m) for s in ("harbor", "airport") for m in ("2024-01", "2024-02")]
    ):
        temps = [float(row["temp_max_c"]) for row in station_days(station, month)]
        values = {
            "mean_max_c": round(sum(temps) / len(temps), 2),
            "warm_days": sum(1 for t in temps if t >= 12.0),
        }
        assert f"set {index}  {station:<8} {month}  {values}" in again, (index, again)


def windy_days_by_station() -> dict[str, list[float]]:
    winds: dict[str, list[float]] = {}
    for row in weather_rows():
        wind = float(row["wind_kmh"])
        winds.setdefault(row["station"], []).extend([wind] if wind >= 30 else [])
    return winds


NEEDS_A_PERSON = (
    "execute_pipeline(look)",
    "execute_pipeline(look_in_a_worker",
    "%pipeline_debug",
    'failed.debug_step("wind_stats.compute")',
)


def check_debugging(nb: Any) -> None:
    # the cells that wait at a prompt are tagged, skipped, and said to need a person
    for prefix in NEEDS_A_PERSON:
        cell = cell_starting(nb, prefix)
        assert run_all.SKIP_TAG in cell.metadata.get("tags", []), prefix
        assert cell.execution_count is None, prefix
        before = nb.cells[nb.cells.index(cell) - 1]
        assert before.cell_type == "markdown" and "Needs a person" in before.source, prefix
    assert "context.pdb.set_trace()" in cell_starting(nb, "import csv").source
    assert "breakpoint()" in cell_starting(nb, "@solid\ndef warmest_day").source
    # with no one to answer (nbclient runs without stdin) the breakpoint fails its step at once
    unattended = cell_text(cell_starting(nb, "unattended = "))
    assert "success: False" in unattended
    assert "DagsterDebuggerError" in unattended
    assert 'Step "station_counts.compute" stopped at a breakpoint' in unattended
    assert "no one can answer the debugger: this cell was run without stdin" in unattended
    failed = cell_text(cell_starting(nb, "error = failed"))
    assert "success: False" in failed
    assert "wind_stats failed: ZeroDivisionError: division by zero" in failed
    inputs = cell_text(cell_starting(nb, "from notebook_pipelines import load_step_inputs"))
    assert "inputs: ['windy']" in inputs
    winds = windy_days_by_station()
    assert winds["downtown"] == []  # what the post-mortem finds
    for station, days in winds.items():
        assert re.search(rf"^{station}\s+{len(days)} windy days$", inputs, re.M), station
    fixed = cell_text(cell_starting(nb, 'print("success:", fixed.success)'))
    assert "success: True" in fixed
    for station, days in winds.items():
        mean = round(sum(days) / len(days), 1) if days else None
        line = rf"^{station}\s+{len(days)} windy days, mean wind {mean} km/h$"
        assert re.search(line, fixed, re.M), station


CHECKS: dict[str, Callable[[Any], None]] = {
    "01_quickstart": check_quickstart,
    "02_config_resources_modes": check_config_resources_modes,
    "03_reexecution": check_reexecution,
    "04_parallel_and_dask": check_parallel_and_dask,
    "05_notebooks_as_solids": check_notebooks_as_solids,
    "06_debugging": check_debugging,
}

# Cells whose log shows a traceback by design: a notebook step that fails carries the failed
# cell's traceback in its STEP_FAILURE (their notebook's check looks at it).
LOGGED_TRACEBACKS = {"05_notebooks_as_solids": ("batch = run_notebook_batch(",)}


def check_executed(nb: Any, name: str) -> None:
    """What holds for every example: every cell not tagged ``skip-in-tests`` ran, without an
    error; then the notebook's own checks."""
    for cell in code_cells(nb):
        if run_all.SKIP_TAG in cell.metadata.get("tags", []):
            continue
        assert cell.execution_count is not None, (name, cell.source)
        errors = [out for out in cell.outputs if out.output_type == "error"]
        assert not errors, (name, cell.source, errors)
        if not any(p in cell.source for p in LOGGED_TRACEBACKS.get(name, ())):
            assert "Traceback" not in cell_text(cell, ("stdout", "stderr")), (name, cell.source)
    if name in CHECKS:
        CHECKS[name](nb)


@pytest.mark.slow
@pytest.mark.kernel
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_example_notebook(path: Path) -> None:
    if path.stem.startswith("04"):
        pytest.importorskip("distributed", reason="the dask extra is not installed")
    done = run_all.execute_notebook(path)
    assert done.error is None, done.error
    check_executed(done.notebook, path.stem)
    assert done.seconds < SECONDS_PER_NOTEBOOK, f"{path.name} took {done.seconds:.1f}s"


@pytest.mark.slow
@pytest.mark.kernel
def test_cells_tagged_skip_in_tests_do_not_run(tmp_path: Path) -> None:
    """What 06_debugging needs: a cell that waits for a person is skipped; the others run."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    person = nbformat.v4.new_code_cell("input('a person types here')")
    person.metadata["tags"] = [run_all.SKIP_TAG]
    nb.cells = [nbformat.v4.new_code_cell("print('before')"), person]
    nb.cells.append(nbformat.v4.new_code_cell("import os\nprint('cwd', os.getcwd())"))
    nbformat.write(nb, tmp_path / "person.ipynb")
    done = run_all.execute_notebook(tmp_path / "person.ipynb", timeout=30)
    assert done.error is None, done.error
    check_executed(done.notebook, "person")
    assert done.notebook.cells[1].execution_count is None
    assert f"cwd {EXAMPLES}" in notebook_text(done.notebook)  # data/ is found as in JupyterLab


def test_every_checked_notebook_exists() -> None:
    """A renamed notebook must not silently lose its checks."""
    assert set(CHECKS) <= {path.stem for path in NOTEBOOKS}


# --- the plain script and the command line ----------------------------------------------------------


def run_script(script: Path) -> subprocess.CompletedProcess[str]:
    """``python script`` at the repository's root, as a user runs it."""
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )


@pytest.mark.slow
def test_hello_pipeline_script() -> None:
    done = run_script(EXAMPLES / "hello_pipeline.py")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert re.search(r"pipeline 'hello_pipeline' run [\w-]+: success=True", out)
    assert "summarize     -> {'lists': 2, 'total': 50}" in out
    assert re.search(r"in 2 worker processes: run [\w-]+: success=True", out)
    assert re.search(r"re-executed summarize\.compute: run [\w-]+: success=True", out)
    assert os.environ["NOTEBOOK_PIPELINES_HOME"] in out  # where the run history is


def readme_commands() -> list[str]:
    """The command lines of the ``sh`` block under "The command line" in examples/README.md."""
    text = (EXAMPLES / "README.md").read_text()
    section = text.split("## The command line", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.startswith("notebook-pipelines ")]


def run_cli(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).parent / "notebook-pipelines"
    argv = shlex.split(command)
    argv[0] = str(executable) if executable.exists() else argv[0]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=cwd, check=False)


@pytest.mark.slow
def test_the_documented_command_lines(tmp_path: Path) -> None:
    """Run as written in examples/README.md, in a folder with a copy of the script and its
    config; RUN_ID is the id ``pipeline execute`` printed."""
    for name in ("hello_pipeline.py", "hello_pipeline.yaml"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    commands = readme_commands()
    assert [c.split()[1:3] for c in commands] == [
        ["pipeline", "graph"],
        ["pipeline", "execute"],
        ["runs", "list"],
        ["runs", "show"],
        ["runs", "logs"],
        ["runs", "reexecute"],
    ]
    outputs = {}
    run_id = None
    for command in commands:
        if "RUN_ID" in command:
            assert run_id is not None
            command = command.replace("RUN_ID", run_id[:8])  # a prefix, as the README says
        done = run_cli(command, tmp_path)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        outputs[" ".join(command.split()[1:3])] = done.stdout
        if command.split()[1:3] == ["pipeline", "execute"]:
            found = re.search(
                r"Run ([0-9a-f-]{36}) of pipeline \"hello_pipeline\": SUCCESS", done.stdout
            )
            assert found, done.stdout
            run_id = found[1]
    assert run_id is not None
    assert (tmp_path / "hello_pipeline.svg").read_text().lstrip().startswith("<?xml")
    assert run_id in outputs["runs list"]
    assert "summarize.compute" in outputs["runs show"] and "factor: 3" in outputs["runs show"]
    assert "2 lists, total 50" in outputs["runs logs"]
    assert re.search(r"SUCCESS \(1 step succeeded\)", outputs["runs reexecute"])


# --- the README's first five minutes -------------------------------------------------------------


def readme_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


@pytest.mark.slow
@pytest.mark.kernel
def test_the_readme_python_blocks_run(tmp_path: Path) -> None:
    """The quickstart script runs as a script; then every python block, in order, runs in a kernel
    at the repository's root, as a notebook would (the post-mortem block, which needs a person at
    the debugger's prompt and names placeholder runs, is shown by 06_debugging instead)."""
    blocks = readme_blocks("python")
    (tmp_path / "quickstart.py").write_text(blocks[0])
    done = run_script(tmp_path / "quickstart.py")
    assert done.returncode == 0, done.stderr
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(b) for b in blocks if not b.startswith("%pipeline_debug")]
    assert len(blocks) - len(nb.cells) == 1
    NotebookClient(nb, timeout=120, kernel_name="python3").execute(cwd=str(ROOT))
    for cell in nb.cells:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source


@pytest.mark.slow
@pytest.mark.kernel
def test_the_readme_command_lines(tmp_path: Path) -> None:
    """The README's command lines, run at the repository's root as written (RUN_ID: the run that
    ``pipeline execute`` printed; BATCH_RUN_ID: the batch's)."""
    (block,) = [b for b in readme_blocks("sh") if "notebook-pipelines runs list" in b]
    commands = [line.split("  #")[0].strip() for line in block.splitlines()]
    ids: dict[str, str] = {}
    for command in commands:
        for name, run_id in ids.items():
            command = re.sub(rf"\b{name}\b", run_id[:8], command)
        command = command.replace("-o hello_pipeline.svg", f"-o {tmp_path / 'hello.svg'}")
        done = run_cli(command, ROOT)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        found = re.search(r"\bRun ([0-9a-f-]{36})\b", done.stdout)
        if "pipeline execute" in command:
            assert found, done.stdout
            ids["RUN_ID"] = found[1]
        if "notebook batch examples/" in command:
            assert found, done.stdout
            ids["BATCH_RUN_ID"] = found[1]
    assert set(ids) == {"RUN_ID", "BATCH_RUN_ID"}
    assert (tmp_path / "hello.svg").is_file()
