"""Nothing in the process opens the open database's files except SQLite.

On POSIX, one ``open()`` + ``close()`` of agentdesk.db, -wal or -shm drops every
SQLite lock this process holds on it; the next CLI command then deletes the WAL
under the running app. Each path that opens a file a person (or a model) named
is pointed at the live files here, and the lock is checked from another process
afterwards (tests/support/file_locks.py).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.atomic_file import write_atomically
from app.core.export.model import ImportRejected
from app.core.export.validation import read_source
from app.core.tools import ToolContext, execute_tool
from app.core.tools.files import files_tools
from app.domain import AgentSpec, Message, live_files
from app.providers.gguf_file import GGUFError, is_gguf, read_metadata
from app.ops import exchange
from app.ops.data import BackupError, backup_to, inspect_backup, request_restore
from app.ops.exchange import ExportError
from app.store import Store
from app.ui.file_drop import FileRefused, read_text_file
from tests.support.file_locks import SHM_DMS_BYTE, lock_state

TOOLS = {t.name: t for t in files_tools()}
MESSAGES = 40


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Store]:
    """An open store whose newest writes are still in its -wal file."""
    home = tmp_path / "home"
    store = Store(home / "agentdesk.db")
    agent = store.agents.create(AgentSpec(name="Keeper"))
    chat = store.conversations.create(agent.id, "live chat")
    for number in range(MESSAGES):
        store.messages.add(Message(conversation_id=chat.id, role="user",
                                   content=f"needle message {number}"))
    (home / "notes.txt").write_text("a needle in the notes\n")
    assert lock_state(shm(store), SHM_DMS_BYTE) == "held"
    try:
        yield store
    finally:
        store.close()


def shm(store: Store) -> Path:
    return Path(f"{store.path}-shm")


def live_paths(store: Store) -> list[Path]:
    return [Path(f"{store.path}{suffix}") for suffix in ("", "-wal", "-shm")]


def assert_still_locked(store: Store) -> None:
    assert lock_state(shm(store), SHM_DMS_BYTE) == "held"
    assert Path(f"{store.path}-wal").exists()


def test_the_registry_knows_the_files_by_name_and_by_identity(live: Store,
                                                               tmp_path: Path) -> None:
    db = live.path
    (tmp_path / "link.db").symlink_to(db)
    os.link(db, tmp_path / "hard.db")
    for path in [*live_paths(live), Path(f"{db}-journal"), tmp_path / "link.db",
                 tmp_path / "hard.db"]:
        assert live_files.is_live(path), path
    assert not live_files.is_live(db.parent / "notes.txt")
    assert live_files.is_live_stat(os.stat(db))
    live.close()
    assert not live_files.is_live(db)


def test_import_refuses_the_live_files_without_opening_them(live: Store) -> None:
    for path in live_paths(live):
        with pytest.raises(ImportRejected, match="open database"):
            read_source(path)
    assert_still_locked(live)


def test_a_dropped_live_file_is_refused(live: Store) -> None:
    for path in live_paths(live):
        with pytest.raises(FileRefused, match="open database"):
            read_text_file(path)
    assert_still_locked(live)


def test_the_live_database_is_no_gguf_model(live: Store) -> None:
    assert not is_gguf(live.path)
    with pytest.raises(GGUFError, match="open database"):
        read_metadata(Path(f"{live.path}-wal"))
    assert_still_locked(live)


def test_restore_from_the_live_file_copies_through_sqlite(live: Store,
                                                          tmp_path: Path) -> None:
    other_home = tmp_path / "other"
    info = request_restore(other_home, live.path)
    assert_still_locked(live)
    staged = inspect_backup(other_home / "restore-pending.db")
    # Everything, including what is still only in the -wal file.
    assert (info.messages, staged.messages) == (MESSAGES, MESSAGES)


def test_backups_and_exports_never_replace_a_live_file(live: Store) -> None:
    before = live.path.stat().st_ino
    for path in live_paths(live):
        with pytest.raises(BackupError, match="open database"):
            backup_to(live, path)
        with pytest.raises(PermissionError):
            write_atomically(path, lambda tmp: tmp.write_text("export"))
        with pytest.raises(ExportError, match="open database"):
            exchange.write_text(path, "export")
    assert live.path.stat().st_ino == before
    assert_still_locked(live)
    assert len(live.messages.all(live.conversations.list()[0].id)) == MESSAGES


def run_tool(name: str, workspace: Path, **arguments):
    async def yes(_request) -> bool:
        return True

    context = ToolContext(workspace=workspace, approver=yes)
    return asyncio.run(execute_tool(TOOLS[name], arguments, context))


def test_an_agents_file_tools_leave_the_live_database_alone(live: Store) -> None:
    workspace = live.path.parent      # an agent whose workspace is the data folder
    for name in ("agentdesk.db", "agentdesk.db-wal"):
        outcome = run_tool("read_file", workspace, path=name)
        assert outcome.is_error and "open database" in outcome.content
    outcome = run_tool("write_file", workspace, path="agentdesk.db-wal", content="x")
    assert outcome.is_error and "open database" in outcome.content
    found = run_tool("search_files", workspace, query="needle")
    assert "notes.txt" in found.content and "agentdesk.db" not in found.content
    assert_still_locked(live)
