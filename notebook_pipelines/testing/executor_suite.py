"""The executor conformance suite: what every executor (in-process, multiprocess, Dask) must do.

Subclass :class:`ExecutorSuite` (or any of the smaller suites it combines) and provide the fixture
``run_config_for_executor``: a run-config fragment merged into every run of the suite, which selects
the executor and whatever storage it needs::

    class TestMultiprocessExecutor(ExecutorSuite):
        reconstructable_pipelines = True
        guarantees_priority_order = False

        @pytest.fixture(params=[{"execution": {"multiprocess": {}},
                                 "intermediate_storage": {"filesystem": {}}}])
        def run_config_for_executor(self, request):
            return request.param

        @pytest.fixture
        def instance(self, tmp_path):
            return <a persistent instance under tmp_path>

Class attributes an executor may set:

- ``reconstructable_pipelines`` — pass every pipeline as ``reconstructable(pipeline)`` (needed by
  executors that rebuild the pipeline in another process); the suite's pipelines live at the top
  level of :mod:`notebook_pipelines.testing.suite_pipelines` for that reason;
- ``guarantees_priority_order`` — whether ready steps *start* in ``dagster/priority`` order (true
  for the in-process executor; an executor that runs steps concurrently may not promise it);
- ``executor_def`` — an executor that is not built in: every mode of the suite's pipelines also
  offers it (:func:`with_executor`).

A new executor is one module: a launcher for the run's one scheduling loop
(:class:`~..execution.loop.Launcher`: ``launch``, ``poll``, ``shutdown``, ``stopped``, ``capacity``,
``where``; see ``tests/executors/test_launcher.py`` for a whole one) and its executor, plus a
subclass of :class:`ExecutorSuite`.

The fixture ``instance`` (default: an ephemeral instance whose files go under ``tmp_path``) can be
overridden. Every run the suite makes is also checked for the invariants every executor keeps: the
events stored in the instance are the events yielded, and the run's status in the instance matches
its result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from ..api import execute_pipeline, execute_pipeline_iterator, reexecute_pipeline
from ..definitions.executor import ExecutorDefinition
from ..definitions.mode import ModeDefinition
from ..definitions.pipeline import PipelineDefinition, dependencies_of
from ..errors import DagsterStepOutputNotFoundError, DagsterSubprocessError
from ..events import DagsterEvent, DagsterEventType
from ..execution.results import PipelineExecutionResult, SolidExecutionResult
from ..reconstruct import reconstructable
from ..storage.instance import DagsterInstance
from ..storage.runs import PipelineRunStatus
from ..user_events import AssetKey, EventMetadataEntry
from . import suite_pipelines as sp

__all__ = [
    "EventStorageSuite",
    "ExecutorSuite",
    "FailureSuite",
    "FaultsSuite",
    "HooksSuite",
    "PrioritySuite",
    "ReexecutionSuite",
    "ResourcesSuite",
    "RetriesSuite",
    "SuiteRunner",
    "TypeChecksSuite",
    "UserEventsSuite",
    "ValuesSuite",
    "deep_merge",
    "with_executor",
]


# --- helpers ---------------------------------------------------------------------------------------


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any] | None) -> dict[str, Any]:
    """``base`` with ``override`` merged in, dicts recursively (``None`` counts as ``{}``)."""
    merged: dict[str, Any] = dict(base)
    for key, value in (override or {}).items():
        current = merged.get(key)
        if isinstance(value, Mapping) and (current is None or isinstance(current, Mapping)):
            merged[key] = deep_merge(current or {}, value)
        elif value is None and isinstance(current, Mapping):
            continue
        else:
            merged[key] = value
    return merged


def executor_name(run_config_for_executor: Mapping[str, Any]) -> str:
    """The executor the fragment selects (``in_process`` when it selects none)."""
    execution = run_config_for_executor.get("execution") or {}
    names = list(execution)
    return names[0] if names else "in_process"


def types_of(events: Sequence[DagsterEvent], *, skip: Sequence[str] = ()) -> list[str]:
    """The event type values of ``events``, leaving out those in ``skip``."""
    return [e.event_type_value for e in events if e.event_type_value not in skip]


def messages(instance: DagsterInstance, run_id: str) -> list[str]:
    """The ``context.log`` messages (records that are not Dagster events) of a run, in order."""
    return [r.user_message for r in instance.all_logs(run_id) if r.dagster_event is None]


def with_executor(
    pipeline_def: PipelineDefinition, executor_def: ExecutorDefinition
) -> PipelineDefinition:
    """``pipeline_def`` whose every mode also offers ``executor_def``."""
    modes = [
        ModeDefinition(
            mode.name,
            resource_defs=mode.resource_defs,
            logger_defs=mode.loggers,
            system_storage_defs=mode.system_storage_defs,
            executor_defs=[*mode.executor_defs, executor_def],
            description=mode.description,
            intermediate_storage_defs=mode.intermediate_storage_defs,
        )
        for mode in pipeline_def.mode_definitions
    ]
    return PipelineDefinition(
        [pipeline_def.graph.solids[n].definition for n in pipeline_def.graph.order],
        name=pipeline_def.name,
        description=pipeline_def.description,
        dependencies=dependencies_of(pipeline_def.graph, None),
        mode_defs=modes,
        preset_defs=pipeline_def.preset_defs,
        tags=pipeline_def.tags,
        hook_defs=pipeline_def.hook_defs,
    )


class SuiteRunner:
    """Runs the suite's pipelines with the executor's config fragment against one instance."""

    def __init__(
        self,
        run_config_for_executor: Mapping[str, Any],
        instance: DagsterInstance,
        reconstructable_pipelines: bool,
        executor_def: ExecutorDefinition | None = None,
    ):
        self.fragment = dict(run_config_for_executor or {})
        self.instance = instance
        self.reconstructable_pipelines = reconstructable_pipelines
        self.executor_def = executor_def
        self._offering: dict[str, PipelineDefinition] = {}

    @property
    def executor_name(self) -> str:
        return executor_name(self.fragment)

    def target(self, pipeline_def: PipelineDefinition) -> Any:
        if self.executor_def is not None:
            offering = self._offering.get(pipeline_def.name)
            if offering is None:
                offering = with_executor(pipeline_def, self.executor_def)
                self._offering[pipeline_def.name] = offering
            pipeline_def = offering
        return reconstructable(pipeline_def) if self.reconstructable_pipelines else pipeline_def

    def run_config(
        self, run_config: Mapping[str, Any] | None = None, retries: str | None = None
    ) -> dict[str, Any]:
        """The fragment with ``run_config`` merged in; ``retries`` (``"enabled"`` or
        ``"disabled"``) replaces the executor's retry setting."""
        merged = deep_merge(self.fragment, run_config)
        if retries is not None:
            merged = deep_merge(merged, {"execution": {self.executor_name: {"config": {}}}})
            merged["execution"][self.executor_name]["config"]["retries"] = {retries: {}}
        return merged

    def execute(
        self,
        pipeline_def: PipelineDefinition,
        run_config: Mapping[str, Any] | None = None,
        retries: str | None = None,
        **kwargs: Any,
    ) -> PipelineExecutionResult:
        """Execute (``raise_on_error=False``) and check the run's storage invariants."""
        kwargs.setdefault("raise_on_error", False)
        result = execute_pipeline(
            self.target(pipeline_def),
            run_config=self.run_config(run_config, retries),
            instance=self.instance,
            **kwargs,
        )
        self.check_stored(result)
        return result

    def check_stored(self, result: PipelineExecutionResult) -> None:
        stored = [r.dagster_event for r in self.instance.all_logs(result.run_id)]
        assert [e for e in stored if e is not None] == result.event_list, (
            "the events stored in the instance differ from the events yielded"
        )
        run = self.instance.get_run_by_id(result.run_id)
        assert run is not None, f"run {result.run_id} is not in the instance"
        expected = PipelineRunStatus.SUCCESS if result.success else PipelineRunStatus.FAILURE
        assert run.status == expected, f"run status {run.status}, result success {result.success}"


