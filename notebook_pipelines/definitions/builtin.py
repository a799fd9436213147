"""Late binding of built-in implementations: a definition in this layer names the function that
implements it by dotted path (``"package.module:function"``), resolved on first use.

This keeps the definitions layer free of imports from the layers that implement executors and
storages, while ``ModeDefinition`` can still offer them as defaults (the reference's
``default_executors``, ``default_intermediate_storage_defs``...).
"""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import DagsterUnmetExecutorRequirementsError


class BuiltinFactory:
    """A picklable callable that imports ``target`` on first call and forwards to it."""

    __slots__ = ("_fn", "target")

    def __init__(self, target: str):
        self.target = target
        self._fn: Any = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._fn is None:
            module_name, attr = self.target.split(":")
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                raise DagsterUnmetExecutorRequirementsError(
                    f"{self.target} is not available: {exc}. It may need an optional extra "
                    "(pip install 'notebook-pipelines[dask]' for the Dask executor)."
                ) from exc
            self._fn = getattr(module, attr)
        return self._fn(*args, **kwargs)

    def __reduce__(self) -> tuple[Any, ...]:
        return (BuiltinFactory, (self.target,))

    def __repr__(self) -> str:
        return f"BuiltinFactory({self.target!r})"
