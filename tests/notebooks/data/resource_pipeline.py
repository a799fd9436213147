"""A reconstructable pipeline whose notebook solid uses a resource (imported by the test and, to
build the resource, by the notebook's kernel, which runs in this folder)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from notebook_pipelines import ModeDefinition, OutputDefinition, String, pipeline, resource
from notebook_pipelines.notebooks import define_notebook_solid

HERE = os.path.dirname(os.path.abspath(__file__))


@resource(config_schema={"word": str})
def greeting(init_context: Any) -> Iterator[str]:
    yield f"{init_context.resource_config['word']}"


greet = define_notebook_solid(
    "greet",
    os.path.join(HERE, "resources.ipynb"),
    output_defs=[OutputDefinition(String)],
    required_resource_keys={"greeting"},
)


@pipeline(mode_defs=[ModeDefinition(resource_defs={"greeting": greeting})])
def resource_pipeline() -> None:
    greet()
