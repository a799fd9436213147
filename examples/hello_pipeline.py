"""Hello, pipeline: four solids with config and a fan-in, run in process.

    python examples/hello_pipeline.py      (or: make demo)

`load_numbers` makes a list of numbers; two configured copies of `scale` (aliased `doubled` and
`tripled`) each scale it; `summarize` fans both results in as one list input. The script prints the
run's outcome, every solid's output and then the run's events, one per line.
"""

from notebook_pipelines import (
    Field,
    InputDefinition,
    Int,
    List,
    OutputDefinition,
    execute_pipeline,
    pipeline,
    solid,
)


@solid(
    config_schema={"count": Field(Int, default_value=3, description="how many numbers")},
    output_defs=[OutputDefinition(List[Int])],
)
def load_numbers(context):
    numbers = list(range(1, context.solid_config["count"] + 1))
    context.log.info(f"loaded {len(numbers)} numbers")
    return numbers


@solid(
    config_schema={"factor": Int},
    input_defs=[InputDefinition("numbers", List[Int])],
    output_defs=[OutputDefinition(List[Int])],
)
def scale(context, numbers):
    return [n * context.solid_config["factor"] for n in numbers]


@solid(input_defs=[InputDefinition("lists", List[List[Int]])])
def summarize(context, lists):
    total = sum(sum(values) for values in lists)
    context.log.info(f"{len(lists)} lists, total {total}")
    return {"lists": len(lists), "total": total}


@pipeline
def hello_pipeline():
    numbers = load_numbers()
    summarize([scale.alias("doubled")(numbers), scale.alias("tripled")(numbers)])


RUN_CONFIG = {
    "solids": {
        "load_numbers": {"config": {"count": 4}},
        "doubled": {"config": {"factor": 2}},
        "tripled": {"config": {"factor": 3}},
    },
    # The events are printed below; keep the console logger to warnings and errors.
    "loggers": {"console": {"config": {"log_level": "WARNING"}}},
}


def main() -> None:
    result = execute_pipeline(hello_pipeline, run_config=RUN_CONFIG)
    print(f"pipeline {result.pipeline_def.name!r} run {result.run_id}: success={result.success}")
    for name in ("load_numbers", "doubled", "tripled", "summarize"):
        print(f"  {name:<13} -> {result.output_for_solid(name)!r}")
    print()
    print(f"{len(result.event_list)} events:")
    for event in result.event_list:
        print(f"  {event.event_type_value:<24} {event.step_key or '-':<24} {event.message}")


if __name__ == "__main__":
    main()
