"""The one error hierarchy of notebook-pipelines (layer 0: imports nothing from the package).

Every message names its coordinates: the config path, the solid and input, the step key or the
notebook cell that was wrong. Errors raised by user code are wrapped with the step key and keep the
original exception and traceback (``user_exception``, ``original_exc_info``); across processes an
error travels as :class:`SerializableErrorInfo`.

::

    DagsterError
    ├── DagsterInvalidDefinitionError            a definition is malformed (solid, input, dependency)
    │   └── DagsterInvalidConfigDefinitionError  a config schema is malformed
    ├── DagsterInvalidConfigError                run config fails validation (every error, with path)
    ├── DagsterInvalidSubsetError                a selection clause matches nothing / is malformed
    ├── DagsterInvariantViolationError           an API was used in a way that cannot work
    │   └── DagsterUnstorableOutputError         an output's value cannot be pickled (names it)
    ├── DagsterUserCodeExecutionError            user code raised; wraps it
    │   ├── DagsterExecutionStepExecutionError   ... in a solid's compute function
    │   ├── DagsterResourceFunctionError         ... in a resource's init function
    │   ├── DagsterConfigMappingFunctionError    ... in a composite's config mapping
    │   ├── DagsterTypeCheckError                ... in a type check
    │   ├── DagsterTypeLoadingError              ... in a type's loader
    │   └── DagsterTypeMaterializationError      ... in a type's materializer
    ├── DagsterTypeCheckDidNotPass               a value failed its type check
    ├── DagsterExecutionStepNotFoundError        step keys that are not in the plan
    ├── DagsterUnknownResourceError              a resource the solid did not require
    ├── DagsterUnmetExecutorRequirementsError    the executor cannot run this pipeline/instance
    ├── DagsterStepOutputNotFoundError           a required output was never yielded
    ├── DagsterSubprocessError                   a worker process failed outside user code
    ├── DagsterRunNotFoundError                  no run with that id in the instance
    ├── DagsterEventLogInvalidForRun             the event log cannot be read for a run
    ├── DagsterInstanceError                     an instance's home or database cannot be used
    ├── DagsterEnvironmentError                  the machine failed, not user code nor the engine
    │   └── DagsterStorageError                  a stored file cannot be written or read (names it)
    │       ├── DagsterStorageFullError          ... the disk is full (ENOSPC, EDQUOT, EFBIG)
    │       ├── DagsterReadOnlyStorageError      ... the history is read-only: it can only be read
    │       └── DagsterCorruptIntermediateError  ... a stored output is damaged (run, step, output)
    ├── DagsterNotebookError                     a notebook solid's notebook cannot be run or read
    │   └── DagsterNotebookExecutionError        a cell of the notebook raised (names the cell)
    ├── DagsterDebuggerError                     a step's debugger was quit (q), or no one can answer
    └── DagsterExecutionInterruptedError         the run was interrupted (Ctrl-C, kernel interrupt)
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

from .serdes import serializable

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class DagsterError(Exception):
    """Root of every error notebook-pipelines raises on purpose."""

    @property
    def is_user_code_error(self) -> bool:
        return False


class DagsterInvalidDefinitionError(DagsterError):
    """A definition (solid, pipeline, dependency, input, output, mode, ...) is malformed."""


class DagsterInvalidConfigDefinitionError(DagsterInvalidDefinitionError):
    """A config schema is malformed; the message names where the schema was given."""


class ConfigErrorLike(Protocol):
    """What :class:`DagsterInvalidConfigError` needs of one validation error (whose ``str()``
    says what is wrong and where, as :class:`~notebook_pipelines.config.result.ConfigError`'s
    does)."""

    @property
    def path_str(self) -> str: ...

    @property
    def message(self) -> str: ...

    def __str__(self) -> str:
        """The message with where it is and any further detail."""
        ...


class DagsterInvalidConfigError(DagsterError):
    """Run config (or resource/solid config) did not validate. Lists every error at once."""

    def __init__(self, preamble: str, errors: Sequence[ConfigErrorLike], config_value: Any = None):
        self.preamble = preamble
        self.errors = list(errors)
        self.config_value = config_value
        lines = [f"{preamble} ({len(self.errors)} error{'s' if len(self.errors) != 1 else ''}):"]
        # "Error 1: <message>" as the reference lists them; str() of an error says where it is
        lines += [f"  Error {i}: {e}" for i, e in enumerate(self.errors, 1)]
        super().__init__("\n".join(lines))


class DagsterInvalidSubsetError(DagsterError):
    """A solid or step selection is malformed or selects nothing."""


class DagsterInvariantViolationError(DagsterError):
    """The API was used in a way that cannot work (the message says what to do instead)."""


class DagsterUserCodeExecutionError(DagsterError):
    """User code raised. Carries the original exception and its traceback.

    ``user_exception`` is what the user raised; ``original_exc_info`` its ``sys.exc_info()``.
    """

    def __init__(
        self,
        message: str,
        user_exception: BaseException,
        original_exc_info: ExcInfo | None = None,
        **kwargs: Any,
    ):
        super().__init__(message)
        self.user_exception = user_exception
        self.original_exc_info = original_exc_info or (
            type(user_exception),
            user_exception,
            user_exception.__traceback__,
        )
        for key, value in kwargs.items():
            setattr(self, key, value)

    @property
    def is_user_code_error(self) -> bool:
        return True


class DagsterExecutionStepExecutionError(DagsterUserCodeExecutionError):
    """A solid's compute function raised; ``step_key`` and ``solid_name`` say where."""