def step_types(result: PipelineExecutionResult, handle: str) -> list[str]:
    """The event types of one solid's step, without engine and object-store events (which an
    executor may add or place differently)."""
    events = result.events_by_step_key.get(f"{handle}.compute", [])
    return types_of(
        events, skip=(DagsterEventType.ENGINE_EVENT, DagsterEventType.OBJECT_STORE_OPERATION)
    )


def start_order(result: PipelineExecutionResult) -> list[str]:
    """Solid handles in the order their steps started."""
    return [
        e.solid_handle or ""
        for e in result.event_list
        if e.event_type_value in (DagsterEventType.STEP_START, DagsterEventType.STEP_RESTARTED)
    ]


def solid_result(result: PipelineExecutionResult, handle: str) -> SolidExecutionResult:
    found = result.result_for_handle(handle)
    assert isinstance(found, SolidExecutionResult)
    return found


# --- the suites ------------------------------------------------------------------------------------


class _SuiteBase:
    reconstructable_pipelines: ClassVar[bool] = False
    guarantees_priority_order: ClassVar[bool] = True
    executor_def: ClassVar[ExecutorDefinition | None] = None

    @pytest.fixture
    def instance(self, tmp_path: Path) -> DagsterInstance:
        return DagsterInstance.ephemeral(tempdir=str(tmp_path / "instance"))

    @pytest.fixture
    def runner(
        self, run_config_for_executor: Mapping[str, Any], instance: DagsterInstance
    ) -> SuiteRunner:
        return SuiteRunner(
            run_config_for_executor, instance, self.reconstructable_pipelines, self.executor_def
        )


