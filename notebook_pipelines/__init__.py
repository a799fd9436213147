"""notebook-pipelines: the Dagster 0.9 "pipelines and solids" execution API, from scratch and
notebook-native. ``from notebook_pipelines import solid, pipeline, execute_pipeline`` works like the
reference's ``from dagster import ...``; nothing here but the public names."""

import typing as _typing

from . import notebook
from .api import (
    create_execution_plan,
    execute_pipeline,
    execute_pipeline_iterator,
    execute_solid,
    execute_solid_within_pipeline,
    execute_solids_within_pipeline,
    reexecute_pipeline,
    reexecute_pipeline_iterator,
)
from .batch import (
    NotebookBatchResult,
    rerun_failed_sets,
    run_notebook_batch,
)
from .config import (
    Array,
    BoolSource,
    ConfigSchema,
    Enum,
    EnumValue,
    Field,
    IntSource,
    Noneable,
    Permissive,
    ScalarUnion,
    Selector,
    Shape,
    StringSource,
)
from .definitions import display as _display
from .definitions.composite import (
    CompositeSolidDefinition,
    ConfigMapping,
    composite_solid,
)
from .definitions.configured import (
    configured,
)
from .definitions.dependency import (
    DependencyDefinition,
    MultiDependencyDefinition,
    SolidInvocation,
)
from .definitions.executor import (
    Executor,
    ExecutorDefinition,
    default_executors,
    executor,
    in_process_executor,
    multiprocess_executor,
)
from .definitions.hook import (
    HookDefinition,
    failure_hook,
    success_hook,
)
from .definitions.io import (
    InputDefinition,
    InputMapping,
    OutputDefinition,
    OutputMapping,
)
from .definitions.logger import (
    LoggerDefinition,
    logger,
)
from .definitions.mode import (
    ModeDefinition,
)
from .definitions.paths import (
    file_relative_path,
)
from .definitions.pipeline import (
    PipelineDefinition,
    pipeline,
)
from .definitions.preset import (
    PresetDefinition,
)
from .definitions.repository import (
    RepositoryDefinition,
    repository,
)
from .definitions.resource import (
    ResourceDefinition,
    resource,
)
from .definitions.serialization import (
    PickleSerializationStrategy,
    SerializationStrategy,
)
from .definitions.solid import (
    SolidDefinition,
    lambda_solid,
    solid,
)
from .definitions.storage import (
    IntermediateStorageDefinition,
    SystemStorageDefinition,
    default_intermediate_storage_defs,
    default_system_storage_defs,
    fs_intermediate_storage,
    fs_system_storage,
    intermediate_storage,
    mem_intermediate_storage,
    mem_system_storage,
    system_storage,
)
from .definitions.types import (
    Any,
    Bool,
    DagsterType,
    Dict,
    Float,
    Int,
    List,
    Nothing,
    Optional,
    PythonObjectDagsterType,
    Set,
    String,
    Tuple,
    check_dagster_type,
    dagster_type_loader,
    dagster_type_materializer,
    input_hydration_config,
    make_python_type_usable_as_dagster_type,
    output_materialization_config,
    usable_as_dagster_type,
)
from .errors import (
    DagsterConfigMappingFunctionError,
    DagsterDebuggerError,
    DagsterError,
    DagsterEventLogInvalidForRun,
    DagsterExecutionInterruptedError,
    DagsterExecutionStepExecutionError,
    DagsterExecutionStepNotFoundError,
    DagsterInstanceError,
    DagsterInvalidConfigDefinitionError,
    DagsterInvalidConfigError,
    DagsterInvalidDefinitionError,
    DagsterInvalidSubsetError,
    DagsterInvariantViolationError,
    DagsterNotebookError,
    DagsterNotebookExecutionError,
    DagsterResourceFunctionError,
    DagsterRunNotFoundError,
    DagsterStepOutputNotFoundError,
    DagsterSubprocessError,
    DagsterTypeCheckDidNotPass,
    DagsterTypeCheckError,
    DagsterTypeLoadingError,
    DagsterTypeMaterializationError,
    DagsterUnknownResourceError,
    DagsterUnmetExecutorRequirementsError,
    DagsterUserCodeExecutionError,
    SerializableErrorInfo,
)
from .events import (
    DagsterEvent,
    DagsterEventType,
    EventRecord,
)
from .execution.contexts import (
    SolidExecutionContext,
    SystemComputeExecutionContext,
)
from .execution.init_contexts import (
    HookContext,
    InitExecutorContext,
    InitIntermediateStorageContext,
    InitLoggerContext,
    InitResourceContext,
    InitSystemStorageContext,
    TypeCheckContext,
)
from .execution.log_manager import (
    DagsterLogManager,
)
from .execution.postmortem import (
    load_step_inputs,
)
from .execution.results import (
    CompositeSolidExecutionResult,
    PipelineExecutionResult,
    SolidExecutionResult,
)
from .notebooks.solid import (
    define_notebook_solid,
)
from .reconstruct import (
    ReconstructablePipeline,
    build_reconstructable_pipeline,
    reconstructable,
)
from .storage.file_manager import (
    FileHandle,
    LocalFileHandle,
    local_file_manager,
)
from .storage.instance import (
    DagsterInstance,
)
from .storage.intermediates import (
    IntermediateStorage,
    SystemStorageData,
    build_intermediate_storage_from_object_store,
)
from .storage.object_store import (
    ObjectStore,
)
from .storage.runs import (
    PipelineRun,
    PipelineRunStatus,
    RunsFilter,
)
from .user_events import (
    AssetKey,
    AssetMaterialization,
    EventMetadataEntry,
    ExpectationResult,
    Failure,
    FloatMetadataEntryData,
    IntMetadataEntryData,
    JsonMetadataEntryData,
    MarkdownMetadataEntryData,
    Materialization,
    Output,
    PathMetadataEntryData,
    RetryRequested,
    TextMetadataEntryData,
    TypeCheck,
    UrlMetadataEntryData,
)


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext notebook_pipelines``: register the magics, the notebook reconstruction strategy
    and the notebook session (IPython is imported only here, lazily)."""
    from .jupyter.magics import load_ipython_extension as load

    load(ipython)


def _load_default_renderer() -> None:
    """What draws definitions (``to_graphviz()``, the rich display): the notebook layer's
    graphviz module, imported on the first drawing (graphviz is loaded only then)."""
    from .jupyter import graph  # noqa: F401  (registers itself with definitions.display)


_display.provide_default_renderer(_load_default_renderer)


def __getattr__(name: str) -> _typing.Any:
    """Names of the notebook layer, imported on first use (``import notebook_pipelines`` stays free
    of IPython and widgets): ``RunWidget``, ``last_result``."""
    if name == "RunWidget":
        from .jupyter.widget import RunWidget

        return RunWidget
    if name == "last_result":
        from .jupyter.session import last_result

        return last_result
    raise AttributeError(f"module 'notebook_pipelines' has no attribute {name!r}")


__all__ = [
    "Any",
    "Array",
    "AssetKey",
    "AssetMaterialization",
    "Bool",
    "BoolSource",
    "CompositeSolidDefinition",
    "CompositeSolidExecutionResult",
    "ConfigMapping",
    "ConfigSchema",
    "DagsterConfigMappingFunctionError",
    "DagsterDebuggerError",
    "DagsterError",
    "DagsterEvent",
    "DagsterEventLogInvalidForRun",
    "DagsterEventType",
    "DagsterExecutionInterruptedError",
    "DagsterExecutionStepExecutionError",
    "DagsterExecutionStepNotFoundError",
    "DagsterInstance",
    "DagsterInstanceError",
    "DagsterInvalidConfigDefinitionError",
    "DagsterInvalidConfigError",
    "DagsterInvalidDefinitionError",
    "DagsterInvalidSubsetError",
    "DagsterInvariantViolationError",
    "DagsterLogManager",
    "DagsterNotebookError",
    "DagsterNotebookExecutionError",
    "DagsterResourceFunctionError",
    "DagsterRunNotFoundError",
    "DagsterStepOutputNotFoundError",
    "DagsterSubprocessError",
    "DagsterType",
    "DagsterTypeCheckDidNotPass",
    "DagsterTypeCheckError",
    "DagsterTypeLoadingError",
    "DagsterTypeMaterializationError",
    "DagsterUnknownResourceError",
    "DagsterUnmetExecutorRequirementsError",
    "DagsterUserCodeExecutionError",
    "DependencyDefinition",
    "Dict",
    "Enum",
    "EnumValue",
    "EventMetadataEntry",
    "EventRecord",
    "Executor",
    "ExecutorDefinition",
    "ExpectationResult",
    "Failure",
    "Field",
    "FileHandle",
    "Float",
    "FloatMetadataEntryData",
    "HookContext",
    "HookDefinition",
    "InitExecutorContext",
    "InitIntermediateStorageContext",
    "InitLoggerContext",
    "InitResourceContext",
    "InitSystemStorageContext",
    "InputDefinition",
    "InputMapping",
    "Int",
    "IntMetadataEntryData",
    "IntSource",
    "IntermediateStorage",
    "IntermediateStorageDefinition",
    "JsonMetadataEntryData",
    "List",
    "LocalFileHandle",
    "LoggerDefinition",
    "MarkdownMetadataEntryData",
    "Materialization",
    "ModeDefinition",
    "MultiDependencyDefinition",
    "Noneable",
    "NotebookBatchResult",
    "Nothing",
    "ObjectStore",
    "Optional",
    "Output",
    "OutputDefinition",
    "OutputMapping",
    "PathMetadataEntryData",
    "Permissive",
    "PickleSerializationStrategy",
    "PipelineDefinition",
    "PipelineExecutionResult",
    "PipelineRun",
    "PipelineRunStatus",
    "PresetDefinition",
    "PythonObjectDagsterType",
    "ReconstructablePipeline",
    "RepositoryDefinition",
    "ResourceDefinition",
    "RetryRequested",
    "RunWidget",
    "RunsFilter",
    "ScalarUnion",
    "Selector",
    "SerializableErrorInfo",
    "SerializationStrategy",
    "Set",
    "Shape",
    "SolidDefinition",
    "SolidExecutionContext",
    "SolidExecutionResult",
    "SolidInvocation",
    "String",
    "StringSource",
    "SystemComputeExecutionContext",
    "SystemStorageData",
    "SystemStorageDefinition",
    "TextMetadataEntryData",
    "Tuple",
    "TypeCheck",
    "TypeCheckContext",
    "UrlMetadataEntryData",
    "build_intermediate_storage_from_object_store",
    "build_reconstructable_pipeline",
    "check_dagster_type",
    "composite_solid",
    "configured",
    "create_execution_plan",
    "dagster_type_loader",
    "dagster_type_materializer",
    "default_executors",
    "default_intermediate_storage_defs",
    "default_system_storage_defs",
    "define_notebook_solid",
    "execute_pipeline",
    "execute_pipeline_iterator",
    "execute_solid",
    "execute_solid_within_pipeline",
    "execute_solids_within_pipeline",
    "executor",
    "failure_hook",
    "file_relative_path",
    "fs_intermediate_storage",
    "fs_system_storage",
    "in_process_executor",
    "input_hydration_config",
    "intermediate_storage",
    "lambda_solid",
    "last_result",
    "load_ipython_extension",
    "load_step_inputs",
    "local_file_manager",
    "logger",
    "make_python_type_usable_as_dagster_type",
    "mem_intermediate_storage",
    "mem_system_storage",
    "multiprocess_executor",
    "notebook",
    "output_materialization_config",
    "pipeline",
    "reconstructable",
    "reexecute_pipeline",
    "reexecute_pipeline_iterator",
    "repository",
    "rerun_failed_sets",
    "resource",
    "run_notebook_batch",
    "solid",
    "success_hook",
    "system_storage",
    "usable_as_dagster_type",
]
