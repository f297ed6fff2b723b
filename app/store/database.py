"""Opening the one SQLite file with the settings AgentDesk relies on, and
saying in one line what to do when it cannot be opened as it is.

- A 0-byte ``agentdesk.db`` is refused (DatabaseDamagedError), never silently
  used as a new empty database: a database file is never 0 bytes once
  AgentDesk has created it, so an empty one means its data was lost (a
  failed copy, a full disk, a sync tool) and the person should know before
  a new database is written over where a backup could be restored.
- A data folder or database file that cannot be written opens read-only when
  the caller allows it (``read_only=True``: the CLI's read commands); a write
  then fails as ReadOnlyDataError.
- ``describe_database_error`` turns SQLite's errors (read-only, corrupt,
  not a database, cannot open, disk full) into those one-line errors.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from peewee import DatabaseError as PeeweeDatabaseError
from peewee import SqliteDatabase

from app.store.errors import DataAccessError, DatabaseDamagedError, ReadOnlyDataError

DATABASE_FILENAME = "agentdesk.db"
BUSY_TIMEOUT_MS = 5000

PRAGMAS = {
    "journal_mode": "wal",
    # NORMAL in WAL mode: a committed transaction survives a process kill; only a
    # power cut may lose the newest commits (never corrupts).
    "synchronous": "normal",
    "foreign_keys": 1,
    "busy_timeout": BUSY_TIMEOUT_MS,
}
_RESTORE = ("restore a backup (Settings › Data › Restore, or copy the backup over "
            "this file), or move the file aside and AgentDesk will start a new database")


def damaged(path: Path | str, why: str, *, opening: bool = False) -> DatabaseDamagedError:
    where = f"cannot open the database {path}: it" if opening else f"the database {path}"
    return DatabaseDamagedError(f"{where} is damaged ({why}) — {_RESTORE}")


def check_database_file(path: Path) -> None:
    """Refuse a database file that cannot be what it should be: a folder, an
    unreadable file, a 0-byte file (see the module docstring)."""
    if not path.exists():
        return
    if not path.is_file():
        raise DataAccessError(f"{path} is not a file: move it aside so AgentDesk can "
                              "keep its database there")
    if not os.access(path, os.R_OK):
        raise DataAccessError(f"cannot read the database {path}: permission denied — "
                              "give your user access to it (e.g. chmod u+rw), or use "
                              "another data folder with --home")
    if path.stat().st_size == 0:
        raise DatabaseDamagedError(
            f"cannot open the database {path}: it is empty (0 bytes), so its data was "
            f"lost or never written (a failed copy, a full disk?) — {_RESTORE}")


def is_writable(path: Path) -> bool:
    """Whether the database at ``path`` (and its folder, where SQLite keeps the
    -wal and -shm files) can be written."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent            # open_database makes the missing ones
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    return not path.exists() or os.access(path, os.W_OK)


def open_database(path: Path | str, *, read_only: bool = False) -> SqliteDatabase:
    """Open (creating if needed) the database at ``path`` and connect.

    ``read_only``: open it with SQLite's ``mode=ro`` (every write fails); when
    its folder cannot be written and no -wal file exists, also ``immutable=1``
    (no -shm file can be made; nobody can be writing it either).
    """
    if read_only:
        where = Path(path)
        uri = where.resolve().as_uri() + "?mode=ro"
        if not os.access(where.parent, os.W_OK) and not Path(f"{where}-wal").exists():
            uri += "&immutable=1"
        pragmas = {k: v for k, v in PRAGMAS.items() if k != "journal_mode"}
        db = SqliteDatabase(uri, pragmas=pragmas, timeout=BUSY_TIMEOUT_MS / 1000,
                            uri=True)
        db.connect()
        return db
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = SqliteDatabase(str(path), pragmas=PRAGMAS, timeout=BUSY_TIMEOUT_MS / 1000)
    db.connect()
    return db


def describe_database_error(exc: BaseException, path: Path | str, *,
                            opening: bool = False) -> DataAccessError | None:
    """SQLite's error ``exc`` on the database at ``path`` as a one-line
    DataAccessError saying what to do; None for anything else (a bug, a
    constraint) that the caller reports as it would have. ``opening``: it
    happened while opening (the message starts "cannot open the database")."""
    if isinstance(exc, DataAccessError):
        return exc
    if isinstance(exc, PermissionError):
        return DataAccessError(f"cannot use the data in {Path(path).parent}: permission "
                               f"denied ({exc.filename or path}) — give your user access "
                               "to it, or use another data folder with --home")
    if not isinstance(exc, (sqlite3.Error, PeeweeDatabaseError)):
        return None
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return ReadOnlyDataError.at(path)
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return damaged(path, str(exc), opening=opening)
    if "disk is full" in text:
        return DataAccessError(f"the disk holding {path} is full: free some space and "
                               "try again")
    if "unable to open database file" in text or "disk i/o error" in text:
        return DataAccessError(f"cannot open the database {path} ({exc}): check that "
                               "its folder exists and your user may read and write it, "
                               "or use another data folder with --home")
    return None


def integrity_ok(db: SqliteDatabase) -> bool:
    return db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