class ValuesSuite(_SuiteBase):
    """Values flow along chains, fan-outs, fan-ins and several outputs."""

    def test_linear_chain_values(self, runner: SuiteRunner) -> None:
        result = runner.execute(sp.linear_pipeline, {"solids": {"start": {"config": {"n": 5}}}})
        assert result.success
        values = {
            h: solid_result(result, h).output_value()
            for h in ("start", "add_one", "add_one_again", "double")
        }
        assert values == {"start": 5, "add_one": 6, "add_one_again": 7, "double": 14}
        assert result.output_for_solid("double") == 14
        assert start_order(result) == ["start", "add_one", "add_one_again", "double"]

    def test_linear_chain_uses_config_defaults(self, runner: SuiteRunner) -> None:
        result = runner.execute(sp.linear_pipeline)
        assert result.success
        assert result.result_for_solid("double").output_value() == 10  # (3 + 1 + 1) * 2

    def test_every_step_emits_start_inputs_outputs_success(self, runner: SuiteRunner) -> None:
        result = runner.execute(sp.linear_pipeline)
        assert step_types(result, "start") == [
            DagsterEventType.STEP_START,
            DagsterEventType.STEP_OUTPUT,
            DagsterEventType.STEP_SUCCESS,
        ]
        assert step_types(result, "add_one") == [
            DagsterEventType.STEP_START,
            DagsterEventType.STEP_INPUT,
            DagsterEventType.STEP_OUTPUT,
            DagsterEventType.STEP_SUCCESS,
        ]
        add_one = solid_result(result, "add_one")
        input_event = add_one.compute_input_event_dict["x"]
        assert input_event.event_specific_data.type_check_data.success is True
        output_event = add_one.get_output_event_for_compute()
        assert output_event.event_specific_data.step_output_handle.step_key == "add_one.compute"

    def test_fan_out_and_fan_in(self, runner: SuiteRunner) -> None:
        result = runner.execute(sp.fan_pipeline, {"solids": {"start": {"config": {"n": 4}}}})
        assert result.success
        assert result.output_for_solid("add_one") == 5
        assert result.output_for_solid("double") == 8
        assert result.output_for_solid("square") == 16
        assert result.output_for_solid("total") == 29
        assert result.output_for_solid("pair") == [5, 16]
        order = start_order(result)
        assert order[0] == "start"
        assert sorted(order) == sorted(["start", "add_one", "double", "square", "total", "pair"])
        assert order.index("total") > max(order.index(u) for u in ("add_one", "double", "square"))
        assert order.index("pair") > max(order.index(u) for u in ("add_one", "square"))

    def test_several_outputs_and_an_optional_output_not_yielded(self, runner: SuiteRunner) -> None:
        result = runner.execute(sp.multi_output_pipeline)
        assert result.success
        branch = solid_result(result, "branch")
        assert branch.output_values == {"yes": 7, "also": 8}
        assert branch.output_value("no") is None
        assert sorted(branch.compute_output_event_dict) == ["also", "yes"]
        assert result.output_for_solid("on_yes") == 8
        assert result.output_for_solid("on_also") == 16
        for handle in ("on_no", "after_no"):
            assert step_types(result, handle) == [DagsterEventType.STEP_SKIPPED]
            assert result.result_for_solid(handle).skipped
            assert not result.result_for_solid(handle).success


