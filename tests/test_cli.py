"""The command line, end to end: real subprocesses (``python -m notebook_pipelines.cli`` and the
``notebook-pipelines`` script), each test with its own persistent instance in
``$NOTEBOOK_PIPELINES_HOME`` under tmp_path, pipelines written as files into tmp_path."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

PIPELINES = textwrap.dedent(
    '''
    """Pipelines the command-line tests run."""
    import sys
    from pathlib import Path

    from notebook_pipelines import (
        Field, InputDefinition, Int, OutputDefinition, String, composite_solid, pipeline,
        repository, solid, PresetDefinition, ModeDefinition,
    )

    BROKEN = Path(__file__).with_name("broken")


    @solid(
        config_schema={"n": Field(Int, default_value=1), "word": Field(String, default_value="hi")},
        output_defs=[OutputDefinition(Int)],
    )
    def a(context):
        print(f"a says {context.solid_config['word']} {context.solid_config['n']}")
        print("a complains on stderr", file=sys.stderr)
        return context.solid_config["n"]


    @solid(input_defs=[InputDefinition("x", Int)], output_defs=[OutputDefinition(Int)])
    def b(context, x):
        print(f"b got {x}")
        if BROKEN.exists():
            raise ValueError("b is broken")
        return x + 1


    @solid(input_defs=[InputDefinition("y", Int)])
    def c(context, y):
        print(f"c got {y}")


    @pipeline(
        mode_defs=[ModeDefinition("fast")],
        preset_defs=[
            PresetDefinition("three", {"solids": {"a": {"config": {"n": 3}}}}, mode="fast")
        ],
    )
    def chain():
        c(b(a()))


    @composite_solid(input_defs=[InputDefinition("x", Int)], output_defs=[OutputDefinition(Int)])
    def twice(x):
        return b.alias("again")(b(x))


    @pipeline
    def nested():
        c(twice(a()))


    def build_chain():
        return chain


    @repository
    def repo():
        return [chain, nested]
    '''
)

FS_CONFIG = "intermediate_storage:\n  filesystem: {}\n"


@dataclass
class Result:
    code: int
    out: str
    err: str


@dataclass
class Cli:
    """Runs the command line in a subprocess with its own instance home."""

    home: Path
    cwd: Path

    def __call__(
        self, *args: str, script: bool = False, env: dict[str, str] | None = None
    ) -> Result:
        if script:
            exe = Path(sys.executable).with_name("notebook-pipelines")
            command = [str(exe), *args]
        else:
            command = [sys.executable, "-m", "notebook_pipelines.cli", *args]
        full_env = {**os.environ, "NOTEBOOK_PIPELINES_HOME": str(self.home), **(env or {})}
        full_env.pop("NO_COLOR", None)
        done = subprocess.run(
            command,
            cwd=self.cwd,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    def write(self, name: str, text: str) -> Path:
        path = self.cwd / name
        path.write_text(text, encoding="utf-8")
        return path

    def execute(self, *args: str, attribute: str = "chain") -> Result:
        return self("pipeline", "execute", "-f", "pipelines.py", "-a", attribute, *args)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    work = tmp_path / "work"
    work.mkdir()
    runner = Cli(tmp_path / "home", work)
    runner.write("pipelines.py", PIPELINES)
    runner.write("fs.yaml", FS_CONFIG)
    return runner


RUN_ID = re.compile(r"Run ([0-9a-f-]{36}) of pipeline")


def run_id_of(result: Result) -> str:
    match = RUN_ID.search(result.out)
    assert match, result.out + result.err
    return match.group(1)


def assert_one_paragraph_error(result: Result, *needles: str) -> None:
    """Exit 1, one paragraph on stderr (no blank line, no traceback), naming each needle."""
    assert result.code == 1, result
    err = result.err.strip()
    assert err.startswith("Error: "), err
    assert "Traceback" not in err, err
    assert "\n\n" not in err, err
    for needle in needles:
        assert needle in err, (needle, err)


# --- pipeline execute ----------------------------------------------------------------------------


def test_execute_success_shows_progress_and_prints_run_id(cli: Cli) -> None:
    result = cli.execute()
    assert result.code == 0, result
    run_id = run_id_of(result)
    assert f'Run {run_id} of pipeline "chain": SUCCESS (3 steps succeeded)' in result.out
    for key in ("a.compute", "b.compute", "c.compute"):
        assert re.search(rf"started\s+{re.escape(key)}", result.err), result.err
        assert re.search(rf"ok\s+{re.escape(key)}\s+\(\d", result.err), result.err
    # progress lines appear in step order, each start before its finish
    starts = [result.err.index(f"started   {k}") for k in ("a.compute", "b.compute", "c.compute")]
    assert starts == sorted(starts)
    assert "\033[" not in result.err  # no colour when stderr is not a terminal
    assert (cli.home / "storage" / run_id).is_dir()


def test_execute_failure_exits_1_and_names_the_error(cli: Cli) -> None:
    cli.write("broken", "")
    result = cli.execute()
    assert result.code == 1, result
    run_id = run_id_of(result)
    assert "FAILURE (1 step succeeded, 1 failed, 1 skipped)" in result.out
    assert re.search(r"FAILED\s+b\.compute .*ValueError: b is broken", result.err), result.err
    assert re.search(r"skipped\s+c\.compute", result.err)
    assert f"runs show {run_id}" in result.err


def test_the_console_script_runs_too(cli: Cli) -> None:
    if not Path(sys.executable).with_name("notebook-pipelines").exists():
        pytest.skip("the notebook-pipelines script is not installed (pip install -e .)")
    result = cli("pipeline", "execute", "-f", "pipelines.py", "-a", "chain", script=True)
    assert result.code == 0, result
    assert "SUCCESS" in result.out


def test_python_dash_m_package_runs_the_cli(cli: Cli) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "notebook_pipelines", "runs", "list"],
        cwd=cli.cwd,
        env={**os.environ, "NOTEBOOK_PIPELINES_HOME": str(cli.home)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "No runs" in done.stdout


def test_config_files_are_deep_merged_later_wins(cli: Cli) -> None:
    cli.write("one.yaml", "solids:\n  a:\n    config:\n      n: 1\n      word: hello\n")
    cli.write("two.yaml", "solids:\n  a:\n    config:\n      n: 4\n")
    result = cli.execute("-c", "one.yaml", "two.yaml")
    assert result.code == 0, result
    assert "a says hello 4" in result.err or "a says hello 4" in result.out
    shown = cli("runs", "show", run_id_of(result))
    assert "n: 4" in shown.out and "word: hello" in shown.out


def test_repeated_config_flags_also_merge(cli: Cli) -> None:
    cli.write("one.yaml", "solids:\n  a:\n    config:\n      word: hey\n")
    cli.write("two.yaml", "solids:\n  a:\n    config:\n      n: 7\n")
    result = cli.execute("-c", "one.yaml", "-c", "two.yaml")
    assert result.code == 0, result
    logs = cli("runs", "logs", run_id_of(result), "a.compute", "--stdout")
    assert logs.out == "a says hey 7\n"


def test_bad_config_lists_every_path(cli: Cli) -> None:
    cli.write(
        "bad.yaml",
        "solids:\n  a:\n    config:\n      n: lots\n      colour: red\n  nobody: {}\n",
    )
    result = cli.execute("-c", "bad.yaml")
    assert_one_paragraph_error(
        result,
        "root:solids:a:config:n",
        "root:solids:a:config",
        '"colour"',
        '"nobody"',
    )
    assert "3 errors" in result.err
    assert cli("runs", "list").out.startswith("No runs")  # nothing was created


def test_config_file_problems_are_one_paragraph(cli: Cli) -> None:
    assert_one_paragraph_error(cli.execute("-c", "missing.yaml"), "missing.yaml", "does not exist")
    cli.write("broken.yaml", "solids: [unclosed\n")
    assert_one_paragraph_error(cli.execute("-c", "broken.yaml"), "broken.yaml", "not valid YAML")
    cli.write("list.yaml", "- 1\n- 2\n")
    assert_one_paragraph_error(cli.execute("-c", "list.yaml"), "list.yaml", "mapping")


def test_mode_preset_selection_and_tags(cli: Cli) -> None:
    preset = cli.execute("--preset", "three")
    assert preset.code == 0, preset
    shown = cli("runs", "show", run_id_of(preset))
    assert re.search(r"Mode\s+fast", shown.out)
    assert "n: 3" in shown.out

    selected = cli.execute(
        "--mode", "fast", "--solid-selection", "a", "--tags", '{"team": "data", "try": 2}'
    )
    assert selected.code == 0, selected
    assert "1 step succeeded" in selected.out
    assert "b.compute" not in selected.err
    shown = cli("runs", "show", run_id_of(selected))
    assert re.search(r"Tag team\s+data", shown.out)
    assert re.search(r"Tag try\s+2", shown.out)

    assert_one_paragraph_error(cli.execute("--mode", "nope"), "nope")
    assert_one_paragraph_error(cli.execute("--solid-selection", "zzz"), "zzz")


def test_pipeline_from_function_and_from_repository(cli: Cli) -> None:
    from_function = cli.execute(attribute="build_chain")
    assert from_function.code == 0, from_function
    assert 'pipeline "chain": SUCCESS' in from_function.out
    from_repo = cli.execute(attribute="nested")
    assert from_repo.code == 0, from_repo
    assert "4 steps succeeded" in from_repo.out
    assert_one_paragraph_error(cli.execute(attribute="repo"), "repo", "chain", "nested")


def test_loading_errors_are_one_paragraph(cli: Cli) -> None:
    assert_one_paragraph_error(
        cli("pipeline", "execute", "-f", "nowhere.py", "-a", "chain"), "nowhere.py", "not exist"
    )
    assert_one_paragraph_error(cli.execute(attribute="missing"), '"missing"', "chain, nested")
    assert_one_paragraph_error(cli.execute(attribute="a"), '"a"', "solid")
    cli.write("raises.py", "import sys\n\nraise RuntimeError('cannot import me')\n")
    result = cli("pipeline", "execute", "-f", "raises.py", "-a", "chain")
    assert_one_paragraph_error(result, "RuntimeError: cannot import me", "line 3")


# --- usage errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["runs"],
        ["runs", "frobnicate"],
        ["pipeline", "execute", "-f", "pipelines.py"],
        [
            "pipeline",
            "execute",
            "-f",
            "pipelines.py",
            "-a",
            "chain",
            "--mode",
            "a",
            "--preset",
            "b",
        ],
        ["pipeline", "execute", "-f", "pipelines.py", "-a", "chain", "--tags", "[1]"],
        ["pipeline", "graph", "-f", "pipelines.py", "-a", "chain", "-o", "dag.txt"],
        ["runs", "list", "--status", "sideways"],
        ["runs", "list", "--limit", "0"],
        ["runs", "reexecute", "x", "--from-failure", "--step-selection", "a.compute"],
    ],
)
def test_usage_errors_exit_2(cli: Cli, args: list[str]) -> None:
    result = cli(*args)
    assert result.code == 2, result
    assert "usage:" in result.err
    assert "Traceback" not in result.err


# --- runs ----------------------------------------------------------------------------------------


def test_runs_list_filters_and_limits(cli: Cli) -> None:
    ok = run_id_of(cli.execute())
    cli.write("broken", "")
    failed = run_id_of(cli.execute())
    nested = run_id_of(cli.execute(attribute="nested"))

    listed = cli("runs", "list")
    assert listed.code == 0, listed
    lines = listed.out.strip().splitlines()
    assert lines[0].split()[:3] == ["RUN", "ID", "PIPELINE"]
    assert [line.split()[0] for line in lines[1:]] == [nested, failed, ok]  # newest first
    row = {line.split()[0]: line.split() for line in lines[1:]}
    assert row[ok][1:3] == ["chain", "SUCCESS"] and row[ok][-2:] == ["3", "0"]
    assert row[failed][1:3] == ["chain", "FAILURE"] and row[failed][-2:] == ["1", "1"]

    only_failed = cli("runs", "list", "--status", "failure").out
    assert failed in only_failed and ok not in only_failed
    only_nested = cli("runs", "list", "--pipeline", "nested").out
    assert nested in only_nested and ok not in only_nested
    limited = cli("runs", "list", "--limit", "1").out.strip().splitlines()
    assert len(limited) == 2 and nested in limited[1]
    assert "No runs" in cli("runs", "list", "--pipeline", "other").out


def test_runs_show_events_steps_and_user_traceback(cli: Cli) -> None:
    cli.write("broken", "")
    run_id = run_id_of(cli.execute("-c", "fs.yaml"))
    result = cli("runs", "show", run_id)
    assert result.code == 0, result
    out = result.out
    assert re.search(rf"Run\s+{run_id}", out)
    assert re.search(r"Status\s+FAILURE", out)
    assert "Config:\n  intermediate_storage:\n    filesystem: {}" in out
    kinds = ["PIPELINE_START", "STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "PIPELINE_FAILURE"]
    positions = [out.index(kind) for kind in kinds]
    assert positions == sorted(positions)
    assert re.search(r"a\.compute\s+SUCCESS\s+\S+\s+\d", out)
    assert re.search(r"b\.compute\s+FAILURE", out)
    assert re.search(r"c\.compute\s+SKIPPED", out)
    # the user's own traceback, with the line that raised
    assert "Failure of step b.compute:" in out
    assert "Traceback (most recent call last):" in out
    assert 'raise ValueError("b is broken")' in out
    assert "ValueError: b is broken" in out
    assert "pipelines.py" in out
    # a unique prefix of the id is enough
    assert cli("runs", "show", run_id[:8]).out == out


def test_unknown_run_id_is_one_paragraph(cli: Cli) -> None:
    for command in (
        ["runs", "show", "no-such-run"],
        ["runs", "logs", "no-such-run", "a.compute"],
        ["runs", "delete", "no-such-run"],
        ["runs", "reexecute", "no-such-run"],
    ):
        assert_one_paragraph_error(cli(*command), '"no-such-run"', "runs list")


def test_a_run_id_prefix_shorter_than_4_characters_is_refused_as_such(cli: Cli) -> None:
    run_id = run_id_of(cli.execute())
    for command in (["runs", "show", run_id[:3]], ["runs", "reexecute", "abc"]):
        result = cli(*command)
        assert_one_paragraph_error(result, "at least 4 characters", "runs list")
        assert "No run with id" not in result.err
    assert cli("runs", "show", run_id[:4]).code == 0


def test_runs_logs_shows_captured_stdout_and_stderr(cli: Cli) -> None:
    run_id = run_id_of(cli.execute())
    result = cli("runs", "logs", run_id, "a.compute")
    assert result.code == 0, result
    assert "--- stdout of a.compute ---\na says hi 1\n" in result.out
    assert "--- stderr of a.compute ---\na complains on stderr\n" in result.out
    assert "b got" not in result.out
    assert cli("runs", "logs", run_id, "b.compute", "--stdout").out == "b got 1\n"
    assert cli("runs", "logs", run_id, "a.compute", "--stderr").out == "a complains on stderr\n"
    assert_one_paragraph_error(cli("runs", "logs", run_id, "zz.compute"), "zz.compute", "a.compute")


def test_runs_logs_of_a_skipped_step(cli: Cli) -> None:
    cli.write("broken", "")
    run_id = run_id_of(cli.execute())
    assert_one_paragraph_error(cli("runs", "logs", run_id, "c.compute"), "c.compute", "SKIPPED")


def test_runs_delete_removes_run_events_and_files(cli: Cli) -> None:
    keep = run_id_of(cli.execute("-c", "fs.yaml"))
    gone = run_id_of(cli.execute("-c", "fs.yaml"))
    assert (cli.home / "storage" / gone).is_dir()
    result = cli("runs", "delete", gone)
    assert result.code == 0, result
    assert f"Deleted run {gone}" in result.out
    assert not (cli.home / "storage" / gone).exists()
    assert (cli.home / "storage" / keep).is_dir()
    listed = cli("runs", "list").out
    assert gone not in listed and keep in listed
    assert_one_paragraph_error(cli("runs", "show", gone), gone)


# --- runs reexecute ------------------------------------------------------------------------------


def test_reexecute_with_step_selection(cli: Cli) -> None:
    parent = run_id_of(cli.execute("-c", "fs.yaml"))
    result = cli("runs", "reexecute", parent, "--step-selection", "b.compute+")
    assert result.code == 0, result
    child = run_id_of(result)
    assert child != parent
    assert "started   a.compute" not in result.err
    assert "started   b.compute" in result.err and "started   c.compute" in result.err
    assert "2 steps succeeded" in result.out
    shown = cli("runs", "show", child).out
    assert re.search(rf"Parent run\s+{parent}", shown)
    assert re.search(r"Steps\s+b\.compute, c\.compute", shown)
    assert "CP_OBJECT" in shown or "Copied intermediate" in shown
    # the copied input is the parent's value of a
    assert cli("runs", "logs", child, "b.compute", "--stdout").out == "b got 1\n"


def test_reexecute_from_failure_then_chain(cli: Cli) -> None:
    cli.write("broken", "")
    first = run_id_of(cli.execute("-c", "fs.yaml"))
    (cli.cwd / "broken").unlink()
    result = cli("runs", "reexecute", first, "--from-failure")
    assert result.code == 0, result
    second = run_id_of(result)
    assert "started   a.compute" not in result.err
    assert "2 steps succeeded" in result.out
    shown = cli("runs", "show", second).out
    assert re.search(r"b\.compute\s+SUCCESS", shown) and re.search(r"c\.compute\s+SUCCESS", shown)

    # the new run has no failure: --from-failure refuses; a full re-execution still works
    assert_one_paragraph_error(cli("runs", "reexecute", second, "--from-failure"), second)
    third = cli("runs", "reexecute", second)
    assert third.code == 0, third
    shown = cli("runs", "show", run_id_of(third)).out
    assert re.search(rf"Parent run\s+{second}", shown)
    assert re.search(rf"Root run\s+{first}", shown)


def test_reexecute_with_explicit_code_and_config(cli: Cli) -> None:
    parent = run_id_of(cli.execute("-c", "fs.yaml"))
    shutil.copy(cli.cwd / "pipelines.py", cli.cwd / "moved.py")
    (cli.cwd / "pipelines.py").unlink()
    missing = cli("runs", "reexecute", parent)
    assert_one_paragraph_error(missing, "pipelines.py")
    cli.write("n5.yaml", FS_CONFIG + "solids:\n  a:\n    config:\n      n: 5\n")
    result = cli("runs", "reexecute", parent, "-f", "moved.py", "-c", "n5.yaml")
    assert result.code == 0, result
    assert cli("runs", "logs", run_id_of(result), "b.compute", "--stdout").out == "b got 5\n"
    wrong = cli("runs", "reexecute", parent, "-f", "moved.py", "-a", "nested")
    assert_one_paragraph_error(wrong, '"chain"', '"nested"')


# --- pipeline graph ------------------------------------------------------------------------------


def test_graph_to_dot(cli: Cli) -> None:
    result = cli("pipeline", "graph", "-f", "pipelines.py", "-a", "nested", "-o", "dag.dot")
    assert result.code == 0, result
    dot = (cli.cwd / "dag.dot").read_text()
    assert dot.startswith('digraph "nested" {')
    assert '"a" [label="a\\n() -> Int"];' in dot
    assert 'subgraph "cluster_twice"' in dot
    assert '"twice.b" [label="b\\n(x: Int) -> Int"];' in dot
    assert '"twice.again" [label="again (b)\\n(x: Int) -> Int"];' in dot
    assert '"a" -> "twice.b" [label="x"];' in dot
    assert '"twice.b" -> "twice.again" [label="x"];' in dot
    assert '"twice.again" -> "c" [label="y"];' in dot
    # without -o, the DOT text goes to stdout
    printed = cli("pipeline", "graph", "-f", "pipelines.py", "-a", "nested")
    assert printed.out == dot


@pytest.mark.graphviz
def test_graph_to_svg(cli: Cli) -> None:
    if shutil.which("dot") is None:
        pytest.skip("the system graphviz `dot` program is not installed")
    result = cli("pipeline", "graph", "-f", "pipelines.py", "-a", "chain", "-o", "dag.svg")
    assert result.code == 0, result
    svg = (cli.cwd / "dag.svg").read_text()
    assert "<svg" in svg
    for name in ("a", "b", "c"):
        assert f">{name}</text>" in svg
    assert ">x</text>" in svg and ">y</text>" in svg  # the edge labels


def test_graph_to_svg_without_dot_says_to_install_graphviz(cli: Cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    result = cli(
        "pipeline",
        "graph",
        "-f",
        "pipelines.py",
        "-a",
        "chain",
        "-o",
        "dag.svg",
        env={"PATH": str(empty)},
    )
    assert_one_paragraph_error(result, "dot", "graphviz", "dag.dot")
    assert not (cli.cwd / "dag.svg").exists()
