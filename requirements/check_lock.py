"""Check that an environment holds only what requirements/lock.txt pins (standard library and the
``packaging`` that the lock installs; run with the environment's Python).

    .venv/bin/python requirements/check_lock.py [requirements/lock.txt]

Every distribution the project needs (its dependencies and those of its installed extras, and
theirs, as the installed metadata says) must be pinned by the lock, at the lock's version for
this interpreter and platform (the lock's environment markers decide); so must pip and every other
installed distribution the lock pins. Exit status 1, naming each difference, when not: then
pyproject.toml asks for something the lock lacks (``make lock`` adds it, keeping the other pins),
or a package was changed by hand. Distributions nothing needs and the lock does not know (installed
by hand) are only listed.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

PROJECT = "notebook-pipelines"
FROM_VENV = {"setuptools", "wheel"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: Path) -> dict[str, str]:
    """Name -> version of the lock's lines whose markers hold here."""
    try:
        from packaging.markers import Marker
    except ImportError:  # before the lock's packages are installed: pip's own copy
        from pip._vendor.packaging.markers import Marker  # type: ignore[no-redef]

    found: dict[str, str] = {}
    for line in lock.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement, _, marker = line.partition(";")
        name, _, version = requirement.partition("==")
        if marker.strip() and not Marker(marker.strip()).evaluate():
            continue
        found[normalise(name.strip())] = version.strip()
    return found


def needed() -> set[str]:
    """The installed distributions the project needs: the closure of its requirements, with the
    extras it was installed with (those whose requirements are all installed)."""
    from packaging.requirements import Requirement

    installed = {normalise(d.metadata["Name"] or ""): d for d in metadata.distributions()}
    found: set[str] = set()
    todo: list[tuple[str, set[str]]] = [(PROJECT, set())]
    while todo:
        name, extras = todo.pop()
        dist = installed.get(name)
        if dist is None:
            continue
        requirements = [Requirement(r) for r in dist.requires or []]
        if name == PROJECT:  # every extra whose requirements are all there
            extras = {e for e in dist.metadata.get_all("Provides-Extra") or []}
            extras = {
                e
                for e in extras
                if all(
                    normalise(r.name) in installed
                    for r in requirements
                    if r.marker and r.marker.evaluate({"extra": e})
                )
            }
        for req in requirements:
            environments = [{"extra": e} for e in extras] or [{"extra": ""}]
            if req.marker and not any(req.marker.evaluate(env) for env in environments):
                continue
            key = normalise(req.name)
            if key not in found:
                found.add(key)
                todo.append((key, set(req.extras)))
            elif req.extras:
                todo.append((key, set(req.extras)))
    return found


def main() -> int:
    lock = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("lock.txt"))
    wanted = pins(lock)
    required = needed()
    problems, notes = [], []
    for dist in metadata.distributions():
        name = normalise(dist.metadata["Name"] or "")
        if not name or name == PROJECT or name in FROM_VENV:
            continue
        if name not in wanted:
            line = f"{name} {dist.version} is installed but not pinned by {lock}"
            (problems if name in required else notes).append(line)
        elif dist.version != wanted[name]:
            problems.append(f"{name} {dist.version} is installed, {lock} pins {wanted[name]}")
    for note in sorted(set(notes)):
        print(f"check_lock: note: {note} (nothing here needs it)", file=sys.stderr)
    for problem in sorted(set(problems)):
        print(f"check_lock: {problem}", file=sys.stderr)
    if problems:
        print(
            "check_lock: run `make lock` after changing pyproject.toml's dependencies "
            "(it adds what is missing and keeps the other pins), then `make setup`",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
