"""The notebook loop in a real browser, in JupyterLab and in Notebook 7: a ``%%solid`` cell
raises, the user fixes the cell (its source set through the notebook's model, as typing would)
and runs it, clicks "Re-execute failed" in the widget, and the fixed code runs — the widget says
which definition it used. ``UPDATE_SCREENSHOTS=1`` copies Lab's picture of the widget after the
loop to ``docs/reexecute.png`` (the README's notebook section).

The DOM contract is the widget's (``extension/run_widget.js``, see ``test_widget_browser.py``),
plus ``.np-message`` (what the last button did) and ``.np-progress-fill[data-kind]``.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .browser import (
    KERNEL_IDLE,
    BrowserPage,
    JupyterLab,
    chromium_page,
    jupyter_lab,
    open_notebook,
    require_chromium,
    write_notebook,
)
from .test_widget_browser import RUN_IS

pytestmark = [pytest.mark.slow, pytest.mark.kernel, pytest.mark.browser]

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "reexecute.png"

BROKEN = (
    "%%solid\n"
    "def check(context, raw: list) -> list:\n"
    "    raise ValueError('the old code of check ran')\n"
)
FIXED = (
    "%%solid\n"
    "def check(context, raw: list) -> list:\n"
    "    print('the fixed check ran')\n"
    "    return sorted(raw)\n"
)
CELLS = [
    "%load_ext notebook_pipelines",
    "from notebook_pipelines import execute_pipeline, pipeline, solid\n"
    "\n"
    "@solid\n"
    "def load(context) -> list:\n"
    "    return [3, 1, 2]\n",
    BROKEN,
    "@solid\n"
    "def report(context, rows: list) -> int:\n"
    "    print('report total', sum(rows))\n"
    "    return sum(rows)\n"
    "\n"
    "@pipeline\n"
    "def loop():\n"
    "    report(check(load()))\n",
    "result = execute_pipeline(loop, raise_on_error=False)",
]

TEXT_OF = """(selector) => {
  const node = document.querySelector(selector);
  return node && node.textContent ? node.textContent : null;
}"""


@pytest.fixture(scope="module", params=["lab", "notebook"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JupyterLab]:
    require_chromium()
    app = str(request.param)
    if app == "notebook" and not (Path(sys.executable).parent / "jupyter-notebook").exists():
        pytest.fail("Notebook 7 is missing: pip install -e '.[test]' (the test extra has it)")
    with jupyter_lab(tmp_path_factory.mktemp(app), app=app) as running:
        yield running


def test_fix_the_cell_then_reexecute_failed_runs_the_new_code(
    server: JupyterLab, tmp_path: Path
) -> None:
    with chromium_page(server, tmp_path) as bp:
        _loop(server, bp, tmp_path)


def _loop(server: JupyterLab, bp: BrowserPage, tmp_path: Path) -> None:
    write_notebook(server.root / "loop.ipynb", CELLS)
    open_notebook(bp, "loop.ipynb")
    bp.run_all_cells()
    failed = bp.wait_until(
        RUN_IS,
        "the first run fails in check, report skipped",
        arg=["FAILURE", None, {"check.compute": "failed", "report.compute": "skipped"}],
        timeout=60,
    )
    bp.wait_until(KERNEL_IDLE, "the kernel is idle after the first run", timeout=30)
    # the progress bar shows the failed and skipped steps apart, never all green
    counts = bp.wait_until(TEXT_OF, "the step counts", arg=".np-run-widget .np-counts", timeout=10)
    assert "1 failed" in counts and "1 skipped" in counts, bp.dump(counts)

    bp.set_cell_and_run(2, FIXED)  # the user fixes the %%solid cell and runs it
    bp.wait_until(
        "() => window.jupyterapp.shell.currentWidget.content.widgets[2].model.executionCount > 3",
        "the fixed cell ran",
        timeout=30,
    )
    bp.wait_until(KERNEL_IDLE, "the kernel is idle after the fix", timeout=30)
    bp.wait_until(
        "() => { const b = document.querySelector('.np-run-widget button.np-reexec-failed');"
        " return b && !b.disabled; }",
        "Re-execute failed is enabled",
        timeout=15,
    )
    bp.page.click(".np-run-widget button.np-reexec-failed")
    bp.wait_until(
        RUN_IS,
        "the re-execution succeeds with the fixed check",
        arg=["SUCCESS", failed["runId"], {"check.compute": "succeeded"}],
        timeout=60,
    )
    message = bp.wait_until(
        "() => { const m = document.querySelector('.np-run-widget .np-message');"
        " return m && m.textContent.includes('succeeded') ? m.textContent : null; }",
        "the widget says which definition it used",
        timeout=30,
    )
    assert "with the cells as they are now: check changed in In [" in message, bp.dump(message)
    bp.page.click('.np-run-widget .np-step[data-step-key="check.compute"]')
    bp.wait_until(
        "() => { const d = document.querySelector('.np-run-widget .np-detail .np-stdout');"
        " return d && d.textContent.includes('the fixed check ran'); }",
        "check's detail shows the fixed code's output",
        timeout=20,
    )
    count = bp.page.locator(".np-run-widget").count()
    assert count == 1, bp.dump(f"one widget should follow both runs, but there are {count}")
    shot = tmp_path / "reexecute.png"
    bp.page.locator(".np-run-widget").first.screenshot(path=str(shot))
    assert shot.stat().st_size > 5_000
    if server.app == "lab" and os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)


def test_an_executed_notebook_shows_its_runs_without_running(
    server: JupyterLab, tmp_path: Path
) -> None:
    """A notebook executed headless (``make demo``'s way: nbclient, then signed) opens with its
    run widgets drawn from the saved widget state; an unsigned copy shows the static HTML."""
    if server.app != "lab":
        pytest.skip("checked in JupyterLab (Notebook 7 shares its renderers)")
    import nbformat
    from nbclient import NotebookClient
    from nbformat.sign import NotebookNotary

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute(cwd=str(tmp_path))
    nbformat.write(nb, str(server.root / "untrusted.ipynb"))
    nbformat.write(nb, str(server.root / "signed.ipynb"))
    notary = NotebookNotary(data_dir=str(server.root.parent / "jupyter-data"))
    notary.sign(nbformat.read(str(server.root / "signed.ipynb"), as_version=4))
    with chromium_page(server, tmp_path) as bp:
        open_notebook(bp, "signed.ipynb")
        bp.wait_until(
            "() => { const w = document.querySelector('.np-run-widget');"
            " return w && w.dataset.status === 'FAILURE'"
            " && w.querySelectorAll('.np-step').length === 3; }",
            "the signed notebook shows the run widget from its saved state",
            timeout=30,
        )
        open_notebook(bp, "untrusted.ipynb")
        # Lab 4 draws saved widget state in an untrusted notebook too; where it does not (no
        # state, an older front end) the static summary stands in: never the object's repr
        bp.wait_until(
            "() => { const n = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)"
            " .np-run-widget, .jp-NotebookPanel:not(.lm-mod-hidden) .np-run-static');"
            " return n && n.textContent.includes('check.compute'); }",
            "the untrusted notebook shows the run (widget or static summary)",
            timeout=30,
        )
        assert "RunWidget object at" not in bp.page.content()
    # and where no widget can be drawn (GitHub, an old nbviewer): the outputs' static summary
    shown = [o.data for c in nb.cells for o in c.get("outputs", []) if "data" in o]
    runs = [d for d in shown if "application/vnd.jupyter.widget-view+json" in d]
    assert runs and all("np-run-static" in d["text/html"] for d in runs), runs
    assert "data:image/svg+xml;base64," in runs[-1]["text/html"]
