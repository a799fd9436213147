"""Executors (layer 5): how steps are submitted — in this process, in worker processes, on Dask.

They differ only in that: each is a launcher (:class:`..execution.loop.Launcher`: ``launch``,
``poll``, ``shutdown``) for the run's one scheduling loop (:func:`..execution.loop.run_steps`),
which owns skips, retries, priority, ``max_concurrent``, ``raise_on_error``, worker loss and
Ctrl-C, and their workers speak the one wire protocol of :mod:`..execution.messages`.

Each built-in executor's module registers its creation function under the name of its definition
(``in_process_executor`` & co. in :mod:`..definitions.executor`) with
:data:`..definitions.registry.executors`. Importing this package (the API does) provides a loader
for each, so that a run finds the module by name, imported on its first use: ``import
notebook_pipelines`` loads neither the worker machinery nor Dask. A new executor is one module
(its launcher and its executor) that registers itself, plus a conformance-suite test
(``tests/executors/test_launcher.py`` is a whole one), and a line here if it is built in.
"""

from ..definitions import registry
from ..definitions.executor import (
    DASK_INSTALL_HINT,
    dask_executor,
    in_process_executor,
    multiprocess_executor,
)


def _load_in_process() -> None:
    from . import in_process  # noqa: F401  (registers "in_process")


def _load_multiprocess() -> None:
    from . import multiprocess  # noqa: F401  (registers "multiprocess")


def _load_dask() -> None:
    from . import dask  # noqa: F401  (registers "dask"; needs the dask extra)


registry.executors.provide(in_process_executor.name, _load_in_process)
registry.executors.provide(multiprocess_executor.name, _load_multiprocess)
registry.executors.provide(dask_executor.name, _load_dask, DASK_INSTALL_HINT)
