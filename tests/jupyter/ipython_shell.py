"""A real IPython InteractiveShell for the notebook-layer tests (the ``shell`` fixtures), and
running cells in it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from IPython.core.interactiveshell import InteractiveShell

from notebook_pipelines import load_ipython_extension


@contextmanager
def interactive_shell() -> Iterator[InteractiveShell]:
    """An InteractiveShell with ``%load_ext notebook_pipelines`` done; afterwards the process is
    left as it was: the shell makes its own ``__main__`` and its reset empties it (``__spec__``
    included, which multiprocessing's spawn reads), so pytest's ``__main__`` is put back."""
    main = sys.modules["__main__"]
    ip = InteractiveShell.instance()
    load_ipython_extension(ip)
    try:
        yield ip
    finally:
        ip.reset(new_session=False)
        InteractiveShell.clear_instance()
        sys.modules["__main__"] = main


def run(ip: InteractiveShell, code: str) -> None:
    """Run ``code`` as a cell (stored in the history, as a notebook does) and raise its error."""
    ip.run_cell(code, store_history=True).raise_error()
