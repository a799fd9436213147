"""reconstructable and build_reconstructable_pipeline: pointers to importable code that pickle and
rebuild the same pipeline in another process; clear errors for what cannot be rebuilt."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from notebook_pipelines import (
    DagsterInvariantViolationError,
    build_reconstructable_pipeline,
    execute_pipeline,
    lambda_solid,
    pipeline,
    reconstructable,
)
from notebook_pipelines.reconstruct import ReconstructablePipeline

REPO = Path(__file__).resolve().parents[1]

MODULE_SOURCE = textwrap.dedent(
    """
    from notebook_pipelines import PipelineDefinition, lambda_solid, pipeline, solid


    @lambda_solid
    def hello():
        return "hello"


    @solid
    def shout(_, word):
        return word.upper() + "!"


    @pipeline
    def greeting_pipeline():
        shout(hello())


    def make_pipeline():
        return PipelineDefinition([hello, shout], name="made_pipeline",
                                  dependencies={"shout": {"word": __import__("notebook_pipelines").DependencyDefinition("hello")}})


    def make_named(name, punctuation="!"):
        @lambda_solid(name=name + "_solid")
        def say():
            return name + punctuation

        return PipelineDefinition([say], name=name)
    """
)


@pytest.fixture
def module_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh importable module (a file in a directory on sys.path) holding MODULE_SOURCE."""
    name = f"np_recon_{uuid.uuid4().hex[:12]}"
    (tmp_path / f"{name}.py").write_text(MODULE_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def in_subprocess(code: str, payload: bytes, extra_path: Path | None = None) -> str:
    """Run ``code`` in a fresh Python with ``payload`` on stdin; return its stdout."""
    paths = [str(REPO)] + ([str(extra_path)] if extra_path else [])
    env = {"PYTHONPATH": ":".join(paths), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=payload,
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode().strip()


REBUILD = textwrap.dedent(
    """
    import pickle, sys
    from notebook_pipelines import execute_pipeline
    recon = pickle.loads(sys.stdin.buffer.read())
    definition = recon.get_definition()
    result = execute_pipeline(recon)
    print(definition.name, [s.name for s in definition.solids], result.success)
    """
)


def test_reconstructable_module_level_pipeline(module_name: str) -> None:
    module = __import__(module_name)
    recon = reconstructable(module.greeting_pipeline)
    assert isinstance(recon, ReconstructablePipeline)
    assert recon.pipeline_name == "greeting_pipeline"
    assert recon.pointer.kind == "module"
    assert recon.pointer.target == module_name
    assert recon.pointer.attribute == "greeting_pipeline"
    assert recon.get_definition() is module.greeting_pipeline
    assert execute_pipeline(recon).output_for_solid("shout") == "HELLO!"
    assert reconstructable(recon) is recon


def test_reconstructable_pipeline_rebuilds_in_another_process(
    module_name: str, tmp_path: Path
) -> None:
    module = __import__(module_name)
    recon = reconstructable(module.greeting_pipeline)
    out = in_subprocess(REBUILD, pickle.dumps(recon), tmp_path)
    assert out == "greeting_pipeline ['hello', 'shout'] True"


def test_reconstructable_function(module_name: str, tmp_path: Path) -> None:
    module = __import__(module_name)
    recon = reconstructable(module.make_pipeline)
    assert recon.pipeline_name == "made_pipeline"
    assert recon.pointer.attribute == "make_pipeline"
    assert recon.get_definition().name == "made_pipeline"
    out = in_subprocess(REBUILD, pickle.dumps(recon), tmp_path)
    assert out == "made_pipeline ['hello', 'shout'] True"


def test_solid_selection_travels_with_the_pointer(module_name: str, tmp_path: Path) -> None:
    module = __import__(module_name)
    subset = reconstructable(module.greeting_pipeline).subset_for_execution(["hello"])
    assert subset.solid_selection == ("hello",)
    assert [s.name for s in subset.get_definition().solids] == ["hello"]
    out = in_subprocess(REBUILD, pickle.dumps(subset), tmp_path)
    assert out == "greeting_pipeline ['hello'] True"


def test_build_reconstructable_pipeline(module_name: str, tmp_path: Path) -> None:
    recon = build_reconstructable_pipeline(
        module_name, "make_named", ["custom_pipeline"], {"punctuation": "?"}
    )
    assert recon.pipeline_name == "custom_pipeline"
    definition = recon.get_definition()
    assert definition.name == "custom_pipeline"
    assert execute_pipeline(recon).output_for_solid("custom_pipeline_solid") == "custom_pipeline?"
    out = in_subprocess(REBUILD, pickle.dumps(recon), tmp_path)
    assert out == "custom_pipeline ['custom_pipeline_solid'] True"


def test_build_reconstructable_pipeline_with_a_missing_function(module_name: str) -> None:
    with pytest.raises(
        DagsterInvariantViolationError, match=f'"nope" is not defined in {module_name}'
    ):
        build_reconstructable_pipeline(module_name, "nope")


def test_lambda_is_refused() -> None:
    with pytest.raises(DagsterInvariantViolationError, match="cannot rebuild a lambda"):
        reconstructable(lambda: None)


def test_nested_function_is_refused() -> None:
    def make() -> Any:
        return None

    with pytest.raises(
        DagsterInvariantViolationError, match="pipelines defined inside functions"
    ) as info:
        reconstructable(make)
    assert "build_reconstructable_pipeline" in str(info.value)


def test_pipeline_built_inside_a_function_is_refused() -> None:
    @lambda_solid
    def inner_solid() -> int:
        return 1

    @pipeline
    def local_pipeline() -> None:
        inner_solid()

    with pytest.raises(
        DagsterInvariantViolationError,
        match=f"cannot find local_pipeline at the top level of module {__name__}",
    ):
        reconstructable(local_pipeline)


def test_not_a_pipeline_is_refused() -> None:
    with pytest.raises(
        DagsterInvariantViolationError, match="takes a pipeline or a function returning one, got 42"
    ):
        reconstructable(42)


def test_script_run_as_main_uses_its_file(tmp_path: Path) -> None:
    script = tmp_path / "script_pipeline.py"
    script.write_text(
        MODULE_SOURCE
        + textwrap.dedent(
            """

            if __name__ == "__main__":
                import pickle, sys
                from notebook_pipelines import reconstructable
                recon = reconstructable(greeting_pipeline)
                sys.stdout.buffer.write(pickle.dumps(recon))
            """
        )
    )
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        cwd=str(tmp_path),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    recon = pickle.loads(done.stdout)
    assert recon.pointer.kind == "file"
    assert recon.pointer.target == str(script)
    out = in_subprocess(REBUILD, done.stdout)
    assert out == "greeting_pipeline ['hello', 'shout'] True"


def test_interactive_main_is_refused() -> None:
    code = textwrap.dedent(
        """
        from notebook_pipelines import lambda_solid, pipeline, reconstructable
        from notebook_pipelines.errors import DagsterInvariantViolationError

        @lambda_solid
        def hi():
            return 1

        @pipeline
        def interactive_pipeline():
            hi()

        try:
            reconstructable(interactive_pipeline)
        except DagsterInvariantViolationError as error:
            print(error)
        """
    )
    out = in_subprocess(code, b"")
    assert "defined in an interactive session (no file)" in out
    assert "build_reconstructable_pipeline" in out
