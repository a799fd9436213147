"""Validating a run config into an :class:`EnvironmentConfig`: defaults filled, every error reported
at once with its path, config of unselected solids dropped in a subset, composite config mappings
and ``configured`` definitions resolved."""

from __future__ import annotations

from typing import Any

import pytest

from notebook_pipelines import (
    DagsterInvalidConfigError,
    Field,
    InputDefinition,
    Int,
    ModeDefinition,
    Noneable,
    String,
    StringSource,
    composite_solid,
    configured,
    execute_pipeline,
    execute_pipeline_iterator,
    lambda_solid,
    pipeline,
    resource,
    solid,
)
from notebook_pipelines.definitions.environment import (
    EnvironmentConfig,
    SolidConfig,
    build_environment_config,
)


@solid(
    config_schema={
        "n": Int,
        "label": Field(String, default_value="x"),
        "extra": Field(Noneable(Int), is_required=False),
    }
)
def source(context: Any) -> int:
    return int(context.solid_config["n"])


@lambda_solid(input_defs=[InputDefinition("x", Int), InputDefinition("y", Int, default_value=10)])
def adder(x: int, y: int) -> int:
    return x + y


@resource(config_schema={"url": StringSource, "timeout": Field(Int, default_value=30)})
def http(init_context: Any) -> Any:
    return dict(init_context.resource_config)


@solid(required_resource_keys={"http"})
def fetch(context: Any) -> Any:
    return context.resources.http


@pipeline(mode_defs=[ModeDefinition(resource_defs={"http": http})])
def web() -> None:
    adder(source())
    fetch()


GOOD: dict[str, Any] = {
    "solids": {"source": {"config": {"n": 1}}},
    "resources": {"http": {"config": {"url": "https://example.org"}}},
}


def build(pipeline_def: Any, run_config: Any, mode: str | None = None) -> EnvironmentConfig:
    return build_environment_config(
        pipeline_def, run_config, pipeline_def.get_mode_definition(mode)
    )


def config_errors(pipeline_def: Any, run_config: Any) -> list[tuple[str, str]]:
    with pytest.raises(DagsterInvalidConfigError) as excinfo:
        build(pipeline_def, run_config)
    return sorted((e.path_str, e.reason) for e in excinfo.value.errors)


# --- defaults --------------------------------------------------------------------------------------


def test_defaults_are_filled_in() -> None:
    env = build(web, GOOD)
    assert env.solid_config("source") == SolidConfig({"n": 1, "label": "x"}, {}, ())
    assert env.execution_name == "in_process"
    assert env.execution_config == {"retries": {"enabled": {}}}
    assert (env.storage_kind, env.storage_name, env.storage_config) == (
        "intermediate_storage",
        "in_memory",
        None,
    )
    assert env.resources == {"http": {"url": "https://example.org", "timeout": 30}}
    assert env.loggers == {}
    assert env.run_config == GOOD


def test_given_values_are_kept() -> None:
    env = build(
        web,
        {
            **GOOD,
            "solids": {
                "source": {"config": {"n": 2, "label": "y", "extra": None}},
                "adder": {"inputs": {"y": 5}},
            },
            "execution": {"in_process": {"config": {"retries": {"disabled": {}}}}},
            "loggers": {"console": {"config": {"log_level": "DEBUG"}}},
        },
    )
    assert env.solid_config("source").config == {"n": 2, "label": "y", "extra": None}
    assert env.solid_config("adder").inputs == {"y": 5}
    assert env.execution_config == {"retries": {"disabled": {}}}
    assert env.loggers == {"console": {"log_level": "DEBUG", "name": "notebook_pipelines"}}


def test_an_unknown_handle_has_empty_solid_config() -> None:
    assert build(web, GOOD).solid_config("nowhere") == SolidConfig()


def test_outputs_config_is_kept_per_solid() -> None:
    env = build(
        web,
        {
            **GOOD,
            "solids": {
                **GOOD["solids"],
                "adder": {"outputs": [{"result": {"json": {"path": "/tmp/x"}}}]},
            },
        },
    )
    assert env.solid_config("adder").outputs == ({"result": {"json": {"path": "/tmp/x"}}},)


