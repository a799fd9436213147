"""Init contexts as the engine builds them for the storage creation functions (no mocks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from notebook_pipelines.storage.instance import DagsterInstance
from notebook_pipelines.storage.runs import PipelineRun


@dataclass
class InitContext:
    """What the storage creation functions receive from the engine."""

    instance: DagsterInstance
    pipeline_run: PipelineRun
    intermediate_storage_config: dict[str, Any] = field(default_factory=dict)
    system_storage_config: dict[str, Any] = field(default_factory=dict)
