"""Compute logs: what each step wrote to stdout and stderr, kept under the instance.

``<root>/storage/<run_id>/compute_logs/<step_key>.out`` and ``.err``: created on the first byte
(a step that prints nothing leaves no file), appended to (a retried step's attempts follow each
other), written through as output arrives (a reader sees it live) and closed when the step ends.
While a step runs its output is still shown where the user runs, live; see
:mod:`.output_capture` for how (file-descriptor level where there are fds, Python level always).

When the instance's ``instance.yaml`` names an object store for its ``compute_logs``
(:mod:`.instance_stores`), each step's files are uploaded there when the step ends, as
``<url>/<run_id>/compute_logs/<step_key>.out`` and ``.err`` (a failed upload is logged as a warning
on this module's logger; the step is not failed for it). Readers
(:meth:`ComputeLogManager.fetch_logs`, :meth:`~ComputeLogManager.read_logs`, ``runs logs``) take
the local files when they are there and at least as long, else download the store's copy (another
machine ran the step) into the run's local ``compute_logs/`` folder, streamed.

An ephemeral instance captures nothing, as in the reference: :meth:`ComputeLogManager.run_capture`
returns ``None`` and the engine's per-step path does no work at all.

The engine uses :meth:`ComputeLogManager.run_capture` (one :class:`RunCapture` per run, which keeps
the process's capture installed between steps so each step only switches where output goes). Other
code can capture one step with :meth:`ComputeLogManager.capture`. The command line and the widget
read with :meth:`~ComputeLogManager.read_logs` and :meth:`~ComputeLogManager.log_paths`.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from . import output_capture
from .keys import check_key_part

if TYPE_CHECKING:
    from .fsspec_store import FsspecObjectStore
    from .instance import DagsterInstance

_log = logging.getLogger(__name__)

T = TypeVar("T")

#: File suffixes of the two streams, by stream index (0 stdout, 1 stderr).
SUFFIXES = (".out", ".err")


class ComputeLogPaths(NamedTuple):
    """Where a step's captured stdout (``out``) and stderr (``err``) are (or would be) stored."""

    out: str
    err: str


