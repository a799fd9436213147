"""The public surface of notebook_pipelines: `__all__`, the reference's names, docstrings, and a
light import (DESIGN.md §3 and its appendix)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import notebook_pipelines

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = ROOT / "notebook_pipelines"

# DESIGN.md, appendix: the reference's public names around execution, by group.
EXECUTION = [
    "execute_pipeline",
    "execute_pipeline_iterator",
    "reexecute_pipeline",
    "reexecute_pipeline_iterator",
    "execute_solid",
    "execute_solid_within_pipeline",
    "execute_solids_within_pipeline",
    "reconstructable",
    "build_reconstructable_pipeline",
    "PipelineExecutionResult",
    "SolidExecutionResult",
    "CompositeSolidExecutionResult",
    "DagsterEvent",
    "DagsterEventType",
    "PipelineRun",
    "DagsterInstance",
    "SolidExecutionContext",
    "SystemComputeExecutionContext",
    "TypeCheckContext",
    "HookContext",
    "InitResourceContext",
    "InitLoggerContext",
    "InitExecutorContext",
    "InitSystemStorageContext",
    "InitIntermediateStorageContext",
    "DagsterLogManager",
]
DEFINITIONS = [
    "solid",
    "lambda_solid",
    "composite_solid",
    "pipeline",
    "SolidDefinition",
    "CompositeSolidDefinition",
    "PipelineDefinition",
    "RepositoryDefinition",
    "repository",
    "DependencyDefinition",
    "MultiDependencyDefinition",
    "SolidInvocation",
    "InputDefinition",
    "OutputDefinition",
    "InputMapping",
    "OutputMapping",
    "ConfigMapping",
    "Output",
    "ModeDefinition",
    "PresetDefinition",
    "resource",
    "ResourceDefinition",
    "logger",
    "LoggerDefinition",
    "executor",
    "ExecutorDefinition",
    "Executor",
    "in_process_executor",
    "multiprocess_executor",
    "default_executors",
    "success_hook",
    "failure_hook",
    "configured",
    "file_relative_path",
]
STORAGE = [
    "system_storage",
    "SystemStorageDefinition",
    "SystemStorageData",
    "mem_system_storage",
    "fs_system_storage",
    "default_system_storage_defs",
    "intermediate_storage",
    "IntermediateStorageDefinition",
    "mem_intermediate_storage",
    "fs_intermediate_storage",
    "default_intermediate_storage_defs",
    "build_intermediate_storage_from_object_store",
    "SerializationStrategy",
    "FileHandle",
    "LocalFileHandle",
    "local_file_manager",
]
TYPES = [
    "DagsterType",
    "PythonObjectDagsterType",
    "TypeCheck",
    "check_dagster_type",
    "usable_as_dagster_type",
    "make_python_type_usable_as_dagster_type",
    "dagster_type_loader",
    "dagster_type_materializer",
    "input_hydration_config",
    "output_materialization_config",
    "Any",
    "Bool",
    "Float",
    "Int",
    "String",
    "Nothing",
    "List",
    "Optional",
    "Dict",
    "Set",
    "Tuple",
]
CONFIG = [
    "Field",
    "Shape",
    "Permissive",
    "Selector",
    "Array",
    "Noneable",
    "Enum",
    "EnumValue",
    "ScalarUnion",
    "StringSource",
    "IntSource",
    "ConfigSchema",
    "BoolSource",  # added by issue 2
]
EVENTS_AND_METADATA = [
    "AssetKey",
    "AssetMaterialization",
    "Materialization",
    "ExpectationResult",
    "Failure",
    "RetryRequested",
    "EventMetadataEntry",
    "TextMetadataEntryData",
    "UrlMetadataEntryData",
    "PathMetadataEntryData",
    "JsonMetadataEntryData",
    "MarkdownMetadataEntryData",
    "FloatMetadataEntryData",
    "IntMetadataEntryData",
]
ERRORS = [
    "DagsterError",
    "DagsterInvalidDefinitionError",
    "DagsterInvalidConfigDefinitionError",
    "DagsterInvalidConfigError",
    "DagsterInvalidSubsetError",
    "DagsterInvariantViolationError",
    "DagsterUserCodeExecutionError",
    "DagsterExecutionStepExecutionError",
    "DagsterExecutionStepNotFoundError",
    "DagsterResourceFunctionError",
    "DagsterConfigMappingFunctionError",
    "DagsterTypeCheckDidNotPass",
    "DagsterTypeCheckError",
    "DagsterUnknownResourceError",
    "DagsterUnmetExecutorRequirementsError",
    "DagsterStepOutputNotFoundError",
    "DagsterSubprocessError",
    "DagsterRunNotFoundError",
    "DagsterEventLogInvalidForRun",
]
GROUPS = {
    "execution": EXECUTION,
    "definitions": DEFINITIONS,
    "storage": STORAGE,
    "types": TYPES,
    "config": CONFIG,
    "events and metadata": EVENTS_AND_METADATA,
    "errors": ERRORS,
}

# Packages the engine must not pull in: only the notebook layer, the Dask executor and notebook
# solids use them, and they load lazily.
HEAVY = ["IPython", "ipywidgets", "anywidget", "papermill", "dask", "distributed", "graphviz"]


def public_names() -> list[str]:
    names = getattr(notebook_pipelines, "__all__", None)
    assert isinstance(names, list | tuple), "notebook_pipelines.__all__ is missing"
    return list(names)


def test_all_is_sorted_without_duplicates() -> None:
    names = public_names()
    duplicates = sorted({name for name in names if names.count(name) > 1})
    assert not duplicates, f"duplicated in __all__: {duplicates}"
    assert names == sorted(names), "__all__ is not sorted; expected:\n" + "\n".join(sorted(names))


def test_every_name_in_all_is_importable() -> None:
    missing = [name for name in public_names() if not hasattr(notebook_pipelines, name)]
    assert not missing, f"in __all__ but not importable from notebook_pipelines: {missing}"


@pytest.mark.parametrize("group", list(GROUPS))
def test_all_has_the_reference_names(group: str) -> None:
    exported = set(public_names())
    missing = [name for name in GROUPS[group] if name not in exported]
    assert not missing, f"{group}: missing from notebook_pipelines.__all__: {missing}"


def test_the_reference_list_has_no_duplicates() -> None:
    every = [name for names in GROUPS.values() for name in names]
    assert len(every) == len(set(every))


def test_every_module_has_a_docstring() -> None:
    undocumented = [
        str(path.relative_to(ROOT))
        for path in sorted(PACKAGE_DIR.rglob("*.py"))
        if not (ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or "").strip()
    ]
    assert not undocumented, f"modules without a docstring: {undocumented}"


def test_import_does_not_pull_in_the_notebook_stack() -> None:
    code = "import json, sys\nimport notebook_pipelines\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    loaded = {name.split(".")[0] for name in json.loads(done.stdout)}
    pulled_in = [name for name in HEAVY if name in loaded]
    assert not pulled_in, f"`import notebook_pipelines` imports {pulled_in}"
