"""Issue 15 item 2: one conversation dated before year 1000 (or with a time that
cannot be read at all) no longer breaks the store for good.

The rows are written raw into a real SQLite file, the way the old codec wrote
year 999 (``strftime("%Y")`` does not zero-pad: ``'999-01-01T…'``) and the way a
damaged file may hold anything. Every command that used to fail with
``Invalid isoformat string`` must work.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from app.domain import Message
from app.store import NotFoundError

OLD_CODEC_TIME = "999-01-01T12:30:00.000000Z"   # what strftime wrote for year 999
GARBAGE_TIME = "not a time at all"


@pytest.fixture
def damaged(make_agent, open_store, home: Path):
    """Agent 'ada' with a healthy chat, a year-999 chat (old codec's text) and a
    chat whose times cannot be read; 'bob' is untouched."""
    ada, bob = make_agent("ada"), make_agent("bob")
    store = open_store()
    healthy = store.conversations.create(ada["id"], "Healthy chat")
    store.messages.add(Message(conversation_id=healthy.id, role="user",
                               content="zebra healthy words"))
    ancient = store.conversations.create(ada["id"], "Imported long ago")
    store.messages.add(Message(conversation_id=ancient.id, role="user",
                               content="zebra from the year 999"))
    broken = store.conversations.create(ada["id"], "Broken times")
    store.messages.add(Message(conversation_id=broken.id, role="user",
                               content="zebra in a damaged row"))
    store.close()
    with sqlite3.connect(home / "agentdesk.db") as raw:
        raw.execute("UPDATE conversations SET created_at = ?, updated_at = ? WHERE id = ?",
                    (OLD_CODEC_TIME, OLD_CODEC_TIME, ancient.id))
        raw.execute("UPDATE messages SET created_at = ?, updated_at = ? "
                    "WHERE conversation_id = ?", (OLD_CODEC_TIME, OLD_CODEC_TIME, ancient.id))
        raw.execute("UPDATE conversations SET created_at = ?, updated_at = ? WHERE id = ?",
                    (GARBAGE_TIME, GARBAGE_TIME, broken.id))
        raw.execute("UPDATE messages SET created_at = ?, updated_at = ? "
                    "WHERE conversation_id = ?", (GARBAGE_TIME, "", broken.id))
    raw.close()
    return {"ada": ada["id"], "bob": bob["id"], "healthy": healthy.id,
            "ancient": ancient.id, "broken": broken.id}


def test_conversations_list_shows_every_row(cli, damaged):
    result = cli("conversations", "list", "--json")
    assert result.code == 0, result.err
    rows = {row["id"]: row for row in result.json()}
    assert set(rows) == {damaged["healthy"], damaged["ancient"], damaged["broken"]}
    # The old codec's year 999 is read for what it was, not as damage.
    assert rows[damaged["ancient"]]["created_at"].startswith("0999-01-01T12:30:00")
    assert rows[damaged["ancient"]]["damaged"] is None
    assert rows[damaged["broken"]]["damaged"]
    assert rows[damaged["broken"]]["title"] == "Broken times"
    plain = cli("conversations", "list")
    assert plain.code == 0, plain.err
    assert "Broken times" in plain.out and "Imported long ago" in plain.out
    broken_line = next(line for line in plain.out.splitlines() if "Broken times" in line)
    assert "damaged (created time, last activity time)" in broken_line
    shown = cli("conversations", "show", str(damaged["broken"]))
    assert "damaged (created time, last activity time)" in shown.out


def test_search_finds_hits_in_every_row(cli, damaged):
    result = cli("search", "zebra", "--json")
    assert result.code == 0, result.err
    found = {hit["conversation_id"] for hit in result.json()}
    assert found == {damaged["healthy"], damaged["ancient"], damaged["broken"]}
    assert cli("search", "zebra").code == 0


def test_show_damaged_and_ancient_chats(cli, damaged):
    for key in ("ancient", "broken"):
        result = cli("conversations", "show", str(damaged[key]))
        assert result.code == 0, result.err
        assert "zebra" in result.out


def test_export_all_keeps_working(cli, damaged, tmp_path: Path):
    target = tmp_path / "all.json"
    result = cli("conversations", "export", "--all", "-o", str(target))
    assert result.code == 0, result.err
    exported = json.loads(target.read_text(encoding="utf-8"))
    text = json.dumps(exported)
    for words in ("zebra healthy words", "zebra from the year 999", "zebra in a damaged row"):
        assert words in text


def test_delete_the_damaged_and_the_ancient_chat(cli, damaged, open_store):
    for key in ("broken", "ancient"):
        result = cli("conversations", "delete", str(damaged[key]))
        assert result.code == 0, result.err
    store = open_store()
    for key in ("broken", "ancient"):
        with pytest.raises(NotFoundError):
            store.conversations.get(damaged[key])
    assert [c.id for c in store.conversations.list()] == [damaged["healthy"]]


def test_delete_the_agent_of_damaged_chats(cli, damaged, open_store):
    result = cli("agents", "delete", "ada")
    assert result.code == 0, result.err
    assert "3 conversations" in result.out
    listed = cli("conversations", "list", "--json")
    assert listed.code == 0 and listed.json() == []
    assert cli("search", "zebra", "--json").json() == []
    assert [a.name for a in open_store().agents.list()] == ["bob"]


def test_show_year_one_chat_west_of_utc(cli, make_agent, open_store, monkeypatch):
    """Year 1 round-trips now; shown in a zone west of UTC it must not overflow."""
    import time
    from datetime import UTC, datetime

    ada = make_agent("ada")
    store = open_store()
    chat = store.conversations.create(ada["id"], "Dawn of time")
    store.messages.add(Message(conversation_id=chat.id, role="user", content="first",
                               created_at=datetime(1, 1, 1, 2, 0, tzinfo=UTC)))
    store.db.execute_sql("UPDATE messages SET created_at = ? WHERE conversation_id = ?",
                         ("0001-01-01T02:00:00.000000Z", chat.id))
    try:
        with monkeypatch.context() as west:
            west.setenv("TZ", "XST+5")
            time.tzset()
            result = cli("conversations", "show", str(chat.id))
    finally:
        time.tzset()
    assert result.code == 0, result.err
    assert "[0001-01-01 02:00] user" in result.out
