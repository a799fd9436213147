"""Papermill batch runs (layer 6): one notebook over many parameter sets, as one pipeline.

:func:`run_notebook_batch` builds the sweep pipeline (:mod:`.notebooks.batch_pipeline`: one
notebook solid per parameter set, fanned out, and a collector), runs it on the executor asked for
(``in_process``, ``multiprocess`` or ``dask``; the pipeline is reconstructable, so worker
processes rebuild it from :func:`build_batch_pipeline`; multiprocess workers are forked from a
forkserver that has imported papermill once, see :data:`FORKSERVER_PRELOAD`) against a persistent instance with
filesystem intermediates, and returns a :class:`NotebookBatchResult`: one row per parameter set
(parameters, status, duration, the values its notebook yielded, the executed notebook, the failed
cell), printed as a table and shown as HTML in a notebook.

The batch is an ordinary run: it has events, shows in ``notebook-pipelines runs list``, and
:func:`rerun_failed_sets` re-executes only the sets that failed (the others' values are copied from
the parent run). What a re-execution needs is in the run itself: the parameters are the solids'
config, and the notebook, the number of sets and the kernel options are run tags
(:data:`BATCH_TAG`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .api import execute_pipeline, reexecute_pipeline
from .definitions.dependency import DependencyDefinition, MultiDependencyDefinition
from .definitions.pipeline import PipelineDefinition
from .errors import DagsterInvariantViolationError, DagsterRunNotFoundError
from .events import DagsterEventType, EventRecord, StepStatus, step_status
from .execution.results import PipelineExecutionResult
from .notebooks.batch_pipeline import (
    COLLECTOR,
    VALUES_OUTPUT,
    batch_run_config,
    collector_solid,
    parameter_sets_from,
    set_solid_name,
    set_solids,
)
from .reconstruct import build_reconstructable_pipeline
from .storage.instance import DagsterInstance

#: Run tag holding what rebuilds a batch's pipeline (JSON: notebook, sets, kernel options).
BATCH_TAG = "notebook_pipelines/batch"
EXECUTORS = ("in_process", "multiprocess", "dask")


def build_batch_pipeline(
    notebook_path: str,
    count: int,
    kernel_name: str | None = None,
    warm_kernels: bool = True,
    execution_timeout: float | None = None,
) -> PipelineDefinition:
    """The sweep pipeline of ``count`` parameter sets over ``notebook_path`` (reconstructable
    through :func:`~notebook_pipelines.build_reconstructable_pipeline`), in the default mode: its
    executors are ``in_process``, ``multiprocess`` and, with the ``dask`` extra, ``dask``."""
    sets = set_solids(notebook_path, count, kernel_name, warm_kernels, execution_timeout)
    stem = "".join(
        c if c.isalnum() else "_" for c in os.path.splitext(os.path.basename(notebook_path))[0]
    )
    return PipelineDefinition(
        [*sets, collector_solid()],
        name=f"notebook_batch_{stem}",
        dependencies={
            COLLECTOR: {
                "sets": MultiDependencyDefinition(
                    [DependencyDefinition(s.name, "values") for s in sets]
                )
            }
        },
    )


@dataclass
class BatchRow:
    """One parameter set of a batch and what became of it."""

    index: int
    parameters: dict[str, Any]
    status: str  # SUCCESS, FAILURE, SKIPPED or NOT RUN
    duration_s: float | None = None
    values: dict[str, Any] = field(default_factory=dict)
    notebook: str | None = None
    error: str | None = None
    run_id: str | None = None  # the run that last executed this set


@dataclass(repr=False)
class NotebookBatchResult:
    """The outcome of a batch: its run, and one :class:`BatchRow` per parameter set."""

    notebook_path: str
    run_id: str
    rows: list[BatchRow]
    pipeline_result: PipelineExecutionResult | None = None

    @property
    def success(self) -> bool:
        """Every set succeeded, and so did the run (its collector too)."""
        run_failed = self.pipeline_result is not None and not self.pipeline_result.success
        return not run_failed and all(row.status == "SUCCESS" for row in self.rows)

    @property
    def failed(self) -> list[BatchRow]:
        return [row for row in self.rows if row.status != "SUCCESS"]

    def values(self) -> list[dict[str, Any]]:
        """Each set's yielded values (empty for a set that failed)."""
        return [row.values for row in self.rows]

    def table(self) -> str:
        """The rows as a plain-text table (what the command line prints)."""
        header = ["#", "PARAMETERS", "STATUS", "DURATION", "VALUES", "NOTEBOOK / ERROR"]
        lines = [
            [
                str(row.index),
                _compact(row.parameters),
                row.status,
                "-" if row.duration_s is None else f"{row.duration_s:.2f}s",
                _compact(row.values),
                row.error if row.error else (row.notebook or "-"),
            ]
            for row in self.rows
        ]
        widths = [max(len(r[i]) for r in [header, *lines]) for i in range(len(header) - 1)]
        return "\n".join(
            "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r[:-1])) + "  " + r[-1]
            for r in [header, *lines]
        )

    def __repr__(self) -> str:
        state = "success" if self.success else f"{len(self.failed)} of {len(self.rows)} failed"
        return (
            f"<NotebookBatchResult {self.notebook_path} run={self.run_id} {state}>\n{self.table()}"
        )

    def _repr_html_(self) -> str:
        import html

        head = "".join(
            f"<th>{h}</th>" for h in ["#", "parameters", "status", "duration", "values", "notebook"]
        )
        body = []
        for row in self.rows:
            colour = "#2e7d32" if row.status == "SUCCESS" else "#c62828"
            last = html.escape(row.error) if row.error else html.escape(row.notebook or "-")
            duration = "-" if row.duration_s is None else f"{row.duration_s:.2f}s"
            body.append(
                f"<tr><td>{row.index}</td><td><code>{html.escape(_compact(row.parameters))}"
                f"</code></td><td style='color:{colour}'>{row.status}</td><td>{duration}</td>"
                f"<td><code>{html.escape(_compact(row.values))}</code></td>"
                f"<td style='white-space:pre-wrap'>{last}</td></tr>"
            )
        return (
            f"<div><b>Notebook batch</b> {html.escape(self.notebook_path)} — run "
            f"<code>{self.run_id}</code>: {len(self.rows) - len(self.failed)}/{len(self.rows)} "
            f"succeeded<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
            "</table></div>"
        )

    def __str__(self) -> str:
        return self.table()


