"""The run-config schema generated from a pipeline and a mode: ``execution``, ``loggers``,
``resources``, ``solids`` (``config``/``inputs``/``outputs``, nested for composites), ``storage``
and ``intermediate_storage`` — which entries exist, which are required, and their defaults."""

from __future__ import annotations

from typing import Any

from notebook_pipelines import (
    ExecutorDefinition,
    Field,
    InputDefinition,
    Int,
    ModeDefinition,
    Nothing,
    OutputDefinition,
    PipelineDefinition,
    ResourceDefinition,
    String,
    composite_solid,
    in_process_executor,
    lambda_solid,
    pipeline,
    resource,
    solid,
)
from notebook_pipelines.config import ConfigTypeKind, Shape, validate_config
from notebook_pipelines.definitions.executor import dask_available
from notebook_pipelines.definitions.run_config_schema import (
    EXECUTION_DEFAULT,
    run_config_schema,
    selector_choice,
    storage_key,
)


class Opaque:
    """A Python type with neither a loader nor a materializer."""


@solid(config_schema={"n": Int})
def needs_config(context: Any) -> int:
    return int(context.solid_config["n"])


@solid(config_schema={"n": Field(Int, default_value=1)})
def optional_config(context: Any) -> int:
    return int(context.solid_config["n"])


@lambda_solid(input_defs=[InputDefinition("x", Int), InputDefinition("y", Int, default_value=2)])
def adder(x: int, y: int) -> int:
    return x + y


@lambda_solid(output_def=OutputDefinition(Opaque))
def opaque() -> Opaque:
    return Opaque()


def schema_of(pipeline_def: PipelineDefinition, mode: str | None = None) -> Shape:
    return run_config_schema(pipeline_def, pipeline_def.get_mode_definition(mode))


def fields(config_type: Any) -> dict[str, Field]:
    return dict(config_type.fields)


def entry(schema: Shape, *path: str) -> Field:
    """The Field at ``path`` below the schema (through Shapes and Selectors)."""
    field = Field(schema)
    for part in path:
        field = fields(field.config_type)[part]
    return field


@pipeline
def simple() -> None:
    adder(needs_config())


def test_the_top_level_entries() -> None:
    schema = schema_of(simple)
    assert schema.kind == ConfigTypeKind.SHAPE
    assert set(fields(schema)) == {
        "execution",
        "loggers",
        "resources",
        "solids",
        "storage",
        "intermediate_storage",
    }


def test_execution_is_a_selector_of_the_mode_executors_defaulting_to_in_process() -> None:
    execution = entry(schema_of(simple), "execution")
    assert execution.config_type.kind == ConfigTypeKind.SELECTOR
    with_extra = {"dask"} if dask_available() else set()
    assert set(fields(execution.config_type)) == {"in_process", "multiprocess", *with_extra}
    assert not execution.is_required
    assert execution.default_value == {"in_process": {}}
    in_process_retries = entry(schema_of(simple), "execution", "in_process", "config", "retries")
    assert in_process_retries.default_value == {"enabled": {}}
    max_concurrent = entry(
        schema_of(simple), "execution", "multiprocess", "config", "max_concurrent"
    )
    assert max_concurrent.default_value == 0


def test_an_executor_with_required_config_has_no_default() -> None:
    needy = ExecutorDefinition("needy", {"workers": Int}, lambda ctx: None)
    relaxed = ExecutorDefinition(
        "relaxed", {"workers": Field(Int, default_value=2)}, lambda ctx: None
    )

    @pipeline(
        mode_defs=[
            ModeDefinition("needy", executor_defs=[needy]),
            ModeDefinition("relaxed", executor_defs=[relaxed]),
        ]
    )
    def p() -> None:
        needs_config()

    needy_field = entry(schema_of(p, "needy"), "execution")
    assert needy_field.is_required and not needy_field.default_provided
    # a single executor with optional config is the default, even if not named in_process
    relaxed_field = entry(schema_of(p, "relaxed"), "execution")
    assert relaxed_field.default_value == {"relaxed": {}}


