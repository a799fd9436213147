"""``configured``: definitions with fixed config, or with config mapped from a smaller schema —
resources, solids, composites, loggers and executors — and the errors on the way."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from notebook_pipelines import (
    DagsterConfigMappingFunctionError,
    DagsterInvalidConfigError,
    DagsterInvalidDefinitionError,
    Field,
    Int,
    ModeDefinition,
    RetryRequested,
    String,
    composite_solid,
    configured,
    execute_pipeline,
    in_process_executor,
    logger,
    pipeline,
    resource,
    solid,
)


@resource(config_schema={"host": String, "port": Field(Int, default_value=5432)})
def database(init_context: Any) -> str:
    return f"{init_context.resource_config['host']}:{init_context.resource_config['port']}"


@solid(required_resource_keys={"db"})
def connect(context: Any) -> str:
    return str(context.resources.db)


@solid(config_schema={"n": Int, "unit": Field(String, default_value="m")})
def measure(context: Any) -> str:
    return f"{context.solid_config['n']}{context.solid_config['unit']}"


def db_value(db_def: Any, run_config: Any = None) -> Any:
    @pipeline(mode_defs=[ModeDefinition(resource_defs={"db": db_def})])
    def uses_db() -> None:
        connect()

    return (
        execute_pipeline(uses_db, run_config=run_config).result_for_solid("connect").output_value()
    )


# --- resources --------------------------------------------------------------------------------------


def test_a_resource_with_fixed_config_needs_no_run_config() -> None:
    fixed = configured(database)({"host": "prod-db"})
    assert fixed.config_schema is None
    assert database.config_schema is not None  # the original is untouched
    # the fixed config is validated against the original's schema, defaults included
    assert db_value(fixed) == "prod-db:5432"


def test_a_resource_with_a_config_mapping_takes_the_new_schema() -> None:
    @configured(database, {"env": String})
    def by_env(config: Any) -> dict[str, Any]:
        return {"host": f"{config['env']}-db", "port": 1}

    assert set(by_env.config_schema.config_type.fields) == {"env"}  # type: ignore[union-attr]
    assert db_value(by_env, {"resources": {"db": {"config": {"env": "staging"}}}}) == "staging-db:1"


def test_a_mapping_without_a_schema_gets_no_config() -> None:
    @configured(database)
    def fixed_by_function(_: Any) -> dict[str, Any]:
        return {"host": "computed"}

    assert db_value(fixed_by_function) == "computed:5432"


def test_configured_of_configured_maps_twice() -> None:
    @configured(database, {"env": String})
    def by_env(config: Any) -> dict[str, Any]:
        return {"host": f"{config['env']}-db"}

    staging = configured(by_env)({"env": "staging"})
    assert db_value(staging) == "staging-db:5432"


def test_a_raising_mapping_function_is_a_mapping_error_naming_the_resource() -> None:
    @configured(database, {"env": String})
    def broken(config: Any) -> dict[str, Any]:
        raise KeyError("no such env")

    with pytest.raises(DagsterConfigMappingFunctionError) as excinfo:
        db_value(broken, {"resources": {"db": {"config": {"env": "x"}}}})
    assert 'The configured() function of resource "db" raised KeyError' in str(excinfo.value)
    assert isinstance(excinfo.value.user_exception, KeyError)


def test_mapped_config_that_does_not_fit_is_reported_at_the_definition_path() -> None:
    wrong = configured(database)({"host": 3, "port": "x"})
    with pytest.raises(DagsterInvalidConfigError) as excinfo:
        db_value(wrong)
    assert 'The config that configured() gives resource "db" does not fit its schema' in str(
        excinfo.value
    )
    assert sorted(e.path_str for e in excinfo.value.errors) == [
        "root:resources:db:config:host",
        "root:resources:db:config:port",
    ]


def test_a_schema_needs_a_mapping_function() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match="with a config_schema, pass a function"
    ):
        configured(database, {"env": String})({"host": "x"})


def test_only_definitions_can_be_configured() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError,
        match="configured\\(\\) takes a solid, resource, logger or executor definition",
    ):
        configured({"host": "x"})
    with pytest.raises(DagsterInvalidDefinitionError, match="takes a solid"):
        configured(measure.alias("other"))
    with pytest.raises(DagsterInvalidDefinitionError, match=r"unexpected arguments \['colour'\]"):
        configured(database, colour="blue")


# --- solids -------------------------------------------------------------------------------------------


def test_a_configured_solid_in_decorator_form_takes_the_function_name() -> None:
    @configured(measure, {"km": Int})
    def in_km(config: Any) -> dict[str, Any]:
        return {"n": config["km"] * 1000}

    assert in_km.name == "in_km"
    assert measure.name == "measure"

    @pipeline
    def both() -> None:
        measure()
        in_km()

    result = execute_pipeline(
        both,
        run_config={"solids": {"measure": {"config": {"n": 1}}, "in_km": {"config": {"km": 2}}}},
    )
    assert result.result_for_solid("measure").output_value() == "1m"
    assert result.result_for_solid("in_km").output_value() == "2000m"


def test_a_configured_solid_with_fixed_config_needs_a_name() -> None:
    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:
        configured(measure)({"n": 3})
    assert 'configured(measure): a configured solid needs a new name; pass name="..."' in str(
        excinfo.value
    )

    three = configured(measure, name="three")({"n": 3})
    assert three.config_schema is None

    @pipeline
    def p() -> None:
        three()

    assert execute_pipeline(p).result_for_solid("three").output_value() == "3m"


def test_the_name_argument_wins_over_the_function_name() -> None:
    @configured(measure, {"x": Int}, name="explicit")
    def ignored_name(config: Any) -> dict[str, Any]:
        return {"n": config["x"]}

    assert ignored_name.name == "explicit"


def test_the_old_solid_name_is_not_accepted_in_run_config() -> None:
    @configured(measure, {"km": Int})
    def in_km(config: Any) -> dict[str, Any]:
        return {"n": config["km"]}

    @pipeline
    def p() -> None:
        in_km()

    with pytest.raises(DagsterInvalidConfigError) as excinfo:
        execute_pipeline(p, run_config={"solids": {"measure": {"config": {"km": 2}}}})
    messages = sorted((e.path_str, e.message.split(" at path")[0]) for e in excinfo.value.errors)
    assert messages == [
        ("root:solids", 'Missing required config entry "in_km"'),
        ("root:solids", 'Received unexpected config entry "measure"'),
    ]


def test_bad_configured_solid_config_names_the_solid_path() -> None:
    wrong = configured(measure, name="wrong")({"n": "many"})

    @pipeline
    def p() -> None:
        wrong()

    with pytest.raises(DagsterInvalidConfigError) as excinfo:
        execute_pipeline(p)
    assert [e.path_str for e in excinfo.value.errors] == ["root:solids:wrong:config:n"]
    assert 'configured() gives solid "wrong"' in str(excinfo.value)


def test_an_invalid_configured_name_is_refused() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match="configured name: the name 'not ok' is not valid"
    ):
        configured(measure, name="not ok")({"n": 1})


# --- composites ------------------------------------------------------------------------------------------


@composite_solid(
    config_schema={"n": Int},
    config_fn=lambda cfg: {"measure": {"config": {"n": cfg["n"], "unit": "cm"}}},
)
def measure_cm() -> Any:
    return measure()


def test_a_configured_composite_with_fixed_config() -> None:
    ten_cm = configured(measure_cm, name="ten_cm")({"n": 10})

    @pipeline
    def p() -> None:
        ten_cm()

    result = execute_pipeline(p)
    assert result.result_for_solid("ten_cm").output_value() == "10cm"
    assert result.result_for_handle("ten_cm.measure").output_value() == "10cm"


def test_a_configured_composite_with_a_new_schema() -> None:
    @configured(measure_cm, {"m": Int})
    def in_metres(config: Any) -> dict[str, Any]:
        return {"n": config["m"] * 100}

    @pipeline
    def p() -> None:
        in_metres()

    result = execute_pipeline(p, run_config={"solids": {"in_metres": {"config": {"m": 3}}}})
    assert result.result_for_solid("in_metres").output_value() == "300cm"


def test_a_composite_without_a_config_mapping_cannot_be_configured() -> None:
    @composite_solid
    def plain() -> Any:
        return measure()

    with pytest.raises(
        DagsterInvalidDefinitionError, match='composite solid "plain" has no config mapping'
    ):
        configured(plain, name="x")({})


# --- loggers and executors ---------------------------------------------------------------------------------


def recording_logger(seen: list[Any]) -> Any:
    @logger(config_schema={"tag": String})
    def recording(init_context: Any) -> logging.Logger:
        seen.append(init_context.logger_config)
        return logging.Logger("recording", logging.CRITICAL)

    return recording


def test_a_configured_logger_listed_in_run_config_gets_its_fixed_config() -> None:
    seen: list[Any] = []
    fixed = configured(recording_logger(seen))({"tag": "fixed"})

    @pipeline(mode_defs=[ModeDefinition(logger_defs={"rec": fixed})])
    def p() -> None:
        measure.alias("m")()

    execute_pipeline(p, run_config={"loggers": {"rec": {}}, "solids": {"m": {"config": {"n": 1}}}})
    assert seen == [{"tag": "fixed"}]


def test_a_configured_logger_not_listed_in_run_config_gets_its_fixed_config() -> None:
    seen: list[Any] = []
    fixed = configured(recording_logger(seen))({"tag": "fixed"})

    @pipeline(mode_defs=[ModeDefinition(logger_defs={"rec": fixed})])
    def p() -> None:
        measure.alias("m")()

    execute_pipeline(p, run_config={"solids": {"m": {"config": {"n": 1}}}})
    assert seen == [{"tag": "fixed"}]


def test_a_configured_executor_gets_its_fixed_config() -> None:
    attempts: list[int] = []

    @solid
    def flaky(context: Any) -> None:
        attempts.append(1)
        raise RetryRequested(max_retries=3)

    no_retries = configured(in_process_executor)({"retries": {"disabled": {}}})

    @pipeline(mode_defs=[ModeDefinition(executor_defs=[no_retries])])
    def p() -> None:
        flaky()

    result = execute_pipeline(p, raise_on_error=False)
    assert not result.success
    assert len(attempts) == 1
    kinds = [e.event_type_value for e in result.event_list if e.step_key == "flaky.compute"]
    assert "STEP_UP_FOR_RETRY" not in kinds
    assert kinds[-1] == "STEP_FAILURE"