class ComputeLogManager:
    """Captures steps' stdout/stderr under ``instance`` and reads them back.

    ``fd_level=False`` captures at the Python level only (``sys.stdout`` / ``sys.stderr``).
    """

    def __init__(self, instance: DagsterInstance, fd_level: bool = True):
        self._instance = instance
        self.fd_level = fd_level
        self._store: FsspecObjectStore | bool | None = False  # False: not looked up yet

    @property
    def object_store(self) -> FsspecObjectStore | None:
        """The store the logs are uploaded to (``instance.yaml``'s ``compute_logs``), or ``None``."""
        if self._store is False:
            from .instance_stores import instance_store

            self._store = instance_store(self._instance, "compute_logs")
        assert self._store is not True
        return self._store

    def store_keys(self, run_id: str, step_key: str) -> tuple[str, str]:
        """The keys of the step's two files in :attr:`object_store`."""
        base = check_key_part(step_key, "step key", reserve=max(len(s) for s in SUFFIXES))
        parts = [check_key_part(run_id, "run id"), "compute_logs"]
        return ("/".join([*parts, base + SUFFIXES[0]]), "/".join([*parts, base + SUFFIXES[1]]))

    def upload(self, run_id: str, step_key: str, streams: tuple[int, ...] = (0, 1)) -> list[str]:
        """Upload the step's local files (those of ``streams`` that exist) to the object store;
        their URIs. Nothing when there is no store; a failure is logged, not raised."""
        store = self.object_store
        if store is None:
            return []
        paths, keys = self.log_paths(run_id, step_key), self.store_keys(run_id, step_key)
        uris = []
        for index in streams:
            if not os.path.exists(paths[index]):
                continue
            try:
                uris.append(store.put_file(paths[index], keys[index]))
            except Exception as error:  # the step has ended: its outcome stands
                _log.warning("Could not upload the compute log %s: %s", paths[index], error)
        return uris

    def fetch_logs(self, run_id: str, step_key: str) -> ComputeLogPaths:
        """The step's local files, first downloaded from the object store where it holds more
        (the step ran elsewhere); paths of files that may not exist, as :meth:`log_paths`."""
        paths = self.log_paths(run_id, step_key)
        store = self.object_store
        if store is None:
            return paths
        for path, key in zip(paths, self.store_keys(run_id, step_key), strict=True):
            size = store.size(key)
            if size is None or (os.path.exists(path) and os.path.getsize(path) >= size):
                continue
            os.makedirs(os.path.dirname(path), exist_ok=True)
            temporary = f"{path}.{os.getpid()}.download"
            try:
                with store.open_for_read(key) as source, open(temporary, "wb") as target:
                    import shutil

                    shutil.copyfileobj(source, target, 1 << 20)
                os.replace(temporary, path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(temporary)
        return paths

    @property
    def enabled(self) -> bool:
        """Whether steps' output is captured (not for an ephemeral instance)."""
        return not self._instance.is_ephemeral

    def log_paths(self, run_id: str, step_key: str) -> ComputeLogPaths:
        """The files of step ``step_key`` of run ``run_id`` (whether or not they exist)."""
        base = os.path.join(
            self._instance.compute_logs_directory(run_id),
            check_key_part(step_key, "step key", reserve=max(len(s) for s in SUFFIXES)),
        )
        return ComputeLogPaths(base + SUFFIXES[0], base + SUFFIXES[1])

    def read_logs(self, run_id: str, step_key: str) -> tuple[str, str]:
        """``(stdout, stderr)`` of the step as captured so far; ``""`` for what was not written."""
        paths = self.fetch_logs(run_id, step_key)
        return _read_text(paths.out), _read_text(paths.err)

    def run_capture(self, run_id: str) -> RunCapture | None:
        """A :class:`RunCapture` for run ``run_id``, or ``None`` when capture is off."""
        if not self.enabled:
            return None
        return RunCapture(self, run_id)

    @contextlib.contextmanager
    def capture(self, run_id: str, step_key: str) -> Iterator[ComputeLogPaths]:
        """Capture the output of the ``with`` block as step ``step_key`` of run ``run_id``.

        Installs the process's capture for the block alone (a few hundred microseconds with fd
        capture); the engine uses :meth:`run_capture` to pay that once per run.
        """
        run = self.run_capture(run_id)
        if run is None:
            yield self.log_paths(run_id, step_key)
            return
        try:
            with run.step(step_key) as paths:
                yield paths
        finally:
            run.close()


class StepLogFiles:
    """The sink of one step: its two files, each opened (append) on its first byte."""

    def __init__(self, paths: ComputeLogPaths):
        self.paths = paths
        self._files: list[io.FileIO | None] = [None, None]
        #: the streams this step wrote to (0 stdout, 1 stderr)
        self.written: set[int] = set()
        self._closed = False
        #: the first error met writing (the step goes on; its output is still shown)
        self.error: OSError | None = None

    def write(self, index: int, data: bytes) -> None:
        if self._closed or self.error is not None:
            return
        try:
            file = self._files[index]
            if file is None:
                path = self.paths[index]
                os.makedirs(os.path.dirname(path), exist_ok=True)
                file = self._files[index] = open(path, "ab", buffering=0)  # noqa: SIM115
                self.written.add(index)
            file.write(data)
        except OSError as error:
            self.error = error

    def close(self) -> None:
        self._closed = True
        for i, file in enumerate(self._files):
            if file is not None:
                self._files[i] = None
                try:
                    file.close()
                except OSError:
                    pass


class RunCapture:
    """Capture for the steps of one run: the process's capture is installed at the first step
    and stays until :meth:`close`; each step only switches where output goes."""

    def __init__(self, manager: ComputeLogManager, run_id: str):
        self._manager = manager
        self.run_id = run_id
        self._process: output_capture.ProcessCapture | None = None
        self._open: list[StepLogFiles] = []
        self._step_keys: dict[int, str] = {}
        self._closed = False

    def _files_for(self, step_key: str) -> StepLogFiles:
        files = StepLogFiles(self._manager.log_paths(self.run_id, step_key))
        self._open.append(files)
        self._step_keys[id(files)] = step_key
        return files

    def _activate(self, files: StepLogFiles) -> output_capture.Activation | None:
        if self._closed:
            return None
        if self._process is None:
            self._process = output_capture.acquire(self._manager.fd_level)
        return self._process.activate(files)

    def _deactivate(self, activation: output_capture.Activation | None) -> None:
        if activation is not None and self._process is not None:
            self._process.deactivate(activation)

    def _done(self, files: StepLogFiles) -> None:
        files.close()
        if files in self._open:
            self._open.remove(files)
        step_key = self._step_keys.pop(id(files), None)
        if files.written and step_key is not None:
            self._manager.upload(self.run_id, step_key, tuple(sorted(files.written)))

    @contextlib.contextmanager
    def step(self, step_key: str) -> Iterator[ComputeLogPaths]:
        """Capture the ``with`` block as step ``step_key``."""
        files = self._files_for(step_key)
        try:
            activation = self._activate(files)
            try:
                yield files.paths
            finally:
                self._deactivate(activation)
        finally:
            self._done(files)

    def wrap(self, step_key: str, events: Iterator[T]) -> Iterator[T]:
        """``events`` (a step's event iterator), captured as step ``step_key`` while it runs.

        Capture is on while ``events`` computes its next item and off while the consumer holds
        the item, so what the caller does between events is not put in the step's logs.
        """
        files = self._files_for(step_key)
        try:
            while True:
                activation = self._activate(files)
                try:
                    item = next(events)
                except StopIteration:
                    return
                finally:
                    self._deactivate(activation)
                yield item
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()
            self._done(files)

    def close(self) -> None:
        """End the run's capture: close the steps' files, put the process's streams back."""
        if self._closed:
            return
        self._closed = True
        for files in self._open:
            files.close()
        self._open = []
        if self._process is not None:
            process, self._process = self._process, None
            output_capture.release(process)

    def __enter__(self) -> RunCapture:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _read_text(path: str) -> str:
    try:
        with open(path, "rb") as file:
            return file.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""