def test_several_executors_without_in_process_have_no_default() -> None:
    other = ExecutorDefinition("other", None, lambda ctx: None)
    custom = ExecutorDefinition("custom", None, lambda ctx: None)

    @pipeline(mode_defs=[ModeDefinition(executor_defs=[other, custom])])
    def p() -> None:
        needs_config()

    assert entry(schema_of(p), "execution").is_required


def test_loggers_lists_each_mode_logger_optionally() -> None:
    loggers = entry(schema_of(simple), "loggers")
    assert not loggers.is_required
    assert set(fields(loggers.config_type)) == {"console"}
    console = entry(schema_of(simple), "loggers", "console")
    assert not console.is_required
    assert set(fields(entry(schema_of(simple), "loggers", "console", "config").config_type)) == {
        "log_level",
        "name",
    }


def test_resources_lists_only_resources_with_config() -> None:
    @resource(config_schema={"host": String})
    def required_config(init_context: Any) -> None:
        pass

    @resource(config_schema={"port": Field(Int, default_value=1)})
    def optional_conf(init_context: Any) -> None:
        pass

    @pipeline(
        mode_defs=[
            ModeDefinition(
                "required",
                resource_defs={
                    "a": required_config,
                    "b": optional_conf,
                    "c": ResourceDefinition.none_resource(),
                },
            ),
            ModeDefinition("optional", resource_defs={"b": optional_conf}),
            ModeDefinition("none", resource_defs={"c": ResourceDefinition.none_resource()}),
        ]
    )
    def p() -> None:
        needs_config()

    required = entry(schema_of(p, "required"), "resources")
    assert set(fields(required.config_type)) == {"a", "b"}
    assert required.is_required
    assert entry(schema_of(p, "required"), "resources", "a").is_required
    assert not entry(schema_of(p, "required"), "resources", "b").is_required
    assert not entry(schema_of(p, "optional"), "resources").is_required
    assert fields(entry(schema_of(p, "none"), "resources").config_type) == {}


def test_solids_entries_carry_config_inputs_and_outputs() -> None:
    @pipeline
    def p() -> None:
        needs_config()
        optional_config()
        adder()
        opaque()

    solids = entry(schema_of(p), "solids")
    assert solids.is_required  # needs_config has required config
    assert set(fields(solids.config_type)) == {"needs_config", "optional_config", "adder"}
    assert set(fields(entry(schema_of(p), "solids", "needs_config").config_type)) == {
        "config",
        "outputs",
    }
    assert entry(schema_of(p), "solids", "needs_config").is_required
    assert not entry(schema_of(p), "solids", "optional_config").is_required
    adder_inputs = entry(schema_of(p), "solids", "adder", "inputs")
    assert adder_inputs.is_required
    assert entry(schema_of(p), "solids", "adder", "inputs", "x").is_required
    assert not entry(schema_of(p), "solids", "adder", "inputs", "y").is_required  # it has a default
    outputs = entry(schema_of(p), "solids", "adder", "outputs")
    assert not outputs.is_required
    assert outputs.config_type.kind == ConfigTypeKind.ARRAY
    assert set(fields(outputs.config_type.inner_type)) == {"result"}  # type: ignore[attr-defined]


def test_connected_inputs_and_nothing_inputs_have_no_config() -> None:
    @lambda_solid(input_defs=[InputDefinition("after", Nothing), InputDefinition("x", Int)])
    def waits(x: int) -> int:
        return x

    @pipeline
    def p() -> None:
        waits(x=adder(x=optional_config()))

    assert "inputs" not in fields(entry(schema_of(p), "solids", "waits").config_type)
    adder_inputs = fields(entry(schema_of(p), "solids", "adder", "inputs").config_type)
    assert set(adder_inputs) == {"y"}


def test_a_solid_with_nothing_configurable_has_no_entry() -> None:
    @pipeline
    def p() -> None:
        opaque()

    assert fields(entry(schema_of(p), "solids").config_type) == {}
    assert not entry(schema_of(p), "solids").is_required
    assert validate_config(schema_of(p), {}).success


