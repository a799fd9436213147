"""The pipelines of the executor conformance suite (:mod:`.executor_suite`).

They live at the top level of an importable module so that executors which run steps in other
processes (multiprocess, Dask) can rebuild them with ``reconstructable``. Every value they pass
around pickles, and every side effect the suite checks is visible from outside the process that ran
the step: events, ``context.log`` records (stored in the run's event log) and files whose paths
come from run config.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from ..config import Field
from ..definitions.hook import failure_hook, success_hook
from ..definitions.io import InputDefinition, OutputDefinition
from ..definitions.mode import ModeDefinition
from ..definitions.pipeline import pipeline
from ..definitions.resource import resource
from ..definitions.solid import solid
from ..definitions.types import Int, List, String
from ..user_events import (
    AssetKey,
    AssetMaterialization,
    EventMetadataEntry,
    ExpectationResult,
    Output,
    RetryRequested,
)

PRIORITY = "dagster/priority"

# --- linear chain: start(n) -> add_one -> add_one_again -> double ------------------------------


@solid(config_schema={"n": Field(Int, default_value=3)})
def start(context: Any) -> int:
    return int(context.solid_config["n"])


@solid(input_defs=[InputDefinition("x", Int)], output_defs=[OutputDefinition(Int)])
def add_one(_: Any, x: int) -> int:
    return x + 1


@solid(input_defs=[InputDefinition("x", Int)], output_defs=[OutputDefinition(Int)])
def double(_: Any, x: int) -> int:
    return x * 2


@pipeline
def linear_pipeline() -> None:
    double(add_one.alias("add_one_again")(add_one(start())))


# --- fan-out / fan-in: start -> {add_one, double, square} -> total(list), pair(two inputs) -----


@solid(input_defs=[InputDefinition("x", Int)], output_defs=[OutputDefinition(Int)])
def square(_: Any, x: int) -> int:
    return x * x


@solid(input_defs=[InputDefinition("numbers", List[Int])], output_defs=[OutputDefinition(Int)])
def total(_: Any, numbers: list[int]) -> int:
    return sum(numbers)


@solid(
    input_defs=[InputDefinition("left", Int), InputDefinition("right", Int)],
    output_defs=[OutputDefinition(List[Int])],
)
def pair(_: Any, left: int, right: int) -> list[int]:
    return [left, right]


@pipeline
def fan_pipeline() -> None:
    n = start()
    plus = add_one(n)
    twice = double(n)
    squared = square(n)
    total([plus, twice, squared])
    pair(plus, squared)


# --- several outputs, one optional and not yielded ------------------------------------------------


@solid(
    output_defs=[
        OutputDefinition(Int, "yes"),
        OutputDefinition(Int, "also"),
        OutputDefinition(Int, "no", is_required=False),
    ]
)
def branch(_: Any) -> Iterator[Output]:
    yield Output(7, "yes")
    yield Output(8, "also")


@pipeline
def multi_output_pipeline() -> None:
    yes, also, no = branch()
    add_one.alias("on_yes")(yes)
    double.alias("on_also")(also)
    double.alias("after_no")(add_one.alias("on_no")(no))


# --- a failing step: fails <- start -> still_runs; fails -> after_failure ----------------------

FAILURE_MESSAGE = "the suite's solid failed on purpose"


@solid(input_defs=[InputDefinition("x", Int)], output_defs=[OutputDefinition(Int)])
def fails(_: Any, x: int) -> int:
    raise ValueError(f"{FAILURE_MESSAGE} with x={x}")


@pipeline
def failure_pipeline() -> None:
    n = start()
    add_one.alias("after_failure")(fails(n))
    add_one.alias("still_runs")(n)


# --- priority: five independent solids with priorities -------------------------------------------


@solid(output_defs=[OutputDefinition(String)])
def named(context: Any) -> str:
    return str(context.solid_handle)


@pipeline
def priority_pipeline() -> None:
    named.alias("p_low").tag({PRIORITY: "-3"})()
    named.alias("p_default_1")()
    named.alias("p_high").tag({PRIORITY: "10"})()
    named.alias("p_default_2").tag({PRIORITY: "0"})()
    named.alias("p_mid").tag({PRIORITY: "4"})()


PRIORITY_ORDER = ["p_high", "p_mid", "p_default_1", "p_default_2", "p_low"]

# --- retries ---------------------------------------------------------------------------------------


@solid(
    config_schema={"marker": String, "max_retries": Field(Int, default_value=1)},
    output_defs=[OutputDefinition(String)],
)
def flaky(context: Any) -> str:
    """Fails with RetryRequested the first time (creating the marker file), then succeeds."""
    marker = context.solid_config["marker"]
    if not os.path.exists(marker):
        with open(marker, "w") as handle:
            handle.write("attempted")
        raise RetryRequested(max_retries=context.solid_config["max_retries"])
    return "recovered"


@solid(input_defs=[InputDefinition("text", String)], output_defs=[OutputDefinition(String)])
def shout(_: Any, text: str) -> str:
    return text.upper()


@pipeline
def flaky_pipeline() -> None:
    shout(flaky())


@solid(config_schema={"max_retries": Int}, output_defs=[OutputDefinition(Int)])
def always_retry(context: Any) -> int:
    raise RetryRequested(max_retries=context.solid_config["max_retries"], seconds_to_wait=0.01)


@pipeline
def always_retry_pipeline() -> None:
    add_one(always_retry())


# --- resources -------------------------------------------------------------------------------------


@resource(config_schema={"start": Int})
def counter(init_context: Any) -> Iterator[int]:
    init_context.log.info(f"counter up at {init_context.resource_config['start']}")
    yield init_context.resource_config["start"]
    init_context.log.info("counter torn down")


@resource
def never_needed(_: Any) -> None:
    raise RuntimeError("a resource that no step requires must not be initialised")


@solid(required_resource_keys={"counter"}, output_defs=[OutputDefinition(Int)])
def use_counter(context: Any) -> int:
    return int(context.resources.counter) + 1


@pipeline(
    mode_defs=[ModeDefinition(resource_defs={"counter": counter, "never_needed": never_needed})]
)
def resource_pipeline() -> None:
    add_one(use_counter())


# --- hooks -----------------------------------------------------------------------------------------


@success_hook
def log_success(context: Any) -> None:
    context.log.info(f"success hook ran for {context.solid.name}")


@failure_hook
def log_failure(context: Any) -> None:
    context.log.info(f"failure hook ran for {context.solid.name}")


@success_hook
def broken_hook(_: Any) -> None:
    raise RuntimeError("the hook itself is broken")


@pipeline
def hook_pipeline() -> None:
    n = start.with_hooks({log_success, log_failure})()
    fails.alias("hooked_failure").with_hooks({log_success, log_failure})(n)


@pipeline
def broken_hook_pipeline() -> None:
    add_one.with_hooks({broken_hook, log_success})(start())


# --- a fan-in with a failed source: [start, fails(start)] -> gathered -> after_gathered -----------


@pipeline
def fan_in_failure_pipeline() -> None:
    n = start()
    gathered = total.alias("gathered").with_hooks({log_success, log_failure})([n, fails(n)])
    add_one.alias("after_gathered")(gathered)


# --- materializations and expectations -------------------------------------------------------------


@solid(output_defs=[OutputDefinition(Int)])
def reports(_: Any) -> Iterator[Any]:
    yield AssetMaterialization(
        asset_key=AssetKey("suite_table"),
        description="a table",
        metadata_entries=(EventMetadataEntry.text("42 rows", "rows"),),
    )
    yield ExpectationResult(success=True, label="non_empty", description="has rows")
    yield ExpectationResult(
        success=False, label="sorted", metadata_entries=(EventMetadataEntry.int(3, "unsorted"),)
    )
    yield Output(42)


@pipeline
def events_pipeline() -> None:
    add_one(reports())


# --- type checks: an output that fails its type check, and what follows it -------------------------


@solid(output_defs=[OutputDefinition(Int)])
def not_an_int(_: Any) -> Any:
    return "not a number"


@solid(input_defs=[InputDefinition("x", Int)], output_defs=[OutputDefinition(Int)])
def after_bad_value(_: Any, x: int) -> int:
    return x


@pipeline
def type_check_pipeline() -> None:
    after_bad_value(not_an_int())


# --- faults that are not the user's code: outputs that cannot be stored, a large output -----------


class RefusesPickling:
    """A value whose pickling raises (its own ``__reduce__``), not one pickle refuses."""

    def __reduce__(self) -> Any:
        raise RuntimeError("this value refuses to be pickled")


@solid(output_defs=[OutputDefinition()])
def lock_output(_: Any) -> Any:
    import threading

    return threading.Lock()


@solid(output_defs=[OutputDefinition()])
def refusing_output(_: Any) -> Any:
    return RefusesPickling()


@solid(input_defs=[InputDefinition("value")], output_defs=[OutputDefinition(Int)])
def uses_value(_: Any, value: Any) -> int:
    return 1


@solid(output_defs=[OutputDefinition(Int)])
def then_runs(_: Any) -> int:
    return 7


@pipeline
def unstorable_pipeline() -> None:
    """Steps by key: ``lock_output``, ``refusing_output``, ``then_runs`` (one worker takes them in
    that order), then the two ``uses_*`` steps that cannot run."""
    uses_value.alias("uses_lock")(lock_output())
    uses_value.alias("uses_refusing")(refusing_output())
    then_runs()


@solid(config_schema={"size": Field(Int, default_value=8 << 20)}, output_defs=[OutputDefinition()])
def big_output(context: Any) -> bytes:
    return b"x" * context.solid_config["size"]


@solid(input_defs=[InputDefinition("data")], output_defs=[OutputDefinition(Int)])
def measures(_: Any, data: bytes) -> int:
    return len(data)


@pipeline
def big_output_pipeline() -> None:
    measures(big_output())
