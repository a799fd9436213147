"""The config system (layer 1): config types, Field, schema conversion and validation."""

from notebook_pipelines.config.base import ConfigType, ConfigTypeKind
from notebook_pipelines.config.composite import Permissive, Selector, Shape
from notebook_pipelines.config.convert import ConfigSchema, convert_to_config_type, convert_to_field
from notebook_pipelines.config.enums import Enum, EnumValue
from notebook_pipelines.config.field import Field
from notebook_pipelines.config.result import ConfigError, ConfigValidationResult
from notebook_pipelines.config.scalars import Any, Bool, Float, Int, String
from notebook_pipelines.config.sources import BoolSource, IntSource, StringSource
from notebook_pipelines.config.unions import ScalarUnion
from notebook_pipelines.config.validate import validate_config
from notebook_pipelines.config.wrappers import Array, Noneable

__all__ = [
    "Any",
    "Array",
    "Bool",
    "BoolSource",
    "ConfigError",
    "ConfigSchema",
    "ConfigType",
    "ConfigTypeKind",
    "ConfigValidationResult",
    "Enum",
    "EnumValue",
    "Field",
    "Float",
    "Int",
    "IntSource",
    "Noneable",
    "Permissive",
    "ScalarUnion",
    "Selector",
    "Shape",
    "String",
    "StringSource",
    "convert_to_config_type",
    "convert_to_field",
    "validate_config",
]
