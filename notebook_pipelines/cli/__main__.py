"""``python -m notebook_pipelines.cli ...``: the same as the ``notebook-pipelines`` script."""

from .app import main

raise SystemExit(main())
