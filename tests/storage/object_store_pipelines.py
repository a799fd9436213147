"""Pipelines for the object-store tests, importable so worker processes rebuild them: a chain
of four whose third step fails while the file ``$NP_TEST_DIR/fail`` exists, printing on the way."""

from __future__ import annotations

import os
from typing import Any

from notebook_pipelines import InputDefinition, ModeDefinition, pipeline, solid
from notebook_pipelines.definitions.storage import (
    object_store_plus_default_intermediate_storage_defs,
)


@solid
def start(_context: Any) -> int:
    print("start says hello")
    return 1


@solid(input_defs=[InputDefinition("value")])
def double(_context: Any, value: int) -> int:
    print(f"double got {value}")
    return value * 2


@solid(input_defs=[InputDefinition("value")])
def flaky(_context: Any, value: int) -> int:
    if os.path.exists(os.path.join(os.environ.get("NP_TEST_DIR", "/nonexistent"), "fail")):
        raise ValueError("flaky failed on purpose")
    return value + 1


@solid(input_defs=[InputDefinition("value")])
def end(_context: Any, value: int) -> int:
    return value * 10


@pipeline(
    mode_defs=[
        ModeDefinition(
            intermediate_storage_defs=object_store_plus_default_intermediate_storage_defs
        )
    ]
)
def chain() -> None:
    end(flaky(double(start())))