class FailureSuite(_SuiteBase):
    """A failing step: its error as data, downstream skipped, the rest still runs."""

    def test_failing_step(self, runner: SuiteRunner) -> None:
        result = runner.execute(sp.failure_pipeline)
        assert not result.success
        fails = solid_result(result, "fails")
        assert step_types(result, "fails") == [
            DagsterEventType.STEP_START,
            DagsterEventType.STEP_INPUT,
            DagsterEventType.STEP_FAILURE,
        ]
        assert not fails.success and not fails.skipped
        error = fails.failure_data.error
        # the user's own exception, not the engine's wrapper (as the reference)
        assert error.cls_name == "ValueError"
        assert error.message == f"ValueError: {sp.FAILURE_MESSAGE} with x=3\n"
        text = error.to_string()
        assert f"{sp.FAILURE_MESSAGE} with x=3" in text
        assert "ValueError" in text
        # the user's own raising line is kept in the traceback
        assert 'raise ValueError(f"{FAILURE_MESSAGE} with x={x}")' in text
        assert "fails.compute" in (fails.compute_step_failure_event.message or "")
        assert fails.output_value() is None

    def test_downstream_of_failure_is_skipped_and_others_run(self, runner: SuiteRunner) -> None:
        result = runner.execute(sp.failure_pipeline)
        assert step_types(result, "after_failure") == [DagsterEventType.STEP_SKIPPED]
        assert result.result_for_solid("after_failure").skipped
        assert result.result_for_solid("still_runs").success
        assert result.output_for_solid("still_runs") == 4
        pipeline_events = [e.event_type_value for e in result.event_list if e.is_pipeline_event]
        assert pipeline_events == [
            DagsterEventType.PIPELINE_START,
            DagsterEventType.PIPELINE_FAILURE,
        ]
        kinds = [e.event_type_value for e in result.event_list]
        assert kinds.count(DagsterEventType.STEP_FAILURE) == 1

    def test_a_failed_source_of_a_fan_in_stops_it(self, runner: SuiteRunner) -> None:
        # a failed source never produces a downstream value: no partial list
        result = runner.execute(sp.fan_in_failure_pipeline)
        assert not result.success
        assert step_types(result, "gathered") == [
            DagsterEventType.STEP_SKIPPED,
            DagsterEventType.HOOK_SKIPPED,
            DagsterEventType.HOOK_SKIPPED,
        ]
        assert step_types(result, "after_gathered") == [DagsterEventType.STEP_SKIPPED]
        for handle in ("gathered", "after_gathered"):
            assert result.result_for_solid(handle).skipped
            assert result.output_for_solid(handle) is None
        assert result.result_for_solid("start").success

    def test_failure_is_recorded_in_the_instance(
        self, runner: SuiteRunner, instance: DagsterInstance
    ) -> None:
        result = runner.execute(sp.failure_pipeline)
        failures = instance.all_logs(result.run_id, of_type=DagsterEventType.STEP_FAILURE)
        assert [r.step_key for r in failures] == ["fails.compute"]
        run = instance.get_run_by_id(result.run_id)
        assert run is not None and run.status == PipelineRunStatus.FAILURE


class PrioritySuite(_SuiteBase):
    """``dagster/priority``: higher first, negatives allowed, ties in plan order."""

    def test_priority_order(self, runner: SuiteRunner) -> None:
        result = runner.execute(sp.priority_pipeline)
        assert result.success
        order = start_order(result)
        if self.guarantees_priority_order:
            assert order == sp.PRIORITY_ORDER
        else:
            assert sorted(order) == sorted(sp.PRIORITY_ORDER)
        assert result.output_for_solid("p_mid") == "p_mid"


class RetriesSuite(_SuiteBase):
    """``RetryRequested``: up for retry, restarted, retries exhausted, retries disabled."""

    def test_retry_succeeds_on_second_attempt(self, runner: SuiteRunner, tmp_path: Path) -> None:
        marker = tmp_path / "flaky-marker"
        result = runner.execute(
            sp.flaky_pipeline, {"solids": {"flaky": {"config": {"marker": str(marker)}}}}
        )
        assert marker.read_text() == "attempted"
        assert result.success
        assert step_types(result, "flaky") == [
            DagsterEventType.STEP_START,
            DagsterEventType.STEP_UP_FOR_RETRY,
            DagsterEventType.STEP_RESTARTED,
            DagsterEventType.STEP_OUTPUT,
            DagsterEventType.STEP_SUCCESS,
        ]
        assert result.output_for_solid("flaky") == "recovered"
        assert result.output_for_solid("shout") == "RECOVERED"
        retry = next(
            e for e in result.event_list if e.event_type_value == DagsterEventType.STEP_UP_FOR_RETRY
        )
        assert retry.step_key == "flaky.compute"
        assert retry.event_specific_data.seconds_to_wait is None

    def test_retries_enabled_explicitly(self, runner: SuiteRunner, tmp_path: Path) -> None:
        marker = tmp_path / "flaky-marker"
        config = {"solids": {"flaky": {"config": {"marker": str(marker)}}}}
        result = runner.execute(sp.flaky_pipeline, config, retries="enabled")
        assert result.success
        assert result.output_for_solid("shout") == "RECOVERED"

    def test_exceeding_max_retries_fails(self, runner: SuiteRunner) -> None:
        result = runner.execute(
            sp.always_retry_pipeline, {"solids": {"always_retry": {"config": {"max_retries": 2}}}}
        )
        assert not result.success
        assert step_types(result, "always_retry") == [
            DagsterEventType.STEP_START,
            DagsterEventType.STEP_UP_FOR_RETRY,
            DagsterEventType.STEP_RESTARTED,
            DagsterEventType.STEP_UP_FOR_RETRY,
            DagsterEventType.STEP_RESTARTED,
            DagsterEventType.STEP_FAILURE,
        ]
        retries = solid_result(result, "always_retry").compute_step_events
        waits = [
            e.event_specific_data.seconds_to_wait
            for e in retries
            if e.event_type_value == DagsterEventType.STEP_UP_FOR_RETRY
        ]
        assert waits == [0.01, 0.01]
        failure = solid_result(result, "always_retry").compute_step_failure_event
        assert "Exceeded max_retries of 2" in (failure.message or "")
        assert step_types(result, "add_one") == [DagsterEventType.STEP_SKIPPED]

    def test_retries_disabled_fails_at_once(self, runner: SuiteRunner, tmp_path: Path) -> None:
        marker = tmp_path / "flaky-marker"
        config = {"solids": {"flaky": {"config": {"marker": str(marker)}}}}
        result = runner.execute(sp.flaky_pipeline, config, retries="disabled")
        assert marker.exists()
        assert not result.success
        assert step_types(result, "flaky") == [
            DagsterEventType.STEP_START,
            DagsterEventType.STEP_FAILURE,
        ]
        failure = solid_result(result, "flaky").compute_step_failure_event
        assert "retries are disabled" in (failure.message or "")
        assert step_types(result, "shout") == [DagsterEventType.STEP_SKIPPED]


