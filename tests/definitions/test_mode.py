""":class:`ModeDefinition`: its defaults (console logger, in-process and multiprocess executors
and Dask with its extra, in-memory and filesystem storages), validation of what it holds, and choosing a mode at run time."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from notebook_pipelines import (
    DagsterInvalidDefinitionError,
    ExecutorDefinition,
    Field,
    IntermediateStorageDefinition,
    ModeDefinition,
    ResourceDefinition,
    String,
    SystemStorageDefinition,
    default_executors,
    execute_pipeline,
    executor,
    in_process_executor,
    logger,
    multiprocess_executor,
    pipeline,
    resource,
    solid,
)
from notebook_pipelines.definitions.executor import dask_available
from notebook_pipelines.definitions.storage import (
    fs_intermediate_storage,
    fs_system_storage,
    mem_intermediate_storage,
    mem_system_storage,
)


def test_the_default_mode() -> None:
    mode = ModeDefinition()
    assert mode.name == "default"
    assert mode.resource_defs == {}
    assert list(mode.logger_defs) == ["console"]
    assert mode.loggers is mode.logger_defs
    # the reference's defaults, and dask where the extra is installed (tests/definitions/test_executor.py)
    assert mode.executor_defs[:2] == default_executors
    assert [e.name for e in mode.executor_defs] == ["in_process", "multiprocess"] + (
        ["dask"] if dask_available() else []
    )
    assert [s.name for s in mode.system_storage_defs] == ["in_memory", "filesystem"]
    assert [s.name for s in mode.intermediate_storage_defs] == ["in_memory", "filesystem"]
    assert mode.executor_def_named("multiprocess") is multiprocess_executor
    assert mode.system_storage_def_named("filesystem") is fs_system_storage
    assert mode.intermediate_storage_def_named("in_memory") is mem_intermediate_storage
    assert not mem_system_storage.is_persistent and fs_intermediate_storage.is_persistent


def test_a_mode_keeps_what_it_is_given() -> None:
    res = ResourceDefinition.hardcoded_resource(1)

    @logger
    def quiet(init_context: Any) -> Any:
        import logging

        return logging.Logger("quiet")

    mode = ModeDefinition(
        name="test",
        resource_defs={"one": res},
        logger_defs={"quiet": quiet},
        executor_defs=[in_process_executor],
        system_storage_defs=[mem_system_storage],
        intermediate_storage_defs=[fs_intermediate_storage],
        description="for tests",
    )
    assert mode.name == "test"
    assert mode.description == "for tests"
    assert mode.resource_defs == {"one": res}
    # logger_defs replace the default console logger, as in the reference
    assert mode.logger_defs == {"quiet": quiet}
    assert [e.name for e in mode.executor_defs] == ["in_process"]
    assert [s.name for s in mode.system_storage_defs] == ["in_memory"]
    assert [s.name for s in mode.intermediate_storage_defs] == ["filesystem"]
    assert repr(mode) == "<ModeDefinition test>"


def test_an_unknown_executor_or_storage_lookup_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="kubernetes"):
        ModeDefinition().executor_def_named("kubernetes")


def test_an_invalid_mode_name_is_refused() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match="mode: the name 'my mode' is not valid"
    ):
        ModeDefinition("my mode")


def test_resource_defs_must_be_a_dict_of_valid_names_to_resources() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError,
        match='mode "m": resource_defs must be a dict of name to definition',
    ):
        ModeDefinition("m", resource_defs=[ResourceDefinition.none_resource()])  # type: ignore[arg-type]
    with pytest.raises(
        DagsterInvalidDefinitionError,
        match=r'mode "m": resource_defs\["db"\] must be a ResourceDefinition',
    ):
        ModeDefinition("m", resource_defs={"db": lambda init: None})  # type: ignore[dict-item]
    with pytest.raises(
        DagsterInvalidDefinitionError, match="resource_defs: the name 'my-db' is not valid"
    ):
        ModeDefinition("m", resource_defs={"my-db": ResourceDefinition.none_resource()})


def test_logger_defs_must_hold_logger_definitions() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match=r'logger_defs\["console"\] must be a LoggerDefinition'
    ):
        ModeDefinition("m", logger_defs={"console": print})  # type: ignore[dict-item]


def test_executor_and_storage_lists_are_validated() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match="executor_defs must hold ExecutorDefinition objects"
    ):
        ModeDefinition("m", executor_defs=["in_process"])  # type: ignore[list-item]
    # the same definition listed twice is kept once; two definitions with one name are an error
    twice = ModeDefinition("m", executor_defs=[in_process_executor, in_process_executor])
    assert twice.executor_defs == [in_process_executor]
    impostor = ExecutorDefinition("in_process", None, in_process_executor.executor_creation_fn)
    with pytest.raises(
        DagsterInvalidDefinitionError, match='two executor_defs are named "in_process"'
    ):
        ModeDefinition("m", executor_defs=[in_process_executor, impostor])
    with pytest.raises(
        DagsterInvalidDefinitionError, match="system_storage_defs must hold SystemStorageDefinition"
    ):
        ModeDefinition("m", system_storage_defs=[mem_intermediate_storage])  # type: ignore[list-item]
    twice = ModeDefinition(
        "m", intermediate_storage_defs=[mem_intermediate_storage, mem_intermediate_storage]
    )
    assert twice.intermediate_storage_defs == [mem_intermediate_storage]


def test_storage_and_executor_definitions_validate_themselves() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match='Executor "e": executor_creation_fn must be callable'
    ):
        ExecutorDefinition("e")
    with pytest.raises(
        DagsterInvalidDefinitionError, match='intermediate storage "s": needs a creation function'
    ):
        IntermediateStorageDefinition("s", is_persistent=False)
    with pytest.raises(
        DagsterInvalidDefinitionError, match="system storage: the name 'bad name' is not valid"
    ):
        SystemStorageDefinition(
            "bad name", is_persistent=False, system_storage_creation_fn=lambda c: None
        )


# --- modes at run time ----------------------------------------------------------------------------


@resource(config_schema={"greeting": Field(String, default_value="hello")})
def greeter(init_context: Any) -> str:
    return str(init_context.resource_config["greeting"])


@solid(required_resource_keys={"greeter"})
def greet(context: Any) -> str:
    return f"{context.resources.greeter}, world"


@pipeline(
    mode_defs=[
        ModeDefinition("configurable", resource_defs={"greeter": greeter}),
        ModeDefinition(
            "fixed", resource_defs={"greeter": ResourceDefinition.hardcoded_resource("hi")}
        ),
    ]
)
def greetings() -> None:
    greet()


def test_the_mode_chooses_the_resources() -> None:
    configurable = execute_pipeline(greetings, mode="configurable")
    fixed = execute_pipeline(greetings, mode="fixed")
    configured = execute_pipeline(
        greetings,
        mode="configurable",
        run_config={"resources": {"greeter": {"config": {"greeting": "hey"}}}},
    )
    assert configurable.result_for_solid("greet").output_value() == "hello, world"
    assert fixed.result_for_solid("greet").output_value() == "hi, world"
    assert configured.result_for_solid("greet").output_value() == "hey, world"


def test_the_solid_context_knows_its_mode() -> None:
    @solid
    def which_mode(context: Any) -> str:
        return str(context.mode_def.name)

    @pipeline(mode_defs=[ModeDefinition("alpha"), ModeDefinition("beta")])
    def moded() -> None:
        which_mode()

    assert (
        execute_pipeline(moded, mode="beta").result_for_solid("which_mode").output_value() == "beta"
    )


def test_a_mode_executor_is_chosen_and_configured_through_run_config() -> None:
    seen: list[Any] = []

    @executor(name="recording", config_schema={"label": String})
    def recording(init_context: Any) -> Any:
        seen.append((init_context.executor_def.name, dict(init_context.executor_config)))
        return in_process_executor.executor_creation_fn(init_context)

    @solid
    def noop(context: Any) -> int:
        return 1

    @pipeline(mode_defs=[ModeDefinition(executor_defs=[in_process_executor, recording])])
    def executed() -> None:
        noop()

    result = execute_pipeline(
        executed, run_config={"execution": {"recording": {"config": {"label": "x"}}}}
    )
    assert result.success
    assert seen == [("recording", {"label": "x"})]


def test_the_filesystem_intermediate_storage_of_the_mode_writes_files(tmp_path: Path) -> None:
    @solid
    def produce(context: Any) -> int:
        return 5

    @pipeline
    def stored() -> None:
        produce()

    result = execute_pipeline(
        stored,
        run_config={
            "intermediate_storage": {"filesystem": {"config": {"base_dir": str(tmp_path)}}}
        },
    )
    assert result.result_for_solid("produce").output_value() == 5
    written = [os.path.join(d, f) for d, _, files in os.walk(tmp_path) for f in files]
    assert any(result.run_id in path and "produce.compute" in path for path in written), written


def test_a_mode_with_only_custom_loggers_drops_the_console_logger(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import logging

    records: list[str] = []

    class Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    @logger
    def collecting(init_context: Any) -> logging.Logger:
        log = logging.Logger("collecting", logging.INFO)
        log.addHandler(Handler())
        return log

    @solid
    def chatty(context: Any) -> None:
        context.log.info("from the solid")

    @pipeline(mode_defs=[ModeDefinition(logger_defs={"collecting": collecting})])
    def logged() -> None:
        chatty()

    @pipeline
    def console_logged() -> None:
        chatty()

    execute_pipeline(logged)
    assert any("from the solid" in r for r in records)
    assert "from the solid" not in capsys.readouterr().err
    # the default mode's console logger does write it to stderr
    execute_pipeline(console_logged)
    assert "from the solid" in capsys.readouterr().err
