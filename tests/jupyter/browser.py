"""A real JupyterLab on loopback and a headless Chromium driving it (playwright), for the
real-browser tests of the run widget. Measured recipe: ``../shared/notes/jupyter-testing.md``.

- :func:`jupyter_lab` starts ``jupyter lab`` (or, ``app="notebook"``, Notebook 7) in its own process group in a temporary folder (its
  kernels use a temporary instance through ``NOTEBOOK_PIPELINES_HOME``) and stops that group only.
- :func:`chromium_page` opens Debian's ``/usr/bin/chromium`` (never a downloaded browser) with the
  page's console messages and errors collected, so that :func:`wait_until` can dump them, with a
  screenshot, into the message of a failed wait.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1280, "height": 1100}  # tall: Lab's panel does not scroll for screenshots


def require_chromium() -> str:
    """The browser's path. Skips only when there is none and none can be installed here; fails
    when it could be installed (a set-up step was missed, the test must not silently skip)."""
    if os.access(CHROMIUM, os.X_OK):
        return str(CHROMIUM)
    apt = shutil.which("apt-get") is not None
    root = os.geteuid() == 0
    sudo = (
        not root
        and shutil.which("sudo") is not None
        and subprocess.run(["sudo", "-n", "true"], capture_output=True, check=False).returncode == 0
    )
    if apt and (root or sudo):
        pytest.fail(
            f"{CHROMIUM} is missing but can be installed on this machine: run `make system-deps` "
            "(it installs Debian's chromium and fonts-liberation)."
        )
    pytest.skip(
        f"no {CHROMIUM}, and it cannot be installed here (needs apt-get and root or password-less "
        "sudo): install your system's chromium at that path to run the real-browser widget test."
    )


# --------------------------------------------------------------------------------- the server


@dataclass
class JupyterLab:
    """A running JupyterLab: its base URL, token, root folder (where notebooks go) and log."""

    url: str
    token: str
    root: Path
    log: Path
    process: subprocess.Popen[bytes]
    app: str = "lab"

    def notebook_url(self, name: str) -> str:
        if self.app == "notebook":
            return f"{self.url}/notebooks/{name}?token={self.token}"
        return f"{self.url}/lab/tree/{name}?reset&token={self.token}"

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError as error:
            return f"(no server log: {error})"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (the server shuts its kernels down), SIGKILL after 15 s."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=5)


@contextmanager
def jupyter_lab(
    tmp: Path, *, startup_timeout: float = 90.0, app: str = "lab"
) -> Iterator[JupyterLab]:
    """JupyterLab (``app="notebook"``: Notebook 7) serving ``tmp/notebooks`` on loopback, with its
    settings, workspaces, config, data and runtime files and the kernels' instance
    (``tmp/home``) all under ``tmp``."""
    root = tmp / "notebooks"
    settings = tmp / "lab-settings"
    news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    for folder in (root, tmp / "lab-workspaces", tmp / "jupyter-config", news.parent):
        folder.mkdir(parents=True, exist_ok=True)
    news.write_text(json.dumps({"fetchNews": "false"}))  # the news toast covers screenshots
    env = {
        **os.environ,
        "NOTEBOOK_PIPELINES_HOME": str(tmp / "home"),
        "JUPYTER_CONFIG_DIR": str(tmp / "jupyter-config"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "jupyter-runtime"),
        "JUPYTER_DATA_DIR": str(tmp / "jupyter-data"),  # its own notary (trusted notebooks)
        "PYTHONUNBUFFERED": "1",
    }
    token = secrets.token_hex(16)
    klass = "JupyterNotebookApp" if app == "notebook" else "LabApp"
    log = tmp / "jupyter-lab.log"
    for _attempt in range(3):  # the free port may be taken between probing and binding
        port = _free_port()
        with log.open("ab") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "jupyter",
                    app,
                    "--no-browser",
                    "--allow-root",
                    "--ip=127.0.0.1",
                    f"--port={port}",
                    "--ServerApp.port_retries=0",
                    f"--IdentityProvider.token={token}",
                    f"--ServerApp.root_dir={root}",
                    f"--{klass}.expose_app_in_browser=True",
                    f"--{klass}.user_settings_dir={settings}",
                    f"--{klass}.workspaces_dir={tmp / 'lab-workspaces'}",
                    *(["--LabApp.extension_manager=readonly"] if app == "lab" else []),
                ],
                cwd=root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as a group, alone
            )
        lab = JupyterLab(f"http://127.0.0.1:{port}", token, root, log, process, app)
        try:
            if _wait_ready(lab, startup_timeout):
                break
        except BaseException:
            _stop_group(process)
            raise
        _stop_group(process)
    else:
        raise AssertionError(f"JupyterLab did not start; its log:\n{lab.log_tail()}")
    try:
        yield lab
    finally:
        _stop_group(lab.process)


def _wait_ready(lab: JupyterLab, timeout: float) -> bool:
    """True once ``/api/status`` answers; False when the server exited (e.g. port taken)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(
                f"{lab.url}/api/status?token={lab.token}", timeout=2
            ) as answer:
                if answer.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise AssertionError(
        f"JupyterLab did not answer {lab.url}/api/status within {timeout:.0f} s; its log:\n"
        f"{lab.log_tail()}"
    )