class ResourcesSuite(_SuiteBase):
    """Resources: config, only the required ones built, generator teardown reported."""

    def test_resource_config_init_and_teardown(
        self, runner: SuiteRunner, instance: DagsterInstance
    ) -> None:
        result = runner.execute(
            sp.resource_pipeline, {"resources": {"counter": {"config": {"start": 10}}}}
        )
        assert result.success
        assert result.output_for_solid("use_counter") == 11
        assert result.output_for_solid("add_one") == 12
        logged = messages(instance, result.run_id)
        assert "counter up at 10" in logged
        assert "counter torn down" in logged
        engine = [
            e for e in result.event_list if e.event_type_value == DagsterEventType.ENGINE_EVENT
        ]
        init = [e for e in engine if "initialization" in (e.message or "")]
        teardown = [e for e in engine if "teardown" in (e.message or "")]
        assert init and all("counter" in (e.message or "") for e in init)
        assert teardown and all("counter" in (e.message or "") for e in teardown)
        for phase in ("Starting initialization", "Finished initialization"):
            assert any((e.message or "").startswith(phase) for e in init), phase
        for phase in ("Starting teardown", "Finished teardown"):
            assert any((e.message or "").startswith(phase) for e in teardown), phase
        kinds = [e.event_type_value for e in result.event_list]
        first_start = kinds.index(DagsterEventType.STEP_START)
        assert result.event_list.index(init[0]) < first_start
        use_success = solid_result(result, "use_counter").get_step_success_event()
        assert result.event_list.index(teardown[-1]) > result.event_list.index(use_success)

    def test_unrequired_resource_is_not_built(
        self, runner: SuiteRunner, instance: DagsterInstance
    ) -> None:
        result = runner.execute(
            sp.resource_pipeline, {"resources": {"counter": {"config": {"start": 1}}}}
        )
        assert result.success
        text = " ".join(e.message or "" for e in result.event_list)
        assert "never_needed" not in text
        assert not any("never_needed" in m for m in messages(instance, result.run_id))


