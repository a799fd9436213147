"""What a notebook uses inside: ``get_context``, ``yield_result``, ``yield_event`` (layer 5).

Imported in the kernel as ``from notebook_pipelines import notebook as nbp``. Two modes:

- **In a run.** The cell injected after the ``parameters`` cell calls :func:`bind_run` with the
  step's :class:`~.protocol.RunHandle`; from then on :func:`get_context` returns a
  :class:`NotebookRunContext` for that step (its arguments are ignored: the run's config wins),
  ``context.log`` records go to the step's event log, and :func:`yield_result` /
  :func:`yield_event` write to the step's exchange folder (see :mod:`.protocol`), which the step
  reads back when the notebook ends.
- **Interactively** (no run bound), :func:`get_context` returns a development context built from
  its arguments (``solid_config``, ``run_config``, ``mode_def``), with the mode's resources
  initialized in the kernel; :func:`yield_result` and :func:`yield_event` return what they are
  given, so the same notebook runs top to bottom in Jupyter and as a solid.

Resources in a run are built in the kernel from the pipeline's own mode (the pipeline is rebuilt
from its reconstructable pointer the first time ``context.resources`` is used) with the run's
validated resource config, and torn down when the kernel exits or is reset.
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import sys
from collections.abc import Mapping
from typing import Any

from ..errors import DagsterInvariantViolationError, DagsterNotebookError
from ..execution.log_manager import DagsterLogManager
from ..execution.resources import ResourceManager, required_resource_keys
from ..execution.resources_view import ScopedResources
from ..serdes import pack
from ..user_events import AssetMaterialization, ExpectationResult, Materialization, Output
from .protocol import (
    INPUT_MARKER,
    RunHandle,
    ValueRef,
    append_line,
    load_strategy,
    read_value,
    write_value,
)

_LOG_NAME = "notebook_pipelines.notebook"
_EVENT_TYPES = (AssetMaterialization, Materialization, ExpectationResult)


class NotebookContext:
    """What ``get_context()`` returns: the solid's config, the run's config, ``log`` and
    ``resources``, as a solid's ``context`` has them."""

    def __init__(
        self,
        solid_config: Any,
        run_config: Mapping[str, Any],
        log: DagsterLogManager,
        run_id: str,
        mode_def: Any = None,
        pipeline_def: Any = None,
        resource_keys: tuple[str, ...] | None = None,
        resource_configs: Mapping[str, Any] | None = None,
    ):
        self._solid_config = solid_config
        self._run_config = dict(run_config or {})
        self._log = log
        self._run_id = run_id
        self._mode_def = mode_def
        self._pipeline_def = pipeline_def
        self._resource_keys = resource_keys
        self._resource_configs = resource_configs
        self._resources: ScopedResources | None = None
        self._manager: ResourceManager | None = None

    in_run = False

    @property
    def solid_config(self) -> Any:
        return self._solid_config

    @property
    def run_config(self) -> Mapping[str, Any]:
        return self._run_config

    @property
    def log(self) -> DagsterLogManager:
        return self._log

    @property
    def run_id(self) -> str:
        return self._run_id

    @property
    def pipeline_def(self) -> Any:
        return self._pipeline_def

    @property
    def mode_def(self) -> Any:
        return self._mode_def

    @property
    def resources(self) -> ScopedResources:
        """The resources, initialized in this kernel the first time they are asked for."""
        if self._resources is None:
            self._resources = self._build_resources()
        return self._resources

    def _build_resources(self) -> ScopedResources:
        mode_def = self.mode_def
        if mode_def is None:
            return ScopedResources({}, "this notebook")
        wanted = self._resource_keys
        keys = required_resource_keys(
            mode_def, [], sorted(mode_def.resource_defs) if wanted is None else wanted
        )
        configs = dict(self._resource_configs or {})
        if self._resource_configs is None:  # interactively: the run config as given
            for key, entry in (self._run_config.get("resources") or {}).items():
                configs[key] = (entry or {}).get("config")
        self._manager = ResourceManager(
            mode_def,
            configs,
            keys,
            self._engine_message,
            self.pipeline_def,
            None,
            None,
            self._log,
        )
        for _ in self._manager.initialize():
            pass
        atexit.register(self.teardown)
        visible = keys if wanted is None else list(wanted)
        return ScopedResources(
            {k: self._manager.values[k] for k in visible}, "this notebook (get_context)"
        )

    def _engine_message(self, message: str, metadata: Any = (), error: Any = None) -> Any:
        self._log.debug(message)

    def teardown(self) -> None:
        """Tear down the resources this context built (also done at kernel exit)."""
        manager, self._manager, self._resources = self._manager, None, None
        if manager is not None:
            for _ in manager.teardown():
                pass

    def has_tag(self, key: str) -> bool:
        return False

    def get_tag(self, key: str) -> str | None:
        return None


