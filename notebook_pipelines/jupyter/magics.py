"""The ``%%solid`` cell magic, the ``%pipeline_runs`` line magic and ``load_ipython_extension``
(which also registers ``%pipeline_debug`` of :mod:`.debug`).

Two forms (DESIGN.md §4):

- the cell defines one top-level function (``def clean(context, raw): ...``): it becomes a solid
  named after it, or ``%%solid NAME`` (with several functions in the cell, NAME picks one);
- ``%%solid NAME --inputs raw other --outputs cleaned`` (or a cell without any top-level
  function): the cell body is the compute; the inputs and ``context`` are bound as variables and
  the named outputs are read back after it runs.

Options: ``--config-schema JSON`` (type names as strings: ``{"n": "Int"}``),
``--required-resource-keys a b``, ``--outputs x y`` (several outputs: return a tuple),
``--tags JSON``, ``--description TEXT``. The cell becomes a content-addressed cell module
(:mod:`.cell_modules`) whose code is the cell plus a generated footer building the solid, so the
solid can be rebuilt in worker processes. Notebook variables the code uses (but the cell does not
define) are copied into the cell module and recorded for :mod:`.strategy`. Errors are raised.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import dis
import json
import keyword
import shlex
import textwrap
from types import CodeType, ModuleType
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.display import display

from ..reconstruct import register_reconstruction_strategy
from ..storage.instance import DagsterInstance
from . import cell_modules, debug, session, tracebacks
from .preload import defined_names, preload_header
from .runs import parse_runs_line, runs_table
from .strategy import notebook_strategy, set_shell

BODY_FUNCTION = "__np_compute__"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        usage = self.format_usage().strip().removeprefix("usage:").strip()
        raise UsageError(f"%%solid: {message}\nusage: {usage}")


def _parser() -> _Parser:
    parser = _Parser(prog="%%solid", add_help=False, exit_on_error=False)
    parser.add_argument("name", nargs="?")
    parser.add_argument("--inputs", nargs="*")
    parser.add_argument("--outputs", nargs="*")
    parser.add_argument("--config-schema", dest="config_schema")
    parser.add_argument("--required-resource-keys", dest="required_resource_keys", nargs="*")
    parser.add_argument("--tags")
    parser.add_argument("--description")
    return parser


def _json_option(text: str | None, option: str) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"%%solid: {option} is not valid JSON ({exc}): {text}") from None


def build_cell_source(line: str, cell: str) -> tuple[str, str, dict[str, Any]]:
    """The cell module source for a ``%%solid`` cell, the solid's function name and its spec."""
    try:
        args = _parser().parse_args(shlex.split(line))
    except ValueError as exc:
        raise UsageError(f"%%solid: {exc}") from None
    try:
        tree = ast.parse(cell)
    except SyntaxError as exc:
        raise UsageError(f"%%solid: the cell is not valid Python: {exc}") from None
    functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    if args.name is not None and (not args.name.isidentifier() or keyword.iskeyword(args.name)):
        raise UsageError(
            f"%%solid: the solid name {args.name!r} is not a Python identifier (letters, digits "
            "and underscores, not starting with a digit, not a keyword): the solid becomes a "
            "notebook variable of that name."
        )
    spec: dict[str, Any] = {
        "outputs": args.outputs,
        "config_schema": _json_option(args.config_schema, "--config-schema"),
        "required_resource_keys": args.required_resource_keys,
        "tags": _json_option(args.tags, "--tags"),
        "description": args.description,
    }
    if args.inputs is not None or not functions:
        if not args.name and functions:
            raise UsageError(
                "%%solid: --inputs is for the body form (the cell is the compute itself: "
                "%%solid NAME --inputs a b [--outputs x]); this cell defines "
                f"{', '.join(functions)}, and a function's parameters are its inputs: drop "
                "--inputs (or name the solid to make the whole cell its compute)."
            )
        if not args.name:
            raise UsageError(
                "%%solid: a cell without a function is the compute itself and needs a name: "
                "%%solid NAME [--inputs a b] [--outputs x]"
            )
        spec["name"] = args.name
        outputs = tuple(args.outputs or ())
        params = ", ".join(["context", *(args.inputs or [])])
        body = textwrap.indent(cell.rstrip() or "pass", "    ")
        source = (
            cell_modules.generated(f"def {BODY_FUNCTION}({params}):")
            + f"{body}\n"
            + cell_modules.generated(
                f"    return __np_collect(locals(), {outputs!r}, {args.name!r})"
            )
        )
        return source, BODY_FUNCTION, spec
    if args.name in functions:
        function = args.name
    elif len(functions) == 1:
        function = functions[0]
    else:
        named = f", none of them named {args.name}" if args.name else ""
        raise UsageError(
            f"%%solid: the cell defines {len(functions)} functions ({', '.join(functions)}"
            f"{named}); name the one that is the solid: %%solid NAME"
        )
    spec["name"] = args.name or function
    return cell.rstrip() + "\n", function, spec


