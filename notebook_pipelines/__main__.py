"""``python -m notebook_pipelines ...``: the command line (the same as ``notebook-pipelines``)."""

from .cli.app import main

raise SystemExit(main())