class HooksSuite(_SuiteBase):
    """Success and failure hooks, skipped hooks, and a broken hook that does not fail the run."""

    @staticmethod
    def hook_events(result: PipelineExecutionResult, handle: str) -> list[tuple[str, str]]:
        found = []
        for event in result.events_by_step_key.get(f"{handle}.compute", []):
            if event.is_hook_event:
                hook = next(
                    h
                    for h in ("log_success", "log_failure", "broken_hook")
                    if f'"{h}"' in (event.message or "")
                )
                found.append((hook, event.event_type_value))
        return sorted(found)

    def test_success_and_failure_hooks(
        self, runner: SuiteRunner, instance: DagsterInstance
    ) -> None:
        result = runner.execute(sp.hook_pipeline)
        assert not result.success
        assert self.hook_events(result, "start") == [
            ("log_failure", DagsterEventType.HOOK_SKIPPED),
            ("log_success", DagsterEventType.HOOK_COMPLETED),
        ]
        assert self.hook_events(result, "hooked_failure") == [
            ("log_failure", DagsterEventType.HOOK_COMPLETED),
            ("log_success", DagsterEventType.HOOK_SKIPPED),
        ]
        logged = messages(instance, result.run_id)
        assert "success hook ran for start" in logged
        assert "failure hook ran for hooked_failure" in logged
        assert "failure hook ran for start" not in logged
        assert "success hook ran for hooked_failure" not in logged

    def test_hooks_run_after_the_step_finishes(self, runner: SuiteRunner) -> None:
        result = runner.execute(sp.hook_pipeline)
        for handle, outcome in (
            ("start", DagsterEventType.STEP_SUCCESS),
            ("hooked_failure", DagsterEventType.STEP_FAILURE),
        ):
            kinds = step_types(result, handle)
            assert kinds[-3:] == [
                outcome,
                DagsterEventType.HOOK_COMPLETED,
                DagsterEventType.HOOK_SKIPPED,
            ] or kinds[-3:] == [
                outcome,
                DagsterEventType.HOOK_SKIPPED,
                DagsterEventType.HOOK_COMPLETED,
            ], kinds

    def test_hook_error_does_not_fail_the_run(
        self, runner: SuiteRunner, instance: DagsterInstance
    ) -> None:
        result = runner.execute(sp.broken_hook_pipeline)
        assert result.success
        assert self.hook_events(result, "add_one") == [
            ("broken_hook", DagsterEventType.HOOK_ERRORED),
            ("log_success", DagsterEventType.HOOK_COMPLETED),
        ]
        errored = next(
            e for e in result.event_list if e.event_type_value == DagsterEventType.HOOK_ERRORED
        )
        assert "the hook itself is broken" in errored.hook_errored_data.error.to_string()
        assert result.output_for_solid("add_one") == 4
        assert "success hook ran for add_one" in messages(instance, result.run_id)
        run = instance.get_run_by_id(result.run_id)
        assert run is not None and run.status == PipelineRunStatus.SUCCESS


class UserEventsSuite(_SuiteBase):
    """Materializations and expectation results yielded by a solid."""

    def test_materializations_and_expectations(self, runner: SuiteRunner) -> None:
        result = runner.execute(sp.events_pipeline)
        assert result.success  # a failed expectation does not fail the step
        reports = solid_result(result, "reports")
        assert step_types(result, "reports") == [
            DagsterEventType.STEP_START,
            DagsterEventType.STEP_MATERIALIZATION,
            DagsterEventType.STEP_EXPECTATION_RESULT,
            DagsterEventType.STEP_EXPECTATION_RESULT,
            DagsterEventType.STEP_OUTPUT,
            DagsterEventType.STEP_SUCCESS,
        ]
        (materialization,) = reports.materializations_during_compute
        assert materialization.asset_key == AssetKey("suite_table")
        assert materialization.description == "a table"
        assert materialization.metadata_entries == (EventMetadataEntry.text("42 rows", "rows"),)
        expectations = reports.expectation_results_during_compute
        assert [(x.success, x.label) for x in expectations] == [
            (True, "non_empty"),
            (False, "sorted"),
        ]
        assert expectations[1].metadata_entries == (EventMetadataEntry.int(3, "unsorted"),)
        assert result.output_for_solid("add_one") == 43


class EventStorageSuite(_SuiteBase):
    """The instance holds exactly the events the run yielded, and the run's status."""

    def test_stored_events_equal_yielded_events(
        self, runner: SuiteRunner, instance: DagsterInstance
    ) -> None:
        result = runner.execute(sp.fan_pipeline)
        stored = [r.dagster_event for r in instance.all_logs(result.run_id) if r.dagster_event]
        assert stored == result.event_list
        assert len(stored) > 20
        assert {r.run_id for r in instance.all_logs(result.run_id)} == {result.run_id}

    def test_iterator_events_equal_stored_events(
        self, runner: SuiteRunner, instance: DagsterInstance
    ) -> None:
        events = list(
            execute_pipeline_iterator(
                runner.target(sp.failure_pipeline),
                run_config=runner.run_config(),
                instance=instance,
            )
        )
        (run,) = instance.get_runs()
        stored = [r.dagster_event for r in instance.all_logs(run.run_id) if r.dagster_event]
        assert stored == events
        assert run.status == PipelineRunStatus.FAILURE
        assert [e.event_type_value for e in events if e.is_pipeline_event] == [
            DagsterEventType.PIPELINE_START,
            DagsterEventType.PIPELINE_FAILURE,
        ]

    def test_run_is_recorded(self, runner: SuiteRunner, instance: DagsterInstance) -> None:
        result = runner.execute(sp.linear_pipeline, tags={"suite": "yes"})
        run = instance.get_run_by_id(result.run_id)
        assert run is not None
        assert run.pipeline_name == "linear_pipeline"
        assert run.status == PipelineRunStatus.SUCCESS
        assert run.tags["suite"] == "yes"
        assert dict(run.run_config) == runner.run_config()
        assert all(e.pipeline_name == "linear_pipeline" for e in result.event_list)


