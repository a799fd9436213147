"""Isolation shared by every test: each test gets its own ``$NOTEBOOK_PIPELINES_HOME`` (so nothing
is written to the user's home instance), and a notebook session turned on by ``%load_ext`` in one
test (session defaults, run observers, the debugger's prompter and hooks) is turned off after it."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("NOTEBOOK_PIPELINES_HOME", str(tmp_path_factory.mktemp("home")))
    yield
    session = sys.modules.get("notebook_pipelines.jupyter.session")
    if session is not None:
        session.disable()
    debug = sys.modules.get("notebook_pipelines.jupyter.debug")
    if debug is not None:
        debug.disable()
