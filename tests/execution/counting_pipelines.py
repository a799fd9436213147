"""A pipeline whose config goes through the user's config functions — a ``configured()`` solid, a
composite solid's config mapping and a ``configured()`` resource — each of which appends
``<pid> <what>`` to the file ``NP_TEST_CONFIG_LOG`` names, so that tests count how often (and in
which process) each ran. At the top level of an importable module, so worker processes rebuild
it."""

from __future__ import annotations

import os
from typing import Any

from notebook_pipelines import (
    InputDefinition,
    ModeDefinition,
    composite_solid,
    configured,
    pipeline,
    resource,
    solid,
)


def _count(what: str) -> None:
    log = os.environ.get("NP_TEST_CONFIG_LOG")
    if log:
        with open(log, "a") as file:
            file.write(f"{os.getpid()} {what}\n")


@solid(config_schema={"n": int})
def base(context: Any) -> int:
    return int(context.solid_config["n"])


@configured(base, {"m": int})
def counted(config: dict[str, Any]) -> dict[str, Any]:
    _count("configured")
    return {"n": config["m"]}


@solid(config_schema={"k": int})
def inner(context: Any) -> int:
    return int(context.solid_config["k"])


def _mapping(config: dict[str, Any]) -> dict[str, Any]:
    _count("mapping")
    return {"inner": {"config": {"k": config["k"]}}}


@composite_solid(config_schema={"k": int}, config_fn=_mapping)
def mapped() -> Any:
    return inner()


@resource(config_schema={"v": int})
def base_thing(init_context: Any) -> int:
    return int(init_context.resource_config["v"])


def _thing_config(config: dict[str, Any]) -> dict[str, Any]:
    _count("resource")
    return {"v": config["w"]}


thing = configured(base_thing, {"w": int})(_thing_config)


@solid(required_resource_keys={"thing"}, input_defs=[InputDefinition("a"), InputDefinition("b")])
def total(context: Any, a: int, b: int) -> int:
    return a + b + int(context.resources.thing)


@pipeline(mode_defs=[ModeDefinition(resource_defs={"thing": thing})])
def counting_pipeline() -> None:
    total(counted(), mapped())


RUN_CONFIG: dict[str, Any] = {
    "solids": {"counted": {"config": {"m": 1}}, "mapped": {"config": {"k": 2}}},
    "resources": {"thing": {"config": {"w": 3}}},
}
COUNTED = ("configured", "mapping", "resource")