class DagsterResourceFunctionError(DagsterUserCodeExecutionError):
    """A resource's initialisation (or teardown) function raised."""


class DagsterConfigMappingFunctionError(DagsterUserCodeExecutionError):
    """A composite solid's config mapping function raised."""


class DagsterTypeCheckError(DagsterUserCodeExecutionError):
    """A type check function raised (as opposed to returning a failed TypeCheck)."""


class DagsterTypeLoadingError(DagsterUserCodeExecutionError):
    """A type loader raised while building an input from config."""


class DagsterTypeMaterializationError(DagsterUserCodeExecutionError):
    """A type materializer raised while materializing an output from config."""


class DagsterTypeCheckDidNotPass(DagsterError):
    """A value did not pass its type check."""

    def __init__(
        self,
        description: str | None = None,
        metadata_entries: Iterable[Any] | None = None,
        dagster_type: Any = None,
    ):
        super().__init__(description)
        self.description = description
        self.metadata_entries = list(metadata_entries or [])
        self.dagster_type = dagster_type


class DagsterExecutionStepNotFoundError(DagsterError):
    """Step keys were asked for that the execution plan does not have."""

    def __init__(self, message: str, step_keys: Iterable[str] = ()):
        super().__init__(message)
        self.step_keys = list(step_keys)


class DagsterUnknownResourceError(DagsterError, AttributeError):
    """A solid asked ``context.resources`` for a resource it does not require."""

    def __init__(self, resource_name: str, message: str | None = None):
        super().__init__(
            message
            or (
                f"Unknown resource '{resource_name}'. Add it to the solid's "
                "required_resource_keys (and to the mode's resource_defs) to use it."
            )
        )
        self.resource_name = resource_name


class DagsterUnmetExecutorRequirementsError(DagsterError):
    """The chosen executor cannot run with this pipeline, instance or storage."""


class DagsterStepOutputNotFoundError(DagsterError):
    """A solid finished without yielding a required output."""

    def __init__(self, message: str, step_key: str, output_name: str):
        super().__init__(message)
        self.step_key = step_key
        self.output_name = output_name


class DagsterSubprocessError(DagsterError):
    """A worker process failed outside user code."""

    def __init__(self, message: str, subprocess_error_infos: Sequence[SerializableErrorInfo] = ()):
        super().__init__(message)
        self.subprocess_error_infos = list(subprocess_error_infos)


class DagsterRunNotFoundError(DagsterError):
    """No run with this id exists in the instance."""

    def __init__(self, message: str, invalid_run_id: str):
        super().__init__(message)
        self.invalid_run_id = invalid_run_id


class DagsterEventLogInvalidForRun(DagsterError):
    """The event log of a run cannot be read."""

    def __init__(self, run_id: str, message: str | None = None):
        super().__init__(message or f"The event log of run {run_id} cannot be read.")
        self.run_id = run_id


class DagsterInstanceError(DagsterError):
    """A persistent instance cannot be opened or created: its home folder is not writable, its
    ``instance.yaml`` is unreadable, or one of its SQLite files is not SQLite, belongs to another
    program or was written by a newer notebook-pipelines. The message names the path and what to do;
    nothing on disk is changed when this is raised."""


class DagsterEnvironmentError(DagsterError):
    """A fault of the environment, not of the user's code nor of the engine: a full or read-only
    disk, a damaged stored file. The engine fails the step (``STEP_FAILURE``) with this error's
    message instead of crashing; the message names the file and, where known, the run, the step
    and the output."""

    def __reduce__(self) -> tuple[Any, ...]:  # pickles with its attributes (processes, Dask)
        return (type(self), (str(self),), dict(self.__dict__))


class DagsterStorageError(DagsterEnvironmentError):
    """A file of the instance's storage (an intermediate, a database, a compute log) cannot be
    written or read. ``path`` is the file; ``run_id``, ``step_key`` and ``output_name`` say whose
    it is when known."""

    def __init__(
        self,
        message: str,
        path: str | None = None,
        run_id: str | None = None,
        step_key: str | None = None,
        output_name: str | None = None,
    ):
        super().__init__(message)
        self.path = path
        self.run_id = run_id
        self.step_key = step_key
        self.output_name = output_name


