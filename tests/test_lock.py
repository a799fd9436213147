"""The lock (``requirements/lock.txt``) covers what ``pyproject.toml`` asks for: every dependency and
every requirement of the extras ``make`` installs is pinned there, at a version its bounds allow.
``make setup`` checks the installed environment against the lock (``requirements/check_lock.py``);
this test says the same earlier, naming the requirement: after changing a dependency, ``make lock``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lock.txt"


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked() -> dict[str, list[tuple[str, str]]]:
    """Name -> [(version, marker)] of the lock's pins."""
    pins: dict[str, list[tuple[str, str]]] = {}
    for line in LOCK.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            requirement, _, marker = line.partition(";")
            name, _, version = requirement.partition("==")
            pins.setdefault(normalise(name.strip()), []).append((version.strip(), marker.strip()))
    return pins


def makefile_extras() -> list[str]:
    found = re.search(r"^EXTRAS\s*:=\s*(\S+)", (ROOT / "Makefile").read_text(), re.M)
    assert found, "the Makefile names the extras it installs (EXTRAS := ...)"
    return found[1].split(",")


def test_the_lock_pins_every_requirement_within_its_bounds() -> None:
    tomllib = pytest.importorskip("tomllib", reason="Python < 3.11 has no tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = makefile_extras()
    assert set(extras) <= set(project["optional-dependencies"]), extras
    wanted = list(project["dependencies"])
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    pins = locked()
    problems = []
    for text in wanted:
        requirement = Requirement(text)
        name = normalise(requirement.name)
        here = [v for v, m in pins.get(name, []) if not m or Marker(m).evaluate()]
        if not here:
            problems.append(f"{text}: not pinned by {LOCK.name} for this Python")
        elif not all(requirement.specifier.contains(v, prereleases=True) for v in here):
            problems.append(f"{text}: {LOCK.name} pins {', '.join(here)}")
    assert not problems, "run `make lock` (CONTRIBUTING.md):\n" + "\n".join(problems)
