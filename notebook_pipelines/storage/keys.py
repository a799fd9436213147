"""Storage key parts: the names (run ids, step keys, output names) that become folders and files.

Every part of a storage key must be a single, harmless path component, so that nothing a user
names can make the storage write outside its run's folder. A part is refused when it is empty,
contains ``..``, ``/``, ``\\`` or NUL, or starts with ``.`` (names starting with ``.`` are kept
for the storage's own temporary files), or is longer than a file name can be
(:data:`~notebook_pipelines.definitions.names.FILE_NAME_MAX` bytes, less the suffix the caller
adds: ``reserve``), so such a name fails with its limit instead of ``ENAMETOOLONG`` deep in a run.
Step keys such as ``a.compute`` and ``outer.inner.compute`` are valid parts.
"""

from __future__ import annotations

from ..definitions.names import FILE_NAME_MAX
from ..errors import DagsterInvariantViolationError

_FORBIDDEN = ("..", "/", "\\", "\x00")

# Parts already found valid: step keys, output names and run ids recur, so most checks are one
# set lookup. Cleared when it grows large, so a long-lived kernel does not hoard run ids.
_known_good: set[str] = set()
_KNOWN_GOOD_MAX = 100_000


def key_part_problem(part: object, reserve: int = 0) -> str | None:
    """Why ``part`` cannot be a storage key part (with ``reserve`` more bytes added to it in its
    file name), or ``None`` if it can."""
    if not isinstance(part, str):
        return f"it is a {type(part).__name__}, not a string"
    if not part:
        return "it is empty"
    size = len(part.encode("utf-8", "surrogatepass"))
    if size + reserve > FILE_NAME_MAX:
        return f"it is {size} bytes long, and a file name holds at most {FILE_NAME_MAX} bytes" + (
            f" ({FILE_NAME_MAX - reserve} before the {reserve}-byte suffix)" if reserve else ""
        )
    for bad in _FORBIDDEN:
        if bad in part:
            return f"it contains {bad!r}"
    if part.startswith("."):
        return "it starts with '.'"
    return None


def check_key_part(part: object, what: str = "storage key part", reserve: int = 0) -> str:
    """Return ``part`` if it is a valid storage key part; else raise naming the bad part.

    ``what`` says what the part is (``"step key"``, ``"output name"``, ``"run id"``) so the
    message points at the name the user gave; ``reserve`` is the length of a suffix the caller
    adds to it in a file name (``.out``).
    """
    if type(part) is str and part in _known_good and len(part) + reserve <= FILE_NAME_MAX:
        return part
    problem = key_part_problem(part, reserve)
    if problem is None and isinstance(part, str):
        if len(_known_good) >= _KNOWN_GOOD_MAX:
            _known_good.clear()
        _known_good.add(part)
        return part
    shown = (
        repr(part) if not isinstance(part, str) or len(part) <= 300 else repr(part[:300] + "...")
    )
    raise DagsterInvariantViolationError(
        f"Invalid {what} {shown} for storage: {problem}. Names used as storage keys must "
        "not be empty, contain '..', '/', '\\' or NUL, or start with '.', so that stored "
        f"files never leave their run's folder, and fit in a file name ({FILE_NAME_MAX} bytes)."
    )