def test_the_older_storage_key_is_used_when_given_alone() -> None:
    older = build(web, {**GOOD, "storage": {"filesystem": {"config": {"base_dir": "/tmp/s"}}}})
    assert (older.storage_kind, older.storage_name, older.storage_config) == (
        "storage",
        "filesystem",
        {"base_dir": "/tmp/s"},
    )
    both = build(
        web, {**GOOD, "storage": {"filesystem": {}}, "intermediate_storage": {"in_memory": {}}}
    )
    assert (both.storage_kind, both.storage_name) == ("intermediate_storage", "in_memory")


def test_string_sources_read_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NP_TEST_URL", "https://from-env")
    env = build(web, {**GOOD, "resources": {"http": {"config": {"url": {"env": "NP_TEST_URL"}}}}})
    assert env.resources["http"]["url"] == "https://from-env"
    monkeypatch.delenv("NP_TEST_URL")
    assert config_errors(
        web, {**GOOD, "resources": {"http": {"config": {"url": {"env": "NP_TEST_URL"}}}}}
    ) == [("root:resources:http:config:url", "env_var_unset")]


# --- every error at once, each with its path -------------------------------------------------------------


def test_every_error_is_reported_at_once_with_its_path() -> None:
    bad = {
        "solids": {
            "source": {"config": {"n": "one", "label": 2}},
            "adder": {"inputs": {"y": "two"}},
            "ghost": {},
        },
        "resources": {"http": {"config": {"timeout": "slow"}}},
        "execution": {"in_process": {}, "multiprocess": {}},
        "intermediate_storage": {"cloud": {}},
        "unknown_top": 1,
    }
    assert config_errors(web, bad) == [
        ("root", "unexpected_field"),
        ("root:execution", "selector_multiple"),
        ("root:intermediate_storage", "unexpected_field"),
        ("root:resources:http:config", "missing_field"),
        ("root:resources:http:config:timeout", "wrong_type"),
        ("root:solids", "unexpected_field"),
        ("root:solids:adder:inputs:y", "wrong_type"),
        ("root:solids:source:config:label", "wrong_type"),
        ("root:solids:source:config:n", "wrong_type"),
    ]


def test_the_error_message_lists_every_path_and_names_the_pipeline_and_mode() -> None:
    with pytest.raises(DagsterInvalidConfigError) as excinfo:
        build(web, {"solids": {"source": {"config": {"n": "one"}}}})
    message = str(excinfo.value)
    assert message.startswith('Invalid run config for pipeline "web" (mode "default") (2 errors):')
    # every error listed as the reference does ("Error 1: ..."), each saying where it is
    assert "  Error 2: at root:solids:source:config:n: " in message
    assert (
        '  Error 1: Missing required config entry "resources" at the root. (expected {' in message
    )
    assert excinfo.value.config_value == {"solids": {"source": {"config": {"n": "one"}}}}


def test_missing_required_entries_are_reported_where_they_belong() -> None:
    assert config_errors(web, {"resources": GOOD["resources"], "solids": {"source": {}}}) == [
        ("root:solids:source", "missing_field")
    ]
    assert config_errors(web, {"resources": GOOD["resources"]}) == [("root", "missing_field")]


def test_a_run_config_that_is_not_a_dict() -> None:
    assert config_errors(web, ["solids"]) == [("root", "wrong_type")]


def test_execute_pipeline_reports_config_errors_before_running_anything() -> None:
    ran: list[str] = []

    @solid(config_schema={"n": Int})
    def tracked(context: Any) -> None:
        ran.append("tracked")

    @pipeline
    def p() -> None:
        tracked()

    with pytest.raises(DagsterInvalidConfigError) as excinfo:
        execute_pipeline(p, run_config={"solids": {"tracked": {"config": {"n": "x"}}, "other": {}}})
    assert [e.path_str for e in excinfo.value.errors] == [
        "root:solids:tracked:config:n",
        "root:solids",
    ]
    assert ran == []
    with pytest.raises(DagsterInvalidConfigError):
        execute_pipeline_iterator(p, run_config={"solids": {"tracked": {"config": {"n": "x"}}}})


# --- subsets ---------------------------------------------------------------------------------------------


def test_a_subset_drops_config_of_unselected_solids_instead_of_erroring() -> None:
    subset = web.subset_for_execution(["adder"])
    env = build(
        subset,
        {
            "solids": {
                "source": {"config": {"n": "not even valid"}},
                "adder": {"inputs": {"x": 3}},
            },
            "resources": {"http": {"config": {"url": "u"}}},
        },
    )
    assert env.solid_config("adder").inputs == {"x": 3}
    assert env.solid_config("source") == SolidConfig()
    assert "source" not in env.run_config["solids"]


