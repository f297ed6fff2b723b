"""Data that cannot be used as it is (issue 15, item 11): an unreadable data
folder or settings.json, a read-only data folder or database, a corrupt page
and a 0-byte agentdesk.db each give ONE line saying what to do, never a
traceback or "unexpected …"; read commands work on read-only data, write
commands say the data is read-only.

Permissions: as a normal user the tests chmod the real files. As root (CI
containers), chmod does not deny anything, so the tests deny access at the
boundary the code asks — ``os.access`` — for exactly the paths concerned;
SQLite then really opens the database read-only (``mode=ro``), so a write
still fails inside SQLite as it would for a normal user.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.domain import Message
from app.store import Store

ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False


@pytest.fixture
def deny(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path, int], None]]:
    """deny(path, bits): take read (R_OK) or write (W_OK) access to ``path``
    (and, for a folder and W_OK, to everything in it) away."""
    restore: list[tuple[Path, int]] = []
    denied: list[tuple[Path, int]] = []
    real_access = os.access

    def fake_access(path, mode, *args, **kwargs):  # type: ignore[no-untyped-def]
        where = Path(path).resolve()
        for target, bits in denied:
            if (where == target or target in where.parents) and mode & bits:
                return False
        return real_access(path, mode, *args, **kwargs)

    def take(path: Path, bits: int) -> None:
        path = path.resolve()
        if ROOT:
            denied.append((path, bits))
            monkeypatch.setattr(os, "access", fake_access)
            return
        remove = (stat.S_IRUSR | stat.S_IXUSR) if bits & os.R_OK else stat.S_IWUSR
        targets = [path] if bits & os.R_OK else [path, *path.rglob("*")]
        for target in sorted(targets, key=lambda p: -len(p.parts)):   # deepest first
            mode = target.stat().st_mode
            restore.append((target, mode))
            target.chmod(mode & ~remove)

    yield take
    for target, mode in reversed(restore):
        target.chmod(mode)


def seed(cli, count: int = 30) -> None:
    """A real data folder: a provider and agents with long prompts (many pages)."""
    assert cli("providers", "add", "local", "--kind", "ollama").code == 0
    for number in range(count):
        assert cli("agents", "create", "--name", f"agent{number}", "--provider", "local",
                   "--model", "m", "--system", "x" * 3000).code == 0


def one_line_with_advice(result, *words: str) -> str:
    assert result.code == 1, (result.out, result.err)
    line = result.error_line              # exactly one line, no traceback
    assert "unexpected" not in line and "Traceback" not in result.err
    for word in words:
        assert word in line, line
    return line


# -- settings and data folder ------------------------------------------------------------
def test_a_settings_json_that_is_a_folder_is_refused_not_ignored(cli, home):
    (home / "settings.json").mkdir(parents=True)
    for _ in range(2):
        one_line_with_advice(cli("agents", "list"), "settings.json", "move it aside")
    assert (home / "settings.json").is_dir()


def test_an_unreadable_settings_json(cli, home, deny):
    home.mkdir()
    (home / "settings.json").write_text('{"ui": {"theme": "dark"}}', encoding="utf-8")
    deny(home / "settings.json", os.R_OK)
    one_line_with_advice(cli("agents", "list"), "cannot read the settings file",
                         "permission denied", "--home")


def test_an_unreadable_data_folder(cli, home, deny):
    seed(cli, count=1)
    deny(home, os.R_OK)
    one_line_with_advice(cli("agents", "list"), "cannot read the data folder",
                         "permission denied", "--home")


def test_a_data_folder_that_is_a_file(cli, home):
    home.write_text("not a folder")
    one_line_with_advice(cli("agents", "list"), "is a file, not a folder", "--home")


# -- the database file -------------------------------------------------------------------
def test_a_zero_byte_database_is_refused_and_left_alone(cli, home):
    home.mkdir()
    (home / "agentdesk.db").write_bytes(b"")
    for command in (("agents", "list"), ("agents", "create", "--name", "a",
                                         "--provider", "p", "--model", "m")):
        one_line_with_advice(cli(*command), "0 bytes", "restore a backup", "move the file")
        assert (home / "agentdesk.db").stat().st_size == 0


def test_a_corrupt_page_says_the_database_is_damaged(cli, home):
    seed(cli)
    database = home / "agentdesk.db"
    size = database.stat().st_size
    assert size > 40 * 4096
    with database.open("r+b") as file:     # garbage in the middle pages, header intact
        for offset in range(size * 2 // 5, size * 3 // 5, 4096):
            file.seek(offset + 100)
            file.write(bytes(range(256)) * 11)
    one_line_with_advice(cli("agents", "list"), "is damaged", "restore a backup")


def test_read_commands_work_on_a_read_only_data_folder_and_writes_say_so(
        cli, home, deny, open_store):
    seed(cli, count=2)
    store = open_store()
    agent = store.agents.get_by_name("agent1")
    chat = store.conversations.create(agent.id, "Read-only chat")
    store.messages.add(Message(conversation_id=chat.id, role="user",
                               content="sparrows sing"))
    store.close()
    deny(home, os.W_OK)

    listed = cli("agents", "list")
    assert listed.code == 0, listed.err
    assert "agent0" in listed.out and "agent1" in listed.out
    assert cli("conversations", "list").code == 0
    assert "Read-only chat" in cli("conversations", "list").out
    found = cli("search", "sparrows")
    assert found.code == 0, found.err
    assert "sparrows" in found.out.lower()

    for command in (("agents", "create", "--name", "new", "--provider", "local",
                     "--model", "m"),
                    ("agents", "delete", "agent0")):
        one_line_with_advice(cli(*command), "read-only", "make it writable")
    with Store(home / "agentdesk.db", allow_read_only=True) as store:
        assert sorted(a.name for a in store.agents.list()) == ["agent0", "agent1"]


def test_a_read_only_database_file_in_a_writable_folder(cli, home, deny):
    seed(cli, count=1)
    deny(home / "agentdesk.db", os.W_OK)
    assert "agent0" in cli("agents", "list").out
    one_line_with_advice(cli("agents", "create", "--name", "new", "--provider", "local",
                             "--model", "m"), "read-only")
