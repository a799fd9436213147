"""Executing one notebook with papermill, and turning what goes wrong into our errors (layer 5).

Only papermill's public API is used: :func:`papermill.execute_notebook` (with a notebook object as
input, the parameters, a kernel name, and a started kernel manager passed through to nbclient: a
fresh kernel started in the notebook's folder, or one lent by the warm pool) and
:func:`papermill.inspect_notebook`. papermill, nbformat and jupyter_client are imported when a
notebook first runs, never by ``import notebook_pipelines``.

papermill injects its parameters cell after the cell tagged ``parameters`` (at the top when no
cell is tagged); the bind cell (:data:`~.protocol.BIND_SOURCE`) goes right after papermill's.
The kernel is the one named explicitly, else the notebook's own (its ``kernelspec``), else
``python3`` (in a virtual environment: its own interpreter). Notebooks run with
``allow_stdin=False``: ``input()``, ``pdb.set_trace()`` and ``breakpoint()`` fail at once with
``StdinNotImplementedError``, reported as a cell error that says why.

A kernel that dies while a cell runs, and a cell that runs longer than ``execution_timeout``, are
reported like a failing cell (:class:`DagsterNotebookExecutionError`: the notebook, the cell and
what happened: the kernel's exit code, the timeout); the executed notebook (as far as it ran) is
written in both cases, and such a kernel is never reused.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import DagsterNotebookError, DagsterNotebookExecutionError
from .pool import KernelPool, cancel_pending, exit_code, fresh_kernel
from .protocol import BIND_SOURCE, BIND_TAG, HANDLE_PARAMETER, PAPERMILL_INJECTED_TAG

DEFAULT_KERNEL = "python3"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_STDIN_ERRORS = ("StdinNotImplementedError",)


@dataclass(frozen=True)
class NotebookRun:
    """One notebook to execute: where it is, where the executed copy goes, and how."""

    notebook_path: str
    output_path: str
    parameters: Mapping[str, Any]
    kernel_name: str | None = None
    pool: KernelPool | None = None
    execution_timeout: float | None = None


def read_notebook(path: str) -> Any:
    """The notebook at ``path`` (nbformat v4); a clear error if it is missing or not a notebook."""
    import nbformat

    if not os.path.isfile(path):
        raise DagsterNotebookError(f"Notebook {path} does not exist.", path)
    try:
        return nbformat.read(path, as_version=4)
    except Exception as exc:
        raise DagsterNotebookError(
            f"{path} cannot be read as a Jupyter notebook: {type(exc).__name__}: {exc}", path
        ) from exc


def kernel_name_for(nb: Any, explicit: str | None) -> str:
    """The kernel to run ``nb`` with (see the module docstring)."""
    if explicit:
        return explicit
    spec = nb.metadata.get("kernelspec") or {}
    return str(spec.get("name") or DEFAULT_KERNEL)


def with_bind_cell(nb: Any) -> tuple[Any, int]:
    """``nb`` with the bind cell placed where it will follow papermill's injected cell, and the
    index papermill's cell will have. Cells injected by an earlier run (an executed notebook used
    as input) are dropped first, so cell indexes count the user's cells only."""
    import nbformat

    injected = (BIND_TAG, PAPERMILL_INJECTED_TAG)
    cells = [c for c in nb.cells if not any(t in c.metadata.get("tags", []) for t in injected)]
    position = next(
        (i + 1 for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", [])), 0
    )
    bind = nbformat.v4.new_code_cell(BIND_SOURCE, metadata={"tags": [BIND_TAG]})
    nb.cells = [*cells[:position], bind, *cells[position:]]
    return nb, position


class _Progress:
    """The notebook being executed (nbclient's ``on_notebook_start`` hook), which cell is running
    (``on_cell_execute``), and how the kernel ended."""

    def __init__(self) -> None:
        self.notebook: Any = None
        self.cell: Any = None
        self.cell_index: int | None = None
        self.executed = 0  # code cells sent to the kernel: its execution count
        self.exit_code: int | None = None

    def started(self, notebook: Any) -> None:
        self.notebook = notebook

    def executing(self, cell: Any, cell_index: int) -> None:
        self.cell, self.cell_index = cell, cell_index
        self.executed += 1

    def write(self, path: str) -> None:
        """Write the notebook as far as it ran (papermill writes it at the end, and when a cell
        fails, but not when the kernel died or a cell timed out)."""
        import nbformat

        if self.notebook is None:
            return
        try:
            nbformat.write(self.notebook, path)
        except Exception as exc:  # keep the error that matters
            logging.getLogger(__name__).warning("could not write %s: %s", path, exc)

    @property
    def execution_count(self) -> int | None:
        if self.cell is None:
            return None
        count = self.cell.get("execution_count")
        return int(count) if count is not None else self.executed


def execute(run: NotebookRun) -> Any:
    """Execute ``run``'s notebook; return the executed notebook. Raises
    :class:`DagsterNotebookExecutionError` for a failing cell (also a cell that timed out, or
    during which the kernel died), :class:`DagsterNotebookError` when the notebook cannot be run
    at all. The executed notebook is written in both cases."""
    nb, injected_at = with_bind_cell(read_notebook(run.notebook_path))
    kernel_name = kernel_name_for(nb, run.kernel_name)
    cwd = os.path.dirname(os.path.abspath(run.notebook_path))
    os.makedirs(os.path.dirname(run.output_path), exist_ok=True)
    progress = _Progress()
    try:
        lend = run.pool.kernel(kernel_name) if run.pool is not None else None
        with lend if lend is not None else fresh_kernel(kernel_name, cwd) as km:
            try:
                return _papermill(
                    run,
                    nb,
                    kernel_name,
                    km=km,
                    on_notebook_start=progress.started,
                    on_cell_execute=progress.executing,
                )
            except KeyboardInterrupt:
                cancel_pending()  # no stray DeadKernelError when the kernel is shut down
                raise
            except Exception as exc:
                if type(exc).__name__ == "DeadKernelError":
                    progress.exit_code = exit_code(km)  # before the kernel is cleaned up
                if type(exc).__name__ != "PapermillExecutionError":  # papermill wrote that one
                    progress.write(run.output_path)
                raise
    except DagsterNotebookError:
        raise
    except Exception as exc:
        # ours says it all
        raise _translate(exc, run, kernel_name, injected_at, progress) from None


def _papermill(run: NotebookRun, nb: Any, kernel_name: str, **engine_kwargs: Any) -> Any:
    import papermill

    _quiet_papermill()
    return papermill.execute_notebook(
        nb,
        run.output_path,
        parameters=dict(run.parameters),
        kernel_name=kernel_name,
        progress_bar=False,
        log_output=False,
        execution_timeout=run.execution_timeout,
        request_save_on_cell_execute=False,  # written once at the end (and when a cell fails)
        **engine_kwargs,
    )


class _HandleFilter(logging.Filter):
    """papermill warns about parameters the notebook does not declare; ours never is."""

    def filter(self, record: logging.LogRecord) -> bool:
        return HANDLE_PARAMETER not in record.getMessage()


_FILTER = _HandleFilter()


def _quiet_papermill() -> None:
    logger = logging.getLogger("papermill")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)


