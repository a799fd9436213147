"""What validation returns: every :class:`ConfigError` with its path, and the processed value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from notebook_pipelines.errors import DagsterInvalidConfigError

#: The machine-readable ``reason`` codes a :class:`ConfigError` can carry.
CONFIG_ERROR_REASONS = frozenset(
    {
        "missing_field",  # a required entry is absent
        "unexpected_field",  # an entry the schema does not define
        "wrong_type",  # a value of the wrong kind (1.5 for an Int, 3 for a dict, ...)
        "selector_empty",  # a selector with several choices got none
        "selector_multiple",  # a selector got more than one choice
        "invalid_enum_value",  # a string that is not one of the enum's values
        "env_var_unset",  # {"env": "VAR"} names a variable that is not set
        "env_var_invalid",  # the variable's text cannot be parsed (IntSource, BoolSource)
    }
)


def path_text(path: tuple[str, ...]) -> str:
    """``root:solids:adder:config:n``; array indices attach directly: ``root:items[0]:x``."""
    parts: list[str] = []
    for segment in path:
        if parts and segment.startswith("["):
            parts[-1] += segment
        else:
            parts.append(segment)
    return ":".join(parts)


def location_text(path: tuple[str, ...]) -> str:
    """Where an error is, the way the reference's messages say it: ``the root`` or
    ``path root:solids:adder``."""
    return "the root" if path == ("root",) else f"path {path_text(path)}"


@dataclass(frozen=True, slots=True)
class ConfigError:
    """One problem in a config value, at ``path`` (``("root", "solids", "adder", "config")``).

    ``message`` is for people and names the entry; ``reason`` is one of
    :data:`CONFIG_ERROR_REASONS`. Array elements appear in the path as ``"[0]"``. Where the
    message is the reference's exact sentence (``Missing required config entry "n" at the
    root.``), ``detail`` holds the project's further help (what the entry expects); ``str()`` of
    the error, and of the exception listing it, shows both.
    """

    path: tuple[str, ...]
    message: str
    reason: str
    detail: str = ""

    @property
    def path_str(self) -> str:
        """``root:solids:adder:config:n``; array indices attach directly: ``root:items[0]:x``."""
        return path_text(self.path)

    @property
    def names_its_location(self) -> bool:
        """Whether the message itself says where the error is (``... at path root:solids.``)."""
        return f" at {location_text(self.path)}" in self.message

    def __str__(self) -> str:
        text = f"{self.message} {self.detail}" if self.detail else self.message
        return text if self.names_its_location else f"at {self.path_str}: {text}"


@dataclass(frozen=True, slots=True)
class ConfigValidationResult:
    """The outcome of :func:`~notebook_pipelines.config.validate.validate_config`.

    ``value`` is the processed value on success and ``None`` on failure; ``errors`` lists every
    problem found, in the order of the schema.
    """

    value: Any
    errors: list[ConfigError]

    @property
    def success(self) -> bool:
        return not self.errors

    def value_or_raise(self, preamble: str, config_value: Any = None) -> Any:
        """The processed value, or :class:`DagsterInvalidConfigError` listing every error."""
        if self.errors:
            raise DagsterInvalidConfigError(preamble, self.errors, config_value)
        return self.value
