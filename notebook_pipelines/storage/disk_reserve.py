"""A little disk space held back for the moment the disk fills (layer 3).

When the disk under a history fills while a run writes its events, SQLite can write nothing — not
even the run's status, since an in-place update appends to the write-ahead log. So a persistent
instance keeps a small file of allocated space beside its databases (``history/.disk-reserve``,
:data:`RESERVE_BYTES`). The first time a write meets a full disk, the instance gives that space
back, marks the run ``FAILURE`` and writes the event records it kept in memory, at once rather
than when the user frees space; the reserve is taken again when the instance is next opened or
disposed with room to spare. Holding it is best effort: a disk too full or read-only holds none.
"""

from __future__ import annotations

import os

#: The file that holds the reserve, in the history folder.
RESERVE_NAME = ".disk-reserve"
#: Room for a status update and a few hundred buffered event records, with SQLite's overhead.
RESERVE_BYTES = 1 << 20


class DiskReserve:
    """Allocated space kept in ``folder`` for :meth:`release` to give back."""

    def __init__(self, folder: str, size: int = RESERVE_BYTES) -> None:
        self.path = os.path.join(folder, RESERVE_NAME)
        self.size = size

    def hold(self) -> bool:
        """Make sure the reserve exists (allocated, not sparse); False when it cannot be had."""
        try:
            if os.path.getsize(self.path) >= self.size:
                return True
        except OSError:
            pass
        partial = f"{self.path}.{os.getpid()}.tmp"
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                if hasattr(os, "posix_fallocate"):
                    os.posix_fallocate(fd, 0, self.size)
                else:  # pragma: no cover - platforms without posix_fallocate
                    os.write(fd, bytes(self.size))
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(partial, self.path)
            return True
        except OSError:
            try:
                os.unlink(partial)
            except OSError:
                pass
            return False

    def release(self) -> bool:
        """Give the space back; True when there was some to give."""
        try:
            os.unlink(self.path)
            return True
        except OSError:
            return False
