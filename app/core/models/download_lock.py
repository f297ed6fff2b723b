"""One process at a time downloads a model file: an OS file lock per file.

The window (a running app) and ``agentdesk models pull`` (another process), or
two ``pull``s, may ask for the same model at once. Both would write the same
``<filename>.part`` and the same state record: a corrupted part, or a wrong
file installed. So a ``DownloadManager`` holds ``DownloadLock`` for a file the
whole time it downloads it (queued, running, retrying, verifying), and takes
it briefly to delete a part (cancel); a second process that asks gets
``DownloadBusy`` before anything is written.

The lock is ``filelock.FileLock`` (``flock`` on Linux and macOS,
``LockFileEx`` on Windows) on ``.downloads/<hash of the name>.lock``. It is an
OS lock: it dies with the process, so a killed downloader leaves nothing that
blocks the next one (its part file stays, and the next pull continues it).
The name is hashed (casefolded, as macOS and Windows compare names) so that a
255-byte model name still makes a valid lock file name.

The lock file is removed on release, so the models folder holds nothing but
models, parts and records. On POSIX it is unlinked *while still locked*: a
process that opened the old file meanwhile finds its inode unlinked once it
gets the lock, and filelock (4.x) refuses such a lock and opens the path anew;
``acquire`` retries that case at once. Windows removes it itself (a file open
elsewhere is not removed). A file system without ``flock`` (rare network
mounts) is logged and the download goes on unlocked, as before.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
from pathlib import Path

import filelock

from app.core.models.download_errors import DownloadBusy, DownloadRefused
from app.core.models.download_state import STATE_FOLDER

log = logging.getLogger(__name__)

LOCK_SUFFIX = ".lock"
#: A lock lost to a release-and-unlink race is retried at once this often.
_ATTEMPTS = 3
#: The file system cannot lock: go on unlocked (logged) rather than not at all.
_NO_LOCKING = frozenset({errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOLCK,
                         getattr(errno, "ENOTSUP", errno.EOPNOTSUPP)})


def lock_path(models_dir: Path, filename: str) -> Path:
    digest = hashlib.sha256(filename.casefold().encode("utf-8")).hexdigest()[:32]
    return Path(models_dir) / STATE_FOLDER / f"{digest}{LOCK_SUFFIX}"


def busy_message(filename: str) -> str:
    return (f"{filename} is being downloaded by another AgentDesk process (the window or "
            "`agentdesk models pull`); it shows as installed when that download finishes.")


class DownloadLock:
    """The exclusive lock on one model file's download (not reentrant)."""

    def __init__(self, models_dir: Path, filename: str) -> None:
        self.filename = filename
        self.path = lock_path(models_dir, filename)
        self._lock: filelock.BaseFileLock | None = None

    @property
    def held(self) -> bool:
        return self._lock is not None

    def acquire(self) -> None:
        """Take the lock without waiting. Raises ``DownloadBusy`` when another
        process (or another manager of this one) holds it, ``DownloadRefused``
        when the folder cannot be written."""
        if self._lock is not None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DownloadRefused(f"Cannot write in {self.path.parent.parent}: "
                                  f"{exc.strerror or exc}") from exc
        for _ in range(_ATTEMPTS):
            lock = filelock.FileLock(self.path, timeout=0, thread_local=False,
                                     fallback_to_soft=False)
            try:
                lock.acquire()
            except filelock.Timeout:
                continue
            except OSError as exc:
                if exc.errno in _NO_LOCKING:
                    log.warning("cannot lock %s (%s): downloading %s unlocked", self.path,
                                exc, self.filename)
                    return
                raise DownloadRefused(f"Cannot write in {self.path.parent.parent}: "
                                      f"{exc.strerror or exc}") from exc
            self._lock = lock
            return
        raise DownloadBusy(busy_message(self.filename))

    def release(self) -> None:
        """Give the lock up and remove its file (see the module docstring)."""
        lock, self._lock = self._lock, None
        if lock is None:
            return
        if os.name == "posix":
            try:
                self.path.unlink(missing_ok=True)
            except OSError as exc:   # only tidiness: the lock itself is released below
                log.warning("could not remove %s: %s", self.path, exc)
        lock.release(force=True)
