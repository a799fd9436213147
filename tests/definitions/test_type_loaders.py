"""Loaders and materializers: the built-in ones (config values, json and pickle files) and the
``@dagster_type_loader`` / ``@dagster_type_materializer`` decorators."""

from __future__ import annotations

import json
import logging
import os
import pickle
from pathlib import Path
from types import SimpleNamespace
from typing import Any as AnyT

import pytest

from notebook_pipelines.config import validate_config
from notebook_pipelines.definitions.type_loaders import (
    DagsterTypeLoader,
    DagsterTypeMaterializer,
    dagster_type_loader,
    dagster_type_materializer,
    input_hydration_config,
    output_materialization_config,
)
from notebook_pipelines.definitions.types import (
    Any,
    Bool,
    DagsterType,
    Dict,
    Float,
    Int,
    List,
    Nothing,
    Optional,
    Set,
    String,
    Tuple,
    resolve_dagster_type,
)
from notebook_pipelines.errors import (
    DagsterInvalidConfigDefinitionError,
    DagsterInvalidDefinitionError,
    DagsterInvariantViolationError,
)
from notebook_pipelines.user_events import (
    AssetKey,
    AssetMaterialization,
    EventMetadataEntry,
    Materialization,
)

CTX = SimpleNamespace(log=logging.getLogger("tests"), resources=SimpleNamespace(), run_id="r")


def load(dagster_type: DagsterType, config_value: AnyT) -> AnyT:
    """What the engine does for an input given in run config: validate, then construct."""
    loader = dagster_type.loader
    assert loader is not None
    result = validate_config(loader.schema_type, config_value)
    assert result.success, result.errors
    return loader.construct_from_config_value(CTX, result.value)


def invalid(dagster_type: DagsterType, config_value: AnyT) -> bool:
    assert dagster_type.loader is not None
    return not validate_config(dagster_type.loader.schema_type, config_value).success


def materialize(dagster_type: DagsterType, config_value: AnyT, value: AnyT) -> list:
    materializer = dagster_type.materializer
    assert materializer is not None
    result = validate_config(materializer.schema_type, config_value)
    assert result.success, result.errors
    return materializer.materialize_runtime_values(CTX, result.value, value)


@pytest.fixture
def files(tmp_path: Path) -> SimpleNamespace:
    json_path = tmp_path / "in.json"
    json_path.write_text(json.dumps({"n": 7}))
    pickle_path = tmp_path / "in.pkl"
    pickle_path.write_bytes(pickle.dumps({1, 2}))
    return SimpleNamespace(json=str(json_path), pickle=str(pickle_path), folder=tmp_path)


# --- built-in loaders ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dagster_type", "value", "wrong"),
    [(Int, 3, "3"), (Float, 1.5, "x"), (String, "s", 1), (Bool, True, "yes")],
)
def test_scalar_loaders_take_the_value_or_a_selector(
    dagster_type: DagsterType, value: AnyT, wrong: AnyT
) -> None:
    assert load(dagster_type, value) == value
    assert load(dagster_type, {"value": value}) == value
    assert invalid(dagster_type, wrong)
    assert invalid(dagster_type, {"value": wrong})
    assert invalid(dagster_type, {"value": value, "json": {"path": "x"}})
    assert invalid(dagster_type, {"csv": {"path": "x"}})


def test_scalar_loaders_read_json_and_pickle_files(files: SimpleNamespace) -> None:
    assert load(Int, {"json": {"path": files.json}}) == {"n": 7}  # the type check comes later
    assert load(Any, {"pickle": {"path": files.pickle}}) == {1, 2}
    assert invalid(Int, {"json": {"path": 3}})
    assert invalid(Int, {"json": {}})


def test_missing_or_broken_files_raise_errors_naming_the_path(files: SimpleNamespace) -> None:
    missing = str(files.folder / "nope.json")
    with pytest.raises(FileNotFoundError) as info:
        load(Int, {"json": {"path": missing}})
    assert missing in str(info.value) and "json file" in str(info.value)
    with pytest.raises(FileNotFoundError, match="pickle file"):
        load(String, {"pickle": {"path": missing}})
    broken = files.folder / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match=f'json file "{broken}"'):
        load(Int, {"json": {"path": str(broken)}})
    truncated = files.folder / "truncated.pkl"
    truncated.write_bytes(pickle.dumps([1, 2, 3])[:5])
    with pytest.raises(ValueError, match=f'pickle file "{truncated}"'):
        load(Int, {"pickle": {"path": str(truncated)}})


