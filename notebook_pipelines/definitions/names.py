"""Name rules shared by every definition: what a solid, input, output, resource or mode may be called.

Names become parts of file paths: a solid's step key ``<solid>.compute`` is a folder of the run's
intermediates, an output name a file in it, and the step's compute logs are ``<step key>.out`` and
``.err``. A file name holds at most :data:`FILE_NAME_MAX` bytes on the usual file systems (ext4,
tmpfs, APFS, NTFS), so a name is at most :data:`MAX_NAME_LENGTH` characters, which leaves room for
the longest suffix (``.compute.out``). A step key of nested composites (``outer.inner.compute``)
can still be longer: :func:`check_step_key_length` refuses it, naming the step key and the limit.
"""

from __future__ import annotations

import re

from ..errors import DagsterInvalidDefinitionError

VALID_NAME = re.compile(r"^[A-Za-z0-9_]+$")
RESERVED_INPUT_NAMES = frozenset({"context"})

#: The longest file name (bytes) of the file systems a run's storage lives on.
FILE_NAME_MAX = 255
#: The longest suffix storage adds to a step key in a file name (the compute log of its stdout).
STEP_KEY_FILE_SUFFIX = ".out"
#: What a solid's step key adds to its name.
COMPUTE_SUFFIX = ".compute"
#: The longest step key: with its compute-log suffix it is still a valid file name.
MAX_STEP_KEY_LENGTH = FILE_NAME_MAX - len(STEP_KEY_FILE_SUFFIX)
#: The longest definition name: a solid of that name has a step key of the longest length.
MAX_NAME_LENGTH = MAX_STEP_KEY_LENGTH - len(COMPUTE_SUFFIX)


def check_valid_name(name: object, what: str) -> str:
    """Return ``name`` if it is a valid definition name, else raise naming ``what`` it was for."""
    if not isinstance(name, str) or not VALID_NAME.match(name):
        raise DagsterInvalidDefinitionError(
            f'{what}: the name {name!r} is not valid; names must match "{VALID_NAME.pattern}" '
            "(letters, digits and underscores)."
        )
    if len(name) > MAX_NAME_LENGTH:
        raise DagsterInvalidDefinitionError(
            f"{what}: the name {name[:20]}... is {len(name)} characters long; names are at most "
            f"{MAX_NAME_LENGTH} characters, because they become file names (a step key "
            f'"<solid>{COMPUTE_SUFFIX}", its compute log "<step key>{STEP_KEY_FILE_SUFFIX}") and '
            f"a file name holds at most {FILE_NAME_MAX} bytes."
        )
    return name


def check_step_key_length(step_key: str, where: str) -> str:
    """Return ``step_key`` if storage can use it as a file name, else raise naming it and the
    limit (a step key of nested composites, ``outer.inner.compute``, may be too long even when
    each name is not). ``where`` says which pipeline or composite has the step."""
    if len(step_key.encode("utf-8")) > MAX_STEP_KEY_LENGTH:
        raise DagsterInvalidDefinitionError(
            f'{where}: the step key "{step_key}" is {len(step_key)} characters long; a step key '
            f"is at most {MAX_STEP_KEY_LENGTH} characters, because it becomes a file name (its "
            f'compute log "<step key>{STEP_KEY_FILE_SUFFIX}") and a file name holds at most '
            f"{FILE_NAME_MAX} bytes. Use shorter solid or composite names (or aliases)."
        )
    return step_key