def run_notebook_batch(
    notebook_path: str | os.PathLike[str],
    parameter_sets: Any,
    executor: str = "in_process",
    max_concurrent: int | None = None,
    output_dir: str | os.PathLike[str] | None = None,
    instance: DagsterInstance | None = None,
    kernel_name: str | None = None,
    warm_kernels: bool = True,
    execution_timeout: float | None = None,
    tags: Mapping[str, str] | None = None,
) -> NotebookBatchResult:
    """Run ``notebook_path`` once per parameter set (a list of dicts, a grid, or a YAML/JSON file;
    see :func:`~notebook_pipelines.notebooks.parameter_sets_from`) as one pipeline run.

    ``executor``: ``in_process`` (one set after the other), ``multiprocess`` or ``dask`` (up to
    ``max_concurrent`` sets at once; default: the number of CPUs / the cluster's workers).
    ``instance``: default :meth:`DagsterInstance.get` (persistent: the executed notebooks are kept
    and failed sets can be re-run). ``output_dir``: also copy each executed notebook there as
    ``<notebook>-<index>.ipynb``. ``warm_kernels``: reuse kernels between sets (reset between
    notebooks). Failed sets do not raise: see the result's rows.
    """
    path = os.path.abspath(os.fspath(notebook_path))
    if not os.path.isfile(path):
        raise DagsterInvariantViolationError(f"Notebook {path} does not exist.")
    sets = parameter_sets_from(parameter_sets)
    spec = {
        "notebook": path,
        "count": len(sets),
        "kernel_name": kernel_name,
        "warm_kernels": warm_kernels,
        "execution_timeout": execution_timeout,
    }
    instance = instance if instance is not None else DagsterInstance.get()
    result = execute_pipeline(
        _reconstructable(spec),
        run_config={
            "solids": batch_run_config(sets),
            "execution": _execution_config(executor, max_concurrent),
            "intermediate_storage": {"filesystem": {}},
        },
        tags={**(tags or {}), BATCH_TAG: json.dumps(spec)},
        instance=instance,
        raise_on_error=False,
    )
    return _finish(instance, result, path, sets, output_dir)