def test_any_loader_takes_any_value_and_the_selector_forms(files: SimpleNamespace) -> None:
    assert load(Any, 3) == 3
    assert load(Any, [1, "a"]) == [1, "a"]
    assert load(Any, {"a": 1, "b": 2}) == {"a": 1, "b": 2}
    assert load(Any, {"value": {"a": 1}}) == {"a": 1}
    assert load(Any, {"json": {"path": files.json}}) == {"n": 7}
    assert load(Any, None) is None


def test_list_loader_is_derived_from_the_inner_loader(files: SimpleNamespace) -> None:
    assert load(List[Int], [1, {"value": 2}, {"json": {"path": files.json}}]) == [1, 2, {"n": 7}]
    assert invalid(List[Int], [1, "2"])
    assert invalid(List[Int], 1)
    assert load(List, [1, "a", {"value": None}]) == [1, "a", None]
    assert load(List[List[String]], [["a"], []]) == [["a"], []]


def test_optional_loader() -> None:
    assert load(Optional[Int], None) is None
    assert load(Optional[Int], 4) == 4
    assert load(Optional[Int], {"value": 4}) == 4
    assert invalid(Optional[Int], "4")


def test_collection_loaders() -> None:
    assert load(Dict, {"a": 1, "b": [2]}) == {"a": 1, "b": [2]}
    assert load(Dict[String, Int], {"a": 1}) == {"a": 1}
    assert Dict[Int, Int].loader is None  # config keys are strings
    assert load(Set, [1, 1, 2]) == {1, 2}
    assert load(Set[Int], [1, {"value": 2}]) == {1, 2}
    assert invalid(Set[Int], ["x"])
    assert load(Tuple, [1, "a"]) == (1, "a")
    assert load(Tuple[Int, String], [1, "a"]) == (1, "a")


def test_types_without_loaders() -> None:
    class Frame:
        pass

    frame = resolve_dagster_type(Frame)
    assert frame.loader is None and frame.materializer is None
    assert List[frame].loader is None and Optional[frame].loader is None
    assert Set[frame].loader is None and Tuple[frame, Int].loader is None
    assert Nothing.loader is None and Nothing.materializer is None


# --- built-in materializers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dagster_type", "value"),
    [
        (Int, 3),
        (String, "ü"),
        (Any, {"a": [1, None]}),
        (List[Int], [1, 2]),
        (Dict[String, Int], {"a": 1}),
        (Tuple[Int, String], (1, "a")),
        (Set[Int], {3}),
    ],
)
def test_materializers_write_json_and_pickle(
    dagster_type: DagsterType, value: AnyT, tmp_path: Path
) -> None:
    json_path = str(tmp_path / "sub" / "out.json")
    (event,) = materialize(dagster_type, {"json": {"path": json_path}}, value)
    assert isinstance(event, AssetMaterialization)
    assert event.asset_key == AssetKey(json_path)
    assert event.metadata_entries == (EventMetadataEntry.path(json_path, "path"),)
    loaded = json.loads(Path(json_path).read_text(encoding="utf-8"))
    expected = list(value) if isinstance(value, (set, tuple)) else value
    assert loaded == expected

    pickle_path = str(tmp_path / "out.pkl")
    (event,) = materialize(dagster_type, {"pickle": {"path": pickle_path}}, value)
    assert event.asset_key == AssetKey(pickle_path)
    assert pickle.loads(Path(pickle_path).read_bytes()) == value
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["out.json", "out.pkl"]


def test_materializer_schema_rejects_unknown_kinds() -> None:
    assert Int.materializer is not None
    schema = Int.materializer.schema_type
    assert not validate_config(schema, {"csv": {"path": "x"}}).success
    assert not validate_config(schema, "x.json").success


