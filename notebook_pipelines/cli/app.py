"""The parser of ``notebook-pipelines`` and :func:`main`: dispatch to a command, and turn errors
into exit codes (a :class:`DagsterError` → one paragraph on stderr and 1; a usage error → argparse's
message and 2; Ctrl-C → 130)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from ..errors import DagsterError
from ..storage.runs import PipelineRunStatus
from . import notebook, pipeline_commands, runs_commands
from .arguments import argument_type, positive_int
from .graph import check_output_path
from .loading import parse_tags
from .output import error_paragraph

Handler = Callable[[argparse.Namespace], int]

_DESCRIPTION = (
    "Execute pipelines and inspect their runs. Runs are kept in the instance in "
    "$NOTEBOOK_PIPELINES_HOME (default ~/.notebook_pipelines)."
)


def _add_code_arguments(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument(
        "-f",
        "--file",
        required=required,
        metavar="FILE",
        help="Python file defining the pipeline",
    )
    parser.add_argument(
        "-a",
        "--attribute",
        required=required,
        metavar="NAME",
        help="name in FILE of the pipeline, of a function returning it, or of a repository; "
        "or the name of a pipeline in one of FILE's repositories",
    )


def _add_config_argument(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "-c",
        "--config",
        action="extend",
        nargs="+",
        metavar="CONFIG.yaml",
        help=f"run config file(s), deep-merged in order (later files win){what}",
    )


def build_parser() -> argparse.ArgumentParser:
    """The full command-line parser; each command sets ``handler``."""
    parser = argparse.ArgumentParser(prog="notebook-pipelines", description=_DESCRIPTION)
    groups = parser.add_subparsers(dest="group", metavar="{pipeline,runs,notebook}", required=True)

    pipeline = groups.add_parser("pipeline", help="execute a pipeline or draw its DAG")
    pipeline_cmds = pipeline.add_subparsers(dest="command", metavar="COMMAND", required=True)

    execute = pipeline_cmds.add_parser(
        "execute",
        help="execute a pipeline against the persistent instance",
        description="Execute a pipeline, showing each step's progress on stderr; print the run "
        "id and outcome. Exit code 0 if the run succeeds, 1 if it fails.",
    )
    _add_code_arguments(execute, required=True)
    _add_config_argument(execute, "")
    choice = execute.add_mutually_exclusive_group()
    choice.add_argument("--mode", help="the mode to execute in (default: the pipeline's only one)")
    choice.add_argument("--preset", help="a preset of the pipeline (its mode and config)")
    execute.add_argument(
        "--solid-selection",
        action="extend",
        nargs="+",
        metavar="CLAUSE",
        help="execute only these solids ('*name', 'name+', 'a', ...)",
    )
    execute.add_argument(
        "--tags",
        type=argument_type(parse_tags),
        metavar="JSON",
        help='tags of the run, as a JSON object (\'{"team": "data"}\')',
    )
    execute.set_defaults(handler=pipeline_commands.execute)

    graph = pipeline_cmds.add_parser(
        "graph",
        help="write a pipeline's DAG as DOT or SVG",
        description="Write the pipeline's DAG: .dot/.gv as DOT text; .svg/.png/.pdf rendered by "
        "the system graphviz program `dot`. Without -o, print the DOT text.",
    )
    _add_code_arguments(graph, required=True)
    graph.add_argument(
        "-o",
        "--output",
        type=argument_type(check_output_path),
        metavar="dag.svg|dag.dot",
        help="where to write the DAG",
    )
    graph.set_defaults(handler=pipeline_commands.graph)

    runs = groups.add_parser("runs", help="list, show, re-execute and delete runs")
    runs_cmds = runs.add_subparsers(dest="command", metavar="COMMAND", required=True)

    list_ = runs_cmds.add_parser("list", help="list runs, newest first")
    list_.add_argument("--pipeline", metavar="NAME", help="only runs of this pipeline")
    list_.add_argument(
        "--status",
        type=str.upper,
        choices=[s.value for s in PipelineRunStatus],
        help="only runs with this status",
    )
    list_.add_argument(
        "--limit", type=argument_type(positive_int), metavar="N", help="at most N runs"
    )
    list_.set_defaults(handler=runs_commands.list_runs)

    show = runs_cmds.add_parser(
        "show", help="a run's config, events, step durations and failures with tracebacks"
    )
    show.add_argument("run_id", metavar="RUN_ID", help="the run's id (or a unique prefix of it)")
    show.set_defaults(handler=runs_commands.show_run)

    logs = runs_cmds.add_parser("logs", help="the captured stdout/stderr of one step of a run")
    logs.add_argument("run_id", metavar="RUN_ID", help="the run's id (or a unique prefix of it)")
    logs.add_argument("step_key", metavar="STEP_KEY", help="the step, e.g. my_solid.compute")
    stream = logs.add_mutually_exclusive_group()
    stream.add_argument("--stdout", action="store_true", help="print only stdout, as captured")
    stream.add_argument("--stderr", action="store_true", help="print only stderr, as captured")
    logs.set_defaults(handler=runs_commands.show_logs)

    reexecute = runs_cmds.add_parser(
        "reexecute",
        help="re-execute a run, or some of its steps",
        description="Re-execute a run: all of it, the steps --step-selection selects, or "
        "(--from-failure) the steps that failed or were skipped. The pipeline is loaded from the "
        "file and attribute the run recorded, unless -f/-a are given. The run config is the "
        "parent's, unless -c is given. Partial re-execution needs persistent intermediates "
        "(intermediate_storage: {filesystem: {}}).",
    )
    reexecute.add_argument("run_id", metavar="RUN_ID", help="the parent run's id (or a prefix)")
    selection = reexecute.add_mutually_exclusive_group()
    selection.add_argument(
        "--step-selection",
        action="extend",
        nargs="+",
        metavar="CLAUSE",
        help="re-execute only these steps ('b.compute', 'b.compute+', '*c.compute', ...)",
    )
    selection.add_argument(
        "--from-failure",
        action="store_true",
        help="re-execute the steps that failed or were skipped in the parent run",
    )
    _add_code_arguments(reexecute, required=False)
    _add_config_argument(reexecute, " (default: the parent run's config)")
    reexecute.set_defaults(handler=runs_commands.reexecute)

    delete = runs_cmds.add_parser(
        "delete", help="delete runs: their records, events and files under the instance"
    )
    delete.add_argument("run_ids", nargs="+", metavar="RUN_ID", help="the run id(s)")
    delete.add_argument(
        "--force", action="store_true", help="delete a run even if it is marked as running"
    )
    delete.set_defaults(handler=runs_commands.delete_runs)
    notebook.register(groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # usage errors (2) and --help (0)
        return exit_.code if isinstance(exit_.code, int) else 2
    handler: Handler = args.handler
    try:
        return handler(args)
    except DagsterError as error:
        print(error_paragraph(error), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