class DagsterStorageFullError(DagsterStorageError):
    """The disk (or the quota, or the file-size limit) is full: nothing more could be written.
    Nothing half-written is left as if it were valid."""


class DagsterReadOnlyStorageError(DagsterStorageError):
    """The instance's history is on a read-only disk (an archive, a colleague's copy): it can be
    read (runs, events, logs), but what writes (executing, re-executing, deleting) cannot work."""


class DagsterCorruptIntermediateError(DagsterStorageError):
    """A stored step output cannot be read back (truncated, overwritten, not what was written).
    The message names the run, the step, the output and the file."""


class DagsterUnstorableOutputError(DagsterInvariantViolationError):
    """An output's value cannot be stored (pickling it raised: its own ``__reduce__``, a C
    extension's object). The message names the solid, the step and the output, and how to keep
    the value in memory; the pickler's own error is the cause."""


class DagsterExecutionInterruptedError(DagsterError):
    """The run was interrupted (Ctrl-C or a kernel interrupt)."""


class DagsterNotebookError(DagsterError):
    """A notebook solid could not run its notebook, or could not use what it yielded: a missing
    notebook file, an unknown kernel, an output value that cannot be stored. The message names the
    notebook (and the output or kernel)."""

    def __init__(self, message: str, notebook: str | None = None):
        super().__init__(message)
        self.notebook = notebook

    def __reduce__(self) -> tuple[Any, ...]:  # pickles with its attributes (Dask, processes)
        return (type(self), (str(self),), dict(self.__dict__))


class DagsterNotebookExecutionError(DagsterNotebookError):
    """A cell of a notebook solid's notebook raised. The message names the notebook and the cell
    (``In [n]`` and its index in the notebook) and carries the notebook's traceback."""

    def __init__(
        self,
        message: str,
        notebook: str | None = None,
        cell_index: int | None = None,
        execution_count: int | None = None,
        ename: str | None = None,
        evalue: str | None = None,
        output_notebook: str | None = None,
    ):
        super().__init__(message, notebook)
        self.cell_index = cell_index
        self.execution_count = execution_count
        self.ename = ename
        self.evalue = evalue
        self.output_notebook = output_notebook


class DagsterDebuggerError(DagsterError):
    """A step stopped in the debugger and cannot go on: the user quit it (``q``: the step fails
    "stopped in the debugger"), or no one can answer its prompt (papermill, CI, a closed stdin, a
    cell run without stdin). The message names the step key and, for the latter, why."""

    def __init__(self, message: str, step_key: str | None = None, quit: bool = False):
        super().__init__(message)
        self.step_key = step_key
        self.quit = quit

    def __reduce__(self) -> tuple[Any, ...]:  # pickles with its attributes (processes)
        return (type(self), (str(self),), dict(self.__dict__))


@serializable
@dataclass(frozen=True)
class SerializableErrorInfo:
    """An exception as plain data: travels between processes and into event storage."""

    message: str
    stack: tuple[str, ...]
    cls_name: str | None
    cause: SerializableErrorInfo | None = None

    def to_string(self) -> str:
        text = "".join(self.stack) + self.message
        if self.cause is not None:
            text += (
                "\nThe above exception was the direct cause of the following exception:\n"
                + self.cause.to_string()
            )
        return text

    @classmethod
    def from_exception(cls, exc: BaseException) -> SerializableErrorInfo:
        return serializable_error_info_from_exc_info((type(exc), exc, exc.__traceback__))


def serializable_error_info_from_exc_info(
    exc_info: ExcInfo | tuple[None, None, None] | None = None,
) -> SerializableErrorInfo:
    """Capture ``exc_info`` (default: the exception being handled) as plain data, with its causes."""
    exc_type, exc, tb = exc_info if exc_info is not None else sys.exc_info()
    return _error_info(exc_type, exc, tb, set())


def _error_info(
    exc_type: type[BaseException] | None,
    exc: BaseException | None,
    tb: TracebackType | None,
    seen: set[int],
) -> SerializableErrorInfo:
    if exc is None or exc_type is None:
        return SerializableErrorInfo("(no exception)\n", (), None)
    seen.add(id(exc))
    message = "".join(traceback.format_exception_only(exc_type, exc))
    stack = tuple(traceback.format_tb(tb))
    cause_exc: BaseException | None = None
    cause_tb = None
    if isinstance(exc, DagsterUserCodeExecutionError):
        _, cause_exc, cause_tb = exc.original_exc_info
    elif exc.__cause__ is not None:
        cause_exc, cause_tb = exc.__cause__, exc.__cause__.__traceback__
    cause = None
    if cause_exc is not None and id(cause_exc) not in seen:
        cause = _error_info(type(cause_exc), cause_exc, cause_tb, seen)
    return SerializableErrorInfo(message, stack, exc_type.__name__, cause)
