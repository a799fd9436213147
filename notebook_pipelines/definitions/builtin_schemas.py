"""The loaders and materializers the built-in Dagster types come with.

Inputs of a scalar type (``Int``, ``Float``, ``String``, ``Bool``) or ``Any`` are given in run config
as the value itself (``inputs: {x: 3}``) or through a selector: ``{value: 3}``,
``{json: {path: in.json}}``, ``{pickle: {path: in.pkl}}`` (for ``Any``, any other value is taken as
it is). ``List[X]``, ``Optional[X]``, ``Set[X]``
derive their loaders from ``X``'s. Outputs of the scalar, ``Any`` and collection types can be
written to ``{json: {path: ...}}`` or ``{pickle: {path: ...}}`` (atomically: temp file + rename),
which yields an ``AssetMaterialization`` keyed by the path.
"""

from __future__ import annotations

import json
import os
import pickle
from typing import IO, Any

from ..config import Any as ConfigAny
from ..config import Array, Noneable, Permissive, ScalarUnion, Selector
from ..config import String as ConfigString
from ..user_events import AssetKey, AssetMaterialization, EventMetadataEntry
from .serialization import pickle_dumps
from .type_loaders import DagsterTypeLoader, DagsterTypeMaterializer

_FILE_KINDS = ("json", "pickle")


def _path_schema() -> dict[str, Any]:
    return {"path": ConfigString}


def _single_entry(config_value: Any) -> tuple[str, Any] | None:
    """``(kind, options)`` of a one-entry selector value, else ``None``."""
    if isinstance(config_value, dict) and len(config_value) == 1:
        ((kind, options),) = config_value.items()
        return kind, options
    return None


# --- loading -------------------------------------------------------------------------------------


def _open_input(path: str, kind: str, binary: bool) -> IO[Any]:
    try:
        if binary:
            return open(path, "rb")
        return open(path, encoding="utf-8")
    except FileNotFoundError as error:
        raise FileNotFoundError(
            error.errno, f"Cannot load the input from {kind} file: no such file", path
        ) from None
    except OSError as error:
        raise OSError(
            error.errno, f"Cannot load the input from {kind} file: {error.strerror}", path
        ) from error


def read_json_file(path: str) -> Any:
    """The JSON value stored at ``path``; the error names the path when it cannot be read."""
    with _open_input(path, "json", binary=False) as handle:
        try:
            return json.load(handle)
        except json.JSONDecodeError as error:
            raise ValueError(f'Cannot load the input from json file "{path}": {error}') from error


def read_pickle_file(path: str) -> Any:
    """The value pickled at ``path``; the error names the path when it cannot be read."""
    with _open_input(path, "pickle", binary=True) as handle:
        try:
            return pickle.load(handle)
        except (pickle.UnpicklingError, EOFError) as error:
            raise ValueError(
                f'Cannot load the input from pickle file "{path}": {error or "file is truncated"}'
            ) from error


def load_from_selector_value(config_value: Any) -> Any:
    """Resolve ``{value: v}`` / ``{json: {path}}`` / ``{pickle: {path}}``; other values as given."""
    entry = _single_entry(config_value)
    if entry is None:
        return config_value
    kind, options = entry
    if kind == "value":
        return options
    if kind == "json" and isinstance(options, dict) and "path" in options:
        return read_json_file(options["path"])
    if kind == "pickle" and isinstance(options, dict) and "path" in options:
        return read_pickle_file(options["path"])
    return config_value


def _load_selector(_context: Any, config_value: Any) -> Any:
    return load_from_selector_value(config_value)


def scalar_loader(config_scalar: Any, type_name: str) -> DagsterTypeLoader:
    """The loader of a scalar: the value itself, or a value/json/pickle selector."""
    schema = ScalarUnion(
        scalar_type=config_scalar,
        non_scalar_schema=Selector(
            {"value": config_scalar, "json": _path_schema(), "pickle": _path_schema()}
        ),
    )
    return DagsterTypeLoader(schema, _load_selector, name=f"{type_name} loader")


def any_loader(type_name: str) -> DagsterTypeLoader:
    """The loader of ``Any``: any config value; ``{value: v}``, ``{json: {path}}`` and
    ``{pickle: {path}}`` are resolved like a scalar's selector (``Any`` cannot be the scalar side
    of a ``ScalarUnion``, so the schema is ``Any`` itself)."""
    return DagsterTypeLoader(ConfigAny, _load_selector, name=f"{type_name} loader")


