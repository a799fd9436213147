"""Pipelines that can be rebuilt in another process: :func:`reconstructable` and
:func:`build_reconstructable_pipeline`.

A :class:`ReconstructablePipeline` is a pointer (a module or a file, and a name in it, or a custom
reconstructor function with JSON-able arguments) plus the pipeline's name and solid selection. It
is plain data: it pickles and travels to worker processes, where :meth:`get_definition` imports the
code again (cached per process). Other strategies plug in by registering a pointer kind with
:func:`register_pointer_kind` (the notebook layer adds one for cell modules).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .definitions.pipeline import PipelineDefinition
from .definitions.repository import RepositoryDefinition
from .errors import DagsterInvariantViolationError


@dataclass(frozen=True)
class CodePointer:
    """Where a pipeline (or a function returning one) lives: ``kind`` plus its arguments."""

    kind: str  # "module", "file" or a registered custom kind
    target: str  # module name or file path
    attribute: str  # the name in it
    working_directory: str | None = None
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()

    def describe(self) -> str:
        return f"{self.target}:{self.attribute}"


PointerLoader = Callable[[CodePointer], Any]
_LOADERS: dict[str, PointerLoader] = {}


def register_pointer_kind(kind: str, loader: PointerLoader) -> None:
    """Teach reconstruction a new kind of pointer: ``loader(pointer)`` returns the target object."""
    _LOADERS[kind] = loader


@dataclass(frozen=True)
class ReconstructablePipeline:
    """A pipeline described by where its code lives, rebuildable in any process."""

    pointer: CodePointer
    pipeline_name: str
    solid_selection: tuple[str, ...] | None = None

    def get_definition(self) -> PipelineDefinition:
        """The pipeline (loaded once per process), restricted to the solid selection."""
        pipeline_def = _load_pipeline(self.pointer, self.pipeline_name)
        if self.solid_selection is not None:
            return pipeline_def.subset_for_execution(list(self.solid_selection))
        return pipeline_def

    def subset_for_execution(
        self, solid_selection: Sequence[str] | None
    ) -> ReconstructablePipeline:
        return ReconstructablePipeline(
            self.pointer, self.pipeline_name, tuple(solid_selection) if solid_selection else None
        )

    def describe(self) -> str:
        return f"{self.pipeline_name} from {self.pointer.describe()}"


@functools.lru_cache(maxsize=64)
def _load_pipeline(pointer: CodePointer, pipeline_name: str) -> PipelineDefinition:
    target = load_pointer(pointer)
    if callable(target) and not isinstance(target, (PipelineDefinition, RepositoryDefinition)):
        target = target(*pointer.args, **dict(pointer.kwargs))
    if isinstance(target, RepositoryDefinition):
        return target.get_pipeline(pipeline_name)
    if isinstance(target, PipelineDefinition):
        return target
    raise DagsterInvariantViolationError(
        f"{pointer.describe()} is {target!r}, not a pipeline, a repository or a function returning one."
    )


def load_pointer(pointer: CodePointer) -> Any:
    """Import the object a pointer names."""
    if pointer.kind == "module":
        module = importlib.import_module(pointer.target)
    elif pointer.kind == "file":
        module = _import_file(pointer.target, pointer.working_directory)
    elif pointer.kind in _LOADERS:
        return _LOADERS[pointer.kind](pointer)
    else:
        raise DagsterInvariantViolationError(
            f'Unknown code pointer kind "{pointer.kind}" (known: module, file, {", ".join(_LOADERS)}).'
        )
    try:
        return getattr(module, pointer.attribute)
    except AttributeError:
        raise DagsterInvariantViolationError(
            f'"{pointer.attribute}" is not defined in {pointer.target}.'
        ) from None


def _import_file(path: str, working_directory: str | None) -> Any:
    if working_directory and working_directory not in sys.path:
        sys.path.insert(0, working_directory)
    main = sys.modules.get("__main__")
    main_file = getattr(main, "__file__", None)
    if main_file and os.path.abspath(main_file) == os.path.abspath(path):
        # the script that is running (in a spawned worker: the copy of it that spawn ran as
        # __mp_main__): importing it again would run its top level, and its run, a second time
        return main
    name = "__np_file__" + os.path.splitext(os.path.basename(path))[0]
    existing = sys.modules.get(name)
    if existing is not None and getattr(existing, "__file__", None) == path:
        return existing
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise DagsterInvariantViolationError(f"Cannot import {path}: not a Python file.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


ReconstructionStrategy = Callable[[PipelineDefinition], "ReconstructablePipeline | None"]
_STRATEGIES: list[ReconstructionStrategy] = []


def register_reconstruction_strategy(strategy: ReconstructionStrategy) -> None:
    """Add a way to make a plain pipeline definition reconstructable, tried before
    :func:`reconstructable` when an executor needs one (the notebook layer registers one that
    rebuilds notebook-defined pipelines from their cell modules). ``strategy(pipeline_def)`` returns
    a :class:`ReconstructablePipeline`, or None when it does not apply."""
    if strategy not in _STRATEGIES:
        _STRATEGIES.insert(0, strategy)


def make_reconstructable(pipeline_def: PipelineDefinition) -> ReconstructablePipeline:
    """A reconstructable form of ``pipeline_def``: the registered strategies, then
    :func:`reconstructable`; its error says why none applies."""
    found = _from_strategies(pipeline_def)
    return found if found is not None else reconstructable(pipeline_def)


def _from_strategies(pipeline_def: PipelineDefinition) -> ReconstructablePipeline | None:
    for strategy in _STRATEGIES:
        found = strategy(pipeline_def)
        if found is not None:
            return found
    return None


def reconstructable(target: Any) -> ReconstructablePipeline:
    """A :class:`ReconstructablePipeline` for a pipeline (or a zero-argument function returning one)
    defined at the top level of an importable module or a file. A pipeline defined in an
    interactive ``__main__`` (no file, e.g. a notebook) is handed to the registered reconstruction
    strategies (:func:`register_reconstruction_strategy`); when none applies, the error says how
    to make it reconstructable."""
    if isinstance(target, ReconstructablePipeline):
        return target
    name = _describe(target)
    if not isinstance(target, PipelineDefinition) and not inspect.isfunction(target):
        raise DagsterInvariantViolationError(
            f"reconstructable() takes a pipeline or a function returning one, got {name}."
        )
    if inspect.isfunction(target) and target.__name__ == "<lambda>":
        raise DagsterInvariantViolationError(
            "reconstructable() cannot rebuild a lambda in another process: define a named "
            "function at the top level of a module."
        )
    attribute, module_name = _locate(target)
    if attribute is None:
        raise DagsterInvariantViolationError(
            f"reconstructable() cannot find {name} at the top level of module {module_name}: "
            "pipelines defined inside functions (or assigned under another name) cannot be "
            "rebuilt in another process. Define it at module level, or use "
            "build_reconstructable_pipeline with a function that builds it."
        )
    module = sys.modules.get(module_name)
    if module_name != "__main__":
        pointer = CodePointer("module", module_name, attribute)
    else:
        path = getattr(module, "__file__", None)
        if not path:
            found = _from_strategies(target) if isinstance(target, PipelineDefinition) else None
            if found is not None:
                return found
            raise DagsterInvariantViolationError(
                f"reconstructable() cannot rebuild {name}: it is defined in an interactive session "
                "(no file). In a notebook, load the extension (%load_ext notebook_pipelines) and "
                "define solids with %%solid, or use build_reconstructable_pipeline."
            )
        pointer = CodePointer("file", os.path.abspath(path), attribute, os.getcwd())
    pipeline_def = target if isinstance(target, PipelineDefinition) else None
    pipeline_name = pipeline_def.name if pipeline_def else _load_pipeline(pointer, "").name
    return ReconstructablePipeline(pointer, pipeline_name)


def build_reconstructable_pipeline(
    reconstructor_module_name: str,
    reconstructor_function_name: str,
    reconstructable_args: Sequence[Any] | None = None,
    reconstructable_kwargs: Mapping[str, Any] | None = None,
) -> ReconstructablePipeline:
    """A reconstructable pipeline built by calling ``module.function(*args, **kwargs)`` (JSON-able
    arguments) in every process that needs it; called once here to learn the pipeline's name."""
    pointer = CodePointer(
        "module",
        reconstructor_module_name,
        reconstructor_function_name,
        args=tuple(reconstructable_args or ()),
        kwargs=tuple(sorted((reconstructable_kwargs or {}).items())),
    )
    pipeline_def = _load_pipeline(pointer, "")
    return ReconstructablePipeline(pointer, pipeline_def.name)


def _locate(target: Any) -> tuple[str | None, str]:
    if inspect.isfunction(target):
        module_name = target.__module__
        if "<locals>" in target.__qualname__:
            return None, module_name
        return target.__name__, module_name
    module_name = target.defining_module
    module = sys.modules.get(module_name)
    for attribute, value in vars(module).items() if module else []:
        if value is target:
            return attribute, module_name
    return None, module_name


def _describe(target: Any) -> str:
    return getattr(target, "name", None) or getattr(target, "__qualname__", None) or repr(target)
