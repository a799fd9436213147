"""The display hook: how definitions draw themselves (``to_graphviz()``, ``_repr_mimebundle_``)
without importing the notebook layer (dependency inversion).

The notebook layer registers its renderer here when it is imported (:func:`register_renderer`).
The package's top level names how to load the default one (:func:`provide_default_renderer`: a
function that imports the notebook layer's graphviz module), which the first drawing calls, so an
engine-only session never imports graphviz until something is drawn and this layer names no layer
above it; if the loader fails, :func:`to_graphviz` raises a clear error and :func:`mimebundle`
returns only ``text/plain``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..errors import DagsterInvariantViolationError


class Renderer(Protocol):
    """What the notebook layer registers."""

    def to_graphviz(self, obj: Any) -> Any:
        """A ``graphviz.Digraph`` of ``obj``."""

    def mimebundle(self, obj: Any) -> dict[str, str]:
        """``{"image/svg+xml": ..., "text/plain": ...}`` (``text/plain`` at least)."""


_renderer: Renderer | None = None
_import_error: str | None = None
#: registers the default renderer when called (set by the package's top level)
_default_loader: Callable[[], object] | None = None


def provide_default_renderer(loader: Callable[[], object] | None) -> None:
    """``loader()`` registers the default renderer; it is called on the first drawing."""
    global _default_loader, _import_error
    _default_loader = loader
    _import_error = None


def register_renderer(renderer: Renderer | None) -> None:
    """Use ``renderer`` to draw definitions (``None``: forget the registered one)."""
    global _renderer, _import_error
    _renderer = renderer
    _import_error = None


def get_renderer() -> Renderer | None:
    """The registered renderer, importing the default one on first use; ``None`` if unavailable."""
    global _import_error
    if _renderer is None and _import_error is None:
        loader = _default_loader
        if loader is None:
            _import_error = "no renderer is registered"
        else:
            try:
                loader()
            except ImportError as exc:
                _import_error = f"{type(exc).__name__}: {exc}"
        if _renderer is None and _import_error is None:
            _import_error = f"{_loader_name(loader)} registered no renderer"
    return _renderer


def _loader_name(loader: object) -> str:
    name = getattr(loader, "__qualname__", None)
    return f"{getattr(loader, '__module__', '')}.{name}" if name else repr(loader)


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
