""":class:`PresetDefinition`: inline run config, run config merged from YAML files (globs, later
files win, nested dicts merged), errors naming the file and line, and presets used in a run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from notebook_pipelines import (
    DagsterInvalidDefinitionError,
    DagsterInvariantViolationError,
    Field,
    Int,
    ModeDefinition,
    PresetDefinition,
    ResourceDefinition,
    String,
    execute_pipeline,
    file_relative_path,
    lambda_solid,
    pipeline,
    solid,
)


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- inline presets --------------------------------------------------------------------------------


def test_a_preset_keeps_its_parts() -> None:
    preset = PresetDefinition(
        "nightly",
        run_config={"solids": {"a": {"config": 1}}},
        solid_selection=["a*"],
        mode="prod",
        tags={"when": "night"},
    )
    assert preset.name == "nightly"
    assert preset.run_config == {"solids": {"a": {"config": 1}}}
    assert preset.solid_selection == ["a*"]
    assert preset.mode == "prod"
    assert preset.tags == {"when": "night"}
    assert repr(preset) == "<PresetDefinition nightly>"


def test_a_bare_preset_runs_the_default_mode_with_no_config() -> None:
    preset = PresetDefinition("bare")
    assert preset.mode == "default"
    assert preset.run_config is None
    assert preset.solid_selection is None
    assert preset.tags == {}


def test_a_preset_copies_its_run_config() -> None:
    config = {"solids": {}}
    preset = PresetDefinition("copy", run_config=config)
    config["execution"] = {}
    assert preset.run_config == {"solids": {}}


def test_bad_preset_arguments_are_refused() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match="preset: the name 'my preset' is not valid"
    ):
        PresetDefinition("my preset")
    with pytest.raises(
        DagsterInvalidDefinitionError, match='Preset "p": run_config must be a dict, got str'
    ):
        PresetDefinition("p", run_config="solids: {}")  # type: ignore[arg-type]
    with pytest.raises(
        DagsterInvalidDefinitionError, match='Preset "p": solid_selection must be a list of clauses'
    ):
        PresetDefinition("p", solid_selection="a*")  # type: ignore[arg-type]


def test_get_environment_yaml_round_trips() -> None:
    config = {"solids": {"a": {"config": {"n": 1, "names": ["x", "y"]}}}}
    preset = PresetDefinition("p", run_config=config)
    assert yaml.safe_load(preset.get_environment_yaml()) == config
    assert yaml.safe_load(PresetDefinition("empty").get_environment_yaml()) == {}


def test_with_additional_config_deep_merges_into_a_copy() -> None:
    base = PresetDefinition(
        "base",
        run_config={"solids": {"a": {"config": {"n": 1, "m": 2}}}, "execution": {"in_process": {}}},
        mode="prod",
        tags={"t": "1"},
        solid_selection=["a"],
    )
    extended = base.with_additional_config(
        {"solids": {"a": {"config": {"m": 20}}, "b": {"config": 3}}}
    )
    assert extended.run_config == {
        "solids": {"a": {"config": {"n": 1, "m": 20}}, "b": {"config": 3}},
        "execution": {"in_process": {}},
    }
    assert (extended.name, extended.mode, extended.tags, extended.solid_selection) == (
        "base",
        "prod",
        {"t": "1"},
        ["a"],
    )
    assert base.run_config == {
        "solids": {"a": {"config": {"n": 1, "m": 2}}},
        "execution": {"in_process": {}},
    }
    assert base.with_additional_config(None).run_config == base.run_config


# --- presets from YAML files ---------------------------------------------------------------------------


def test_from_files_merges_files_in_order_later_files_win(tmp_path: Path) -> None:
    first = write(
        tmp_path / "base.yaml",
        "solids:\n  a:\n    config:\n      n: 1\n      label: base\nresources:\n  db:\n    config: {host: local}\n",
    )
    second = write(
        tmp_path / "override.yaml", "solids:\n  a:\n    config:\n      n: 2\n  b:\n    config: 5\n"
    )
    preset = PresetDefinition.from_files("merged", [first, second], mode="prod", tags={"k": "v"})
    assert preset.run_config == {
        "solids": {"a": {"config": {"n": 2, "label": "base"}}, "b": {"config": 5}},
        "resources": {"db": {"config": {"host": "local"}}},
    }
    assert (preset.mode, preset.tags) == ("prod", {"k": "v"})

    reversed_order = PresetDefinition.from_files("reversed", [second, first])
    assert reversed_order.run_config is not None
    assert reversed_order.run_config["solids"]["a"]["config"] == {"n": 1, "label": "base"}


def test_a_later_scalar_replaces_an_earlier_dict_and_back(tmp_path: Path) -> None:
    first = write(
        tmp_path / "1.yaml", "solids:\n  a:\n    config: {n: 1}\nexecution: {in_process: {}}\n"
    )
    second = write(tmp_path / "2.yaml", "solids:\n  a:\n    config: 7\n")
    third = write(tmp_path / "3.yaml", "solids:\n  a:\n    config: {m: 2}\n")
    preset = PresetDefinition.from_files("p", [first, second, third])
    assert preset.run_config == {
        "solids": {"a": {"config": {"m": 2}}},
        "execution": {"in_process": {}},
    }


def test_from_files_expands_globs_in_sorted_order(tmp_path: Path) -> None:
    write(tmp_path / "conf" / "20_second.yaml", "value: second\nfrom_second: true\n")
    write(tmp_path / "conf" / "10_first.yaml", "value: first\nfrom_first: true\n")
    write(tmp_path / "conf" / "ignored.txt", "value: never\n")
    preset = PresetDefinition.from_files("globbed", [str(tmp_path / "conf" / "*.yaml")])
    assert preset.run_config == {"value": "second", "from_first": True, "from_second": True}


def test_from_files_relative_patterns_use_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "rel.yaml", "x: 1\n")
    monkeypatch.chdir(tmp_path)
    assert PresetDefinition.from_files("rel", ["rel.yaml"]).run_config == {"x": 1}


def test_an_empty_file_adds_nothing(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.yaml", "# only a comment\n")
    full = write(tmp_path / "full.yaml", "a: 1\n")
    assert PresetDefinition.from_files("p", [full, empty]).run_config == {"a": 1}
    assert PresetDefinition.from_files("p", [empty]).run_config == {}
    assert PresetDefinition.from_files("p").run_config == {}


def test_bad_yaml_names_the_preset_file_and_line(tmp_path: Path) -> None:
    good = write(tmp_path / "good.yaml", "a: 1\n")
    bad = write(tmp_path / "bad.yaml", "solids:\n  a:\n    config: [1, 2\n  b: {}\n")
    with pytest.raises(DagsterInvariantViolationError) as excinfo:
        PresetDefinition.from_files("broken", [good, bad])
    message = str(excinfo.value)
    assert message.startswith(f'Preset "broken": {bad} is not valid YAML at line ')
    line = int(message.split(" at line ")[1].split(",")[0])
    assert line in (3, 4), (
        message
    )  # the unclosed list opens on line 3, the parser notices on line 4
    assert "column" in message
    assert isinstance(excinfo.value.__cause__, yaml.YAMLError)


def test_a_tab_indented_file_is_reported_on_its_line(tmp_path: Path) -> None:
    bad = write(tmp_path / "tabs.yaml", "a: 1\nb:\n\tc: 2\n")
    with pytest.raises(
        DagsterInvariantViolationError, match=r"tabs\.yaml is not valid YAML at line 3, column 1"
    ):
        PresetDefinition.from_files("tabs", [bad])


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    listed = write(tmp_path / "list.yaml", "- a\n- b\n")
    with pytest.raises(DagsterInvariantViolationError) as excinfo:
        PresetDefinition.from_files("listy", [listed])
    assert (
        str(excinfo.value) == f'Preset "listy": {listed} must hold a mapping at the top, got list.'
    )


def test_a_missing_file_names_the_pattern_and_working_directory(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.yaml")
    with pytest.raises(DagsterInvariantViolationError) as excinfo:
        PresetDefinition.from_files("absent", [missing])
    message = str(excinfo.value)
    assert f'Preset "absent": no file matches config file pattern "{missing}"' in message
    assert f"(working directory {os.getcwd()})" in message


def test_a_glob_that_matches_nothing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(
        DagsterInvariantViolationError, match=r'no file matches config file pattern ".*\*\.yml"'
    ):
        PresetDefinition.from_files("none", [str(tmp_path / "*.yml")])


def test_from_yaml_strings_merges_like_files() -> None:
    preset = PresetDefinition.from_yaml_strings(
        "strings", ["a: {x: 1, y: 1}\n", "a: {y: 2}\nb: 3\n"], solid_selection=["s"], mode="m"
    )
    assert preset.run_config == {"a": {"x": 1, "y": 2}, "b": 3}
    assert preset.solid_selection == ["s"]
    assert preset.mode == "m"
    with pytest.raises(
        DagsterInvariantViolationError,
        match=r'Preset "strings": yaml string #2 is not valid YAML at line 1',
    ):
        PresetDefinition.from_yaml_strings("strings", ["a: 1", "a: [1"])


def test_file_relative_path_is_relative_to_the_calling_file(tmp_path: Path) -> None:
    here = str(tmp_path / "pkg" / "module.py")
    assert file_relative_path(here, "config/prod.yaml") == str(
        tmp_path / "pkg" / "config" / "prod.yaml"
    )
    assert file_relative_path(__file__, "x.yaml") == os.path.join(
        os.path.dirname(__file__), "x.yaml"
    )


# --- presets in a run -------------------------------------------------------------------------------------


@solid(config_schema={"word": Field(String)}, required_resource_keys={"suffix"})
def say(context: Any) -> str:
    return f"{context.solid_config['word']} ({context.resources.suffix}, {context.get_tag('who')})"


@solid(config_schema={"n": Int})
def number(context: Any) -> int:
    return int(context.solid_config["n"])


@lambda_solid
def doubled(x: int) -> int:
    return x * 2


def preset_pipeline(config_file: str) -> Any:
    @pipeline(
        mode_defs=[
            ModeDefinition(
                "dev", resource_defs={"suffix": ResourceDefinition.hardcoded_resource("dev")}
            ),
            ModeDefinition(
                "prod", resource_defs={"suffix": ResourceDefinition.hardcoded_resource("prod")}
            ),
        ],
        preset_defs=[
            PresetDefinition.from_files(
                "prod", [config_file], mode="prod", solid_selection=["say"], tags={"who": "preset"}
            ),
            PresetDefinition(
                "dev_numbers",
                run_config={"solids": {"number": {"config": {"n": 4}}}},
                mode="dev",
                solid_selection=["number*"],
            ),
        ],
        tags={"who": "pipeline"},
    )
    def presets() -> None:
        doubled(number())
        say()

    return presets


def test_a_preset_from_a_file_supplies_mode_config_selection_and_tags(tmp_path: Path) -> None:
    presets = preset_pipeline(
        write(tmp_path / "prod.yaml", "solids:\n  say:\n    config:\n      word: from-file\n")
    )
    assert presets.get_preset("prod").run_config == {
        "solids": {"say": {"config": {"word": "from-file"}}}
    }
    result = execute_pipeline(presets, preset="prod")
    assert [r.solid.name for r in result.solid_result_list] == ["say"]
    # the preset's mode gives the resource, the preset's tags win over the pipeline's
    assert result.result_for_solid("say").output_value() == "from-file (prod, preset)"


def test_a_preset_selection_needs_no_config_for_unselected_solids(tmp_path: Path) -> None:
    presets = preset_pipeline(write(tmp_path / "prod.yaml", "{}\n"))
    result = execute_pipeline(presets, preset="dev_numbers")
    assert {r.solid.name: r.output_value() for r in result.solid_result_list} == {
        "number": 4,
        "doubled": 8,
    }