class TypeChecksSuite(_SuiteBase):
    """A value that fails its output type check fails the step; what needs it is skipped."""

    def test_failing_output_type_check(self, runner: SuiteRunner) -> None:
        result = runner.execute(sp.type_check_pipeline)
        assert not result.success
        bad = solid_result(result, "not_an_int")
        assert step_types(result, "not_an_int") == [
            DagsterEventType.STEP_START,
            DagsterEventType.STEP_OUTPUT,
            DagsterEventType.STEP_FAILURE,
        ]
        check = bad.compute_output_event_dict["result"].event_specific_data.type_check_data
        assert check is not None and not check.success
        error = bad.failure_data.error
        assert error is not None and error.cls_name == "DagsterTypeCheckDidNotPass"
        assert "not_an_int.compute" in error.message
        assert solid_result(result, "after_bad_value").skipped


class ReexecutionSuite(_SuiteBase):
    """Re-executing a step selection of a finished run reuses the parent's stored outputs."""

    FILESYSTEM: ClassVar[dict[str, Any]] = {"intermediate_storage": {"filesystem": {}}}

    def test_reexecute_a_step_selection(self, runner: SuiteRunner) -> None:
        parent = runner.execute(sp.linear_pipeline, self.FILESYSTEM)
        assert parent.success
        child = reexecute_pipeline(
            runner.target(sp.linear_pipeline),
            parent.run_id,
            run_config=runner.run_config(self.FILESYSTEM),
            step_selection=["double.compute"],
            instance=runner.instance,
        )
        runner.check_stored(child)
        assert child.success
        assert child.output_for_solid("double") == parent.output_for_solid("double") == 10
        started = [
            e.step_key
            for e in child.event_list
            if e.event_type_value == DagsterEventType.STEP_START
        ]
        assert started == ["double.compute"]
        copies = [
            e.event_specific_data
            for e in child.event_list
            if e.event_type_value == DagsterEventType.OBJECT_STORE_OPERATION
            and e.event_specific_data.op.value == "CP_OBJECT"
        ]
        assert [c.step_output_handle.step_key for c in copies] == ["add_one_again.compute"]
        run = runner.instance.get_run_by_id(child.run_id)
        assert run is not None
        assert run.parent_run_id == parent.run_id and run.root_run_id == parent.run_id

    def test_reexecuting_a_step_whose_optional_input_the_parent_did_not_yield(
        self, runner: SuiteRunner
    ) -> None:
        parent = runner.execute(sp.multi_output_pipeline, self.FILESYSTEM)
        assert parent.success
        child = reexecute_pipeline(
            runner.target(sp.multi_output_pipeline),
            parent.run_id,
            run_config=runner.run_config(self.FILESYSTEM),
            step_selection=["on_no.compute", "on_yes.compute"],
            instance=runner.instance,
            raise_on_error=False,
        )
        runner.check_stored(child)
        # the step reading the missing output is skipped; the rest of the selection runs
        assert child.success
        assert step_types(child, "on_no") == [DagsterEventType.STEP_SKIPPED]
        assert child.result_for_solid("on_no").skipped
        assert child.output_for_solid("on_yes") == 8

    def test_reexecuting_after_a_failed_parent_step(self, runner: SuiteRunner) -> None:
        parent = runner.execute(sp.failure_pipeline, self.FILESYSTEM)
        with pytest.raises(DagsterStepOutputNotFoundError) as info:
            reexecute_pipeline(
                runner.target(sp.failure_pipeline),
                parent.run_id,
                run_config=runner.run_config(self.FILESYSTEM),
                step_selection=["after_failure.compute"],
                instance=runner.instance,
            )
        assert (info.value.step_key, info.value.output_name) == ("fails.compute", "result")


