"""``@resource`` and :class:`ResourceDefinition`: config, generator teardown, resources that need
other resources, the built-in helpers, and the definition-time check that modes provide them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest

from notebook_pipelines import (
    DagsterInvalidConfigError,
    DagsterInvalidDefinitionError,
    DagsterResourceFunctionError,
    Field,
    Int,
    ModeDefinition,
    ResourceDefinition,
    String,
    execute_pipeline,
    pipeline,
    resource,
    solid,
)


def run_with(
    resource_defs: dict[str, ResourceDefinition], keys: set[str], run_config: Any = None
) -> Any:
    """Run one solid requiring ``keys`` and return {key: resource value} as the solid saw them."""

    @solid(required_resource_keys=keys)
    def look(context: Any) -> dict[str, Any]:
        return {key: getattr(context.resources, key) for key in sorted(keys)}

    @pipeline(mode_defs=[ModeDefinition(resource_defs=resource_defs)])
    def uses_resources() -> None:
        look()

    result = execute_pipeline(uses_resources, run_config=run_config)
    return result.result_for_solid("look").output_value()


def test_bare_resource_decorator() -> None:
    @resource
    def plain(init_context: Any) -> str:
        """A plain resource."""
        return "value"

    assert isinstance(plain, ResourceDefinition)
    assert plain.description == "A plain resource."
    assert plain.config_schema is None
    assert plain.required_resource_keys == frozenset()
    assert run_with({"plain": plain}, {"plain"}) == {"plain": "value"}


def test_resource_with_arguments() -> None:
    @resource(
        config_schema={"host": String},
        description="explicit",
        required_resource_keys={"creds"},
        version="2",
    )
    def client(init_context: Any) -> str:
        return f"{init_context.resource_config['host']}:{init_context.resources.creds}"

    assert client.description == "explicit"
    assert client.version == "2"
    assert client.required_resource_keys == frozenset({"creds"})
    assert set(client.config_schema.config_type.fields) == {"host"}  # type: ignore[union-attr]
    values = run_with(
        {"client": client, "creds": ResourceDefinition.hardcoded_resource("secret")},
        {"client"},
        {"resources": {"client": {"config": {"host": "db"}}}},
    )
    assert values == {"client": "db:secret"}


def test_resource_with_empty_parentheses() -> None:
    @resource()
    def empty(init_context: Any) -> int:
        return 3

    assert run_with({"empty": empty}, {"empty"}) == {"empty": 3}


def test_resource_config_defaults_are_filled() -> None:
    @resource(
        config_schema={
            "host": Field(String, default_value="localhost"),
            "port": Field(Int, is_required=False),
        }
    )
    def defaulted(init_context: Any) -> Any:
        return dict(init_context.resource_config)

    assert run_with({"defaulted": defaulted}, {"defaulted"}) == {"defaulted": {"host": "localhost"}}


def test_the_init_context_carries_the_run() -> None:
    seen: dict[str, Any] = {}

    @resource
    def inspect_context(init_context: Any) -> None:
        seen["run_id"] = init_context.run_id
        seen["pipeline"] = init_context.pipeline_def.name
        seen["definition"] = init_context.resource_def
        seen["has_log"] = init_context.log is not None

    @solid(required_resource_keys={"inspect_context"})
    def noop(context: Any) -> str:
        return str(context.run_id)

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"inspect_context": inspect_context})])
    def inspected() -> None:
        noop()

    result = execute_pipeline(inspected)
    assert seen == {
        "run_id": result.run_id,
        "pipeline": "inspected",
        "definition": inspect_context,
        "has_log": True,
    }


def test_a_generator_resource_is_torn_down_after_the_run_in_reverse_order() -> None:
    log: list[str] = []

    def tracked(name: str) -> ResourceDefinition:
        @resource
        def make(init_context: Any) -> Iterator[str]:
            log.append(f"open {name}")
            yield name
            log.append(f"close {name}")

        return make

    @solid(required_resource_keys={"a", "b"})
    def work(context: Any) -> None:
        log.append(f"work with {context.resources.a} and {context.resources.b}")

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"a": tracked("a"), "b": tracked("b")})])
    def with_teardown() -> None:
        work()

    result = execute_pipeline(with_teardown)
    assert result.success
    assert log == ["open a", "open b", "work with a and b", "close b", "close a"]
    engine_messages = [e.message for e in result.event_list if e.event_type_value == "ENGINE_EVENT"]
    assert any("Finished teardown of resources [b, a]" in m for m in engine_messages)


def test_a_resource_depending_on_another_is_built_after_it() -> None:
    order: list[str] = []

    @resource
    def base(init_context: Any) -> int:
        order.append("base")
        return 10

    @resource(required_resource_keys={"base"})
    def derived(init_context: Any) -> int:
        order.append("derived")
        return init_context.resources.base + 1

    assert run_with({"derived": derived, "base": base}, {"derived"}) == {"derived": 11}
    assert order == ["base", "derived"]


def test_only_required_resources_are_built() -> None:
    built: list[str] = []

    @resource
    def needed(init_context: Any) -> str:
        built.append("needed")
        return "n"

    @resource
    def unneeded(init_context: Any) -> str:
        built.append("unneeded")
        return "u"

    run_with({"needed": needed, "unneeded": unneeded}, {"needed"})
    assert built == ["needed"]


def test_a_solid_cannot_reach_a_resource_it_did_not_require() -> None:
    @solid(required_resource_keys={"allowed"})
    def sneaky(context: Any) -> Any:
        return context.resources.forbidden

    @pipeline(
        mode_defs=[
            ModeDefinition(
                resource_defs={
                    "allowed": ResourceDefinition.hardcoded_resource(1),
                    "forbidden": ResourceDefinition.hardcoded_resource(2),
                }
            )
        ]
    )
    def scoped() -> None:
        sneaky()

    result = execute_pipeline(scoped, raise_on_error=False)
    assert not result.success
    failure = result.result_for_solid("sneaky").failure_data
    assert failure is not None and "forbidden" in failure.error.message


def test_the_built_in_helpers() -> None:
    assert run_with({"n": ResourceDefinition.none_resource("nothing")}, {"n"}) == {"n": None}
    assert ResourceDefinition.none_resource("nothing").description == "nothing"
    assert run_with({"h": ResourceDefinition.hardcoded_resource({"k": 1})}, {"h"}) == {
        "h": {"k": 1}
    }
    mocked = run_with({"m": ResourceDefinition.mock_resource()}, {"m"})["m"]
    assert isinstance(mocked, mock.MagicMock)


def test_resource_fn_must_be_callable() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError,
        match="ResourceDefinition: resource_fn must be callable, got 3",
    ):
        ResourceDefinition(3)  # type: ignore[arg-type]
    with pytest.raises(DagsterInvalidDefinitionError, match="resource_fn must be callable"):
        resource(config_schema={"a": Int})(None)  # type: ignore[arg-type]


def test_bad_resource_config_is_reported_with_its_path() -> None:
    @resource(config_schema={"host": String, "port": Int})
    def server(init_context: Any) -> None:
        pass

    with pytest.raises(DagsterInvalidConfigError) as excinfo:
        run_with(
            {"server": server},
            {"server"},
            {"resources": {"server": {"config": {"port": "eighty"}}}},
        )
    assert sorted((e.path_str, e.reason) for e in excinfo.value.errors) == [
        ("root:resources:server:config", "missing_field"),
        ("root:resources:server:config:port", "wrong_type"),
    ]


def test_required_resource_config_must_be_given() -> None:
    @resource(config_schema={"host": String})
    def server(init_context: Any) -> None:
        pass

    with pytest.raises(DagsterInvalidConfigError) as excinfo:
        run_with({"server": server}, {"server"})
    assert [e.path_str for e in excinfo.value.errors] == ["root"]
    assert 'Missing required config entry "resources"' in excinfo.value.errors[0].message


def test_a_raising_resource_fn_is_a_resource_function_error() -> None:
    @resource
    def broken(init_context: Any) -> None:
        raise ConnectionError("no route")

    with pytest.raises(DagsterResourceFunctionError) as excinfo:
        run_with({"broken": broken}, {"broken"})
    assert 'Error executing resource_fn of resource "broken"' in str(excinfo.value)
    assert isinstance(excinfo.value.user_exception, ConnectionError)


def test_a_missing_resource_is_refused_when_the_pipeline_is_defined() -> None:
    @solid(required_resource_keys={"db", "cache"})
    def needs_two(context: Any) -> None:
        pass

    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:

        @pipeline(
            mode_defs=[
                ModeDefinition("partial", resource_defs={"db": ResourceDefinition.none_resource()})
            ]
        )
        def incomplete() -> None:
            needs_two()

    assert str(excinfo.value) == (
        'pipeline "incomplete": resource "cache" is required by solid "needs_two", but mode '
        "\"partial\" does not provide it (its resources: ['db'])."
    )
