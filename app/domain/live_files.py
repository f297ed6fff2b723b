"""The database files this process has open, which nothing but SQLite may open.

SQLite locks its files with POSIX advisory (fcntl) locks, and on Linux/POSIX
closing *any* descriptor of a file drops every lock this process holds on it
(sqlite.org/howtocorrupt.html §2.2). One ``open()`` + ``close()`` of
``agentdesk.db``, ``-wal`` or ``-shm`` while the store is open (reading a file
the user picked for import, a dropped file, a "GGUF model", an agent's file
tool in a workspace that contains the data folder) and the next CLI command
believes it is alone, checkpoints and deletes the WAL under the running app.
Another SQLite connection is fine (SQLite shares one lock table per file in a
process), and so is ``stat``.

The store registers its database here while it is open; code that opens or
replaces a file the user (or a model) named calls ``refuse_live(path)`` first.
Only ``stat`` is used here, never ``open``.
"""

from __future__ import annotations

import errno
import os
import threading
from collections import Counter
from pathlib import Path

#: The files SQLite keeps beside a database.
SUFFIXES = ("", "-wal", "-shm", "-journal")

_lock = threading.Lock()
_open: Counter[str] = Counter()


class LiveDatabaseFileError(PermissionError):
    """The path is one of the open database's files (an OSError, so the usual
    "cannot read/write …" handling reports it)."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(errno.EACCES,
                         "it is AgentDesk's open database (only SQLite may open it)",
                         str(path))


def register(database: Path | str) -> None:
    """The store opened ``database`` (counted: several stores may share one file)."""
    with _lock:
        _open[os.path.realpath(database)] += 1


def unregister(database: Path | str) -> None:
    key = os.path.realpath(database)
    with _lock:
        if _open[key] <= 1:
            del _open[key]
        else:
            _open[key] -= 1


def open_databases() -> list[str]:
    with _lock:
        return list(_open)


def _identity(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def is_live_stat(info: os.stat_result) -> bool:
    """Whether the file ``info`` was taken from (a stat/lstat) is a file of an
    open database (for callers that walk folders by descriptor)."""
    found = (info.st_dev, info.st_ino)
    return any(found == _identity(database + suffix)
               for database in open_databases() for suffix in SUFFIXES)


def is_live(path: Path | str) -> bool:
    """Whether ``path`` is (or, by name or link, would be) a file of an open database."""
    target = os.path.realpath(path)
    target_id = _identity(target)
    for database in open_databases():
        for suffix in SUFFIXES:
            live = database + suffix
            if target == live or (target_id is not None and target_id == _identity(live)):
                return True
    return False


def refuse_live(path: Path | str) -> None:
    """Raise LiveDatabaseFileError when ``path`` is a file of an open database."""
    if is_live(path):
        raise LiveDatabaseFileError(path)
