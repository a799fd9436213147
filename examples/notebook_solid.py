"""A notebook as a solid: ``examples/notebooks/summarize.ipynb`` runs, with papermill, as one step.

    python examples/notebook_solid.py

`load_numbers` makes the numbers; `summarize` is the notebook (its input `numbers` replaces the
variable of its `parameters` cell; it yields a `summary` dict, an expectation and a
materialization); `report` prints the summary. The executed notebook is kept under the instance
(`notebook-pipelines notebook show RUN_ID summarize.compute` finds it again).
"""

from notebook_pipelines import (
    DagsterInstance,
    Dict,
    InputDefinition,
    List,
    OutputDefinition,
    define_notebook_solid,
    execute_pipeline,
    file_relative_path,
    pipeline,
    solid,
)

summarize = define_notebook_solid(
    "summarize",
    file_relative_path(__file__, "notebooks/summarize.ipynb"),
    input_defs=[InputDefinition("numbers", List[int])],
    output_defs=[OutputDefinition(Dict, "summary")],
    config_schema={"label": str},
)


@solid(config_schema={"count": int})
def load_numbers(context) -> list:
    return list(range(1, context.solid_config["count"] + 1))


@solid
def report(context, summary: dict) -> str:
    line = f"total {summary['total']}, mean {summary['mean']:.2f}"
    context.log.info(line)
    return line


@pipeline
def notebook_pipeline():
    report(summarize(load_numbers()))


if __name__ == "__main__":
    with DagsterInstance.get() as instance:
        result = execute_pipeline(
            notebook_pipeline,
            run_config={
                "solids": {
                    "load_numbers": {"config": {"count": 10}},
                    "summarize": {"config": {"label": "ten numbers"}},
                },
                "loggers": {"console": {"config": {"log_level": "WARNING"}}},
            },
            instance=instance,
        )
        print("success:", result.success)
        print("report:", result.result_for_solid("report").output_value())
        for materialization in result.result_for_solid("summarize").materializations_during_compute:
            for entry in materialization.metadata_entries:
                print(f"  {materialization.label}: {entry.label} = {entry.entry_data}")
