"""Event kinds are :class:`DagsterEventType` members in the package, never string literals, in the
spirit of tests/test_layers.py: an `ast` scan of every module under notebook_pipelines/ for a string
constant that is the value of a member (``"STEP_FAILURE"``) or a kind's prefix (``"STEP_"``, for
``kind.replace("STEP_", "")``), reported as ``file:line``.

Where a string is the storage or wire format, the code converts from the member at that boundary,
in one place each, so no literal is needed there either:

- making a :class:`DagsterEvent` (its ``event_type_value`` is the plain string):
  ``events.EVENT_TYPE_VALUE[kind]`` in ``execution/step_events.step_event`` and
  ``execution/setup.RunEvents.emit``; ``member.value`` where one event is made
  (``execution/contexts.engine_event``, ``storage/dead_runs``);
- ``of_type=`` (a member or its string): ``storage/event_log.event_type_value``;
- SQLite's ``event_type`` column: ``event.event_type_value`` (already the string) in
  ``storage/sqlite_event_log``;
- the widget's JSON state: ``jupyter/run_model`` sends ``StepStatus.value`` and the event's
  ``event_type_value``; ``definitions/dot.STATUS_COLORS`` is keyed by the statuses' values.

The modules below may still hold literals, each for the reason given.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from notebook_pipelines.events import DagsterEventType

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "notebook_pipelines"
KINDS = frozenset(member.value for member in DagsterEventType)
PREFIX = re.compile(r"^(STEP|PIPELINE|HOOK|ENGINE|OBJECT_STORE)_$")

#: module (path under notebook_pipelines/, a trailing ``/`` for a whole subpackage) -> why
ALLOWED: dict[str, str] = {
    # the storage conformance suite checks that `of_type` also takes the stored string form
    "testing/storage_suite.py": "tests of_type with the stored string form",
}


def _allowed(relative: str) -> bool:
    return any(
        relative == entry or (entry.endswith("/") and relative.startswith(entry))
        for entry in ALLOWED
    )


def _definition_lines(tree: ast.Module) -> set[int]:
    """The lines of ``DagsterEventType``'s own members (``STEP_START = "STEP_START"``)."""
    lines: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "DagsterEventType":
            for statement in node.body:
                if isinstance(statement, ast.Assign):
                    lines.add(statement.lineno)
    return lines


def literals(path: Path) -> list[tuple[int, str]]:
    """``(line, text)`` of each event-kind literal in the module at ``path``."""
    tree = ast.parse(path.read_text(), str(path))
    definitions = _definition_lines(tree) if path.name == "events.py" else set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if (text in KINDS or PREFIX.match(text)) and node.lineno not in definitions:
                found.append((node.lineno, text))
    return sorted(found)


def test_no_event_kind_literals_outside_the_allowed_modules() -> None:
    problems = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        relative = path.relative_to(PACKAGE_DIR).as_posix()
        if _allowed(relative):
            continue
        for line, text in literals(path):
            problems.append(f"notebook_pipelines/{relative}:{line}: {text!r}")
    assert not problems, (
        "Event kinds are DagsterEventType members (convert with .value at a storage or wire "
        "boundary):\n" + "\n".join(problems)
    )


def test_the_allowed_modules_exist() -> None:
    for entry in ALLOWED:
        assert (PACKAGE_DIR / entry).exists(), f"{entry} is allowed but gone: drop it"


def test_the_scan_finds_literals(tmp_path: Path) -> None:
    sample = tmp_path / "events.py"
    sample.write_text(
        "import enum\n"
        "class DagsterEventType(str, enum.Enum):\n"
        '    STEP_START = "STEP_START"\n'
        'x = "STEP_START"\n'
        'y = kind.replace("STEP_", "")\n'
        'z = "STEP_KEY"\n'
    )
    assert literals(sample) == [(4, "STEP_START"), (5, "STEP_")]
