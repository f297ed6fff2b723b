"""Opening the one SQLite file with the settings AgentDesk relies on."""

from pathlib import Path

from peewee import SqliteDatabase

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


def open_database(path: Path | str) -> SqliteDatabase:
    """Open (creating if needed) the database at ``path`` and connect."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = SqliteDatabase(str(path), pragmas=PRAGMAS, timeout=BUSY_TIMEOUT_MS / 1000)
    db.connect()
    return db


def integrity_ok(db: SqliteDatabase) -> bool:
    return db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