def test_a_subset_still_refuses_solids_that_do_not_exist_at_all() -> None:
    subset = web.subset_for_execution(["adder"])
    run_config = {
        "solids": {"adder": {"inputs": {"x": 3}}, "ghost": {}},
        "resources": GOOD["resources"],
    }
    assert config_errors(subset, run_config) == [("root:solids", "unexpected_field")]


def test_a_subset_needs_config_for_inputs_that_lost_their_upstream() -> None:
    subset = web.subset_for_execution(["adder"])
    resources = {"resources": GOOD["resources"]}
    assert config_errors(subset, resources) == [("root", "missing_field")]
    assert config_errors(subset, {"solids": {"adder": {}}, **resources}) == [
        ("root:solids:adder", "missing_field")
    ]


def test_a_subset_still_needs_config_for_every_resource_of_the_mode() -> None:
    # as in the reference: the resources entry follows the mode, not the selection
    subset = web.subset_for_execution(["adder"])
    assert config_errors(subset, {"solids": {"adder": {"inputs": {"x": 3}}}}) == [
        ("root", "missing_field")
    ]


def test_execute_pipeline_with_a_selection_ignores_config_for_other_solids() -> None:
    result = execute_pipeline(
        web,
        run_config={
            "solids": {"source": {"config": {"n": "bad"}}, "adder": {"inputs": {"x": 1}}},
            "resources": GOOD["resources"],
        },
        solid_selection=["adder"],
    )
    assert result.success
    assert result.result_for_solid("adder").output_value() == 11


# --- composites and configured ------------------------------------------------------------------------


@composite_solid(
    config_schema={"value": Int},
    config_fn=lambda cfg: {"source": {"config": {"n": cfg["value"] * 2}}},
)
def doubled_source() -> Any:
    return source()


@composite_solid
def wrapper() -> Any:
    return adder(doubled_source())


@pipeline
def composed() -> None:
    wrapper()


def test_composite_config_mappings_are_applied_and_flattened_by_handle() -> None:
    env = build(
        composed, {"solids": {"wrapper": {"solids": {"doubled_source": {"config": {"value": 4}}}}}}
    )
    assert env.solid_config("wrapper.doubled_source.source").config == {"n": 8, "label": "x"}
    assert env.solid_config("wrapper.doubled_source").config is None
    assert env.solid_config("wrapper.adder") == SolidConfig()


def test_composite_config_is_validated_at_its_nested_path() -> None:
    assert config_errors(
        composed,
        {"solids": {"wrapper": {"solids": {"doubled_source": {"config": {"value": "v"}}}}}},
    ) == [("root:solids:wrapper:solids:doubled_source:config:value", "wrong_type")]


def test_a_mapping_that_produces_bad_config_is_reported_below_the_composite() -> None:
    @composite_solid(
        config_schema={"value": Int}, config_fn=lambda cfg: {"source": {"config": {"label": 3}}}
    )
    def broken_mapping() -> Any:
        return source()

    @pipeline
    def p() -> None:
        broken_mapping()

    with pytest.raises(DagsterInvalidConfigError) as excinfo:
        build(p, {"solids": {"broken_mapping": {"config": {"value": 1}}}})
    assert 'composite solid "broken_mapping" produced invalid config' in str(excinfo.value)
    assert sorted(e.path_str for e in excinfo.value.errors) == [
        "root:solids:broken_mapping:solids:source:config",
        "root:solids:broken_mapping:solids:source:config:label",
    ]


def test_configured_resources_are_resolved_even_when_absent_from_run_config() -> None:
    fixed_http = configured(http)({"url": "https://fixed"})

    @pipeline(mode_defs=[ModeDefinition(resource_defs={"http": fixed_http})])
    def p() -> None:
        fetch()

    env = build(p, {})
    assert env.resources == {"http": {"url": "https://fixed", "timeout": 30}}
    assert execute_pipeline(p).result_for_solid("fetch").output_value() == {
        "url": "https://fixed",
        "timeout": 30,
    }


def test_configured_solids_are_resolved_by_handle() -> None:
    fixed_source = configured(source, name="fixed_source")({"n": 5})

    @composite_solid
    def holder() -> Any:
        return fixed_source()

    @pipeline
    def p() -> None:
        holder()

    assert build(p, {}).solid_config("holder.fixed_source").config == {"n": 5, "label": "x"}