def test_composites_nest_solids_or_take_their_mapped_config() -> None:
    @composite_solid
    def unmapped() -> Any:
        return needs_config()

    @composite_solid(
        config_schema={"k": Int},
        config_fn=lambda cfg: {"needs_config": {"config": {"n": cfg["k"]}}},
    )
    def mapped() -> Any:
        return needs_config()

    @composite_solid(input_defs=[InputDefinition("start", Int)])
    def with_input(start: Any) -> Any:
        return adder(start)

    @pipeline
    def p() -> None:
        unmapped()
        mapped()
        with_input()

    unmapped_inner = entry(schema_of(p), "solids", "unmapped", "solids")
    assert set(fields(unmapped_inner.config_type)) == {"needs_config"}
    assert "config" in fields(
        entry(schema_of(p), "solids", "unmapped", "solids", "needs_config").config_type
    )
    mapped_entry = fields(entry(schema_of(p), "solids", "mapped").config_type)
    assert "solids" not in mapped_entry
    assert set(fields(mapped_entry["config"].config_type)) == {"k"}
    # the composite's own input is configurable at its level; the mapped inner input is not
    assert set(fields(entry(schema_of(p), "solids", "with_input", "inputs").config_type)) == {
        "start"
    }
    inner_adder = fields(entry(schema_of(p), "solids", "with_input", "solids", "adder").config_type)
    assert set(fields(inner_adder["inputs"].config_type)) == {"y"}


def test_storages_are_selectors_defaulting_to_in_memory() -> None:
    for key in ("storage", "intermediate_storage"):
        storage = entry(schema_of(simple), key)
        assert storage.config_type.kind == ConfigTypeKind.SELECTOR
        assert set(fields(storage.config_type)) == {"in_memory", "filesystem"}
        assert storage.default_value == {"in_memory": {}}
        base_dir = entry(schema_of(simple), key, "filesystem", "config", "base_dir")
        assert not base_dir.is_required


def test_the_schema_is_built_once_per_pipeline_and_mode() -> None:
    @pipeline(
        mode_defs=[ModeDefinition("a"), ModeDefinition("b", executor_defs=[in_process_executor])]
    )
    def p() -> None:
        needs_config()

    assert schema_of(p, "a") is schema_of(p, "a")
    assert schema_of(p, "a") is not schema_of(p, "b")
    assert set(fields(entry(schema_of(p, "b"), "execution").config_type)) == {"in_process"}


def test_a_subset_schema_has_only_the_selected_solids() -> None:
    subset = simple.subset_for_execution(["adder"])
    solids = fields(entry(schema_of(subset), "solids").config_type)
    assert set(solids) == {"adder"}
    # adder lost its upstream, so its input x is now configurable (and required)
    assert entry(schema_of(subset), "solids", "adder", "inputs", "x").is_required


def test_selector_choice_reads_a_raw_entry_as_validation_will() -> None:
    executors = ModeDefinition().executor_defs

    def chosen(raw: Any) -> str | None:
        return getattr(selector_choice(raw, executors, EXECUTION_DEFAULT), "name", None)

    assert chosen(None) == "in_process"  # absent or None: the default
    assert chosen({"multiprocess": {"config": {"max_concurrent": 2}}}) == "multiprocess"
    assert chosen({"multiprocess": None}) == "multiprocess"
    # what validation rejects is not chosen: it is left to the validation's error
    for malformed in ({}, {"nowhere": {}}, {"in_process": {}, "multiprocess": {}}, "in_process"):
        assert chosen(malformed) is None
    only = [in_process_executor]
    assert selector_choice({}, only, EXECUTION_DEFAULT) is in_process_executor
    assert storage_key({"storage": {"filesystem": {}}}) == "storage"
    assert storage_key({"storage": {}, "intermediate_storage": {}}) == "intermediate_storage"
    assert storage_key({}) == "intermediate_storage"