def _footer(function: str, spec: dict[str, Any]) -> str:
    lines = [
        "",
        "from notebook_pipelines.jupyter.cell_modules import collect_outputs as __np_collect",
        "from notebook_pipelines.jupyter.cell_modules import make_cell_solid as __np_make",
        "import json as __np_json",
        f"{cell_modules.SOLID_ATTRIBUTE} = __np_make({function}, __name__, "
        f"__np_json.loads({json.dumps(spec)!r}))",
    ]
    return "".join(map(cell_modules.generated, lines))


def global_names(code: CodeType) -> set[str]:
    """The global names a code object (and the code nested in it) reads."""
    names = {
        str(i.argval)
        for i in dis.get_instructions(code)
        if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")
    }
    for const in code.co_consts:
        if isinstance(const, CodeType):
            names |= global_names(const)
    return names


def capture_globals(module: ModuleType, function: str, user_ns: dict[str, Any]) -> list[str]:
    """Copy the notebook variables the solid's function reads (and the cell does not define)
    into the cell module; return their names."""
    fn = getattr(module, function)
    captured = []
    for name in sorted(global_names(fn.__code__)):
        if name in vars(module) or hasattr(builtins, name) or name not in user_ns:
            continue
        setattr(module, name, user_ns[name])
        captured.append(name)
    setattr(module, cell_modules.CAPTURED_ATTRIBUTE, captured)
    return captured


@magics_class
class SolidMagics(Magics):
    """``%%solid``: a cell becomes a solid whose code lives in a cell module."""

    @cell_magic
    def solid(self, line: str, cell: str) -> None:
        """Define a solid from this cell (see the module docstring for both forms)."""
        source, function, spec = build_cell_source(line, cell)
        user_ns = self.shell.user_ns if self.shell is not None else {}
        header, preloaded = preload_header(source, user_ns, spec.get("name") or function)
        module = cell_modules.load_cell_module(header + source + _footer(function, spec))
        code = compile(source, "<cell>", "exec", dont_inherit=True)
        setattr(
            module,
            cell_modules.READS_ATTRIBUTE,
            sorted(
                name
                for name in global_names(code) - defined_names(source)
                if not hasattr(builtins, name) and not name.startswith("__")
            ),
        )
        cell_modules.set_kernel_namespace(user_ns)
        captured = set(capture_globals(module, function, user_ns)) | set(preloaded)
        solid_def = getattr(module, cell_modules.SOLID_ATTRIBUTE)
        cell_modules.set_current(solid_def.name, module.__name__)
        for name, value in vars(module).items():  # what the cell defined (helpers, constants)
            if not name.startswith("_") and name not in captured:
                user_ns[name] = value
        user_ns[solid_def.name] = solid_def


@magics_class
class RunsMagics(Magics):
    """``%pipeline_runs``: the instance's runs as a table."""

    @line_magic
    def pipeline_runs(self, line: str) -> None:
        """%pipeline_runs [--pipeline NAME] [--limit N] [--status S]: the runs of the instance in
        $NOTEBOOK_PIPELINES_HOME, newest first (20 by default)."""
        args = parse_runs_line(line)
        with DagsterInstance.get() as instance:
            runs = runs_table(instance, args.pipeline, args.limit, args.status)
        display(runs)


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics and the notebook reconstruction strategy."""
    ipython.register_magics(SolidMagics)
    ipython.register_magics(RunsMagics)
    ipython.register_magics(debug.DebugMagics)
    set_shell(ipython)
    register_reconstruction_strategy(notebook_strategy)
    session.enable(ipython)
    debug.enable()  # context.pdb / breakpoint() through the kernel's stdin; %pipeline_debug
    tracebacks.install(ipython)  # pipeline errors show the user's code first; %pipeline_tb