class NotebookRunContext(NotebookContext):
    """The context of a notebook running as a step: the step's config, log and resources."""

    in_run = True

    def __init__(self, handle: RunHandle):
        self.handle = handle
        log = DagsterLogManager(
            handle.run_id,
            dict(handle.tags),
            [_python_logger()],
            self._record_log,
            handle.pipeline_name,
            handle.step_key,
        )
        super().__init__(
            handle.solid_config,
            handle.run_config,
            log,
            handle.run_id,
            resource_keys=handle.resource_keys,
            resource_configs=handle.resource_configs,
        )
        self._loaded_pipeline: Any = None
        self._instance: Any = None

    def _record_log(self, record: Any) -> None:
        append_line(
            self.handle.events_path,
            {
                "kind": "log",
                "time": record.timestamp,
                "level": record.level,
                "message": record.user_message,
            },
        )

    @property
    def step_key(self) -> str:
        return self.handle.step_key

    @property
    def solid_handle(self) -> str:
        return self.handle.solid_handle

    @property
    def pipeline_name(self) -> str:
        return self.handle.pipeline_name

    @property
    def pipeline_def(self) -> Any:
        """The pipeline, rebuilt in this kernel from its reconstructable pointer."""
        if self._loaded_pipeline is None:
            path = self.handle.pipeline_pointer_path
            if not os.path.exists(path):
                raise DagsterInvariantViolationError(
                    f'The pipeline "{self.handle.pipeline_name}" of notebook '
                    f"{self.handle.notebook} cannot be rebuilt in the notebook's kernel (it is not "
                    "reconstructable: define it at the top level of a module), so its definition "
                    "and resources are not available here."
                )
            with open(path, "rb") as file_obj:
                pointer = pickle.load(file_obj)
            self._loaded_pipeline = pointer.get_definition()
        return self._loaded_pipeline

    @property
    def mode_def(self) -> Any:
        if not self.handle.resource_keys:
            return None
        return self.pipeline_def.get_mode_definition(self.handle.mode)

    @property
    def instance(self) -> Any:
        """The run's instance (persistent instances only: an ephemeral one lives in the step's
        process and cannot be reached from the kernel)."""
        if self.handle.instance_root is None:
            raise DagsterInvariantViolationError(
                f"The run of notebook {self.handle.notebook} uses an ephemeral instance, which the "
                "kernel cannot open; run with a persistent instance (DagsterInstance.get() or "
                "local_temp()) to use context.instance in the notebook."
            )
        if self._instance is None:
            from ..storage.home import InstanceRef
            from ..storage.instance import DagsterInstance

            self._instance = DagsterInstance.from_ref(InstanceRef(self.handle.instance_root))
        return self._instance

    @property
    def solid_def(self) -> Any:
        return self.pipeline_def.solid_named(self.handle.solid_handle.split(".")[0]).definition

    def has_tag(self, key: str) -> bool:
        return key in self.handle.tags

    def get_tag(self, key: str) -> str | None:
        return self.handle.tags.get(key)


class _Binding:
    """The run a kernel is bound to, and what its notebook has yielded so far."""

    def __init__(self, handle: RunHandle):
        self.handle = handle
        self.context = NotebookRunContext(handle)
        self.yielded: set[str] = set()
        self.collected: dict[str, Any] = {}


_binding: _Binding | None = None
_interactive: NotebookContext | None = None