def test_materializer_failure_leaves_no_file_behind(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    with pytest.raises(TypeError, match="not JSON serializable"):
        materialize(Any, {"json": {"path": str(path)}}, object())
    assert list(tmp_path.iterdir()) == []
    path.write_text("old")
    materialize(Int, {"json": {"path": str(path)}}, 5)
    assert path.read_text() == "5"
    assert os.listdir(tmp_path) == ["out.json"]


def test_optional_materializer_skips_none(tmp_path: Path) -> None:
    path = str(tmp_path / "o.json")
    assert materialize(Optional[Int], {"json": {"path": path}}, None) == []
    assert not os.path.exists(path)
    assert len(materialize(Optional[Int], {"json": {"path": path}}, 2)) == 1
    assert json.loads(Path(path).read_text()) == 2


# --- decorators ----------------------------------------------------------------------------------


def test_dagster_type_loader_decorator() -> None:
    calls = []

    @dagster_type_loader({"path": str}, required_resource_keys={"fs"})
    def frame_loader(context: AnyT, config_value: AnyT) -> str:
        calls.append(context)
        return "frame from " + config_value["path"]

    assert isinstance(frame_loader, DagsterTypeLoader)
    assert frame_loader.required_resource_keys == {"fs"}
    assert frame_loader.schema_type.kind == "shape"
    assert "frame_loader" in repr(frame_loader)
    assert frame_loader.construct_from_config_value(CTX, {"path": "p"}) == "frame from p"
    assert calls == [CTX]
    assert input_hydration_config is dagster_type_loader
    assert Int.loader is not None
    loaded_type = DagsterType(lambda _, v: True, name="Frame", loader=frame_loader)
    assert loaded_type.required_resource_keys == {"fs"}


def test_loader_exceptions_propagate() -> None:
    @dagster_type_loader(int)
    def broken(_context: AnyT, _value: AnyT) -> AnyT:
        raise KeyError("missing")

    with pytest.raises(KeyError, match="missing"):
        broken.construct_from_config_value(CTX, 1)


def test_dagster_type_materializer_decorator_normalises_results() -> None:
    single = AssetMaterialization(AssetKey("a"))
    older = Materialization("b")

    @dagster_type_materializer(str)
    def one(_c: AnyT, _config: AnyT, _value: AnyT) -> AnyT:
        return single

    @dagster_type_materializer(str)
    def several(_c: AnyT, _config: AnyT, _value: AnyT) -> AnyT:
        return [single, older]

    @dagster_type_materializer(str)
    def nothing(_c: AnyT, _config: AnyT, _value: AnyT) -> AnyT:
        return None

    @dagster_type_materializer(str)
    def wrong(_c: AnyT, _config: AnyT, _value: AnyT) -> AnyT:
        return "done"

    assert isinstance(one, DagsterTypeMaterializer)
    assert one.materialize_runtime_values(CTX, "x", 1) == [single]
    assert several.materialize_runtime_values(CTX, "x", 1) == [single, older]
    assert nothing.materialize_runtime_values(CTX, "x", 1) == []
    with pytest.raises(DagsterInvariantViolationError, match=r'"[^"]*wrong" must return an Asset'):
        wrong.materialize_runtime_values(CTX, "x", 1)
    assert output_materialization_config is dagster_type_materializer


def test_decorator_definition_errors() -> None:
    with pytest.raises(DagsterInvalidDefinitionError, match="2 positional arguments"):
        dagster_type_loader(int)(lambda value: value)  # type: ignore[arg-type, misc]
    with pytest.raises(DagsterInvalidDefinitionError, match="3 positional arguments"):
        dagster_type_materializer(int)(lambda c, v: v)  # type: ignore[arg-type, misc]
    with pytest.raises(DagsterInvalidDefinitionError, match="needs a config schema"):

        @dagster_type_loader
        def bare(_c: AnyT, v: AnyT) -> AnyT:
            return v

    with pytest.raises(DagsterInvalidConfigDefinitionError) as info:

        @dagster_type_loader({"path": object()})
        def bad_schema(_c: AnyT, v: AnyT) -> AnyT:
            return v

    assert "bad_schema" in str(info.value)
    with pytest.raises(DagsterInvalidDefinitionError, match="got the string 'db'"):
        dagster_type_loader(int, required_resource_keys="db")(lambda c, v: v)
