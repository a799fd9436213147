"""Tracebacks of pipeline errors in the notebook: the user's code first (L7).

``%load_ext notebook_pipelines`` registers :func:`show` with IPython (``set_custom_exc``). An
exception that passed through notebook_pipelines (a step's own exception re-raised after its
``STEP_FAILURE``, a config error, a failure in worker processes) is shown with

- the failed step as a header (``Step "boom.compute" failed (run 1a2b3c4d)``), when the run is one
  this cell started and its ``STEP_FAILURE`` carries this error;
- only the user's frames (cells as ``Cell In[n], line k``, the user's own modules) in IPython's
  own format; each run of library frames (notebook_pipelines, the standard library,
  site-packages) becomes one line, ``… N library frames hidden (%tb or %pipeline_tb for the full
  chain)``;
- for a step that failed in a worker process (``DagsterSubprocessError``, or the user's exception
  re-raised without its worker-side frames) the worker's frames of the user's exception, read from
  the step's serialized error (:class:`~..errors.SerializableErrorInfo`), and that exception's line.

Everything else is left to IPython, also an exception other than ours that notebook_pipelines'
own code raised (a bug of ours shows every frame). ``%xmode Verbose`` turns this off (IPython's full traceback);
``%tb`` shows the full chain of the last error, ``%pipeline_tb`` that and, for a worker failure,
the worker's full traceback.
"""

from __future__ import annotations

import linecache
import os
import re
import site
import sys
import sysconfig
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from IPython.core.magic import Magics, line_magic, magics_class

from ..errors import DagsterError, DagsterSubprocessError, SerializableErrorInfo
from ..events import DagsterEventType
from . import debug

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HIDDEN = "… {n} library frame{s} hidden (%tb or %pipeline_tb for the full chain)"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_STACK_ENTRY = re.compile(r'^  File "(?P<file>.*)", line (?P<line>\d+), in (?P<name>.*)$', re.M)
_RED, _CYAN, _GREEN, _RESET = "\x1b[31m", "\x1b[36m", "\x1b[32m", "\x1b[39m"
CONTEXT_LINES = 2


def _library_roots() -> tuple[str, ...]:
    roots = {_PACKAGE}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(path)
    roots.update(getattr(site, "getsitepackages", lambda: [])())
    return tuple(os.path.join(os.path.abspath(r), "") for r in roots)


_LIBRARY = _library_roots()


def is_library(filename: str, shell: Any = None) -> bool:
    """Whether a frame of ``filename`` is library code (ours, the standard library's or an
    installed package's) rather than the user's (a cell, the user's own modules)."""
    if shell is not None and _cell_name(shell, filename) is not None:
        return False
    if filename.startswith("<"):
        return not filename.startswith("<ipython-input-")
    return os.path.abspath(filename).startswith(_LIBRARY)


def _cell_name(shell: Any, filename: str) -> str | None:
    compiler = getattr(shell, "compile", None)
    found = compiler.format_code_name(filename) if compiler is not None else None
    return f"{found[0]} {found[1]}" if found else None


@dataclass
class StepFailure:
    """The ``STEP_FAILURE`` a shown error comes from: its step key and run, and its error."""

    step_key: str
    run_id: str
    error: SerializableErrorInfo | None
    pid: int | None = None

    @property
    def in_worker(self) -> bool:
        """Whether the step ran in another process (a worker process, a Dask worker)."""
        return self.pid is not None and self.pid != os.getpid()


def find_step_failure(
    shell: Any, value: BaseException, this_cell: bool = True
) -> StepFailure | None:
    """The failed step whose error is ``value``, of a run started by the running cell (or, with
    ``this_cell=False``, by the latest cell that started runs)."""
    runs = debug.session_runs()
    cell = getattr(shell, "execution_count", None) if this_cell else None
    if not this_cell and runs:
        cell = runs[-1].cell
    for entry in reversed(runs):
        if entry.cell != cell:
            break
        for record in entry.instance.all_logs(entry.run_id):
            event = record.dagster_event
            if event is None or event.event_type_value != DagsterEventType.STEP_FAILURE:
                continue
            data = event.event_specific_data
            error = getattr(data, "error", None)
            if _matches(error, value):
                return StepFailure(str(event.step_key), entry.run_id, error, event.pid)
    return None


def _chain(error: SerializableErrorInfo | None) -> list[SerializableErrorInfo]:
    found = []
    while error is not None:
        found.append(error)
        error = error.cause
    return found


def _matches(error: SerializableErrorInfo | None, value: BaseException) -> bool:
    if error is None:
        return False
    if isinstance(value, DagsterSubprocessError):
        return error in value.subprocess_error_infos
    text = str(value)
    return any(
        info.cls_name == type(value).__name__ and text in info.message for info in _chain(error)
    )


def user_error(error: SerializableErrorInfo) -> SerializableErrorInfo:
    """The user's own exception in a step's error chain: the first that is not one of ours
    (the step's wrapper), else the innermost."""
    chain = _chain(error)
    for info in chain:
        if not (info.cls_name or "").startswith("Dagster"):
            return info
    return chain[-1]


