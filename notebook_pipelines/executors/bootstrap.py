"""A worker process that is still starting up must not start runs (layer 5; imports nothing
heavy: the API calls it for every run).

The ``spawn`` and ``forkserver`` start methods import the parent's main module in every new
process (as ``__mp_main__``), and so do Dask's worker processes. A script that runs its pipeline
at the top level, without ``if __name__ == "__main__":``, would start its run again there: it
used to be created (and stored, as a FAILURE, in the instance's history) before multiprocessing's
own error stopped it. :func:`refuse_run_while_importing_main` stops it before the run exists; the
parent still reports the dead worker with the remedy (:mod:`.multiprocess`).
"""

from __future__ import annotations

import sys

from ..errors import DagsterInvariantViolationError


def importing_main_in_worker() -> bool:
    """Whether this process is a starting worker importing the main module (multiprocessing
    marks the process ``_inheriting`` while it does)."""
    process = sys.modules.get("multiprocessing.process")  # imported first by any such worker
    return process is not None and bool(getattr(process.current_process(), "_inheriting", False))


def refuse_run_while_importing_main() -> None:
    """Raise :class:`DagsterInvariantViolationError` (before any run is created) in a starting
    worker that imports a main module which starts a run."""
    if importing_main_in_worker():
        main = getattr(sys.modules.get("__mp_main__"), "__file__", None) or "the main module"
        raise DagsterInvariantViolationError(
            "A run was started while this process had not finished its bootstrapping phase: it "
            f"is a worker process importing {main}, which starts the run again at import. Put "
            'the code that runs the pipeline under `if __name__ == "__main__":`. (No run was '
            "created.)"
        )
