"""The run widget in a real JupyterLab driven by a real (headless) Chromium.

A notebook runs a three-step pipeline whose solids take about a second each; while it goes on, the
test watches the widget's step rows and DAG node colours go pending -> running -> succeeded, opens
a step's detail (events and captured stdout), sees the run fail on a flag file, removes the file,
clicks "Re-execute failed" and watches the same widget follow the new run to SUCCESS. It takes a
screenshot of the widget; ``UPDATE_SCREENSHOTS=1`` copies it to ``docs/widget.png`` (the README's).
One JupyterLab serves both tests (about 5 s to start, then about 10 s per test).

The DOM it relies on is the widget's contract (``extension/run_widget.js``): ``.np-run-widget``
with ``data-run-id``/``data-status``; ``.np-graph svg g.node`` and ``.np-step`` with
``data-step-key``/``data-status``; ``.np-detail`` with ``.np-detail-title``, ``.np-events``,
``.np-stdout``, ``.np-error``; ``button.np-reexec-failed``. A failed wait reports a screenshot, the
cell outputs, the browser console and the server log.

Negative control (checked by hand): with ``@jupyter-widgets/jupyterlab-manager`` disabled (a
``labconfig/page_config.json`` in the server's ``JUPYTER_CONFIG_DIR``) the widget falls back to its
text repr and the test fails at "the widget appears".
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from notebook_pipelines.definitions.dot import STATUS_COLORS

from .browser import (
    BrowserPage,
    JupyterLab,
    chromium_page,
    jupyter_lab,
    open_notebook,
    require_chromium,
    write_notebook,
)

pytestmark = [pytest.mark.slow, pytest.mark.kernel, pytest.mark.browser]

#: The README's picture. Each run's screenshot differs (run ids, timings), so the test writes it
#: only when asked (``UPDATE_SCREENSHOTS=1``), not on every ``make test``; otherwise it goes to the
#: test's tmp folder.
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "widget.png"


def notebook_cells(flag: Path) -> list[str]:
    """``check`` fails while ``flag`` exists; every solid sleeps so that states last long enough
    to be seen in the browser."""
    return [
        "%load_ext notebook_pipelines",
        "import time\n"
        "from pathlib import Path\n"
        "from notebook_pipelines import InputDefinition, execute_pipeline, pipeline, solid\n"
        f"FLAG = Path({str(flag)!r})\n"
        "\n"
        "@solid\n"
        "def load(context) -> list:\n"
        "    time.sleep(1.0)\n"
        "    print('load read 3 rows')\n"
        "    return [3, 1, 2]\n"
        "\n"
        "@solid(input_defs=[InputDefinition('raw', list)])\n"
        "def check(context, raw) -> list:\n"
        "    time.sleep(1.0)\n"
        "    if FLAG.exists():\n"
        "        raise ValueError(f'refusing to check: {FLAG.name} is there')\n"
        "    return sorted(raw)\n"
        "\n"
        "@solid(input_defs=[InputDefinition('rows', list)])\n"
        "def report(context, rows) -> int:\n"
        "    time.sleep(0.5)\n"
        "    print('report total', sum(rows))\n"
        "    return sum(rows)\n"
        "\n"
        "@pipeline\n"
        "def browser_pipe():\n"
        "    report(check(load()))",
        # `%load_ext` makes execute_pipeline display the live widget in this cell by itself
        "result = execute_pipeline(browser_pipe, raise_on_error=False)\n"
        "print('first run', result.success)",
    ]


# One snapshot of the widget: run id and status, and for each step its row's status and its DAG
# node's status and fill colour (read from the contract's data attributes only).
SNAPSHOT = """() => {
  const root = document.querySelector('.np-run-widget');
  if (!root) return null;
  const steps = {};
  for (const row of root.querySelectorAll('.np-step[data-step-key]')) {
    steps[row.dataset.stepKey] = {row: row.dataset.status};
  }
  for (const g of root.querySelectorAll('.np-graph svg g.node[data-step-key]')) {
    const shape = g.querySelector('polygon, path, ellipse');
    const s = (steps[g.dataset.stepKey] = steps[g.dataset.stepKey] || {});
    s.node = g.dataset.status;
    s.fill = shape ? (shape.getAttribute('fill') || '').toLowerCase() : null;
  }
  return {runId: root.dataset.runId, status: root.dataset.status, steps};
}"""

# Truthy (the snapshot) once every `want[key]` holds: row and node in that status, node filled with
# that status's colour.
STEPS_ARE = f"""([want, colors]) => {{
  const snap = ({SNAPSHOT})();
  if (!snap) return null;
  for (const [key, status] of Object.entries(want)) {{
    const s = snap.steps[key];
    if (!s || s.row !== status || s.node !== status || s.fill !== colors[status]) return null;
  }}
  return snap;
}}"""

# Truthy (the snapshot) once the run (not `notRunId`) has `status` and each `want[key]` row holds.
RUN_IS = f"""([status, notRunId, want]) => {{
  const snap = ({SNAPSHOT})();
  if (!snap || snap.status !== status || !snap.runId || snap.runId === notRunId) return null;
  for (const [key, stepStatus] of Object.entries(want)) {{
    if (!snap.steps[key] || snap.steps[key].row !== stepStatus) return null;
  }}
  return snap;
}}"""

DETAIL_SHOWS = """([key, texts]) => {
  const d = document.querySelector('.np-run-widget .np-detail');
  if (!d) return null;
  const title = d.querySelector('.np-detail-title');
  if (!title || !title.textContent.includes(key)) return null;
  const got = {};
  for (const [selector, text] of Object.entries(texts)) {
    const node = d.querySelector(selector);
    if (!node || !node.textContent.includes(text)) return null;
    got[selector] = node.textContent;
  }
  return got;
}"""

COLORS = {status: color.lower() for status, color in STATUS_COLORS.items()}


def steps_are(bp: BrowserPage, want: dict[str, str], what: str, timeout: float) -> dict:
    return bp.wait_until(STEPS_ARE, what, arg=[want, COLORS], timeout=timeout)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """One JupyterLab for the module (each test opens its own notebook, so its own kernel)."""
    require_chromium()  # skip (or fail) before starting a server for nothing
    with jupyter_lab(tmp_path_factory.mktemp("lab")) as server:
        yield server


@pytest.fixture
def browser(lab: JupyterLab, tmp_path: Path) -> Iterator[BrowserPage]:
    with chromium_page(lab, tmp_path) as page:
        yield page


def start_notebook(lab: JupyterLab, bp: BrowserPage, name: str, flag: Path) -> None:
    """Write the notebook with `check` failing on `flag`, open it, run all its cells and wait
    for the widget."""
    flag.touch()
    write_notebook(lab.root / name, notebook_cells(flag))
    open_notebook(bp, name)
    bp.run_all_cells()
    bp.wait_until(
        "() => document.querySelector('.np-run-widget')", "the widget appears", timeout=40
    )


def test_widget_follows_a_run_and_its_reexecution(
    lab: JupyterLab, browser: BrowserPage, tmp_path: Path
) -> None:
    bp, flag = browser, tmp_path / "BROKEN"
    start_notebook(lab, bp, "follows.ipynb", flag)

    # live: `load` running while `report` still waits, then `load` done and `check` running
    first = steps_are(
        bp,
        {"load.compute": "running", "report.compute": "pending"},
        "load running and report pending (rows, DAG nodes and their fill colours)",
        timeout=30,
    )
    steps_are(
        bp,
        {"load.compute": "succeeded", "check.compute": "running"},
        "load succeeded and check running",
        timeout=15,
    )

    # the run fails on the flag file
    failed = bp.wait_until(
        RUN_IS,
        "the run ends FAILURE, check failed and report skipped",
        arg=["FAILURE", None, {"check.compute": "failed", "report.compute": "skipped"}],
        timeout=30,
    )
    assert failed["runId"] == first["runId"], (first, failed)

    # a step's detail: its events and what it printed; the failed step's error
    bp.page.click('.np-run-widget .np-step[data-step-key="load.compute"]')
    bp.wait_until(
        DETAIL_SHOWS,
        "the detail pane shows load's events and captured stdout",
        arg=["load.compute", {".np-events": "STEP_SUCCESS", ".np-stdout": "load read 3 rows"}],
        timeout=15,
    )
    bp.page.click('.np-run-widget .np-step[data-step-key="check.compute"]')
    bp.wait_until(
        DETAIL_SHOWS,
        "the detail pane shows check's error",
        arg=["check.compute", {".np-error": "refusing to check: BROKEN is there"}],
        timeout=15,
    )

    # fix the cause, re-execute the failed step from the widget: the same widget follows the
    # new run, live, to SUCCESS
    flag.unlink()
    bp.page.click(".np-run-widget button.np-reexec-failed")
    steps_are(bp, {"check.compute": "running"}, "check running in the re-execution", timeout=30)
    bp.wait_until(
        RUN_IS,
        "the widget follows the re-execution to SUCCESS",
        arg=["SUCCESS", failed["runId"], {"check.compute": "succeeded"}],
        timeout=30,
    )
    steps_are(
        bp,
        {"check.compute": "succeeded", "report.compute": "succeeded"},
        "check and report succeeded in the re-execution (rows and DAG nodes)",
        timeout=10,
    )
    count = bp.page.locator(".np-run-widget").count()
    assert count == 1, bp.dump(f"one widget should follow both runs, but there are {count}")

    # the README's picture: the widget after the re-execution, `report`'s detail open
    bp.page.click('.np-run-widget .np-step[data-step-key="report.compute"]')
    bp.wait_until(
        DETAIL_SHOWS,
        "the detail pane shows report's stdout",
        arg=["report.compute", {".np-stdout": "report total 6"}],
        timeout=15,
    )
    shot = tmp_path / "widget.png"
    bp.page.locator(".np-run-widget").first.screenshot(path=str(shot))
    assert shot.stat().st_size > 5_000
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)


def test_selecting_a_step_while_the_run_goes_on(
    lab: JupyterLab, browser: BrowserPage, tmp_path: Path
) -> None:
    bp, flag = browser, tmp_path / "BROKEN"
    start_notebook(lab, bp, "select.ipynb", flag)
    steps_are(
        bp,
        {"load.compute": "succeeded", "check.compute": "running"},
        "load succeeded and check running",
        timeout=30,
    )
    bp.page.click('.np-run-widget .np-step[data-step-key="load.compute"]')
    bp.wait_until(
        DETAIL_SHOWS,
        "the detail pane shows load's events and captured stdout",
        arg=["load.compute", {".np-events": "STEP_SUCCESS", ".np-stdout": "load read 3 rows"}],
        timeout=15,
    )
    bp.wait_until(RUN_IS, "the run ends FAILURE", arg=["FAILURE", None, {}], timeout=30)
    bp.page.wait_for_timeout(1500)  # the last step updates, and any stale state, have arrived
    snap = bp.page.evaluate(SNAPSHOT)
    steps = {key: step.get("row") for key, step in snap["steps"].items()}
    want = {"load.compute": "succeeded", "check.compute": "failed", "report.compute": "skipped"}
    assert steps == want, bp.dump(f"the steps after the run: {snap}")
