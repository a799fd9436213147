"""The contexts handed to user code: SolidExecutionContext (every property of the reference),
TypeCheckContext, HookContext, InitResourceContext and InitLoggerContext."""

from __future__ import annotations

import logging
import pdb
from typing import Any

import pytest

from notebook_pipelines import (
    DagsterType,
    DagsterUnknownResourceError,
    Field,
    InputDefinition,
    Int,
    ModeDefinition,
    OutputDefinition,
    PipelineDefinition,
    PipelineRun,
    SolidDefinition,
    String,
    TypeCheck,
    execute_pipeline,
    logger,
    pipeline,
    resource,
    solid,
    success_hook,
)
from notebook_pipelines.storage.instance import DagsterInstance

SEEN: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def _reset() -> None:
    SEEN.clear()


@resource(config_schema={"url": String})
def database(init_context: Any) -> str:
    return f"db at {init_context.resource_config['url']}"


@resource
def cache(_: Any) -> str:
    return "cache"


@solid(
    config_schema={"limit": Field(Int, default_value=10), "name": String},
    required_resource_keys={"database"},
    tags={"kind": "reader"},
)
def reader(context: Any) -> int:
    SEEN.update(
        instance=context.instance,
        pdb=context.pdb,
        pdb_again=context.pdb,
        pipeline_run=context.pipeline_run,
        solid_config=context.solid_config,
        team=context.get_tag("team"),
        has_team=context.has_tag("team"),
        has_missing=context.has_tag("missing"),
        missing=context.get_tag("missing"),
        pipeline_tag=context.get_tag("pipeline"),
        pipeline_def=context.pipeline_def,
        database=context.resources.database,
        run_id=context.run_id,
        solid=context.solid,
        solid_def=context.solid_def,
        mode_def=context.mode_def,
        run_config=context.run_config,
        solid_handle=context.solid_handle,
        step_key=context.step_key,
        has_cache=hasattr(context.resources, "cache"),
    )
    context.log.info("reading rows")
    context.log.warning("slow disk")
    context.log.debug("details")
    try:
        context.resources.cache  # noqa: B018
    except DagsterUnknownResourceError as error:
        SEEN["unknown_resource_error"] = error
    return context.solid_config["limit"]


@pipeline(
    mode_defs=[ModeDefinition("prod", resource_defs={"database": database, "cache": cache})],
    tags={"team": "pipeline-team"},
)
def contexts_pipeline() -> None:
    reader()


RUN_CONFIG = {
    "solids": {"reader": {"config": {"name": "rows"}}},
    "resources": {"database": {"config": {"url": "sqlite://"}}},
}


def test_solid_execution_context_properties() -> None:
    instance = DagsterInstance.ephemeral()
    result = execute_pipeline(
        contexts_pipeline, RUN_CONFIG, tags={"team": "data"}, instance=instance
    )
    assert result.success
    assert SEEN["instance"] is instance
    assert isinstance(SEEN["pdb"], pdb.Pdb)
    assert SEEN["pdb"] is SEEN["pdb_again"]  # built once, on first use
    run = SEEN["pipeline_run"]
    assert isinstance(run, PipelineRun)
    assert run.run_id == result.run_id == SEEN["run_id"]
    assert run.pipeline_name == "contexts_pipeline"
    assert run.mode == "prod"
    assert SEEN["solid_config"] == {"limit": 10, "name": "rows"}  # defaults filled in
    assert SEEN["team"] == "data"  # run tags: explicit beat the pipeline's
    assert SEEN["has_team"] is True
    assert SEEN["has_missing"] is False and SEEN["missing"] is None
    assert SEEN["pipeline_tag"] == "contexts_pipeline"
    assert SEEN["pipeline_def"] is contexts_pipeline
    assert SEEN["database"] == "db at sqlite://"
    assert SEEN["solid"].name == "reader"
    assert SEEN["solid_def"] is reader
    assert isinstance(SEEN["solid_def"], SolidDefinition)
    assert SEEN["mode_def"].name == "prod"
    assert SEEN["run_config"] == RUN_CONFIG
    assert SEEN["solid_handle"] == "reader"
    assert SEEN["step_key"] == "reader.compute"


def test_resources_are_only_the_required_ones() -> None:
    execute_pipeline(contexts_pipeline, RUN_CONFIG)
    assert SEEN["has_cache"] is False
    error = SEEN["unknown_resource_error"]
    assert isinstance(error, DagsterUnknownResourceError)
    assert isinstance(error, AttributeError)
    assert error.resource_name == "cache"
    assert 'Unknown resource "cache" for solid "reader"' in str(error)
    assert "['database']" in str(error)