def _translate(
    exc: Exception, run: NotebookRun, kernel_name: str, injected_at: int, progress: _Progress
) -> DagsterNotebookError:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    from papermill.exceptions import PapermillExecutionError

    where = f"Notebook {run.notebook_path}"
    if isinstance(exc, PapermillExecutionError):
        return cell_error(exc, run, injected_at)
    if isinstance(exc, NoSuchKernel):
        known = sorted(KernelSpecManager().find_kernel_specs())
        return DagsterNotebookError(
            f'{where}: there is no Jupyter kernel named "{kernel_name}" (installed kernels: '
            f"{', '.join(known) or 'none'}). Pass kernel_name= to define_notebook_solid, or "
            "install the kernel (python -m ipykernel install --user --name NAME).",
            run.notebook_path,
        )
    name = type(exc).__name__
    if name == "DeadKernelError":
        died = f'the "{kernel_name}" kernel died' + _how(progress.exit_code)
        return _interrupted_cell(run, progress, injected_at, name, died)
    if name == "CellTimeoutError" and progress.cell is not None:
        timeout = run.execution_timeout
        limit = f"{timeout:g} s" if timeout is not None else "its time limit"
        what = f"timed out: it ran longer than execution_timeout ({limit}) and was stopped"
        return _interrupted_cell(run, progress, injected_at, name, what)
    if name in ("CellTimeoutError", "TimeoutError"):
        return DagsterNotebookError(
            f"{where}: timed out ({exc}). The notebook as far as it ran is in {run.output_path}.",
            run.notebook_path,
        )
    return DagsterNotebookError(
        f'{where} could not be run with the "{kernel_name}" kernel: {name}: {exc}',
        run.notebook_path,
    )


