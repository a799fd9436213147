"""The config type base class, the kinds of config types, and the helpers their messages share.

Every config type validates a value in one pass through ``_validate``: it appends a
:class:`~notebook_pipelines.config.result.ConfigError` for every problem it finds (it never stops at
the first) and returns the post-processed value (defaults filled, environment sources read, enum
values mapped). Types are immutable after construction and picklable.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from notebook_pipelines.config.result import ConfigError, location_text

if TYPE_CHECKING:
    from notebook_pipelines.config.field import Field

Path = tuple[str, ...]

#: Longest type description put into an error message before it is shortened.
_MAX_DESCRIPTION = 80


class ConfigTypeKind(str, enum.Enum):
    """What a config type is; compares equal to its lower-case name (``kind == "shape"``)."""

    SCALAR = "scalar"
    ANY = "any"
    ARRAY = "array"
    NONEABLE = "noneable"
    SHAPE = "shape"
    PERMISSIVE = "permissive"
    SELECTOR = "selector"
    ENUM = "enum"
    SCALAR_UNION = "scalar_union"

    def __str__(self) -> str:
        return self.value


_NO_FIELDS: Mapping[str, Field] = MappingProxyType({})


class ConfigType:
    """Base of every config type.

    Structure for schema code and docs: ``kind``, ``fields`` (name -> Field; empty unless the kind
    is shape, permissive or selector), ``inner_type`` (array and noneable), ``description``,
    ``has_required_fields`` and ``has_implicit_default`` (a field of this type may be left out and
    gets a value anyway: Any, Noneable, a shape whose fields are all optional, a selector with one
    optional field).
    """

    kind: ConfigTypeKind
    description: str | None = None
    inner_type: ConfigType | None = None
    has_required_fields: bool = False
    has_implicit_default: bool = False
    #: ``None`` is a real value of this type (Any, Noneable), not "left out".
    none_is_value: bool = False
    _description: str | None = None

    @property
    def fields(self) -> Mapping[str, Field]:
        """Entry name -> Field (read-only); empty for kinds that are not dict-shaped."""
        return _NO_FIELDS

    def describe(self) -> str:
        """A short human name of the type: ``Int``, ``[String]``, ``{n: Int, m?: Float}``."""
        if self._description is None:
            self._description = self._describe()
        return self._description

    def short_describe(self) -> str:
        """:meth:`describe`, shortened for error messages."""
        text = self.describe()
        if len(text) > _MAX_DESCRIPTION:
            text = text[: _MAX_DESCRIPTION - 3] + "..."
        return text

    def _describe(self) -> str:
        raise NotImplementedError

    def _validate(
        self, value: Any, path: Path, errors: list[ConfigError], resolve_env: bool
    ) -> Any:
        """Check ``value``, append every error to ``errors``, return the processed value.

        ``resolve_env=False`` leaves ``{"env": ...}`` sources unread (used for default values).
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


def resolve_schema(schema: object, where: str, subpath: str = "") -> ConfigType:
    """Convert a schema given to a type constructor (fast when it is already a ConfigType)."""
    if isinstance(schema, ConfigType):
        return schema
    # convert.py builds every kind of type, so it is imported here to avoid an import cycle.
    from notebook_pipelines.config.convert import convert_schema_at

    return convert_schema_at(schema, where, subpath)


# ---- message helpers -------------------------------------------------------------------------


def format_value(value: object, limit: int = 60) -> str:
    """A value as it appears in a message: strings in double quotes, long ones shortened."""
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    else:
        try:
            text = repr(value)
        except Exception:  # a broken __repr__ must not hide the config error
            text = f"<{type(value).__name__} object>"
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def quote(name: object) -> str:
    """``"name"``, the way config entry names appear in messages."""
    return json.dumps(str(name), ensure_ascii=False)


def quoted_list(names: Iterable[object]) -> str:
    return ", ".join(quote(n) for n in names)


def with_article(name: str) -> str:
    """``an Int``, ``a String``."""
    return ("an " if name[:1] and name[:1].upper() in "AEIOU" else "a ") + name


def suggest(key: object, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt ``key``, if any is close."""
    import difflib

    matches = difflib.get_close_matches(str(key), list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def unexpected_entry(key: object, allowed: Iterable[str], path: Path) -> ConfigError:
    """The reference's sentence (entry and where), then a suggestion or what is allowed."""
    allowed = list(allowed)
    message = f"Received unexpected config entry {quote(key)} at {location_text(path)}."
    close = suggest(key, allowed)
    if close is not None:
        message += f" Did you mean {quote(close)}?"
    elif allowed:
        message += f" Expected one of {quoted_list(allowed)}."
    else:
        message += " No entries are allowed here."
    return ConfigError(path, message, "unexpected_field")


def missing_entry(name: str, expected: ConfigType, path: Path) -> ConfigError:
    """The reference's exact sentence as the message (users compare it); what the entry expects
    as the detail."""
    return ConfigError(
        path,
        f"Missing required config entry {quote(name)} at {location_text(path)}.",
        "missing_field",
        f"(expected {expected.short_describe()})",
    )