# --- frames -------------------------------------------------------------------------------------


def _frames(tb: TracebackType | None) -> list[TracebackType]:
    frames = []
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    return frames


def _filtered(
    shell: Any, tb: TracebackType | None, skip: int = 0
) -> tuple[TracebackType | None, list[int], int]:
    """``tb`` with only the user's frames, the number of library frames hidden before each of
    them, and those hidden after the last."""
    kept: list[TracebackType] = []
    hidden: list[int] = []
    run = 0
    for entry in _frames(tb)[skip:]:
        if is_library(entry.tb_frame.f_code.co_filename, shell):
            run += 1
        else:
            kept.append(entry)
            hidden.append(run)
            run = 0
    rebuilt = None
    for entry in reversed(kept):
        rebuilt = TracebackType(rebuilt, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return rebuilt, hidden, run


def _hidden_line(n: int) -> str:
    return f"{_CYAN}{HIDDEN.format(n=n, s='' if n == 1 else 's')}{_RESET}"


def _is_frame_entry(text: str) -> bool:
    plain = _ANSI.sub("", text)
    return plain.startswith(("File ", "Cell "))


def _with_markers(stb: list[str], hidden: list[int], after: int) -> list[str]:
    """Insert the hidden-frames lines where the library frames were in IPython's structured
    traceback ``stb`` (one marker line in total when its frames cannot be matched up)."""
    positions = [i for i, text in enumerate(stb) if _is_frame_entry(text)]
    if len(positions) != len(hidden):
        total = sum(hidden) + after
        return [*stb[:-1], _hidden_line(total), stb[-1]] if total else stb
    out: list[str] = []
    frame = 0
    for i, text in enumerate(stb):
        if frame < len(positions) and i == positions[frame]:
            if hidden[frame]:
                out.append(_hidden_line(hidden[frame]))
            frame += 1
        elif frame == len(positions) and after and i == len(stb) - 1:
            out.append(_hidden_line(after))
        out.append(text)
    return out


def _worker_frames(shell: Any, info: SerializableErrorInfo) -> tuple[list[str], list[int], int]:
    """The user's frames of a worker-side error, rendered like IPython's, and the library frames
    hidden before each and after the last."""
    entries: list[str] = []
    hidden: list[int] = []
    run = 0
    for text in info.stack:
        match = _STACK_ENTRY.search(text)
        if match is None:
            continue
        filename, line, name = match["file"], int(match["line"]), match["name"]
        if is_library(filename, shell):
            run += 1
            continue
        hidden.append(run)
        run = 0
        entries.append(_render_frame(shell, filename, line, name, text))
    return entries, hidden, run


def _render_frame(shell: Any, filename: str, line: int, name: str, entry: str) -> str:
    where = _cell_name(shell, filename) or f"File {filename}"
    head = f"{_CYAN}{where}{_RESET}{_GREEN}, line {line}{_RESET}, in {_CYAN}{name}{_RESET}"
    lines = linecache.getlines(filename)
    body = []
    if lines and line <= len(lines):
        for number in range(max(1, line - CONTEXT_LINES), line + 1):
            prefix = f"----> {number}" if number == line else f"{number:>7}"
            body.append(f"{_GREEN}{prefix}{_RESET} {lines[number - 1].rstrip()}")
    else:  # the worker's own source line
        body = [f"{_GREEN}---->{_RESET} {s.strip()}" for s in entry.splitlines()[1:2]]
    return "\n".join([head, *body]) + "\n"


# --- the display --------------------------------------------------------------------------------


def render(shell: Any, etype: type[BaseException], value: BaseException, tb: Any) -> list[str]:
    """The structured traceback (IPython's list of strings) of a pipeline error, the user's code
    first; raises ``LookupError`` when ``value`` is not one (IPython shows it as usual)."""
    frames = _frames(tb)
    skip = 1 if frames and "IPython" in frames[0].tb_frame.f_code.co_filename else 0
    files = [f.tb_frame.f_code.co_filename for f in frames]
    if not any(name.startswith(_PACKAGE) for name in files):
        raise LookupError("not an error of a pipeline")
    raiser = [n for n in files if n.startswith(_PACKAGE) or not is_library(n, shell)]
    if not isinstance(value, DagsterError) and raiser and raiser[-1].startswith(_PACKAGE):
        raise LookupError("raised by notebook_pipelines itself: shown in full")
    failure = find_step_failure(shell, value)
    worker = _worker_error(shell, value, frames[skip:], failure)
    filtered, hidden, after = _filtered(shell, tb, skip)
    with _chain_filtered(shell, value):
        stb = shell.InteractiveTB.structured_traceback(etype, value, filtered, tb_offset=0)
    header = []
    if failure is not None:
        where = " in a worker process" if worker is not None else ""
        header = [f'{_RED}Step "{failure.step_key}" failed{where} (run {failure.run_id}){_RESET}']
    if worker is None:
        return header + _with_markers(stb, hidden, after)
    # the parent's frames (the cell that started the run), then the worker's, then its exception
    positions = [i for i, text in enumerate(stb) if _is_frame_entry(text)]
    head = stb[: positions[0]] if positions else stb[:-1]
    if head and worker.cls_name and etype.__name__ in head[-1]:
        width = len(_ANSI.sub("", head[-1]))
        tail = "Traceback (most recent call last)"
        gap = " " * max(1, width - len(worker.cls_name) - len(tail))
        head[-1] = f"{_RED}{worker.cls_name}{_RESET}{gap}{tail}"
    parent = [stb[i] for i in positions]
    entries, worker_hidden, worker_after = _worker_frames(shell, worker)
    out = [*header, *head]
    for count, text in zip(hidden, parent, strict=False):
        if count:
            out.append(_hidden_line(count))
        out.append(text)
    pending = after
    for count, text in zip(worker_hidden, entries, strict=True):
        if count + pending:
            out.append(_hidden_line(count + pending))
        pending = 0
        out.append(text)
    if pending + worker_after:
        out.append(_hidden_line(pending + worker_after))
    out.append(f"{_RED}{worker.message.rstrip()}{_RESET}")
    return out


def _worker_error(
    shell: Any, value: BaseException, frames: list[TracebackType], failure: StepFailure | None
) -> SerializableErrorInfo | None:
    """The user's exception as the worker saw it, when the step failed in another process and
    the traceback here does not reach the user's code that raised (a ``DagsterSubprocessError``,
    or the exception raised again from the worker's error)."""
    if failure is None or failure.error is None or not failure.in_worker:
        return None
    if isinstance(value, DagsterSubprocessError):
        return user_error(failure.error)
    seen_ours = False
    for entry in frames:
        filename = entry.tb_frame.f_code.co_filename
        if filename.startswith(_PACKAGE):
            seen_ours = True
        elif seen_ours and not is_library(filename, shell):
            return None
    return user_error(failure.error)


class _chain_filtered:
    """While inside, the exceptions chained to ``value`` carry tracebacks of user frames only
    (IPython reads them from ``__traceback__``)."""

    def __init__(self, shell: Any, value: BaseException):
        self.saved: list[tuple[BaseException, TracebackType | None]] = []
        seen = {id(value)}
        exc: BaseException | None = value
        while exc is not None:
            nxt = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
            if nxt is None or id(nxt) in seen:
                break
            seen.add(id(nxt))
            self.saved.append((nxt, nxt.__traceback__))
            exc = nxt
        self.shell = shell

    def __enter__(self) -> None:
        for exc, tb in self.saved:
            exc.__traceback__ = _filtered(self.shell, tb)[0]

    def __exit__(self, *exc_info: object) -> None:
        for exc, tb in self.saved:
            exc.__traceback__ = tb


def show(
    shell: Any,
    etype: type[BaseException],
    value: BaseException,
    tb: TracebackType | None,
    tb_offset: int | None = None,
) -> list[str]:
    """IPython's custom exception handler: show a pipeline error the user's code first, anything
    else as IPython does."""
    stb = None
    if getattr(shell.InteractiveTB, "mode", "") not in ("Verbose", "Minimal"):
        try:
            stb = render(shell, etype, value, tb)
        except Exception:  # not a pipeline error, or one this cannot read: IPython's own display
            stb = None
    if stb is None:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset, running_compiled_code=True)
        return []
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
    if sys.version_info >= (3, 12):
        sys.last_exc = value
    shell._showtraceback(etype, value, stb)
    if shell.call_pdb:
        shell.debugger(force=True)
    return []


