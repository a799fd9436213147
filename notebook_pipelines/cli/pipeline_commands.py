"""``pipeline execute`` and ``pipeline graph``."""

from __future__ import annotations

import argparse
import sys

from ..api import execute_pipeline_iterator
from ..storage.instance import DagsterInstance
from .graph import pipeline_to_dot, write_graph
from .loading import load_pipeline, load_run_config
from .progress import run_with_progress


def open_instance() -> DagsterInstance:
    """The persistent instance of ``$NOTEBOOK_PIPELINES_HOME`` (default ``~/.notebook_pipelines``)."""
    return DagsterInstance.get()


def execute(args: argparse.Namespace) -> int:
    """Load the pipeline, run it against the persistent instance with live progress."""
    loaded = load_pipeline(args.file, args.attribute)
    run_config = load_run_config(args.config)
    tags = {**(args.tags or {}), **loaded.code_tags}
    with open_instance() as instance:
        return run_with_progress(
            instance,
            lambda: execute_pipeline_iterator(
                loaded.reconstructable,
                run_config=run_config,
                mode=args.mode,
                preset=args.preset,
                tags=tags,
                solid_selection=args.solid_selection,
                instance=instance,
            ),
        )


def graph(args: argparse.Namespace) -> int:
    """Write the pipeline's DAG to ``-o`` (DOT text to stdout without ``-o``)."""
    loaded = load_pipeline(args.file, args.attribute)
    if args.output is None:
        sys.stdout.write(pipeline_to_dot(loaded.definition))
        return 0
    write_graph(loaded.definition, args.output)
    print(f'Wrote the DAG of pipeline "{loaded.definition.name}" to {args.output}')
    return 0
