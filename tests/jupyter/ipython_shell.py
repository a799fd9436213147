"""Running cells in the ``shell`` fixture of ``conftest.py``."""

from __future__ import annotations

from IPython.core.interactiveshell import InteractiveShell


def run(ip: InteractiveShell, code: str) -> None:
    """Run ``code`` as a cell (stored in the history, as a notebook does) and raise its error."""
    ip.run_cell(code, store_history=True).raise_error()
