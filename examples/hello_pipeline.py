"""Hello, pipeline: four solids with config and a fan-in, in a plain script.

    python examples/hello_pipeline.py      (or: make demo)

`load_numbers` makes a list of numbers; two configured copies of `scale` (aliased `doubled` and
`tripled`) each scale it; `summarize` fans both results in as one list input.

The script runs the pipeline three times:

1. in process, in memory (nothing is stored): it prints the run's outcome, every solid's output
   and then the run's events, one per line;
2. in two worker processes, stored in the run history of `$NOTEBOOK_PIPELINES_HOME` (default
   `~/.notebook_pipelines`) with its outputs on disk — what a notebook does by itself after
   `%load_ext notebook_pipelines`; a script says so: the instance, filesystem intermediates, a
   `reconstructable` pipeline (worker processes import it from this file) and the
   `if __name__ == "__main__":` guard;
3. re-executing only `summarize.compute` of run 2: the other outputs are copied from run 2.

The same pipeline from the command line (`examples/README.md`):

    notebook-pipelines pipeline execute -f hello_pipeline.py -a hello_pipeline -c hello_pipeline.yaml
"""

from notebook_pipelines import (
    DagsterInstance,
    Field,
    InputDefinition,
    Int,
    List,
    OutputDefinition,
    execute_pipeline,
    pipeline,
    reconstructable,
    reexecute_pipeline,
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

    # Worker processes, the run history and re-execution: what a notebook session does by itself.
    stored_config = {
        **RUN_CONFIG,
        "execution": {"multiprocess": {"config": {"max_concurrent": 2}}},
        "intermediate_storage": {"filesystem": {}},
    }
    with DagsterInstance.get() as instance:
        parallel = execute_pipeline(
            reconstructable(hello_pipeline), run_config=stored_config, instance=instance
        )
        print()
        print(f"in 2 worker processes: run {parallel.run_id}: success={parallel.success}")
        again = reexecute_pipeline(
            reconstructable(hello_pipeline),
            parallel.run_id,
            run_config=stored_config,
            step_selection=["summarize.compute"],
            instance=instance,
        )
        ran = [e.step_key for e in again.event_list if e.event_type_value == "STEP_SUCCESS"]
        print(
            f"re-executed {', '.join(ran)}: run {again.run_id}: success={again.success}, "
            f"summarize -> {again.output_for_solid('summarize')!r}"
        )
        print(f"both runs are in the run history at {instance.root_directory}:")
        print(f"  notebook-pipelines runs list --pipeline {hello_pipeline.name}")
        print(f"  notebook-pipelines runs show {again.run_id[:8]}")


if __name__ == "__main__":
    main()
