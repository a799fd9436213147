"""Resetting a warm kernel between two notebooks (runs inside the kernel; layer 5).

:func:`snapshot` records, when the pool starts a kernel, what a fresh kernel has: its modules, its
and its ``sys.path``. :func:`restore` brings a kernel back to that state before
the next notebook: the bound run is forgotten and its resources torn down, the user namespace is
cleared (``%reset -f``), the execution count starts again at 1 (so the executed notebook reads
``In [1]``, ``In [2]``, ...), ``sys.path`` is restored (the next notebook's bind cell moves
to that notebook's folder), and the modules imported since the
snapshot are dropped when they are cell modules (``%%solid``) or user code (a file outside the
Python installation), so an edited helper module is imported afresh. Third-party packages stay
imported: that is what makes a warm kernel fast, and re-importing C extensions is unsafe.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from typing import Any

from . import context

_CELL_PREFIXES = ("__np_cell_", "__np_pipeline_")
_snapshot: dict[str, Any] = {}


def snapshot() -> None:
    """Remember the state of this (fresh) kernel."""
    _snapshot["modules"] = set(sys.modules)
    _snapshot["path"] = list(sys.path)
    _snapshot["breakpointhook"] = sys.breakpointhook


def restore() -> None:
    """Bring this kernel back to its snapshot (see the module docstring)."""
    context.reset()
    shell = _shell()
    if shell is not None:
        shell.run_line_magic("reset", "-f")
        shell.execution_count = 1
    known = _snapshot.get("modules", set())
    installed = _installation_roots()
    for name in [n for n in sys.modules if n not in known]:
        if _is_user_module(name, sys.modules.get(name), installed):
            del sys.modules[name]
    if "path" in _snapshot:
        sys.path[:] = _snapshot["path"]
    if "breakpointhook" in _snapshot:
        sys.breakpointhook = _snapshot["breakpointhook"]


def _shell() -> Any:
    import builtins

    get_ipython = getattr(builtins, "get_ipython", None)  # defined by IPython in a kernel
    return get_ipython() if get_ipython is not None else None


def _installation_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, paths["purelib"], paths["platlib"]}
    return tuple(os.path.realpath(r) + os.sep for r in roots)


def _is_user_module(name: str, module: Any, installed: tuple[str, ...]) -> bool:
    if name.startswith(_CELL_PREFIXES):
        return True
    if name == "notebook_pipelines" or name.startswith("notebook_pipelines."):
        return False
    path = getattr(module, "__file__", None)
    if not path:
        return False
    return not os.path.realpath(path).startswith(installed)
