"""``%%solid`` through a real IPython InteractiveShell: both forms, options, replacement and the
stale warning, readable errors, the notebook reconstruction strategy and ``reconstructable`` of a
notebook-defined pipeline."""

from __future__ import annotations

import linecache
import os
import pickle
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from notebook_pipelines import execute_pipeline
from notebook_pipelines.errors import DagsterInvariantViolationError
from notebook_pipelines.jupyter.cell_modules import StaleSolidWarning
from notebook_pipelines.jupyter.strategy import notebook_strategy

from .ipython_shell import run


def test_function_form_with_options(shell: InteractiveShell, tmp_path: Path) -> None:
    shell.run_cell_magic(
        "solid",
        'split --outputs low high --config-schema \'{"cut": "Int"}\' --tags \'{"k": "v"}\' '
        "--description 'Splits.'",
        "def split(context, numbers: list):\n"
        "    cut = context.solid_config['cut']\n"
        "    return [n for n in numbers if n < cut], [n for n in numbers if n >= cut]\n",
    )
    split = shell.user_ns["split"]
    assert split.name == "split" and split.description == "Splits."
    assert [o.name for o in split.output_defs] == ["low", "high"]
    assert split.tags == {"k": "v"}
    files = list((tmp_path / "cell_modules").glob("__np_cell_*.py"))
    assert len(files) == 1 and "def split(context" in files[0].read_text()
    assert files[0].stem in sys.modules
    run(
        shell,
        "from notebook_pipelines import solid, pipeline, execute_solid\n"
        "res = execute_solid(split, input_values={'numbers': [1, 5, 9]},"
        " run_config={'solids': {'split': {'config': {'cut': 5}}}})\n",
    )
    res = shell.user_ns["res"]
    assert res.output_value("low") == [1] and res.output_value("high") == [5, 9]


def test_named_function_without_context_and_resource_keys(shell: InteractiveShell) -> None:
    shell.run_cell_magic(
        "solid",
        "double --required-resource-keys db",
        "def twice(x: int) -> int:\n    return 2 * x\n",
    )
    double = shell.user_ns["double"]
    assert double.name == "double" and double.required_resource_keys == {"db"}
    assert shell.user_ns["twice"] is not None  # the cell's function is in the namespace too


def test_body_form_binds_inputs_and_reads_outputs(shell: InteractiveShell) -> None:
    shell.run_cell_magic("solid", "make --outputs raw", "raw = [3, 1, 2]\n")
    shell.run_cell_magic(
        "solid",
        "clean --inputs raw --outputs cleaned count",
        "context.log.info('cleaning')\ncleaned = sorted(raw)\ncount = len(cleaned)\n",
    )
    run(
        shell,
        "from notebook_pipelines import pipeline, execute_pipeline\n"
        "@pipeline\ndef body_pipe():\n    clean(make())\n"
        "result = execute_pipeline(body_pipe)\n",
    )
    result = shell.user_ns["result"]
    assert result.success
    assert result.result_for_solid("clean").output_value("cleaned") == [1, 2, 3]
    assert result.result_for_solid("clean").output_value("count") == 3


def test_traceback_shows_the_cell_lines(shell: InteractiveShell) -> None:
    shell.run_cell_magic("solid", "", "def boom(context):\n    raise ValueError('kaboom here')\n")
    fn = shell.user_ns["boom"].compute_fn
    with pytest.raises(ValueError) as info:
        list(fn(None, {}))
    text = "".join(traceback.format_exception(info.value))
    assert "raise ValueError('kaboom here')" in text and "__np_cell_" in text


def test_the_generated_lines_are_hidden_from_listings(shell: InteractiveShell) -> None:
    shell.user_ns["Rows"] = list  # read while the cell is defined: a preload header line
    shell.run_cell_magic(
        "solid", "tidy --inputs raw --outputs rows", "rows: Rows = sorted(raw)\nrows.reverse()\n"
    )
    module_file = sys.modules[shell.user_ns["tidy"]._np_cell_module].__file__
    assert module_file is not None
    shown = linecache.getlines(module_file)
    on_disk = Path(module_file).read_text().splitlines(keepends=True)
    assert len(shown) == len(on_disk)  # the same line numbers as the code that runs
    assert "".join(shown).strip() == "rows: Rows = sorted(raw)\n    rows.reverse()"
    assert any("__np_collect" in line for line in on_disk)


