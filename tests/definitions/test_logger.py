"""``@logger`` and :class:`LoggerDefinition`: config, what a logger receives, and the built-in
console logger's config."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from notebook_pipelines import (
    DagsterInvalidConfigError,
    DagsterInvalidDefinitionError,
    DagsterUserCodeExecutionError,
    Field,
    LoggerDefinition,
    ModeDefinition,
    String,
    execute_pipeline,
    logger,
    pipeline,
    solid,
)
from notebook_pipelines.definitions.logger import colored_console_logger


class ListHandler(logging.Handler):
    def __init__(self, sink: list[logging.LogRecord]):
        super().__init__()
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record)


def collecting_logger(sink: list[logging.LogRecord], seen: list[Any]) -> LoggerDefinition:
    @logger(
        config_schema={
            "level": Field(String, default_value="INFO"),
            "prefix": Field(String, is_required=False),
        }
    )
    def collecting(init_context: Any) -> logging.Logger:
        seen.append(init_context)
        log = logging.Logger("collecting", init_context.logger_config["level"])
        log.addHandler(ListHandler(sink))
        return log

    return collecting


@solid
def chatty(context: Any) -> int:
    context.log.debug("a debug line")
    context.log.info("an info line")
    context.log.warning("a warning line")
    return 1


def test_bare_logger_decorator() -> None:
    @logger
    def plain(init_context: Any) -> logging.Logger:
        """Plain logger."""
        return logging.Logger("plain")

    assert isinstance(plain, LoggerDefinition)
    assert plain.description == "Plain logger."
    assert plain.config_schema is None


def test_logger_with_arguments() -> None:
    @logger(config_schema={"name": String}, description="explicit")
    def named(init_context: Any) -> logging.Logger:
        return logging.Logger(init_context.logger_config["name"])

    assert named.description == "explicit"
    assert set(named.config_schema.config_type.fields) == {"name"}  # type: ignore[union-attr]


def test_logger_fn_must_be_callable() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match="LoggerDefinition: logger_fn must be callable, got 'x'"
    ):
        LoggerDefinition("x")  # type: ignore[arg-type]


def test_a_configured_run_logger_receives_solid_messages_at_its_level() -> None:
    sink: list[logging.LogRecord] = []
    seen: list[Any] = []

    @pipeline(mode_defs=[ModeDefinition(logger_defs={"collecting": collecting_logger(sink, seen)})])
    def logged() -> None:
        chatty()

    result = execute_pipeline(
        logged, run_config={"loggers": {"collecting": {"config": {"level": "WARNING"}}}}
    )
    messages = [r.getMessage() for r in sink]
    assert any("a warning line" in m for m in messages)
    assert not any("an info line" in m or "a debug line" in m for m in messages)

    (init_context,) = seen
    assert init_context.logger_config == {"level": "WARNING"}
    assert init_context.run_id == result.run_id
    assert init_context.pipeline_def.name == "logged"
    assert init_context.logger_def is logged.get_mode_definition().logger_defs["collecting"]


def test_a_logger_sees_run_events_at_debug_level() -> None:
    sink: list[logging.LogRecord] = []

    @pipeline(mode_defs=[ModeDefinition(logger_defs={"collecting": collecting_logger(sink, [])})])
    def logged() -> None:
        chatty()

    execute_pipeline(logged, run_config={"loggers": {"collecting": {"config": {"level": "DEBUG"}}}})
    messages = [r.getMessage() for r in sink]
    assert any("STEP_SUCCESS" in m or "chatty.compute" in m for m in messages), messages
    assert any("a debug line" in m for m in messages)


def test_bad_logger_config_is_reported_with_its_path() -> None:
    @pipeline(mode_defs=[ModeDefinition(logger_defs={"collecting": collecting_logger([], [])})])
    def logged() -> None:
        chatty()

    with pytest.raises(DagsterInvalidConfigError) as excinfo:
        execute_pipeline(
            logged, run_config={"loggers": {"collecting": {"config": {"level": 10}}, "other": {}}}
        )
    assert sorted(e.path_str for e in excinfo.value.errors) == [
        "root:loggers",
        "root:loggers:collecting:config:level",
    ]


def test_a_raising_logger_fn_is_a_user_code_error_naming_the_logger() -> None:
    @logger
    def broken(init_context: Any) -> logging.Logger:
        raise RuntimeError("cannot open log")

    @pipeline(mode_defs=[ModeDefinition(logger_defs={"broken": broken})])
    def logged() -> None:
        chatty()

    with pytest.raises(DagsterUserCodeExecutionError, match='Error creating logger "broken"'):
        execute_pipeline(logged, run_config={"loggers": {"broken": {}}})


def test_the_console_logger_config() -> None:
    schema = colored_console_logger.config_schema
    assert schema is not None
    fields = schema.config_type.fields  # type: ignore[attr-defined]
    assert fields["log_level"].default_value == "INFO"
    assert fields["name"].default_value == "notebook_pipelines"


def test_the_console_logger_level_is_configurable(capsys: pytest.CaptureFixture[str]) -> None:
    @pipeline
    def console() -> None:
        chatty()

    execute_pipeline(console)
    quiet = capsys.readouterr().err
    assert "an info line" in quiet and "a debug line" not in quiet

    execute_pipeline(
        console, run_config={"loggers": {"console": {"config": {"log_level": "DEBUG"}}}}
    )
    loud = capsys.readouterr().err
    assert "a debug line" in loud
    assert "STEP_SUCCESS" in loud


def test_an_unknown_console_log_level_is_a_config_error_with_its_path() -> None:
    @pipeline
    def console() -> None:
        chatty()

    with pytest.raises(DagsterInvalidConfigError) as excinfo:
        execute_pipeline(
            console, run_config={"loggers": {"console": {"config": {"log_level": "LOUD"}}}}
        )
    assert [(e.path_str, e.reason) for e in excinfo.value.errors] == [
        ("root:loggers:console:config:log_level", "invalid_enum_value")
    ]


def test_the_console_log_level_may_be_lower_case(capsys: pytest.CaptureFixture[str]) -> None:
    @pipeline
    def console() -> None:
        chatty()

    execute_pipeline(
        console, run_config={"loggers": {"console": {"config": {"log_level": "warning"}}}}
    )
    err = capsys.readouterr().err
    assert "a warning line" in err and "an info line" not in err