def test_log_messages_are_stored_with_the_run() -> None:
    instance = DagsterInstance.ephemeral()
    result = execute_pipeline(contexts_pipeline, RUN_CONFIG, instance=instance)
    records = [r for r in instance.all_logs(result.run_id) if r.dagster_event is None]
    assert [(r.user_message, r.level) for r in records] == [
        ("reading rows", logging.INFO),
        ("slow disk", logging.WARNING),
        ("details", logging.DEBUG),
    ]
    for record in records:
        assert record.step_key == "reader.compute"
        assert record.pipeline_name == "contexts_pipeline"
        assert record.run_id == result.run_id
    # between the step's start and its success
    kinds = [
        r.dagster_event.event_type_value if r.dagster_event else "LOG"
        for r in instance.all_logs(result.run_id)
    ]
    assert kinds.index("STEP_START") < kinds.index("LOG") < kinds.index("STEP_SUCCESS")


def test_solid_config_is_none_without_schema() -> None:
    @solid
    def no_config(context: Any) -> None:
        SEEN["config"] = context.solid_config

    execute_pipeline(PipelineDefinition([no_config], name="no_config_pipeline"))
    assert SEEN == {"config": None}


# --- TypeCheckContext -------------------------------------------------------------------------------------


def _positive_check(context: Any, value: Any) -> TypeCheck:
    SEEN["type_run_id"] = context.run_id
    SEEN["type_resource"] = context.resources.limits
    context.log.info(f"checking {value}")
    try:
        context.resources.database  # noqa: B018
    except DagsterUnknownResourceError as error:
        SEEN["type_unknown"] = str(error)
    return TypeCheck(isinstance(value, int) and 0 < value <= context.resources.limits)


Bounded = DagsterType(_positive_check, name="Bounded", required_resource_keys={"limits"})


@solid(config_schema=Int, output_defs=[OutputDefinition(Bounded)])
def bounded(context: Any) -> int:
    return context.solid_config


@pipeline(
    mode_defs=[
        ModeDefinition(
            resource_defs={
                "limits": resource(lambda _: 100),
                "database": resource(lambda _: "db"),
            }
        )
    ]
)
def typed_pipeline() -> None:
    bounded()


def test_type_check_context() -> None:
    instance = DagsterInstance.ephemeral()
    ok = execute_pipeline(
        typed_pipeline, {"solids": {"bounded": {"config": 50}}}, instance=instance
    )
    assert ok.success
    assert SEEN["type_run_id"] == ok.run_id
    assert SEEN["type_resource"] == 100
    assert 'Unknown resource "database" for type Bounded' in SEEN["type_unknown"]
    logs = [r.user_message for r in instance.all_logs(ok.run_id) if r.dagster_event is None]
    assert logs == ["checking 50"]
    too_big = execute_pipeline(
        typed_pipeline, {"solids": {"bounded": {"config": 500}}}, raise_on_error=False
    )
    assert not too_big.success
    output = too_big.result_for_solid("bounded").output_events_during_compute[0]
    assert output.event_specific_data.type_check_data.success is False


# --- HookContext ---------------------------------------------------------------------------------------


@success_hook(required_resource_keys={"database"})
def inspecting_hook(context: Any) -> None:
    SEEN.update(
        hook_def=context.hook_def,
        step=context.step,
        solid=context.solid,
        database=context.resources.database,
        solid_config=context.solid_config,
        run_id=context.run_id,
        mode_def=context.mode_def,
        pipeline_run=context.pipeline_run,
    )
    context.log.info("hook says hi")
    try:
        context.resources.cache  # noqa: B018
    except DagsterUnknownResourceError as error:
        SEEN["hook_unknown"] = str(error)


@solid(config_schema={"n": Int}, input_defs=[InputDefinition("x", Int, default_value=1)])
def hooked(context: Any, x: int) -> int:
    return x + context.solid_config["n"]


@pipeline(mode_defs=[ModeDefinition("prod", resource_defs={"database": database, "cache": cache})])
def hooked_pipeline() -> None:
    hooked.with_hooks({inspecting_hook})()


