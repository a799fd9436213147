"""Presets: a named run config (plus mode, solid selection and tags), written inline or in YAML files."""

from __future__ import annotations

import glob
import os
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import DagsterInvalidDefinitionError, DagsterInvariantViolationError
from .names import check_valid_name


class PresetDefinition:
    """A named, reusable way to run a pipeline: run config, mode, solid selection and tags."""

    def __init__(
        self,
        name: str,
        run_config: Mapping[str, Any] | None = None,
        solid_selection: Sequence[str] | None = None,
        mode: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ):
        self.name = check_valid_name(name, "preset")
        if run_config is not None and not isinstance(run_config, Mapping):
            raise DagsterInvalidDefinitionError(
                f'Preset "{name}": run_config must be a dict, got {type(run_config).__name__}.'
            )
        self.run_config = dict(run_config) if run_config is not None else None
        if isinstance(solid_selection, str):
            raise DagsterInvalidDefinitionError(
                f'Preset "{name}": solid_selection must be a list of clauses, not a string.'
            )
        self.solid_selection = list(solid_selection) if solid_selection is not None else None
        self.mode = mode or "default"
        self.tags = dict(tags or {})

    @staticmethod
    def from_files(
        name: str,
        config_files: Sequence[str] | None = None,
        solid_selection: Sequence[str] | None = None,
        mode: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> PresetDefinition:
        """A preset whose run config merges YAML files (glob patterns allowed, later files win)."""
        texts: list[tuple[str, str]] = []
        for pattern in config_files or []:
            paths = sorted(glob.glob(pattern))
            if not paths:
                raise DagsterInvariantViolationError(
                    f'Preset "{name}": no file matches config file pattern "{pattern}" '
                    f"(working directory {os.getcwd()})."
                )
            for path in paths:
                with open(path, encoding="utf-8") as f:
                    texts.append((path, f.read()))
        return PresetDefinition(name, _merge_yaml(name, texts), solid_selection, mode, tags)

    @staticmethod
    def from_yaml_strings(
        name: str,
        yaml_strings: Sequence[str] | None = None,
        solid_selection: Sequence[str] | None = None,
        mode: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> PresetDefinition:
        """A preset whose run config merges YAML strings (later strings win)."""
        texts = [(f"yaml string #{i + 1}", s) for i, s in enumerate(yaml_strings or [])]
        return PresetDefinition(name, _merge_yaml(name, texts), solid_selection, mode, tags)

    def get_environment_yaml(self) -> str:
        """The run config as YAML text."""
        import yaml

        return yaml.safe_dump(self.run_config or {}, default_flow_style=False)

    def with_additional_config(self, run_config: Mapping[str, Any] | None) -> PresetDefinition:
        """A copy whose run config is this one's deep-merged with ``run_config``."""
        merged = deep_merge(self.run_config or {}, dict(run_config or {}))
        return PresetDefinition(self.name, merged, self.solid_selection, self.mode, self.tags)

    def __repr__(self) -> str:
        return f"<PresetDefinition {self.name}>"


def _merge_yaml(preset: str, texts: list[tuple[str, str]]) -> dict[str, Any]:
    import yaml  # only presets written in YAML pay for importing it

    merged: dict[str, Any] = {}
    for where, text in texts:
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            raise DagsterInvariantViolationError(
                f'Preset "{preset}": {where} is not valid YAML{at}: {getattr(exc, "problem", exc)}'
            ) from exc
        if value is None:
            continue
        if not isinstance(value, dict):
            raise DagsterInvariantViolationError(
                f'Preset "{preset}": {where} must hold a mapping at the top, got '
                f"{type(value).__name__}."
            )
        merged = deep_merge(merged, value)
    return merged


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``override``, merging nested dicts key by key."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out
