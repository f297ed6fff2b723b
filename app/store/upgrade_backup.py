"""A copy of the database before every schema upgrade, and putting it back
when the upgrade fails.

People lost whole chat histories to updates of other chat apps. Before the
store migrates a database to a newer schema it copies it, with SQLite's
online backup API, to ``backups/agentdesk-v<old>-before-upgrade-<time>.db``
beside it (the newest ``KEEP`` such copies are kept). Each migration step is
its own transaction, so a step that fails leaves the database at the last
step that worked: a mix no released version wrote. The store then closes it
and puts the copy back, so the person is left with exactly what they had and
one line saying what happened and where the copy is.

A copy that cannot be made (a full disk, a read-only folder) stops the
upgrade before it starts: migrating without a way back is not worth it.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from app.store.errors import DataAccessError

log = logging.getLogger(__name__)

BACKUP_FOLDER = "backups"
KEEP = 3
_PATTERN = "agentdesk-v*-before-upgrade-*.db"


class UpgradeFailedError(DataAccessError):
    """A schema upgrade failed; the database was put back as it was before."""


def copy_connection(source: sqlite3.Connection, destination: Path) -> None:
    """Copy ``source`` into a new database file at ``destination`` with SQLite's
    backup API (a consistent snapshot, what is still in the WAL included).

    The copy of a WAL-mode database keeps WAL mode in its header, so opening it
    (even to inspect it) would leave ``-wal``/``-shm`` files beside it: the copy
    is switched to a rollback journal, one self-contained file (the store turns
    WAL back on when it opens a restored file)."""
    writer = sqlite3.connect(destination)
    try:
        source.backup(writer)
        writer.execute("PRAGMA journal_mode = DELETE")
    finally:
        writer.close()


def backup_before_upgrade(source: sqlite3.Connection, database: Path,
                          version: int) -> Path:
    """Copy the database (at schema ``version``) into its backups folder; keep
    the newest ``KEEP`` copies. DataAccessError when no copy can be made."""
    folder = database.parent / BACKUP_FOLDER
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"agentdesk-v{version}-before-upgrade-{stamp}.db"
    partial = target.with_name(target.name + ".partial")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        copy_connection(source, partial)
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as exc:
        if partial.parent.is_dir():
            partial.unlink(missing_ok=True)
        raise DataAccessError(
            f"AgentDesk must upgrade the database {database} (schema version {version}) "
            f"and copies it first, but the copy failed: {exc} — free some disk space or "
            "make the data folder writable, then start again; nothing was changed"
        ) from exc
    log.info("database copied to %s before its schema upgrade", target)
    _prune(folder)
    return target


def upgrade_backups(database: Path) -> list[Path]:
    """The copies kept before upgrades, oldest first."""
    return sorted((database.parent / BACKUP_FOLDER).glob(_PATTERN))


def restore_after_failed_upgrade(database: Path, backup: Path, version: int,
                                 target: int, cause: BaseException) -> UpgradeFailedError:
    """Put ``backup`` back in place of the (closed) ``database``; return the
    error to raise, which says what failed and where the copy is."""
    what = (f"upgrading the database {database} from schema version {version} to "
            f"{target} failed ({cause})")
    try:
        staged = database.with_name(database.name + ".restoring")
        shutil.copyfile(backup, staged)
        for suffix in ("-wal", "-shm"):      # they belong to the half-upgraded file
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        os.replace(staged, database)
    except OSError as exc:
        log.error("%s, and putting back the copy %s failed: %s", what, backup, exc)
        return UpgradeFailedError(
            f"{what}, and the copy made before it could not be put back ({exc}): "
            f"copy {backup} over {database} yourself before starting again")
    log.error("%s; the database was put back from %s", what, backup)
    return UpgradeFailedError(
        f"{what}; it was put back as it was before the upgrade (a copy is kept at "
        f"{backup}) — please report this, with the log, and keep using the version "
        "you had until it is fixed")


def _prune(folder: Path) -> None:
    for old in sorted(folder.glob(_PATTERN))[:-KEEP]:
        try:
            old.unlink()
        except OSError as exc:
            log.warning("could not remove the old upgrade copy %s: %s", old, exc)