def bind_run(handle: Mapping[str, Any], namespace: dict[str, Any]) -> None:
    """Bind this kernel to the step described by ``handle`` (called by the injected cell): load
    the inputs that travel as files into ``namespace``; make ``breakpoint()`` fail fast like
    ``pdb.set_trace()`` (a notebook solid has no stdin); work in the notebook's folder."""
    global _binding
    reset()
    run = RunHandle.from_json(handle)
    for name, value in list(namespace.items()):
        if isinstance(value, dict) and set(value) == {INPUT_MARKER}:
            ref = ValueRef(**value[INPUT_MARKER])
            try:
                namespace[name] = read_value(ref)
            except Exception as exc:
                raise DagsterNotebookError(
                    f'Notebook {run.notebook} (step "{run.step_key}"): input "{name}" cannot be '
                    f"read from {ref.path}: {type(exc).__name__}: {exc}",
                    run.notebook,
                ) from exc
    sys.breakpointhook = sys.__breakpointhook__
    folder = os.path.dirname(run.notebook)
    if folder and os.path.isdir(folder):
        os.chdir(folder)  # a warm kernel may come from another notebook's folder
    _binding = _Binding(run)


def reset() -> None:
    """Forget the bound run and tear down resources (the warm-kernel pool calls this)."""
    global _binding, _interactive
    for context in (_binding.context if _binding else None, _interactive):
        if context is not None:
            context.teardown()
    _binding = None
    _interactive = None


def is_in_run() -> bool:
    """Whether this kernel is running a notebook solid's step."""
    return _binding is not None


def get_context(
    solid_config: Any = None,
    run_config: Mapping[str, Any] | None = None,
    mode_def: Any = None,
    pipeline_def: Any = None,
) -> NotebookContext:
    """The notebook's context: the step's, in a run; interactively, a development context built
    from the arguments (``mode_def``'s resources, configured from ``run_config["resources"]``)."""
    import uuid

    global _interactive
    if _binding is not None:
        return _binding.context
    if _interactive is not None:
        _interactive.teardown()
    run_id = f"interactive-{uuid.uuid4().hex[:12]}"
    log = DagsterLogManager(run_id, {}, [_python_logger()], None, None, None)
    _interactive = NotebookContext(
        solid_config, run_config or {}, log, run_id, mode_def, pipeline_def
    )
    return _interactive


def yield_result(value: Any, output_name: str = "result") -> Any:
    """Hand ``value`` back as the solid's output ``output_name`` (in a run: once per output, type
    checked and stored by the step). Interactively, return ``value``."""
    if _binding is None:
        return value
    handle = _binding.handle
    if handle.collect_outputs is not None:
        _binding.collected[output_name] = value
        _store(handle, handle.collect_outputs, dict(_binding.collected), _binding, output_name)
        return value
    if output_name not in handle.outputs:
        raise DagsterInvariantViolationError(
            f'Notebook {handle.notebook} yielded an output "{output_name}" that solid '
            f'"{handle.solid_name}" does not define; its outputs: '
            f"{sorted(handle.outputs) or 'none'}."
        )
    if output_name in _binding.yielded:
        raise DagsterInvariantViolationError(
            f'Notebook {handle.notebook} yielded output "{output_name}" more than once; each '
            "output is written once."
        )
    _store(handle, output_name, value, _binding, output_name)
    _binding.yielded.add(output_name)
    return value


def _store(handle: RunHandle, file_name: str, value: Any, binding: _Binding, label: str) -> None:
    spec = handle.outputs.get(file_name)
    strategy = load_strategy(spec.strategy) if spec else load_strategy("pickle")
    try:
        write_value(handle.output_path(file_name), value, strategy)
    except Exception as exc:
        raise DagsterNotebookError(
            f'Output "{label}" of notebook {handle.notebook} (step "{handle.step_key}") cannot be '
            f"stored with the {strategy.name} serialization strategy: "
            f"{type(exc).__name__}: {exc}",
            handle.notebook,
        ) from exc
    append_line(handle.events_path, {"kind": "output", "name": file_name})


def yield_event(event: Any) -> Any:
    """Report an ``AssetMaterialization``, ``Materialization`` or ``ExpectationResult`` (or an
    ``Output``, as :func:`yield_result`) as the step's event. Interactively, return it."""
    if isinstance(event, Output):
        return yield_result(event.value, event.output_name)
    if not isinstance(event, _EVENT_TYPES):
        raise DagsterInvariantViolationError(
            f"yield_event takes an AssetMaterialization, Materialization, ExpectationResult or "
            f"Output, got {event!r} ({type(event).__name__})."
        )
    if _binding is None:
        return event
    append_line(_binding.handle.events_path, {"kind": "event", "event": pack(event)})
    return event


def _python_logger() -> logging.Logger:
    logger = logging.getLogger(_LOG_NAME)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s - %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger
