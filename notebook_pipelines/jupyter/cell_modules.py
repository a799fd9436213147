"""Cell modules: a notebook cell's source as a real, content-addressed module file.

``load_cell_module(source)`` writes ``source`` to ``<home>/cell_modules/__np_cell_<hash>.py``
(``<home>`` is ``$NOTEBOOK_PIPELINES_HOME``, default ``~/.notebook_pipelines``), imports it under the
name ``__np_cell_<hash>`` (registered in ``sys.modules``) and seeds ``linecache``, so tracebacks,
in the kernel and in worker processes, show the cell's lines. Worker processes import the same
file with :func:`import_cell_module`. ``make_cell_solid`` (called by the footer the ``%%solid``
magic appends to the cell) turns the cell's function into a solid, and keeps track of which cell
module holds the current version of each solid, so running a stale one warns
(:class:`StaleSolidWarning`). :func:`cell_reference` tells :mod:`.by_value` which objects are
``%%solid`` code, pickled as references to their cell module files. Nothing here imports IPython:
workers load this module.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import inspect
import linecache
import os
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from types import FunctionType, ModuleType
from typing import Any

from ..definitions.io import OutputDefinition
from ..definitions.solid import SolidDefinition, solid
from ..errors import DagsterInvalidDefinitionError, DagsterInvariantViolationError
from ..storage.home import DEFAULT_HOME, HOME_ENV_VAR
from ..user_events import Output

CELL_PREFIX = "__np_cell_"
PIPELINE_PREFIX = "__np_pipeline_"
#: The attribute of a cell module holding its solid, and of a solid naming its cell module.
SOLID_ATTRIBUTE = "__np_solid__"
CELL_MODULE_ATTRIBUTE = "_np_cell_module"
#: The attribute of a cell module listing the notebook variables its code uses.
CAPTURED_ATTRIBUTE = "__np_captured__"
#: The names a cell module's code reads but the cell does not define (the notebook's, looked up
#: afresh each time its solid runs in the kernel: :func:`refresh`).
READS_ATTRIBUTE = "__np_reads__"
#: The comment ending every line that ``%%solid`` generates around a cell (:func:`generated`).
GENERATED_MARK = "  # %%solid: generated"
_KERNEL_NAMESPACE: list[MutableMapping[str, Any]] = []

#: solid name -> the cell module holding its latest ``%%solid`` definition (kernel only).
_CURRENT: dict[str, str] = {}

_CONFIG_TYPE_NAMES: dict[str, Any] = {
    "Int": int,
    "int": int,
    "Float": float,
    "float": float,
    "String": str,
    "str": str,
    "Bool": bool,
    "bool": bool,
    "Any": object,
}


class StaleSolidWarning(UserWarning):
    """A pipeline runs a solid whose ``%%solid`` cell has been re-run with other code since."""


def cell_module_dir() -> str:
    """The folder of cell modules (created on demand), readable by worker processes."""
    home = os.environ.get(HOME_ENV_VAR) or os.path.expanduser(DEFAULT_HOME)
    folder = os.path.join(os.path.abspath(home), "cell_modules")
    os.makedirs(folder, exist_ok=True)
    return folder


def write_module(source: str, prefix: str = CELL_PREFIX) -> str:
    """Write ``source`` to its content-addressed file (once) and return the file's path."""
    return write_file(source.encode("utf-8"), prefix, ".py")


def write_file(data: bytes, prefix: str, suffix: str) -> str:
    """Write ``data`` to ``<prefix><hash><suffix>`` in :func:`cell_module_dir` (once, atomically)
    and return the file's path."""
    digest = hashlib.sha256(data).hexdigest()[:20]
    folder = cell_module_dir()
    path = os.path.join(folder, f"{prefix}{digest}{suffix}")
    if not os.path.exists(path):
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    return path


