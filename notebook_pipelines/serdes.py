"""Plain-data serialisation for records that cross process and storage boundaries (layer 0).

Records are frozen dataclasses registered with :func:`serializable`. :func:`pack` turns a value made of
registered records, enums, tuples, lists, dicts and JSON scalars into JSON-able data (each record as a
dict with a ``"__class__"`` key); :func:`unpack` reverses it. :func:`serialize` / :func:`deserialize`
add the JSON text step. Unknown objects are refused with an error naming their type, so nothing is
silently lost on the way to storage.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from typing import Any, TypeVar

_RECORDS: dict[str, type] = {}
_ENUMS: dict[str, type[enum.Enum]] = {}
# registered record class -> its field names, so that packing a record reads no dataclass metadata
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
# exact types packed as themselves (subclasses such as ``str`` enums are checked one by one)
_SCALAR_TYPES = frozenset({type(None), bool, int, float, str})

T = TypeVar("T", bound=type)


def serializable(cls: T) -> T:
    """Class decorator: register a dataclass or Enum for :func:`pack` / :func:`unpack`."""
    name = cls.__name__
    if issubclass(cls, enum.Enum):
        _ENUMS[name] = cls
    elif dataclasses.is_dataclass(cls):
        previous = _RECORDS.get(name)
        if previous is not None:  # a class registered again under the same name replaces it
            _FIELD_NAMES.pop(previous, None)
        _RECORDS[name] = cls
        _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    else:
        raise TypeError(f"@serializable expects a dataclass or an Enum, got {cls!r}")
    return cls


def pack(value: Any) -> Any:
    """Turn ``value`` into JSON-able data, keeping record and enum classes by name."""
    cls = type(value)
    if cls in _SCALAR_TYPES:
        return value
    names = _FIELD_NAMES.get(cls)
    if names is not None:  # a registered record (the common case: the hot path of event storage)
        packed: dict[str, Any] = {"__class__": cls.__name__}
        for name in names:
            packed[name] = pack(getattr(value, name))
        return packed
    if isinstance(value, enum.Enum) and _ENUMS.get(cls.__name__) is cls:
        # before the scalar test: a registered ``str``/``int`` enum must come back as its member
        return {"__enum__": f"{cls.__name__}.{value.name}"}
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return {"__enum__": f"{type(value).__name__}.{value.name}"}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [pack(v) for v in value]
        if isinstance(value, list):
            return items
        kind = "tuple" if isinstance(value, tuple) else "set"
        return {"__" + kind + "__": items}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            if any(k.startswith("__") and k.endswith("__") for k in value):
                return {"__dict__": [[k, pack(v)] for k, v in value.items()]}
            return {k: pack(v) for k, v in value.items()}
        return {"__dict__": [[pack(k), pack(v)] for k, v in value.items()]}
    raise TypeError(f"Cannot serialise a {cls.__module__}.{cls.__qualname__}: {value!r:.200}")


def unpack(data: Any) -> Any:
    """Rebuild what :func:`pack` produced."""
    if isinstance(data, list):
        return [unpack(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "__class__" in data:
        cls = _RECORDS.get(data["__class__"])
        if cls is None:
            raise TypeError(f"Unknown record class {data['__class__']!r} in serialised data")
        kwargs = {k: unpack(v) for k, v in data.items() if k != "__class__"}
        return cls(**kwargs)
    if "__enum__" in data:
        enum_name, member = data["__enum__"].split(".", 1)
        return _ENUMS[enum_name][member]
    if "__tuple__" in data:
        return tuple(unpack(v) for v in data["__tuple__"])
    if "__set__" in data:
        return frozenset(unpack(v) for v in data["__set__"])
    if "__dict__" in data:
        return {unpack(k): unpack(v) for k, v in data["__dict__"]}
    return {k: unpack(v) for k, v in data.items()}


def serialize(value: Any) -> str:
    """``value`` as compact JSON text."""
    return json.dumps(pack(value), separators=(",", ":"), sort_keys=False)


def deserialize(text: str) -> Any:
    """The value that :func:`serialize` wrote."""
    return unpack(json.loads(text))