def test_hook_context() -> None:
    instance = DagsterInstance.ephemeral()
    result = execute_pipeline(
        hooked_pipeline,
        {
            "solids": {"hooked": {"config": {"n": 4}}},
            "resources": {"database": {"config": {"url": "pg://"}}},
        },
        instance=instance,
    )
    assert result.success
    assert SEEN["hook_def"] is inspecting_hook
    assert SEEN["step"].key == "hooked.compute"
    assert SEEN["solid"].name == "hooked"
    assert SEEN["database"] == "db at pg://"
    assert SEEN["solid_config"] == {"n": 4}
    assert SEEN["run_id"] == result.run_id
    assert SEEN["mode_def"].name == "prod"
    assert SEEN["pipeline_run"].run_id == result.run_id
    assert 'Unknown resource "cache" for hook "inspecting_hook"' in SEEN["hook_unknown"]
    records = [r for r in instance.all_logs(result.run_id) if r.dagster_event is None]
    assert [(r.user_message, r.step_key) for r in records] == [("hook says hi", "hooked.compute")]


# --- InitResourceContext ----------------------------------------------------------------------------------


@resource(config_schema={"size": Int})
def pool(init_context: Any) -> dict[str, Any]:
    init_context.log.info("pool ready")
    SEEN["pool_context"] = {
        "resource_config": init_context.resource_config,
        "resource_def": init_context.resource_def,
        "run_id": init_context.run_id,
        "pipeline_run": init_context.pipeline_run,
        "instance": init_context.instance,
        "pipeline_def": init_context.pipeline_def,
        "log_is_log_manager": init_context.log is init_context.log_manager,
    }
    return {"size": init_context.resource_config["size"]}


@resource(required_resource_keys={"pool"})
def client(init_context: Any) -> str:
    SEEN["client_sees_pool"] = init_context.resources.pool
    return f"client with {init_context.resources.pool['size']} connections"


@solid(required_resource_keys={"client"})
def uses_client(context: Any) -> str:
    return context.resources.client


@pipeline(mode_defs=[ModeDefinition(resource_defs={"pool": pool, "client": client})])
def resource_pipeline() -> None:
    uses_client()


def test_init_resource_context() -> None:
    instance = DagsterInstance.ephemeral()
    result = execute_pipeline(
        resource_pipeline, {"resources": {"pool": {"config": {"size": 3}}}}, instance=instance
    )
    assert result.output_for_solid("uses_client") == "client with 3 connections"
    seen = SEEN["pool_context"]
    assert seen["resource_config"] == {"size": 3}
    assert seen["resource_def"] is pool
    assert seen["run_id"] == result.run_id
    assert seen["pipeline_run"].run_id == result.run_id
    assert seen["instance"] is instance
    assert seen["pipeline_def"] is resource_pipeline
    assert seen["log_is_log_manager"] is True
    assert SEEN["client_sees_pool"] == {"size": 3}
    logs = [r.user_message for r in instance.all_logs(result.run_id) if r.dagster_event is None]
    assert logs == ["pool ready"]
    # the dependency was built first
    init_event = next(
        e for e in result.event_list if "Starting initialization" in (e.message or "")
    )
    assert init_event.message == "Starting initialization of resources [pool, client]."


# --- InitLoggerContext -------------------------------------------------------------------------------------


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


HANDLER = ListHandler()


@logger(config_schema={"level": Field(String, default_value="INFO")})
def list_logger(init_context: Any) -> logging.Logger:
    SEEN["logger_context"] = {
        "logger_config": init_context.logger_config,
        "logger_def": init_context.logger_def,
        "pipeline_def": init_context.pipeline_def,
        "run_id": init_context.run_id,
    }
    python_logger = logging.Logger("list_logger", init_context.logger_config["level"])
    python_logger.addHandler(HANDLER)
    return python_logger


@solid
def chatty(context: Any) -> None:
    context.log.debug("quiet detail")
    context.log.info("spoken")
    context.log.error("shouted")


@pipeline(mode_defs=[ModeDefinition(logger_defs={"list": list_logger})])
def logged_pipeline() -> None:
    chatty()


def test_init_logger_context_and_custom_logger() -> None:
    HANDLER.records.clear()
    result = execute_pipeline(logged_pipeline, {"loggers": {"list": {"config": {"level": "INFO"}}}})
    seen = SEEN["logger_context"]
    assert seen["logger_config"] == {"level": "INFO"}
    assert seen["logger_def"] is list_logger
    assert seen["pipeline_def"] is logged_pipeline
    assert seen["run_id"] == result.run_id
    messages = [r.getMessage() for r in HANDLER.records]
    assert "spoken" in messages and "shouted" in messages
    assert "quiet detail" not in messages
    spoken = next(r for r in HANDLER.records if r.getMessage() == "spoken")
    assert spoken.step_key == "chatty.compute"  # type: ignore[attr-defined]
    assert spoken.run_id == result.run_id  # type: ignore[attr-defined]