class FaultsSuite(_SuiteBase):
    """Faults that are not the user's code fail their step with an error naming what went wrong
    — an output that cannot be pickled, a full disk, a damaged stored output — in every executor;
    with ``raise_on_error=False`` the run returns its result (``FAILURE``), it never raises; a
    worker survives them and takes the next step.

    The full-disk test needs the fixture ``full_disk``: a folder on a small disk that a large
    output fills (a real tmpfs mount); by default it is skipped."""

    FILESYSTEM: ClassVar[dict[str, Any]] = {"intermediate_storage": {"filesystem": {}}}

    @pytest.fixture
    def full_disk(self) -> Path:
        pytest.skip("provide a full_disk fixture (a folder on a small real disk) for this test")

    @staticmethod
    def failure_of(result: PipelineExecutionResult, handle: str) -> tuple[str, Any]:
        """The message and error info of the ``STEP_FAILURE`` of solid ``handle``."""
        (failure,) = [
            e
            for e in result.events_by_step_key.get(f"{handle}.compute", [])
            if e.event_type_value == DagsterEventType.STEP_FAILURE
        ]
        return failure.message or "", failure.event_specific_data.error

    def test_outputs_that_cannot_be_pickled_fail_their_steps(self, runner: SuiteRunner) -> None:
        result = runner.execute(sp.unstorable_pipeline, self.FILESYSTEM)
        assert not result.success
        for handle, why in (
            ("lock_output", "cannot pickle '_thread.lock' object"),
            ("refusing_output", "this value refuses to be pickled"),
        ):
            message, error = self.failure_of(result, handle)
            assert f'Output "result" of solid "{handle}"' in message, message
            assert f'(step "{handle}.compute") cannot be stored' in message, message
            assert why in message, message
            assert "in_memory" in message  # how to keep such a value
            assert error is not None and why in error.to_string()
        for handle in ("uses_lock", "uses_refusing"):
            assert result.result_for_solid(handle).skipped
        # the next step runs (in a worker: the same worker, which survived)
        assert result.result_for_solid("then_runs").success
        assert result.output_for_solid("then_runs") == 7
        kinds = [e.event_type_value for e in result.event_list]
        assert kinds.count(DagsterEventType.STEP_FAILURE) == 2

    def test_a_full_disk_fails_the_step_naming_step_output_and_path(
        self, runner: SuiteRunner, full_disk: Path
    ) -> None:
        config = {"intermediate_storage": {"filesystem": {"config": {"base_dir": str(full_disk)}}}}
        result = runner.execute(sp.big_output_pipeline, config)
        assert not result.success
        message, error = self.failure_of(result, "big_output")
        assert error is not None and error.cls_name == "DagsterStorageFullError", message
        run_dir = full_disk / result.run_id
        path = run_dir / "intermediates" / "big_output.compute" / "result"
        for part in ('output "result"', 'step "big_output.compute"', str(path), "disk is full"):
            assert part in message, (part, message)
        assert not path.exists()  # nothing half-written is kept
        assert result.result_for_solid("measures").skipped

    def test_a_damaged_stored_output_fails_the_reexecuted_step_naming_it(
        self, runner: SuiteRunner
    ) -> None:
        parent = runner.execute(sp.linear_pipeline, self.FILESYSTEM)
        assert parent.success
        (stored,) = [
            e.event_specific_data.address
            for e in parent.events_by_step_key["add_one_again.compute"]
            if e.event_type_value == DagsterEventType.OBJECT_STORE_OPERATION
            and e.event_specific_data.op.value == "SET_OBJECT"
        ]
        Path(stored).write_bytes(b"\x80\x05not a pickle")
        child = reexecute_pipeline(
            runner.target(sp.linear_pipeline),
            parent.run_id,
            run_config=runner.run_config(self.FILESYSTEM),
            step_selection=["double.compute"],
            instance=runner.instance,
            raise_on_error=False,
        )
        runner.check_stored(child)
        assert not child.success
        message, error = self.failure_of(child, "double")
        assert error is not None and error.cls_name == "DagsterCorruptIntermediateError", message
        for part in (child.run_id, 'step "add_one_again.compute"', 'output "result"', "damaged"):
            assert part in message, (part, message)
        assert str(Path(stored).parent.parent.parent.parent / child.run_id) in message  # its file

    def test_raise_on_error_raises_after_a_step_failure_and_keeps_the_run(
        self, runner: SuiteRunner, instance: DagsterInstance
    ) -> None:
        with pytest.raises((ValueError, DagsterSubprocessError)) as info:
            runner.execute(sp.failure_pipeline, raise_on_error=True)
        # in process: the user's own exception; from other processes it travels as data
        assert sp.FAILURE_MESSAGE in str(info.value)
        (run,) = instance.get_runs()
        assert run.status == PipelineRunStatus.FAILURE
        failures = instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_FAILURE)
        assert [r.step_key for r in failures] == ["fails.compute"]


class ExecutorSuite(
    FaultsSuite,
    ValuesSuite,
    FailureSuite,
    PrioritySuite,
    RetriesSuite,
    ResourcesSuite,
    HooksSuite,
    UserEventsSuite,
    EventStorageSuite,
    TypeChecksSuite,
    ReexecutionSuite,
):
    """Every suite above: what an executor must pass."""