def rerun_failed_sets(
    batch: NotebookBatchResult | str,
    instance: DagsterInstance | None = None,
    executor: str | None = None,
    max_concurrent: int | None = None,
    output_dir: str | os.PathLike[str] | None = None,
) -> NotebookBatchResult:
    """Re-execute the sets of a batch run (a result or a run id) that did not succeed, and the
    collector; the other sets' values are copied from that run. Returns the new run's result,
    with a row for every set."""
    instance = instance if instance is not None else DagsterInstance.get()
    run_id = batch.run_id if isinstance(batch, NotebookBatchResult) else batch
    parent = instance.get_run_by_id(run_id)
    if parent is None:
        raise DagsterRunNotFoundError(
            f"No batch run with id {run_id} in {instance.root_directory}.", invalid_run_id=run_id
        )
    if BATCH_TAG not in parent.tags:
        raise DagsterInvariantViolationError(
            f"Run {run_id} ({parent.pipeline_name}) is not a notebook batch run."
        )
    spec = json.loads(parent.tags[BATCH_TAG])
    sets = _sets_of(parent.run_config, spec["count"])
    rows = _rows(instance, run_id, sets)
    failed = [set_solid_name(r.index) + ".compute" for r in rows if r.status != "SUCCESS"]
    if not failed:
        return NotebookBatchResult(spec["notebook"], run_id, rows)
    run_config = dict(parent.run_config)
    if executor is not None:
        run_config["execution"] = _execution_config(executor, max_concurrent)
    result = reexecute_pipeline(
        _reconstructable(spec),
        run_id,
        run_config=run_config,
        step_selection=[*failed, f"{COLLECTOR}.compute"],
        tags={**parent.tags, BATCH_TAG: json.dumps(spec)},
        instance=instance,
        raise_on_error=False,
    )
    return _finish(instance, result, spec["notebook"], sets, output_dir)


def _reconstructable(spec: Mapping[str, Any]) -> Any:
    return build_reconstructable_pipeline(
        __name__,
        "build_batch_pipeline",
        [spec["notebook"], spec["count"]],
        {k: spec.get(k) for k in ("kernel_name", "warm_kernels", "execution_timeout")},
    )


def _execution_config(executor: str, max_concurrent: int | None) -> dict[str, Any]:
    if executor not in EXECUTORS:
        raise DagsterInvariantViolationError(
            f'Unknown executor "{executor}" for a notebook batch; use one of {", ".join(EXECUTORS)}.'
        )
    if executor == "multiprocess":
        config: dict[str, Any] = {"max_concurrent": max_concurrent or 0}
        if _preload_forkserver():
            config["start_method"] = "forkserver"
        return {"multiprocess": {"config": config}}
    if executor == "dask":
        local = {"n_workers": max_concurrent} if max_concurrent else {}
        return {"dask": {"config": {"cluster": {"local": local}}}}
    return {"in_process": {}}


#: What the forkserver imports once, so that batch workers start with papermill loaded.
FORKSERVER_PRELOAD = ["notebook_pipelines.notebooks.runner", "papermill", "jupyter_client.manager"]


def _preload_forkserver() -> bool:
    """Have the forkserver import papermill once (about 1.8 s here) instead of every worker
    importing it; whether the forkserver start method is available."""
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return False
    multiprocessing.get_context("forkserver").set_forkserver_preload(FORKSERVER_PRELOAD)
    return True


def _finish(
    instance: DagsterInstance,
    result: PipelineExecutionResult,
    notebook_path: str,
    sets: Sequence[Mapping[str, Any]],
    output_dir: str | os.PathLike[str] | None,
) -> NotebookBatchResult:
    rows = _rows(instance, result.run_id, sets)
    if output_dir is not None:
        _copy_notebooks(rows, notebook_path, os.fspath(output_dir))
    return NotebookBatchResult(notebook_path, result.run_id, rows, result)


