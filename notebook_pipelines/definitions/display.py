"""The display hook: how definitions draw themselves (``to_graphviz()``, ``_repr_mimebundle_``)
without importing the notebook layer (dependency inversion).

The notebook layer registers its renderer here when it is imported (:func:`register_renderer`).
The first drawing asks for the default renderer module, ``notebook_pipelines.jupyter.graph``, by
name (so an engine-only session never imports graphviz until something is drawn); if that module
cannot be imported, :func:`to_graphviz` raises a clear error and :func:`mimebundle` returns only
``text/plain``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Protocol

from ..errors import DagsterInvariantViolationError

#: The module that registers the default renderer when imported.
DEFAULT_RENDERER_MODULE = "notebook_pipelines.jupyter.graph"


class Renderer(Protocol):
    """What the notebook layer registers."""

    def to_graphviz(self, obj: Any) -> Any:
        """A ``graphviz.Digraph`` of ``obj``."""

    def mimebundle(self, obj: Any) -> dict[str, str]:
        """``{"image/svg+xml": ..., "text/plain": ...}`` (``text/plain`` at least)."""


_renderer: Renderer | None = None
_import_error: str | None = None


def register_renderer(renderer: Renderer | None) -> None:
    """Use ``renderer`` to draw definitions (``None``: forget the registered one)."""
    global _renderer, _import_error
    _renderer = renderer
    _import_error = None


def get_renderer() -> Renderer | None:
    """The registered renderer, importing the default one on first use; ``None`` if unavailable."""
    global _import_error
    if _renderer is None and _import_error is None:
        try:
            importlib.import_module(DEFAULT_RENDERER_MODULE)
        except ImportError as exc:
            _import_error = f"{type(exc).__name__}: {exc}"
        if _renderer is None and _import_error is None:
            _import_error = f"{DEFAULT_RENDERER_MODULE} registered no renderer"
    return _renderer


def to_graphviz(obj: Any) -> Any:
    """``obj`` as a ``graphviz.Digraph``; a clear error when the notebook layer is missing."""
    renderer = get_renderer()
    if renderer is None:
        raise DagsterInvariantViolationError(
            f"Drawing {obj!r} needs the notebook layer's graphviz support, which cannot be "
            f"imported ({_import_error}): pip install 'graphviz' (the Python package) and the "
            "system graphviz package (Debian/Ubuntu: apt-get install graphviz; macOS: brew "
            "install graphviz; conda: conda install -c conda-forge graphviz)."
        )
    return renderer.to_graphviz(obj)


def mimebundle(obj: Any, plain: Callable[[], str]) -> dict[str, str]:
    """The rich display of ``obj``: an SVG when it can be drawn, ``text/plain`` always."""
    renderer = get_renderer()
    if renderer is None:
        return {"text/plain": plain()}
    return renderer.mimebundle(obj)