def _how(code: int | None) -> str:
    """How a kernel process ended, for a message."""
    if code is None:
        return ""
    if code < 0:
        import signal

        try:
            return f" (killed by {signal.Signals(-code).name})"
        except ValueError:
            return f" (killed by signal {-code})"
    return f" (exit code {code})"


def _interrupted_cell(
    run: NotebookRun, progress: _Progress, injected_at: int, ename: str, what: str
) -> DagsterNotebookExecutionError:
    """The error for a cell that did not finish: the kernel died, or the cell timed out."""
    count = progress.execution_count
    if progress.cell_index is None:  # before the first cell
        where, cell_index = "before running its first cell", None
    else:
        cell_index = _source_index(progress.cell_index, injected_at)
        label = f"In [{count}]" if count is not None else "a cell"
        where = (
            "in an injected cell"
            if cell_index is None
            else f"in cell {label} (cell index {cell_index})"
        )
    return DagsterNotebookExecutionError(
        f"Notebook {run.notebook_path} failed {where}: {what}. The notebook as far as it ran is "
        f"in {run.output_path}",
        notebook=run.notebook_path,
        cell_index=cell_index,
        execution_count=count,
        ename=ename,
        evalue=what,
        output_notebook=run.output_path,
    )


def cell_error(exc: Any, run: NotebookRun, injected_at: int) -> DagsterNotebookExecutionError:
    """The error for papermill's ``PapermillExecutionError``: the failing cell, counted in the
    user's notebook (the injected cells are not counted), and the kernel's traceback."""
    traceback_text = _ANSI.sub("", "\n".join(exc.traceback or []))
    cell_index = _source_index(exc.cell_index, injected_at)
    injected = cell_index is None
    label = f"In [{exc.exec_count}]" if exc.exec_count is not None else "a cell"
    where = "an injected cell" if injected else f"cell {label} (cell index {cell_index})"
    summary = _sentence(f"{exc.ename}: {exc.evalue}")
    hint = ""
    if exc.ename in _STDIN_ERRORS:
        hint = (
            " A notebook solid has no stdin: input(), pdb.set_trace() and breakpoint() cannot "
            "wait for an answer. Remove the breakpoint, or debug the notebook interactively."
        )
    return DagsterNotebookExecutionError(
        f"Notebook {run.notebook_path} failed in {where}: {summary}{hint}\n"
        f"Executed notebook: {run.output_path}\n{traceback_text}",
        notebook=run.notebook_path,
        cell_index=cell_index,
        execution_count=exc.exec_count,
        ename=exc.ename,
        evalue=exc.evalue,
        output_notebook=run.output_path,
    )


def _sentence(text: str) -> str:
    """``text`` ending with one full stop (an error's message often has its own)."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _source_index(executed_index: int, injected_at: int) -> int | None:
    """Index in the user's notebook of the executed cell ``executed_index``, or None for one of
    the two injected cells (papermill's parameters at ``injected_at``, then the bind cell)."""
    if executed_index < injected_at:
        return executed_index
    if executed_index <= injected_at + 1:
        return None
    return executed_index - 2


def inspect_parameters(notebook_path: str) -> dict[str, Any]:
    """The parameters a notebook declares in its ``parameters`` cell (papermill's inspection):
    name → {"inferred_type_name", "default", "help"}."""
    import papermill

    if not os.path.isfile(notebook_path):
        raise DagsterNotebookError(f"Notebook {notebook_path} does not exist.", notebook_path)
    return dict(papermill.inspect_notebook(notebook_path))
