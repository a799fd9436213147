"""Storage key parts: the names (run ids, step keys, output names) that become folders and files.

Every part of a storage key must be a single, harmless path component, so that nothing a user
names can make the storage write outside its run's folder. A part is refused when it is empty,
contains ``..``, ``/``, ``\\`` or NUL, or starts with ``.`` (names starting with ``.`` are kept
for the storage's own temporary files). Step keys such as ``a.compute`` and
``outer.inner.compute`` are valid parts.
"""

from __future__ import annotations

from ..errors import DagsterInvariantViolationError

_FORBIDDEN = ("..", "/", "\\", "\x00")

# Parts already found valid: step keys, output names and run ids recur, so most checks are one
# set lookup. Cleared when it grows large, so a long-lived kernel does not hoard run ids.
_known_good: set[str] = set()
_KNOWN_GOOD_MAX = 100_000


def key_part_problem(part: object) -> str | None:
    """Why ``part`` cannot be a storage key part, or ``None`` if it can."""
    if not isinstance(part, str):
        return f"it is a {type(part).__name__}, not a string"
    if not part:
        return "it is empty"
    for bad in _FORBIDDEN:
        if bad in part:
            return f"it contains {bad!r}"
    if part.startswith("."):
        return "it starts with '.'"
    return None


def check_key_part(part: object, what: str = "storage key part") -> str:
    """Return ``part`` if it is a valid storage key part; else raise naming the bad part.

    ``what`` says what the part is (``"step key"``, ``"output name"``, ``"run id"``) so the
    message points at the name the user gave.
    """
    if type(part) is str and part in _known_good:
        return part
    problem = key_part_problem(part)
    if problem is None and isinstance(part, str):
        if len(_known_good) >= _KNOWN_GOOD_MAX:
            _known_good.clear()
        _known_good.add(part)
        return part
    raise DagsterInvariantViolationError(
        f"Invalid {what} {part!r} for storage: {problem}. Names used as storage keys must "
        "not be empty, contain '..', '/', '\\' or NUL, or start with '.', so that stored "
        "files never leave their run's folder."
    )
