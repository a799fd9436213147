"""What user code yields or raises: outputs, materializations, expectations, type checks, metadata,
``Failure`` and ``RetryRequested`` (layer 1: plain data, serialisable, no execution imports)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import DagsterInvalidDefinitionError
from .serdes import serializable

# --- metadata -----------------------------------------------------------------------------------


@serializable
@dataclass(frozen=True)
class TextMetadataEntryData:
    """Plain text."""

    text: str


@serializable
@dataclass(frozen=True)
class UrlMetadataEntryData:
    """A URL."""

    url: str


@serializable
@dataclass(frozen=True)
class PathMetadataEntryData:
    """A filesystem path."""

    path: str


@serializable
@dataclass(frozen=True)
class JsonMetadataEntryData:
    """JSON-able data (a dict)."""

    data: Any


@serializable
@dataclass(frozen=True)
class MarkdownMetadataEntryData:
    """Markdown text."""

    md_str: str


@serializable
@dataclass(frozen=True)
class FloatMetadataEntryData:
    """A float."""

    value: float


@serializable
@dataclass(frozen=True)
class IntMetadataEntryData:
    """An int."""

    value: int


@serializable
@dataclass(frozen=True)
class EventMetadataEntry:
    """A labelled piece of metadata attached to a materialization, expectation or type check."""

    label: str
    description: str | None
    entry_data: Any

    @staticmethod
    def text(text: str, label: str, description: str | None = None) -> EventMetadataEntry:
        return EventMetadataEntry(label, description, TextMetadataEntryData(text))

    @staticmethod
    def url(url: str, label: str, description: str | None = None) -> EventMetadataEntry:
        return EventMetadataEntry(label, description, UrlMetadataEntryData(url))

    @staticmethod
    def path(path: str, label: str, description: str | None = None) -> EventMetadataEntry:
        return EventMetadataEntry(label, description, PathMetadataEntryData(str(path)))

    fspath = path

    @staticmethod
    def json(data: Any, label: str, description: str | None = None) -> EventMetadataEntry:
        return EventMetadataEntry(label, description, JsonMetadataEntryData(data))

    @staticmethod
    def md(md_str: str, label: str, description: str | None = None) -> EventMetadataEntry:
        return EventMetadataEntry(label, description, MarkdownMetadataEntryData(md_str))

    @staticmethod
    def float(value: float, label: str, description: str | None = None) -> EventMetadataEntry:
        return EventMetadataEntry(label, description, FloatMetadataEntryData(value))

    @staticmethod
    def int(value: int, label: str, description: str | None = None) -> EventMetadataEntry:
        return EventMetadataEntry(label, description, IntMetadataEntryData(value))


def _entries(entries: Sequence[EventMetadataEntry] | None, where: str) -> tuple[Any, ...]:
    entries = tuple(entries or ())
    for entry in entries:
        if not isinstance(entry, EventMetadataEntry):
            raise DagsterInvalidDefinitionError(
                f"{where}: metadata_entries must be EventMetadataEntry objects, got {entry!r}"
            )
    return entries


# --- assets, materializations, expectations, type checks ----------------------------------------

_ASSET_KEY_PART = re.compile(r"^[\w.\-]+$")


@serializable
@dataclass(frozen=True, init=False)
class AssetKey:
    """The key of an asset: a path of one or more parts (``AssetKey("table")``, ``AssetKey(["db", "t"])``)."""

    path: list[str]  # a list, as the reference's

    def __init__(self, path: str | Sequence[str]):
        parts = [path] if isinstance(path, str) else list(path)
        if not parts or not all(isinstance(p, str) and p for p in parts):
            raise DagsterInvalidDefinitionError(
                f"AssetKey needs one or more non-empty strings, got {path!r}"
            )
        object.__setattr__(self, "path", parts)

    def __hash__(self) -> int:
        return hash(tuple(self.path))

    def to_string(self) -> str:
        return ".".join(self.path)

    def __str__(self) -> str:
        return self.to_string()


@serializable
@dataclass(frozen=True)
class AssetMaterialization:
    """An asset was written (yield it from a solid)."""

    asset_key: AssetKey | str | Sequence[str]
    description: str | None = None
    metadata_entries: Sequence[EventMetadataEntry] = ()
    partition: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.asset_key, (str, list, tuple)):
            object.__setattr__(self, "asset_key", AssetKey(self.asset_key))
        elif not isinstance(self.asset_key, AssetKey):
            raise DagsterInvalidDefinitionError(
                f"AssetMaterialization.asset_key must be a str, a list of str or an AssetKey, "
                f"got {self.asset_key!r}"
            )
        object.__setattr__(
            self, "metadata_entries", _entries(self.metadata_entries, "AssetMaterialization")
        )

    @property
    def label(self) -> str:
        return str(self.asset_key)


@serializable
@dataclass(frozen=True)
class Materialization:
    """The older form of :class:`AssetMaterialization`, labelled rather than keyed."""

    label: str
    description: str | None = None
    metadata_entries: Sequence[EventMetadataEntry] = ()
    asset_key: AssetKey | str | Sequence[str] | None = None
    partition: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.asset_key, (str, list, tuple)):
            object.__setattr__(self, "asset_key", AssetKey(self.asset_key))
        object.__setattr__(
            self, "metadata_entries", _entries(self.metadata_entries, "Materialization")
        )


@serializable
@dataclass(frozen=True)
class ExpectationResult:
    """The outcome of a data-quality expectation (yield it from a solid)."""

    success: bool
    label: str | None = None
    description: str | None = None
    metadata_entries: Sequence[EventMetadataEntry] = ()

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "metadata_entries", _entries(self.metadata_entries, "ExpectationResult")
        )


@serializable
@dataclass(frozen=True)
class TypeCheck:
    """The outcome of a type check, returned by a type check function."""

    success: bool
    description: str | None = None
    metadata_entries: Sequence[EventMetadataEntry] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "metadata_entries", _entries(self.metadata_entries, "TypeCheck"))


@dataclass(frozen=True)
class Output:
    """A value for one of a solid's outputs (``yield Output(v, "name")``)."""

    value: Any
    output_name: str = "result"


# --- control flow raised by user code ------------------------------------------------------------


class Failure(Exception):
    """Raise to fail a step on purpose, with a description and metadata."""

    def __init__(
        self,
        description: str | None = None,
        metadata_entries: Sequence[EventMetadataEntry] | None = None,
    ):
        super().__init__(description)
        self.description = description
        self.metadata_entries = _entries(metadata_entries, "Failure")


class RetryRequested(Exception):
    """Raise to ask the executor to run the step again (up to ``max_retries`` times)."""

    def __init__(self, max_retries: int = 1, seconds_to_wait: float | None = None):
        super().__init__(f"Retry requested (max_retries={max_retries})")
        self.max_retries = max_retries
        self.seconds_to_wait = seconds_to_wait
