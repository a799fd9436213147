"""Implementations by name (layer 2): the built-in executor and storage definitions of this layer
(``in_process_executor``, ``fs_intermediate_storage``...) carry their name and config schema, and
their creation function is looked up by that name when a run needs it.

The layers that implement them register the creation function where it is written:
``storage/intermediates.py`` registers the in-memory and filesystem storages when imported, and the
executors package (``executors/__init__.py``) provides a loader for each built-in executor, which
imports the module that registers it on first use (so ``import notebook_pipelines`` loads neither
the worker machinery nor Dask). A new executor or storage is one module that calls
:meth:`Registry.register`, plus its tests; nothing here names a layer above this one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import DagsterUnmetExecutorRequirementsError


class Registry:
    """The creation functions of one kind of definition (executor, system or intermediate
    storage), by name; optionally a loader per name that registers it when first asked for."""

    def __init__(self, kind: str):
        self.kind = kind
        self._creators: dict[str, Callable[..., Any]] = {}
        self._loaders: dict[str, tuple[Callable[[], object], str]] = {}

    def register(self, name: str, creation_fn: Callable[..., Any]) -> None:
        """``creation_fn`` implements the built-in ``name`` (the last registration wins)."""
        self._creators[name] = creation_fn

    def provide(self, name: str, loader: Callable[[], object], install_hint: str = "") -> None:
        """``loader()`` registers ``name`` (typically by importing its module); it runs on the
        first :meth:`lookup`. ``install_hint`` says what to install when the loader cannot import
        what it needs."""
        self._loaders[name] = (loader, install_hint)

    def names(self) -> list[str]:
        """The names registered or provided, sorted."""
        return sorted({*self._creators, *self._loaders})

    def lookup(self, name: str) -> Callable[..., Any]:
        """The creation function of ``name``; a clear error naming it when there is none."""
        if name not in self._creators and name in self._loaders:
            loader, hint = self._loaders[name]
            try:
                loader()
            except ModuleNotFoundError as exc:
                raise DagsterUnmetExecutorRequirementsError(
                    f'The {self.kind} "{name}" is not available: {exc}.'
                    + (f" It needs an optional extra: {hint}" if hint else "")
                ) from exc
        try:
            return self._creators[name]
        except KeyError:
            known = ", ".join(f'"{n}"' for n in self.names()) or "none"
            raise DagsterUnmetExecutorRequirementsError(
                f'No implementation of the {self.kind} "{name}" is registered (registered: '
                f"{known}). The built-in ones are registered by importing notebook_pipelines; a "
                f"new one calls notebook_pipelines.definitions.registry.{_NAMES[self.kind]}"
                f'.register("{name}", creation_fn) in the module that implements it.'
            ) from None


executors = Registry("executor")
system_storages = Registry("system storage")
intermediate_storages = Registry("intermediate storage")

_REGISTRIES = {r.kind: r for r in (executors, system_storages, intermediate_storages)}
_NAMES = {
    "executor": "executors",
    "system storage": "system_storages",
    "intermediate storage": "intermediate_storages",
}


class Registered:
    """A picklable creation function that forwards to what is registered under ``name`` in the
    registry of ``kind``: the ``executor_creation_fn`` / storage creation function of a built-in
    definition. ``target`` (``"executor:in_process"``) tells built-ins apart."""

    __slots__ = ("kind", "name")

    def __init__(self, kind: str, name: str):
        if kind not in _REGISTRIES:
            raise ValueError(f"unknown registry {kind!r} (one of {', '.join(_REGISTRIES)})")
        self.kind = kind
        self.name = name

    @property
    def target(self) -> str:
        return f"{self.kind}:{self.name}"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _REGISTRIES[self.kind].lookup(self.name)(*args, **kwargs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Registered) and other.target == self.target

    def __hash__(self) -> int:
        return hash(self.target)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Registered, (self.kind, self.name))

    def __repr__(self) -> str:
        return f"Registered({self.kind!r}, {self.name!r})"
