"""Failed writes as the storage errors a person can act on: the disk is full, or the storage went away.

The workspace's files and the results database fail in many ways (``ENOSPC``, ``EROFS``, SQLite's
"database or disk is full", a PostgreSQL server that is down); :func:`storage_errors` turns them into
:class:`StorageFullError` or :class:`StorageUnavailableError`, naming the part that failed and the free
space left, never the server's paths.
"""

from __future__ import annotations

import errno
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.exc import OperationalError

from openinspect.errors import StorageError, StorageFullError, StorageUnavailableError

log = logging.getLogger(__name__)

_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
_UNAVAILABLE = frozenset({errno.EROFS, errno.EIO, errno.EACCES, errno.EPERM, errno.ENXIO, errno.ENODEV, errno.ESTALE})
"""What a write meets when the storage is read-only or gone; a missing source file (ENOENT) is not one of them."""
NEARLY_FULL = 2**20
"""Free bytes under which a failed write counts as a full disk whatever it says (SQLite reports "disk I/O error"
when it cannot create its journal on a full disk)."""


@contextmanager
def storage_errors(path: Path, what: str) -> Iterator[None]:
    """Raise a :class:`StorageError` for a write under ``path`` that fails for lack of space or storage.

    Args:
        path: a file or folder on the storage written (for the free space; never shown to clients).
        what: the part written, as a person calls it (``"the results archive"``).

    Raises:
        StorageFullError: no space left (``ENOSPC``, a quota, SQLite's "database or disk is full").
        StorageUnavailableError: read-only, I/O error, no permission, or the database cannot be written.

    """
    try:
        yield
    except OSError as err:
        if err.errno not in _FULL | _UNAVAILABLE:
            raise
        raise _storage_error(err.errno in _FULL, path, what, err.strerror or str(err)) from err
    except OperationalError as err:
        reason = str(err.orig)
        raise _storage_error("full" in reason.lower(), path, what, reason) from err


def _storage_error(full: bool, path: Path, what: str, reason: str) -> StorageError:
    free = free_bytes(path)
    space = "free space unknown" if free is None else f"{free / 2**20:.1f} MiB free"
    log.error("%s cannot be written under %s: %s (%s)", what, path, reason, space)
    if full or (free is not None and free < NEARLY_FULL):
        return StorageFullError(f"{what} cannot be written: the station's disk is full ({space}); free some space "
                                f"(or lower OPENINSPECT_ARCHIVE_BUDGET_MB) and try again", free)
    return StorageUnavailableError(f"{what} cannot be written: {reason} ({space}); check that the station's "
                                   f"workspace disk is mounted, writable and its database reachable", free)


def free_bytes(path: Path) -> int | None:
    """Free bytes on the disk holding ``path`` (or its nearest existing parent); ``None`` when unknown."""
    for folder in (path, *path.parents):
        try:
            return shutil.disk_usage(folder).free
        except OSError:
            continue
    return None
