"""Who else has this database open: a shared OS lock held by every store.

A process killed mid-reply leaves its reply ``streaming``. The window marks
such replies ``partial`` when it starts (``Store(recover=True)``), but the
command line cannot simply do the same: a window or another ``agentdesk
chat`` may be streaming into the same database right now, and its live reply
must not be called interrupted. Without the window, a killed ``agentdesk
chat`` or ``workflows run`` therefore stayed "streaming" for ever.

So every writable store holds a *shared* ``flock`` on ``<database>-writers``
while it is open (the OS drops it when the process dies, SIGKILL included).
A store opened with ``recover="if_alone"`` (the CLI's) first tries the lock
*exclusively* without waiting: it gets it only when no other store, in this
process or another, has the database open, and then no reply can be live, so
every ``streaming`` reply is an orphan and is recovered while the exclusive
lock keeps new writers waiting. Then it holds the lock shared like everyone.

POSIX only (``fcntl.flock``). Elsewhere, or on a file system without
``flock``, there is no lease: the CLI leaves recovery to the window, as before.
The lock file stays beside the database (like ``-wal`` and ``-shm``).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; the CLI does not recover there
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

SUFFIX = "-writers"


def lease_path(database: Path) -> Path:
    return database.with_name(database.name + SUFFIX)


class WriterLease:
    """A shared lock on the database's lease file for as long as it is held."""

    def __init__(self, fd: int, alone: bool) -> None:
        self._fd: int | None = fd
        #: No other store had the database open when this one took the lease
        #: (the exclusive lock was free); recovery runs before ``share``.
        self.alone = alone

    @classmethod
    def take(cls, database: Path, *, want_alone: bool) -> WriterLease | None:
        """Open the lease file and lock it: exclusively first when
        ``want_alone`` (not waiting; ``alone`` says whether that worked), else
        shared. None where there is no flock (nothing else changes)."""
        if fcntl is None:
            return None
        try:
            fd = os.open(lease_path(database), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            log.warning("no writer lease for %s: %s", database, exc)
            return None
        try:
            alone = False
            if want_alone:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    alone = True
                except BlockingIOError:
                    alone = False
            if not alone:
                fcntl.flock(fd, fcntl.LOCK_SH)
        except OSError as exc:  # no flock on this file system (some network mounts)
            os.close(fd)
            log.warning("no writer lease for %s: %s", database, exc)
            return None
        return cls(fd, alone)

    def share(self) -> None:
        """Turn an exclusive lock into the shared one every open store holds."""
        if self._fd is not None and self.alone and fcntl is not None:
            fcntl.flock(self._fd, fcntl.LOCK_SH)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)     # closing the descriptor drops the lock
            self._fd = None