def write_notebook(path: Path, cells: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nbformat.write(nb, str(path))


# -------------------------------------------------------------------------------- the browser


@dataclass
class BrowserPage:
    """A playwright page plus what it logged, and where failure dumps go."""

    page: Page
    dumps: Path
    lab: JupyterLab
    console: list[str] = field(default_factory=list)
    _failures: int = 0

    def dump(self, what: str) -> str:
        """A screenshot and the page's console, cell outputs and server log, as a message."""
        self._failures += 1
        shot = self.dumps / f"failure-{self._failures}.png"
        try:
            self.page.screenshot(path=str(shot))
            shot_note = f"screenshot: {shot}"
        except PlaywrightError as error:
            shot_note = f"(no screenshot: {error})"
        try:
            outputs = self.page.evaluate(
                "() => Array.from(document.querySelectorAll('.jp-OutputArea-output'))"
                ".map((o) => o.innerText).join('\\n---\\n')"
            )
        except PlaywrightError as error:
            outputs = f"(no outputs: {error})"
        console = "\n".join(self.console[-80:]) or "(empty)"
        return (
            f"{what}\n{shot_note}\n"
            f"--- cell outputs:\n{str(outputs)[-4000:]}\n"
            f"--- browser console:\n{console}\n"
            f"--- server log (tail):\n{self.lab.log_tail(3000)}"
        )

    def wait_until(self, predicate: str, what: str, *, arg: Any = None, timeout: float) -> Any:
        """Wait (at most ``timeout`` seconds) for the JS ``predicate(arg)`` to be truthy and return
        its value; on time-out fail with a dump. Polls every animation frame, so short-lived states
        (a step running for a second) are seen."""
        try:
            return self.page.wait_for_function(
                predicate, arg=arg, timeout=timeout * 1000
            ).json_value()
        except PlaywrightError as error:
            raise AssertionError(
                self.dump(f"not within {timeout:.0f} s: {what} ({type(error).__name__})")
            ) from None

    def run_all_cells(self) -> None:
        """Run every cell without awaiting them (awaiting would miss the live updates)."""
        self.page.evaluate(
            "() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }"
        )

    def set_cell_and_run(self, index: int, source: str) -> None:
        """Give cell ``index`` of the open notebook ``source`` (through the notebook's model, as
        typing would) and run it, without awaiting it."""
        self.page.evaluate(
            """([index, source]) => {
              const panel = window.jupyterapp.shell.currentWidget;
              const notebook = panel.content;
              notebook.widgets[index].model.sharedModel.setSource(source);
              notebook.activeCellIndex = index;
              window.jupyterapp.commands.execute('notebook:run-cell');
            }""",
            [index, source],
        )


KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = w && w.sessionContext && w.sessionContext.session
    && w.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle';
}"""


@contextmanager
def chromium_page(lab: JupyterLab, dumps: Path) -> Iterator[BrowserPage]:
    """Headless Chromium (Debian's) on a 1280x1100 page."""
    executable = require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            bp = BrowserPage(page, dumps, lab)
            page.on("console", lambda m: bp.console.append(f"[{m.type}] {m.text}"))
            page.on("pageerror", lambda e: bp.console.append(f"[pageerror] {e}"))
            yield bp
        finally:
            browser.close()


def open_notebook(bp: BrowserPage, name: str, *, timeout: float = 60.0) -> None:
    """Open ``name`` in Lab and wait until its kernel is idle."""
    bp.page.goto(bp.lab.notebook_url(name))
    bp.wait_until(KERNEL_IDLE, f"the kernel of {name} is idle", timeout=timeout)
