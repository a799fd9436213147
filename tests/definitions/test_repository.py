"""``@repository`` and :class:`RepositoryDefinition`: pipelines by name, lazily built pipelines
(the reference's ``{"pipelines": {name: function}}`` form included), and lookup errors."""

from __future__ import annotations

from typing import Any

import pytest

from notebook_pipelines import (
    DagsterInvalidDefinitionError,
    DagsterInvariantViolationError,
    PipelineDefinition,
    RepositoryDefinition,
    lambda_solid,
    pipeline,
    repository,
)


@lambda_solid
def answer() -> int:
    return 42


@pipeline
def first() -> None:
    answer()


@pipeline
def second() -> None:
    answer()


def test_a_repository_from_a_list_of_pipelines() -> None:
    repo = RepositoryDefinition("repo", [first, second], description="two pipelines")
    assert repo.name == "repo"
    assert repo.description == "two pipelines"
    assert repo.pipeline_names == ["first", "second"]
    assert repo.has_pipeline("first") and not repo.has_pipeline("third")
    assert repo.get_pipeline("second") is second
    assert repo.get_all_pipelines() == [first, second]


def test_a_repository_from_a_dict_of_pipelines_and_functions() -> None:
    built: list[str] = []

    def make_second() -> PipelineDefinition:
        built.append("second")
        return second

    repo = RepositoryDefinition("repo", {"first": first, "second": make_second})
    assert repo.pipeline_names == ["first", "second"]
    assert built == []  # lazily built...
    assert repo.get_pipeline("second") is second
    assert repo.get_pipeline("second") is second
    assert built == ["second"]  # ...once


def test_the_reference_lazy_dict_form() -> None:
    built: list[str] = []

    def make_first() -> PipelineDefinition:
        built.append("first")
        return first

    @repository
    def lazy() -> dict[str, Any]:
        return {"pipelines": {"first": make_first, "second": lambda: second}, "schedules": {}}

    assert lazy.name == "lazy"
    assert lazy.pipeline_names == ["first", "second"]
    assert built == []
    assert [p.name for p in lazy.get_all_pipelines()] == ["first", "second"]
    assert built == ["first"]


def test_schedules_and_partition_sets_are_out_of_scope() -> None:
    with pytest.raises(DagsterInvalidDefinitionError) as excinfo:
        RepositoryDefinition(
            "repo", {"pipelines": {"first": lambda: first}, "schedules": {"daily": lambda: None}}
        )
    assert "Repository \"repo\": ['schedules'] are not supported" in str(excinfo.value)


def test_the_repository_decorator_forms() -> None:
    @repository
    def bare() -> list[PipelineDefinition]:
        return [first]

    @repository(name="renamed", description="explicit")
    def with_args() -> list[PipelineDefinition]:
        return [second]

    assert (bare.name, bare.pipeline_names) == ("bare", ["first"])
    assert (with_args.name, with_args.description, with_args.pipeline_names) == (
        "renamed",
        "explicit",
        ["second"],
    )


def test_a_lazily_built_pipeline_must_carry_its_key_as_name() -> None:
    repo = RepositoryDefinition("repo", {"pipelines": {"other": lambda: first}})
    with pytest.raises(DagsterInvariantViolationError) as excinfo:
        repo.get_pipeline("other")
    assert str(excinfo.value) == (
        'Repository "repo": the pipeline under the name "other" is named "first"; the names must match.'
    )


def test_an_eagerly_given_pipeline_must_carry_its_key_as_name() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match='the pipeline under the name "alias" is named "first"'
    ):
        RepositoryDefinition("repo", {"alias": first})


def test_a_lazy_function_returning_something_else_is_an_error() -> None:
    repo = RepositoryDefinition("repo", {"broken": lambda: "not a pipeline"})
    with pytest.raises(
        DagsterInvariantViolationError,
        match="the function for pipeline \"broken\" returned 'not a pipeline', not a pipeline",
    ):
        repo.get_pipeline("broken")


def test_duplicate_pipeline_names_are_refused() -> None:
    @pipeline(name="first")
    def also_first() -> None:
        answer()

    with pytest.raises(
        DagsterInvalidDefinitionError, match='Repository "repo" has two pipelines named "first"'
    ):
        RepositoryDefinition("repo", [first, also_first])


def test_things_that_are_not_pipelines_are_refused() -> None:
    with pytest.raises(DagsterInvalidDefinitionError, match='Repository "repo" holds pipelines'):
        RepositoryDefinition("repo", [answer])
    with pytest.raises(DagsterInvalidDefinitionError, match='Repository "repo" holds pipelines'):
        # a function needs a name to be found by: only in the dict form
        RepositoryDefinition("repo", [lambda: first])


def test_an_unknown_pipeline_lists_the_known_ones() -> None:
    repo = RepositoryDefinition("repo", [second, first])
    with pytest.raises(
        DagsterInvariantViolationError,
        match=r"Repository \"repo\" has no pipeline \"third\"; its pipelines: \['first', 'second'\]",
    ):
        repo.get_pipeline("third")


def test_an_invalid_repository_name_is_refused() -> None:
    with pytest.raises(
        DagsterInvalidDefinitionError, match="repository: the name 'my repo' is not valid"
    ):
        RepositoryDefinition("my repo", [first])
