"""``Field``: a config type plus whether it is required, its default and its description.

Rules (those of the reference):

- a default implies "not required"; ``is_required=True`` together with a default is an error;
- with ``is_required=None`` and no default, a field whose type has an implicit default (Any,
  Noneable, a Shape/Permissive whose fields are all optional, a Selector with a single optional
  field) is optional and gets that implicit default: ``None`` for Any/Noneable, the shape's own
  defaults (``{}`` filled) for shapes, the only choice (filled) for selectors;
- otherwise a field is required, unless ``is_required=False`` (then a missing entry stays absent).

A default is a *config value* (what a user would write): it is checked against the type when the
field is made (environment variables are not read then) and processed like user input each time
it is used, so enum defaults map to their Python values and shape defaults get their own defaults.
``default_value=None`` is always allowed (old scripts use it to mean "absent means None").
A ``None`` given for a field whose type does not take ``None`` (anything but Any/Noneable) counts
as "not given" when the field has a default.
"""

from __future__ import annotations

from typing import Any

from notebook_pipelines.config.base import ConfigType, Path, format_value, resolve_schema
from notebook_pipelines.config.result import ConfigError
from notebook_pipelines.errors import (
    DagsterInvalidConfigDefinitionError,
    DagsterInvariantViolationError,
)


class _NoDefault:
    """Type of :data:`FIELD_NO_DEFAULT_PROVIDED`."""

    def __repr__(self) -> str:
        return "FIELD_NO_DEFAULT_PROVIDED"

    def __reduce__(self) -> str:
        return "FIELD_NO_DEFAULT_PROVIDED"


#: The ``default_value`` of a Field that has none.
FIELD_NO_DEFAULT_PROVIDED: Any = _NoDefault()


class Field:
    """A config entry: its type (any config schema), required-ness, default and description."""

    def __init__(
        self,
        config: Any,
        default_value: Any = FIELD_NO_DEFAULT_PROVIDED,
        is_required: bool | None = None,
        description: str | None = None,
    ) -> None:
        if isinstance(config, Field):
            raise DagsterInvalidConfigDefinitionError(
                "Field(...) was given another Field as its config; pass the config type instead "
                f"(e.g. Field({config.config_type.describe()}, ...))."
            )
        if is_required is not None and not isinstance(is_required, bool):
            raise DagsterInvalidConfigDefinitionError(
                f"Field is_required must be True, False or None; got {format_value(is_required)}."
            )
        config_type = resolve_schema(config, "Field config")
        self._type = config_type
        self._description = description
        explicit = default_value is not FIELD_NO_DEFAULT_PROVIDED

        if explicit and is_required:
            raise DagsterInvalidConfigDefinitionError(
                f"Field of type {config_type.short_describe()} has is_required=True and a "
                f"default_value ({format_value(default_value)}); a field with a default is optional."
            )
        if explicit and default_value is not None:
            errors: list[ConfigError] = []
            config_type._validate(default_value, ("default_value",), errors, False)
            if errors:
                details = "; ".join(str(e) for e in errors)
                raise DagsterInvalidConfigDefinitionError(
                    f"Field default_value {format_value(default_value)} is not a valid "
                    f"{config_type.short_describe()}: {details}"
                )

        # _fill: a missing entry gets the default; _raw_default is processed through the type
        # (None: the type's implicit default); _none_default: the default is the constant None.
        self._none_default = explicit and default_value is None
        if explicit:
            self._fill = True
            self._required = False
            self._raw_default: Any = default_value
        elif is_required is None and config_type.has_implicit_default:
            self._fill = True
            self._required = False
            self._raw_default = None
        else:
            self._fill = False
            self._required = True if is_required is None else is_required
            self._raw_default = FIELD_NO_DEFAULT_PROVIDED
        self._explicit = explicit
        # a None value means "use the default" unless None is a value of the type
        self._default_on_none = self._fill and not config_type.none_is_value

    # ---- public properties ---------------------------------------------------------------------

    @property
    def config_type(self) -> ConfigType:
        return self._type

    @property
    def is_required(self) -> bool:
        return self._required

    @property
    def default_provided(self) -> bool:
        """True if the field has a default, given or implied by its type."""
        return self._fill

    @property
    def default_value(self) -> Any:
        """The default as given, or the processed implicit default; raises if there is none."""
        if not self._fill:
            raise DagsterInvariantViolationError(
                f"Field of type {self._type.short_describe()} has no default value; "
                "check default_provided first."
            )
        if self._explicit:
            return self._raw_default
        errors: list[ConfigError] = []
        return self._type._validate(None, ("default_value",), errors, False)

    @property
    def description(self) -> str | None:
        return self._description

    # ---- used by the composite types and validate_config ------------------------------------

    def fill_default(self, path: Path, errors: list[ConfigError], resolve_env: bool) -> Any:
        """The value of a missing entry (only called when ``default_provided``)."""
        if self._none_default:
            return None
        return self._type._validate(self._raw_default, path, errors, resolve_env)

    def process_value(
        self, value: Any, path: Path, errors: list[ConfigError], resolve_env: bool
    ) -> Any:
        """Validate a given entry; ``None`` falls back to the default (see the module notes)."""
        if value is None and self._default_on_none:
            return self.fill_default(path, errors, resolve_env)
        return self._type._validate(value, path, errors, resolve_env)

    def __repr__(self) -> str:
        parts = [self._type.describe()]
        if self._explicit:
            parts.append(f"default_value={format_value(self._raw_default)}")
        parts.append(f"is_required={self._required}")
        if self._description:
            parts.append(f"description={format_value(self._description)}")
        return f"Field({', '.join(parts)})"