def import_cell_module(path: str) -> ModuleType:
    """Import a cell module file by path (once per process), named after its file."""
    name = os.path.splitext(os.path.basename(path))[0]
    existing = sys.modules.get(name)
    if existing is not None and getattr(existing, "__file__", None) == path:
        return existing
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py path always has a spec
        raise DagsterInvariantViolationError(f"Cannot import the cell module {path}.")
    module = importlib.util.module_from_spec(spec)
    with open(path, encoding="utf-8") as source:
        lines = [_shown(line) for line in source.read().splitlines(keepends=True)]
    linecache.cache[path] = (sum(map(len, lines)), None, lines, path)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def generated(line: str) -> str:
    """``line`` of code that ``%%solid`` adds to a cell, marked so that tracebacks and pdb's ``l``
    show only the cell's own lines (:func:`import_cell_module` blanks marked lines in
    ``linecache``; the module file keeps them, so every process imports the same code)."""
    return f"{line}{GENERATED_MARK}\n"


def _shown(line: str) -> str:
    return "\n" if line.rstrip("\r\n").endswith(GENERATED_MARK) else line


def cell_reference(obj: Any) -> tuple[str, str, str] | None:
    """``("solid", module, "")`` for a ``%%solid`` solid, ``("attr", module, qualname)`` for a
    top-level function or class of a ``%%solid`` cell module, else None."""
    if isinstance(obj, SolidDefinition):
        module_name = obj.__dict__.get(CELL_MODULE_ATTRIBUTE)
        module = sys.modules.get(module_name) if isinstance(module_name, str) else None
        if module is not None and getattr(module, SOLID_ATTRIBUTE, None) is obj:
            return ("solid", module.__name__, "")
        return None  # not from a cell module, or a copy of one (configured)
    if isinstance(obj, (FunctionType, type)):
        module_name = getattr(obj, "__module__", None)
        qualname = obj.__qualname__
        if (
            isinstance(module_name, str)
            and module_name.startswith(CELL_PREFIX)
            and module_name in sys.modules
            and getattr(sys.modules[module_name], qualname, None) is obj
        ):
            return ("attr", module_name, qualname)
    return None


def load_cell_module(source: str, prefix: str = CELL_PREFIX) -> ModuleType:
    """Write ``source`` as a content-addressed module and import it."""
    return import_cell_module(write_module(source, prefix))


def config_schema_from_json(value: Any) -> Any:
    """A config schema from its JSON form: type names (``"Int"``, ``"str"``...) become types."""
    if isinstance(value, str):
        if value not in _CONFIG_TYPE_NAMES:
            raise DagsterInvalidDefinitionError(
                f'Unknown config type "{value}" in --config-schema (known: '
                f"{', '.join(_CONFIG_TYPE_NAMES)})."
            )
        return _CONFIG_TYPE_NAMES[value]
    if isinstance(value, list):
        return [config_schema_from_json(item) for item in value]
    if isinstance(value, dict):
        return {key: config_schema_from_json(item) for key, item in value.items()}
    return value


def set_kernel_namespace(namespace: MutableMapping[str, Any]) -> None:
    """The notebook's namespace (only ever set in the kernel's own process)."""
    _KERNEL_NAMESPACE[:] = [namespace]


def refresh(module: ModuleType | None) -> None:
    """Give a cell module the notebook's current values of the names its code reads but its cell
    does not define, as a function defined in the notebook would see them: a variable changed
    after the ``%%solid`` cell ran, or a helper defined in a later cell. Only in the kernel (worker
    processes keep the values sent with the pipeline, refreshed when it left the kernel)."""
    if module is None or not _KERNEL_NAMESPACE:
        return
    namespace = _KERNEL_NAMESPACE[0]
    captured = getattr(module, CAPTURED_ATTRIBUTE, None)
    for name in getattr(module, READS_ATTRIBUTE, ()):
        if name not in namespace:
            continue
        value = namespace[name]
        if module.__dict__.get(name, _ABSENT) is not value:
            module.__dict__[name] = value
        if isinstance(captured, list) and name not in captured:
            captured.append(name)


_ABSENT = object()


def set_current(solid_name: str, module_name: str) -> None:
    """Record that ``module_name`` holds the latest definition of ``solid_name``."""
    _CURRENT[solid_name] = module_name