def test_rerun_replaces_and_old_pipeline_warns(shell: InteractiveShell) -> None:
    shell.run_cell_magic("solid", "", "def one(context):\n    return 1\n")
    run(
        shell,
        "from notebook_pipelines import pipeline, execute_pipeline\n"
        "@pipeline\ndef p():\n    one()\n",
    )
    old = shell.user_ns["one"]
    shell.run_cell_magic("solid", "", "def one(context):\n    return 2\n")
    assert shell.user_ns["one"] is not old
    with pytest.warns(StaleSolidWarning, match='Solid "one" is stale'):
        result = execute_pipeline(shell.user_ns["p"])
    assert result.result_for_solid("one").output_value() == 1
    with pytest.warns(StaleSolidWarning, match='"one"'):
        notebook_strategy(shell.user_ns["p"])
    run(shell, "@pipeline\ndef p():\n    one()\n")
    assert execute_pipeline(shell.user_ns["p"]).result_for_solid("one").output_value() == 2


@pytest.mark.parametrize(
    ("line", "cell", "message"),
    [
        ("", "x = 1\n", "needs a name"),
        ("--bogus", "def f(context):\n    pass\n", "unrecognized arguments"),
        ("", "def f(:\n", "not valid Python"),
        ("", "def f(context):\n    pass\ndef g(context):\n    pass\n", "name the one"),
        ("f --tags '{nope'", "def f(context):\n    pass\n", "--tags is not valid JSON"),
    ],
)
def test_bad_input_raises_readable_errors(
    shell: InteractiveShell, line: str, cell: str, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        shell.run_cell_magic("solid", line, cell)


def test_errors_in_the_cell_propagate(shell: InteractiveShell) -> None:
    with pytest.raises(ZeroDivisionError):
        shell.run_cell_magic("solid", "", "1 / 0\ndef f(context):\n    pass\n")


def _pipeline_with(shell: InteractiveShell, setup: str, body: str) -> Any:
    run(shell, setup)
    shell.run_cell_magic("solid", "", body)
    run(
        shell,
        "from notebook_pipelines import pipeline\n@pipeline\ndef leaving():\n    uses()\n",
    )
    return shell.user_ns["leaving"]


def test_a_lock_cannot_leave_the_kernel(shell: InteractiveShell) -> None:
    pipe = _pipeline_with(
        shell,
        "import threading\nguard = threading.Lock()\n",
        "def uses(context):\n    with guard:\n        return 1\n",
    )
    with pytest.raises(DagsterInvariantViolationError, match=r'solid "uses".*"guard"'):
        notebook_strategy(pipe)


def test_strategy_writes_a_loadable_pipeline_module(shell: InteractiveShell) -> None:
    pipe = _pipeline_with(
        shell,
        "import math\nFACTOR = 3\n",
        "def uses(context):\n    return math.floor(FACTOR * 1.5)\n",
    )
    recon = notebook_strategy(pipe)
    assert recon is not None and recon.pointer.kind == "file"
    rebuilt = recon.get_definition()
    assert rebuilt is not pipe and rebuilt.name == "leaving"
    assert execute_pipeline(rebuilt).result_for_solid("uses").output_value() == 4


def test_other_pipelines_are_left_alone(shell: InteractiveShell) -> None:
    from notebook_pipelines import pipeline, solid

    @solid
    def here(context: Any) -> int:
        return 1

    @pipeline
    def not_in_notebook() -> None:
        here()

    assert notebook_strategy(not_in_notebook) is None


REBUILD_IN_FRESH_PROCESS = (
    "import pickle, sys\n"
    "from notebook_pipelines import execute_pipeline\n"
    "recon = pickle.loads(sys.stdin.buffer.read())\n"
    "result = execute_pipeline(recon.get_definition())\n"
    "print(result.pipeline_def.name, result.result_for_solid('uses').output_value())\n"
)


def test_reconstructable_of_a_notebook_pipeline(shell: InteractiveShell, tmp_path: Path) -> None:
    _pipeline_with(shell, "FACTOR = 2\n", "def uses(context):\n    return FACTOR * 21\n")
    run(shell, "from notebook_pipelines import reconstructable\nrecon = reconstructable(leaving)\n")
    recon = shell.user_ns["recon"]
    assert recon.pipeline_name == "leaving" and recon.pointer.kind == "file"
    assert Path(recon.pointer.target).parent == tmp_path / "cell_modules"
    done = subprocess.run(
        [sys.executable, "-c", REBUILD_IN_FRESH_PROCESS],
        input=pickle.dumps(recon),
        capture_output=True,
        env={**os.environ, "NOTEBOOK_PIPELINES_HOME": str(tmp_path)},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().split() == ["leaving", "42"]


def test_reconstructable_names_what_cannot_leave_the_kernel(shell: InteractiveShell) -> None:
    run(
        shell,
        "from notebook_pipelines import pipeline, reconstructable, solid\n"
        "numbers = (n for n in range(3))\n"
        "@solid\ndef plain(context):\n    return next(numbers)\n"
        "@pipeline\ndef mixed():\n    plain()\n",
    )
    with pytest.raises(
        DagsterInvariantViolationError,
        match=r'solid "plain" uses the notebook variable "numbers" \(generator\)',
    ):
        run(shell, "reconstructable(mixed)\n")


def test_reconstructable_keeps_its_advice_when_no_strategy_applies(
    shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("notebook_pipelines.reconstruct._STRATEGIES", [])
    shell.run_cell_magic("solid", "", "def uses(context):\n    return 1\n")
    run(shell, "from notebook_pipelines import pipeline\n@pipeline\ndef alone():\n    uses()\n")
    with pytest.raises(DagsterInvariantViolationError, match=r"interactive session.*%load_ext"):
        run(shell, "from notebook_pipelines import reconstructable\nreconstructable(alone)\n")


TWO_FUNCTIONS = "def f(context):\n    pass\ndef g(context):\n    pass\n"


@pytest.mark.parametrize(
    ("line", "cell", "message"),
    [
        ("h", TWO_FUNCTIONS, r"defines 2 functions \(f, g, none of them named h\); name the one"),
        ("--inputs a", "def f(context, a):\n    return a\n", "--inputs is for the body form"),
        ("--inputs a", "def f(context, a):\n    return a\n", "function's parameters are its"),
        ("123bad", "x = 1\n", "'123bad' is not a Python identifier"),
        ("123bad --inputs a", "x = a\n", "'123bad' is not a Python identifier"),
        ("class", "x = 1\n", "'class' is not a Python identifier"),
    ],
)
def test_bad_names_and_forms_say_what_is_wrong(
    shell: InteractiveShell, line: str, cell: str, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        shell.run_cell_magic("solid", line, cell)
    assert "123bad" not in shell.user_ns and "h" not in shell.user_ns


def test_inputs_on_a_function_cell_does_not_say_the_cell_has_no_function(
    shell: InteractiveShell,
) -> None:
    with pytest.raises(UsageError) as info:
        shell.run_cell_magic("solid", "--inputs a", "def f(context, a):\n    return a\n")
    assert "without a function" not in str(info.value)
    assert "f" in str(info.value).split("defines", 1)[1]


@pytest.mark.parametrize(
    ("magic", "line", "usage"),
    [
        ("solid", "--bogus", "usage: %%solid [--inputs"),
        ("pipeline_runs", "--bogus", "usage: %pipeline_runs [--pipeline"),
    ],
)
def test_usage_is_said_once(shell: InteractiveShell, magic: str, line: str, usage: str) -> None:
    with pytest.raises(UsageError) as info:
        if magic == "solid":
            shell.run_cell_magic(magic, line, "def f(context):\n    pass\n")
        else:
            shell.run_line_magic(magic, line)
    message = str(info.value)
    assert message.count("usage:") == 1
    assert usage in message