def _sets_of(run_config: Mapping[str, Any], count: int) -> list[dict[str, Any]]:
    solids = run_config.get("solids") or {}
    return [dict((solids.get(set_solid_name(i)) or {}).get("config") or {}) for i in range(count)]


def _rows(
    instance: DagsterInstance, run_id: str, sets: Sequence[Mapping[str, Any]]
) -> list[BatchRow]:
    """A row per set, from the run's events — or, for a set this run did not execute (a
    re-execution), from the nearest ancestor run that did."""
    chain: list[tuple[str, list[EventRecord]]] = []
    current: str | None = run_id
    while current is not None:
        chain.append((current, instance.all_logs(current)))
        run = instance.get_run_by_id(current)
        current = run.parent_run_id if run is not None else None
    rows = []
    for index, params in enumerate(sets):
        key = f"{set_solid_name(index)}.compute"
        row = BatchRow(index, dict(params), "NOT RUN")
        for owner, records in chain:
            mine = [r.dagster_event for r in records if r.step_key == key and r.dagster_event]
            shown = _SHOWN_STATUS.get(step_status(mine))
            if shown is not None:  # the set ended in this run
                row.status = shown
                _fill(row, mine, owner)
                break
        if row.status == "SUCCESS" and row.run_id is not None:
            row.values = _set_values(instance, row.run_id, key)
        rows.append(row)
    return rows


#: a set's row status, for each status a set's step ends in (an interrupted set failed)
_SHOWN_STATUS: dict[str, str] = {
    StepStatus.SUCCEEDED: "SUCCESS",
    StepStatus.FAILED: "FAILURE",
    StepStatus.CANCELED: "FAILURE",
    StepStatus.SKIPPED: "SKIPPED",
}


def _fill(row: BatchRow, events: list[Any], run_id: str) -> None:
    row.run_id = run_id
    for event in events:
        kind = event.event_type_value
        if kind == DagsterEventType.STEP_SUCCESS:
            row.duration_s = event.event_specific_data.duration_ms / 1000
        if kind == DagsterEventType.STEP_MATERIALIZATION:
            for entry in event.event_specific_data.materialization.metadata_entries:
                if entry.label == "executed notebook":
                    row.notebook = entry.entry_data.path
                if entry.label == "failed cell":
                    row.error = f"failed in {entry.entry_data.text}"
                if entry.label == "error" and row.error:
                    row.error += f": {entry.entry_data.text}"
        if kind == DagsterEventType.STEP_FAILURE and not row.error:
            row.error = (event.message or "").splitlines()[0]


def _set_values(instance: DagsterInstance, run_id: str, step_key: str) -> dict[str, Any]:
    """What a set's notebook yielded (its ``values`` output), read from the storage of the run
    that executed the set. The collector cannot be asked: a batch with a failed set does not run
    it (a failed source abandons its fan-in)."""
    from .events import StepOutputHandle
    from .storage.intermediates import (
        ObjectStoreIntermediateStorage,
        run_id_root,
        run_values_store,
    )

    store = run_values_store(instance)
    handle = StepOutputHandle(step_key, VALUES_OUTPUT)
    storage = ObjectStoreIntermediateStorage(store, run_id_root, run_id)
    if not storage.has_intermediate(handle):
        return {}
    value = storage.get_intermediate(None, handle)  # {"set": name, "values": {...}}
    values = value.get("values") if isinstance(value, Mapping) else None
    return dict(values) if isinstance(values, Mapping) else {}


def _copy_notebooks(rows: list[BatchRow], notebook_path: str, output_dir: str) -> None:
    import shutil

    os.makedirs(output_dir, exist_ok=True)
    stem = os.path.splitext(os.path.basename(notebook_path))[0]
    for row in rows:
        if row.notebook and os.path.exists(row.notebook):
            target = os.path.join(output_dir, f"{stem}-{row.index}.ipynb")
            shutil.copyfile(row.notebook, target)
            row.notebook = target


def _compact(value: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in value.items()) if value else "-"
