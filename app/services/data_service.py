"""Backup and restore of the one SQLite database.

Backup: SQLite's online backup API copies a consistent snapshot while the app
keeps running. It runs on the store's worker thread (the thread that owns the
connection), into a temporary file that is renamed into place when complete.

Restore is deferred to the next start (chosen over swapping the file under
a running store: open conversations, running replies and list models all hold
state read from the old file). ``request_restore`` verifies the chosen file,
copies it into the data folder as ``restore-pending.db`` (so moving or deleting
the original meanwhile does no harm) and writes ``restore-pending.json``.
At start, *before* the store is opened, ``apply_pending_restore`` checks the
copy again, keeps the current database as ``agentdesk.db.before-restore-<time>``
and puts the copy in its place.

Export all (``DataService.export_all``): every conversation, archived ones too,
through app/core/export (the same code as ``agentdesk conversations export
--all``) as JSON, Markdown, HTML or PDF. Reading runs on the store's worker;
rendering and writing run on a thread of the event loop's executor (a QThread
under qasync), so neither the window nor the store (running chats keep writing
to it) waits seconds for a long history. PDF goes through the ``pdf_writer``
the caller hands in (the PDF writer is Qt's, in app/ui). The file is written to
a temporary file beside the target and renamed into place, so a failed export
leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from app.core import atomic_file
from app.domain.live_files import refuse_live
from app.services.store_bridge import StoreBridge
from app.store import DATABASE_FILENAME, Store
from app.store.migrations import LATEST_VERSION

if TYPE_CHECKING:  # the exporter (Markdown, Pygments) loads on the first export only
    from app.core.export import ConversationBundle
    from app.core.export.html_format import HtmlPieces

log = logging.getLogger(__name__)

PENDING_DB = "restore-pending.db"
PENDING_MARKER = "restore-pending.json"
REQUIRED_TABLES = frozenset({"agents", "providers", "conversations", "messages"})


#: Export formats by file suffix (what "Export all…" infers from the file name).
EXPORT_SUFFIXES = {".json": "json", ".md": "md", ".markdown": "md", ".html": "html",
                   ".htm": "html", ".pdf": "pdf"}
#: Writes an HTML export as a PDF at a path (app/ui/export_all.write_pdf); it is
#: called on a worker thread.
PdfWriter = Callable[["HtmlPieces", Path], None]


class BackupError(Exception):
    """A backup could not be made or a file is not a usable AgentDesk backup."""


class ExportError(Exception):
    """An export could not be written; nothing was left at the target."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    conversations: int


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    schema_version: int
    agents: int
    conversations: int
    messages: int


def backup_to(store: Store, destination: Path) -> Path:
    """Copy the live database to ``destination`` (runs on the store's thread)."""
    destination = Path(destination)
    refuse_live(destination)   # renaming over the open database's files would lose it
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    source = store.db.connection()
    target = sqlite3.connect(partial)
    try:
        source.backup(target)
    finally:
        target.close()
    os.replace(partial, destination)
    return destination


def copy_database(source: Path, destination: Path) -> None:
    """Copy the database at ``source`` through SQLite's backup API, never
    ``open()``: the source may be this process's open database (closing a plain
    descriptor of it would drop the store's locks), and the API includes what
    is still in a WAL file, which a byte copy of the main file misses."""
    reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        writer = sqlite3.connect(destination)
        try:
            reader.backup(writer)
        finally:
            writer.close()
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
    staged = home / PENDING_DB
    partial = home / (PENDING_DB + ".partial")
    partial.unlink(missing_ok=True)
    try:
        copy_database(info.path, partial)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"{info.path.name} could not be copied: {exc}") from exc
    os.replace(partial, staged)
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


def export_target(path: Path | str, fallback: str = "json") -> tuple[Path, str]:
    """(file, format): the format named by the suffix, else ``fallback`` with
    its suffix added (``notes`` + Markdown -> ``notes.md``)."""
    path = Path(path).expanduser()
    fmt = EXPORT_SUFFIXES.get(path.suffix.lower())
    if fmt is not None:
        return path, fmt
    suffix = next(s for s, f in EXPORT_SUFFIXES.items() if f == fallback)
    return path.with_name(path.name + suffix), fallback


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(temporary file)`` beside ``path``, then rename it into place.
    On any failure (an empty file included) ``path`` is untouched; raises ExportError."""

    def write_something(partial: Path) -> None:
        write(partial)
        if partial.stat().st_size == 0:
            raise ExportError(f"Nothing was written to {path}")

    try:
        atomic_file.write_atomically(path, write_something)
    except atomic_file.FolderNotWritable as exc:
        raise ExportError(f"Cannot write to {path.parent}: {exc.strerror or exc}") from exc
    except OSError as exc:
        raise ExportError(f"Cannot write {path}: {exc.strerror or exc}") from exc


def _bundles(store: Store, ids: list[int] | None):  # noqa: ANN202 (lazy import)
    """The conversations ``ids`` (None: every one) for an export; raises ExportError
    when there is nothing to export."""
    from app.core.export import load_bundles

    bundles = load_bundles(store, ids)
    if not bundles:
        raise ExportError("There are no conversations to export." if ids is None
                          else "Those conversations no longer exist.")
    return bundles


def _write_export(path: Path, fmt: str, bundles: list[ConversationBundle],
                  pdf_writer: PdfWriter | None) -> None:
    """Render ``bundles`` in ``fmt`` and write them to ``path`` (atomically).

    Runs on a worker thread of the event loop's executor, not on the store's:
    rendering a long history takes seconds, and running chats keep writing to
    the store meanwhile."""
    if fmt == "pdf":
        from app.core.export.html_format import pdf_html_pieces

        assert pdf_writer is not None  # checked by export_all before reading
        write_atomically(path, partial(pdf_writer, pdf_html_pieces(bundles)))
        return
    from app.core.export import render

    text = render(bundles, fmt)
    write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _now_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


class DataService:
    def __init__(self, bridge: StoreBridge, home: Path) -> None:
        self._bridge = bridge
        self.home = home

    async def backup(self, destination: Path) -> BackupInfo:
        """A consistent copy of the live database, verified after writing."""
        try:
            written = await self._bridge.run(lambda store: backup_to(store, destination))
        except (sqlite3.Error, OSError) as exc:
            raise BackupError(f"the backup failed: {exc}") from exc
        return inspect_backup(written)

    def request_restore(self, source: Path) -> BackupInfo:
        return request_restore(self.home, source)

    async def export_all(self, destination: Path, fmt: str, *,
                         pdf_writer: PdfWriter | None = None,
                         ids: list[int] | None = None) -> ExportResult:
        """Every conversation (or those ``ids``) in ``fmt`` (json, md, html or
        pdf) at ``destination``.

        Raises ExportError (nothing written) when the file cannot be written or
        there is nothing to export."""
        destination = Path(destination).expanduser()
        if fmt not in ("json", "md", "html", "pdf"):
            raise ExportError(f"Unknown export format {fmt!r}")
        if fmt == "pdf" and pdf_writer is None:
            raise ExportError("PDF export is not available here")
        bundles = await self._bridge.run(lambda store: _bundles(store, ids))
        await asyncio.get_running_loop().run_in_executor(
            None, _write_export, destination, fmt, bundles, pdf_writer)
        log.info("exported %d conversations as %s to %s", len(bundles), fmt, destination)
        return ExportResult(destination, fmt, len(bundles))

    def pending_restore(self) -> Path | None:
        return pending_restore(self.home)

    def cancel_restore(self) -> None:
        cancel_restore(self.home)
