"""Backup, inspection and restore of the one SQLite database.

Backup (``backup_to``): SQLite's online backup API copies a consistent
snapshot while the app keeps running. It runs on the thread that owns the
store's connection (the window: the store's worker), into a temporary file
beside the target that is renamed into place when complete (the one scheme of
app/core/atomic_file.py).

Restore is deferred to the next start (chosen over swapping the file under
a running store: open conversations, running replies and list models all hold
state read from the old file). ``request_restore`` verifies the chosen file,
copies it into the data folder as ``restore-pending.db`` (so moving or deleting
the original meanwhile does no harm) and writes ``restore-pending.json``.
At start, *before* the store is opened, ``apply_pending_restore`` checks the
copy again, keeps the current database as ``agentdesk.db.before-restore-<time>``
and puts the copy in its place.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

from app.core import atomic_file
from app.store import DATABASE_FILENAME, Store
from app.store.migrations import LATEST_VERSION
from app.store.upgrade_backup import copy_connection

log = logging.getLogger(__name__)

PENDING_DB = "restore-pending.db"
PENDING_MARKER = "restore-pending.json"
REQUIRED_TABLES = frozenset({"agents", "providers", "conversations", "messages"})


class BackupError(Exception):
    """A backup could not be made or a file is not a usable AgentDesk backup."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    schema_version: int
    agents: int
    conversations: int
    messages: int


def backup_to(store: Store, destination: Path) -> Path:
    """Copy the live database to ``destination`` (on the thread that owns the
    store's connection). Raises BackupError when it cannot be written."""
    destination = Path(destination).expanduser()
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        atomic_file.write_atomically(destination,
                                     partial(copy_connection, store.db.connection()))
    except (sqlite3.Error, OSError) as exc:
        raise BackupError(f"the backup failed: {exc}") from exc
    return destination


def copy_database(source: Path, destination: Path) -> None:
    """Copy the database at ``source`` through SQLite's backup API, never
    ``open()``: the source may be this process's open database (closing a plain
    descriptor of it would drop the store's locks), and a byte copy of the main
    file misses what is still in a WAL file."""
    reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        copy_connection(reader, destination)
    finally:
        reader.close()


def inspect_backup(path: Path | str) -> BackupInfo:
    """Check that ``path`` is an intact AgentDesk database this version can open."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{path.name} cannot be opened: {exc}") from exc
    try:
        try:
            version = int(connection.execute("PRAGMA user_version").fetchone()[0])
            tables = {row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path.name} is not a database ({exc})") from exc
        if version < 1 or not REQUIRED_TABLES <= tables:
            raise BackupError(f"{path.name} is a database, but not an AgentDesk one")
        if version > LATEST_VERSION:
            raise BackupError(f"{path.name} was written by a newer AgentDesk (schema "
                              f"{version}, this one reads up to {LATEST_VERSION})")
        check = connection.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"{path.name} is damaged: {check}")
        counts = [connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                  for table in ("agents", "conversations", "messages")]
    finally:
        connection.close()
    return BackupInfo(path, version, *counts)


def request_restore(home: Path, source: Path | str) -> BackupInfo:
    """Verify ``source`` and arrange for it to replace the database at next start."""
    info = inspect_backup(source)
    home.mkdir(parents=True, exist_ok=True)
    try:
        atomic_file.write_atomically(home / PENDING_DB,
                                     lambda partial_file: copy_database(info.path, partial_file))
    except (sqlite3.Error, OSError) as exc:
        raise BackupError(f"{info.path.name} could not be copied: {exc}") from exc
    marker = {"source": str(info.path), "requested_at": _now_stamp(),
              "schema_version": info.schema_version}
    (home / PENDING_MARKER).write_text(json.dumps(marker, indent=2), encoding="utf-8")
    return info


def pending_restore(home: Path) -> Path | None:
    """The backup that will be restored at next start, if one is scheduled."""
    marker = home / PENDING_MARKER
    if not marker.is_file() or not (home / PENDING_DB).is_file():
        return None
    try:
        return Path(json.loads(marker.read_text(encoding="utf-8"))["source"])
    except (ValueError, KeyError, TypeError):
        return home / PENDING_DB


def cancel_restore(home: Path) -> None:
    (home / PENDING_MARKER).unlink(missing_ok=True)
    (home / PENDING_DB).unlink(missing_ok=True)


def apply_pending_restore(home: Path) -> Path | None:
    """At start, before the store opens: put a scheduled backup in place.

    Returns where the replaced database was kept, or None when nothing was
    scheduled. A staged file that fails the checks is discarded and reported
    with BackupError; the current database is then left untouched.
    """
    marker, staged = home / PENDING_MARKER, home / PENDING_DB
    if not marker.is_file():
        return None
    if not staged.is_file():
        marker.unlink()
        return None
    try:
        inspect_backup(staged)
    except BackupError:
        cancel_restore(home)
        raise
    database = home / DATABASE_FILENAME
    kept = home / f"{DATABASE_FILENAME}.before-restore-{_now_stamp()}"
    if database.exists():
        os.replace(database, kept)
    for suffix in ("-wal", "-shm"):  # belong to the replaced file: they go with it
        journal = Path(str(database) + suffix)
        if journal.exists():
            os.replace(journal, Path(str(kept) + suffix))
    os.replace(staged, database)
    marker.unlink()
    log.info("restored the database from a backup; the previous one is %s", kept)
    return kept


def _now_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
