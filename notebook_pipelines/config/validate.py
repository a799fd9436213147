"""``validate_config``: check a config value against a schema and process it, in one pass.

Every error is collected (the walk never stops at the first) with its path, and on success the
value comes back processed: defaults filled at every depth, environment sources read, enum
strings mapped to their Python values, ``None`` kept for Noneable entries.
"""

from __future__ import annotations

from typing import Any

from notebook_pipelines.config.base import ConfigType, Path
from notebook_pipelines.config.convert import convert_to_config_type
from notebook_pipelines.config.field import Field
from notebook_pipelines.config.result import ConfigError, ConfigValidationResult


def validate_config(
    config_type_or_field: ConfigType | Field | Any,
    value: Any,
    path: Path = ("root",),
    *,
    resolve_env: bool = True,
) -> ConfigValidationResult:
    """Validate ``value`` against a config type or Field; errors have paths starting at ``path``.

    With a Field, a ``None`` value counts as "not given" (the field's default is used) unless
    ``None`` is a value of the field's type (Any, Noneable). Any other schema is converted first
    (convert schemas once, at definition time, where validation runs often).
    ``resolve_env=False`` leaves ``{"env": ...}`` sources unread.
    """
    errors: list[ConfigError] = []
    if isinstance(config_type_or_field, Field):
        processed = config_type_or_field.process_value(value, path, errors, resolve_env)
    else:
        if not isinstance(config_type_or_field, ConfigType):
            config_type_or_field = convert_to_config_type(
                config_type_or_field, where="validate_config"
            )
        processed = config_type_or_field._validate(value, path, errors, resolve_env)
    if errors:
        return ConfigValidationResult(None, errors)
    return ConfigValidationResult(processed, errors)
