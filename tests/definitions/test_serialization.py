"""Serialization strategies: pickle with the cloudpickle fallback, and custom strategies."""

from __future__ import annotations

import io
import json
import pickle
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

import pytest

from notebook_pipelines.definitions.serialization import (
    DEFAULT_SERIALIZATION_STRATEGY,
    PickleSerializationStrategy,
    SerializationStrategy,
)


def roundtrip(strategy: SerializationStrategy, value: Any) -> Any:
    buffer = io.BytesIO()
    strategy.serialize(value, buffer)
    buffer.seek(0)
    return strategy.deserialize(buffer)


def test_pickle_strategy_defaults() -> None:
    strategy = PickleSerializationStrategy()
    assert (strategy.name, strategy.write_mode, strategy.read_mode) == ("pickle", "wb", "rb")
    assert isinstance(DEFAULT_SERIALIZATION_STRATEGY, PickleSerializationStrategy)
    value = {"a": [1, 2.5, None], "b": (b"x", frozenset({1}))}
    assert roundtrip(strategy, value) == value


def test_plain_data_uses_the_highest_protocol() -> None:
    buffer = io.BytesIO()
    PickleSerializationStrategy().serialize([1, 2], buffer)
    assert buffer.getvalue() == pickle.dumps([1, 2], protocol=pickle.HIGHEST_PROTOCOL)


def test_lambdas_and_local_objects_fall_back_to_cloudpickle() -> None:
    factor = 3

    class Local:
        def __init__(self, x: int) -> None:
            self.x = x

    fn = roundtrip(PickleSerializationStrategy(), lambda v: v * factor)
    assert fn(2) == 6
    assert roundtrip(PickleSerializationStrategy(), Local(4)).x == 4


def test_main_module_classes_load_in_another_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A class defined in a notebook kernel lives in __main__: plain pickle would store only the
    # reference "__main__.Point", which no other process can resolve.
    main = sys.modules["__main__"]
    point_cls = type("Point", (), {"__module__": "__main__", "norm": lambda self: self.x + 1})
    monkeypatch.setattr(main, "Point", point_cls, raising=False)
    point = point_cls()
    point.x = 41
    assert pickle.loads(pickle.dumps(point)).x == 41  # plain pickle "works" in this process
    path = tmp_path / "point.pkl"
    with open(path, "wb") as handle:
        PickleSerializationStrategy().serialize(point, handle)
    code = f"import pickle; print(pickle.load(open({str(path)!r}, 'rb')).norm())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "42"


def test_unpicklable_values_raise_and_write_nothing() -> None:
    buffer = io.BytesIO()
    with pytest.raises(TypeError, match="lock"):
        PickleSerializationStrategy().serialize({"lock": threading.Lock()}, buffer)
    assert buffer.getvalue() == b""


def test_custom_text_strategy() -> None:
    class JsonStrategy(SerializationStrategy):
        def __init__(self) -> None:
            super().__init__("json", write_mode="w", read_mode="r")

        def serialize(self, value: Any, write_file_obj: IO[Any]) -> None:
            json.dump(value, write_file_obj)

        def deserialize(self, read_file_obj: IO[Any]) -> Any:
            return json.load(read_file_obj)

    strategy = JsonStrategy()
    assert (strategy.write_mode, strategy.read_mode) == ("w", "r")
    buffer = io.StringIO()
    strategy.serialize({"a": 1}, buffer)
    buffer.seek(0)
    assert strategy.deserialize(buffer) == {"a": 1}
    assert repr(strategy) == "JsonStrategy('json')"


def test_strategy_is_abstract_and_needs_a_name() -> None:
    with pytest.raises(TypeError):
        SerializationStrategy("x")  # type: ignore[abstract]
    with pytest.raises(TypeError, match="non-empty name"):
        PickleSerializationStrategy("")