@magics_class
class TracebackMagics(Magics):
    """``%pipeline_tb``: the full chain of the last error, the worker's side included."""

    @line_magic
    def pipeline_tb(self, line: str) -> None:
        """%pipeline_tb: the last error's full traceback (every frame, chained exceptions); for a
        step that failed in a worker process, also the worker's full traceback."""
        shell = self.shell
        value = getattr(sys, "last_value", None)
        if shell is None or value is None:
            print("%pipeline_tb: no error yet in this session.")
            return
        etype, tb = type(value), getattr(sys, "last_traceback", None)
        stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=1)
        print(shell.InteractiveTB.stb2text(stb))
        failure = find_step_failure(shell, value, this_cell=False)
        if _worker_error(shell, value, _frames(tb), failure) is not None:
            assert failure is not None and failure.error is not None
            print(
                f'\nStep "{failure.step_key}" in its worker process:\n' + failure.error.to_string()
            )


def install(shell: Any) -> None:
    """Show pipeline errors the user's code first in ``shell``; add ``%pipeline_tb``."""
    shell.set_custom_exc((Exception,), show)
    shell.register_magics(TracebackMagics)


def uninstall(shell: Any) -> None:
    """IPython's own display of every error again."""
    if getattr(shell, "custom_exceptions", ()) == (Exception,):
        shell.set_custom_exc((), None)