def list_loader(inner: DagsterTypeLoader, type_name: str) -> DagsterTypeLoader:
    """``List[X]``: a list of whatever ``X``'s loader takes."""

    def load(context: Any, config_value: Any) -> list[Any]:
        return [inner.construct_from_config_value(context, item) for item in config_value]

    return DagsterTypeLoader(
        Array(inner.schema_type), load, inner.required_resource_keys, name=f"{type_name} loader"
    )


def set_loader(inner: DagsterTypeLoader | None, type_name: str) -> DagsterTypeLoader:
    """``Set[X]``: a list of what ``X``'s loader takes (of anything without one), as a set."""

    def load(context: Any, config_value: Any) -> set[Any]:
        if inner is None:
            return set(config_value)
        return {inner.construct_from_config_value(context, item) for item in config_value}

    schema = Array(inner.schema_type if inner is not None else ConfigAny)
    keys = inner.required_resource_keys if inner is not None else None
    return DagsterTypeLoader(schema, load, keys, name=f"{type_name} loader")


def tuple_loader(type_name: str) -> DagsterTypeLoader:
    """``Tuple``: a list of values (checked by the type check after loading), as a tuple."""

    def load(_context: Any, config_value: Any) -> tuple[Any, ...]:
        return tuple(config_value)

    return DagsterTypeLoader(Array(ConfigAny), load, name=f"{type_name} loader")


def optional_loader(inner: DagsterTypeLoader, type_name: str) -> DagsterTypeLoader:
    """``Optional[X]``: ``None`` or whatever ``X``'s loader takes."""

    def load(context: Any, config_value: Any) -> Any:
        if config_value is None:
            return None
        return inner.construct_from_config_value(context, config_value)

    return DagsterTypeLoader(
        Noneable(inner.schema_type), load, inner.required_resource_keys, name=f"{type_name} loader"
    )


def dict_loader(type_name: str) -> DagsterTypeLoader:
    """``Dict``: the mapping given in config (its entries are checked by the type check)."""

    def load(_context: Any, config_value: Any) -> dict[Any, Any]:
        return dict(config_value)

    return DagsterTypeLoader(Permissive(), load, name=f"{type_name} loader")


# --- materializing -------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def write_atomically(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temp file in the same folder and a rename."""
    import tempfile

    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, temp_path = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp_path, path)
    except BaseException:
        try:
            os.unlink(temp_path)
        except OSError:
            pass
        raise


def _materialize_to_file(_context: Any, config_value: Any, runtime_value: Any) -> Any:
    entry = _single_entry(config_value)
    if entry is None or entry[0] not in _FILE_KINDS:
        raise ValueError(
            f"Expected one of {{json: {{path: ...}}}} or {{pickle: {{path: ...}}}}, "
            f"got {config_value!r:.200}"
        )
    kind, options = entry
    path = str(options["path"])
    if kind == "json":
        data = json.dumps(runtime_value, default=_json_default).encode("utf-8")
    else:
        data = pickle_dumps(runtime_value)
    write_atomically(path, data)
    return AssetMaterialization(
        asset_key=AssetKey(path),
        description=f"Output written as {kind} to {path}",
        metadata_entries=(EventMetadataEntry.path(path, "path"),),
    )


def file_materializer(type_name: str) -> DagsterTypeMaterializer:
    """Write the value as json or pickle to a path; an ``AssetMaterialization`` keyed by it."""
    schema = Selector({"json": _path_schema(), "pickle": _path_schema()})
    return DagsterTypeMaterializer(schema, _materialize_to_file, name=f"{type_name} materializer")


def optional_materializer(
    inner: DagsterTypeMaterializer, type_name: str
) -> DagsterTypeMaterializer:
    """``Optional[X]``: ``X``'s materializer, skipped (no materialization) when the value is None."""

    def materialize(context: Any, config_value: Any, runtime_value: Any) -> Any:
        if runtime_value is None:
            return []
        return inner.materialize_runtime_values(context, config_value, runtime_value)

    return DagsterTypeMaterializer(
        inner.schema_type,
        materialize,
        inner.required_resource_keys,
        name=f"{type_name} materializer",
    )
