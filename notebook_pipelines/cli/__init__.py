"""The command line ``notebook-pipelines`` (layer 6): execute pipelines, draw their DAG, and list,
show, re-execute and delete the runs of the persistent instance.

``main(argv)`` is the console script's entry point; ``python -m notebook_pipelines.cli`` runs it
too. The commands live in :mod:`.pipeline_commands` and :mod:`.runs_commands`; :mod:`.app` builds
the parser and turns a :class:`~notebook_pipelines.errors.DagsterError` into one readable
paragraph and exit code 1 (usage errors exit 2).
"""

from .app import main

__all__ = ["main"]