def stale_message(solid_def: SolidDefinition) -> str | None:
    """Why ``solid_def`` is stale, or None when it is its cell's latest version."""
    module_name = getattr(solid_def, CELL_MODULE_ATTRIBUTE, None)
    current = _CURRENT.get(solid_def.name)
    if module_name is None or current is None or current == module_name:
        return None
    return (
        f'Solid "{solid_def.name}" is stale: its %%solid cell was re-run with other code since '
        "this pipeline was built. Re-run the @pipeline cell to use the new version."
    )


def make_cell_solid(fn: Callable[..., Any], module_name: str, spec: Mapping[str, Any]) -> Any:
    """The solid of a ``%%solid`` cell: ``fn`` (in the cell module) with the magic's options.

    With several outputs, a returned tuple is split into one output each. The solid remembers
    its cell module, and warns with :class:`StaleSolidWarning` when run in this kernel after its
    cell was redefined.
    """
    name = spec["name"]
    outputs = list(spec.get("outputs") or [])
    is_generator = inspect.isgeneratorfunction(fn)
    output_defs = [OutputDefinition(name=o) for o in outputs] if spec.get("outputs") else None
    takes_context = _takes_context(fn)

    def call(context: Any, *args: Any, **kwargs: Any) -> Any:
        refresh(sys.modules.get(module_name))
        if _CURRENT.get(name, module_name) != module_name:
            warnings.warn(
                f'Solid "{name}" is stale: its %%solid cell was re-run with other code since this '
                "pipeline was built. Re-run the @pipeline cell to use the new version.",
                StaleSolidWarning,
                stacklevel=2,
            )
        return fn(context, *args, **kwargs) if takes_context else fn(*args, **kwargs)

    if is_generator or len(outputs) > 1:

        def split(context: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
            result = call(context, *args, **kwargs)
            if is_generator:
                yield from result
                return
            if not isinstance(result, tuple) or len(result) != len(outputs):
                raise DagsterInvariantViolationError(
                    f'Solid "{name}" declares outputs {outputs}: return a tuple of '
                    f"{len(outputs)} values, got {type(result).__name__}."
                )
            for value, output_name in zip(result, outputs, strict=True):
                yield Output(value, output_name)

        wrapper: Callable[..., Any] = split
    else:
        wrapper = call
    _copy_signature(wrapper, fn, takes_context)
    solid_def = solid(
        name=name,
        description=spec.get("description"),
        output_defs=output_defs,
        config_schema=config_schema_from_json(spec.get("config_schema")),
        required_resource_keys=spec.get("required_resource_keys") or None,
        tags=spec.get("tags"),
    )(wrapper)
    setattr(solid_def, CELL_MODULE_ATTRIBUTE, module_name)
    return solid_def


def collect_outputs(namespace: Mapping[str, Any], outputs: tuple[str, ...], solid_name: str) -> Any:
    """The named outputs of a cell-body solid, read back from its variables."""
    missing = [o for o in outputs if o not in namespace]
    if missing:
        raise DagsterInvariantViolationError(
            f'Solid "{solid_name}": the cell did not set the output variable(s) {missing}.'
        )
    values = tuple(namespace[o] for o in outputs)
    if len(outputs) == 1:
        return values[0]
    return values if outputs else None


def _takes_context(fn: Callable[..., Any]) -> bool:
    params = list(inspect.signature(fn).parameters)
    return bool(params) and params[0] == "context"


def _copy_signature(wrapper: Callable[..., Any], fn: Callable[..., Any], has_context: bool) -> None:
    """Give ``wrapper`` the signature (with a leading ``context``) and metadata of ``fn``."""
    functools.update_wrapper(wrapper, fn)
    signature = inspect.signature(fn)
    params = list(signature.parameters.values())
    if not has_context:
        params.insert(0, inspect.Parameter("context", inspect.Parameter.POSITIONAL_OR_KEYWORD))
    wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    del wrapper.__wrapped__  # type: ignore[attr-defined]
