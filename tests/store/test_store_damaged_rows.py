"""A row that cannot be decoded never breaks a whole list (issue 15 item 2).

Rows are damaged with raw SQL on the real database file: the old codec's
unpadded year (``'999-01-01T…'``, read for what it meant), text that is no
time at all, JSON that does not parse. Lists, search, delete of the chat and of
its agent keep working; the damaged row is marked, not lost. And the schema
step ``_v9_pad_short_years`` rewrites the old codec's text so it sorts as time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.domain import AgentSpec, Conversation, Message
from app.store import NotFoundError, Store
from app.store.codec import UNREADABLE_TIME, time_to_db
from app.store.database import open_database
from app.store.migrations import TIME_COLUMNS, migrate

OLD_999 = "999-01-01T12:30:00.000000Z"


def _raw(store: Store, sql: str, *params: object) -> None:
    store.db.execute_sql(sql, params)


@pytest.fixture
def chats(store: Store, agent: AgentSpec) -> dict[str, Conversation]:
    made = {}
    for key in ("healthy", "ancient", "broken"):
        made[key] = store.conversations.create(agent.id, f"{key} chat")
        store.messages.add(Message(conversation_id=made[key].id, role="user",
                                   content=f"quokka {key}"))
    return made


def test_old_codec_year_is_read_not_damaged(store, chats):
    chat = chats["ancient"]
    _raw(store, "UPDATE conversations SET created_at = ?, updated_at = ? WHERE id = ?",
         OLD_999, OLD_999, chat.id)
    _raw(store, "UPDATE messages SET created_at = ? WHERE conversation_id = ?",
         OLD_999, chat.id)
    read = store.conversations.get(chat.id)
    assert read.created_at == datetime(999, 1, 1, 12, 30, tzinfo=UTC)
    assert read.damaged is None
    [message] = store.messages.path_all(chat.id)
    assert message.created_at.year == 999 and message.damaged is None


def test_unreadable_times_mark_the_row_and_the_list_survives(store, agent, chats):
    broken = chats["broken"]
    _raw(store, "UPDATE conversations SET created_at = 'yesterday', updated_at = 42 "
         "WHERE id = ?", broken.id)
    listed = {c.id: c for c in store.conversations.list(agent.id)}
    assert set(listed) == {c.id for c in chats.values()}
    assert listed[broken.id].damaged == "created time, last activity time"
    assert listed[broken.id].updated_at == UNREADABLE_TIME
    assert listed[broken.id].title == "broken chat"
    assert listed[chats["healthy"].id].damaged is None
    assert [h.conversation_id for h in store.search.search("quokka broken")] == [broken.id]


def test_unreadable_message_columns_keep_the_content(store, chats):
    chat = chats["broken"]
    _raw(store, "UPDATE messages SET created_at = 'x', tool_calls = '[{', usage = '\"no\"', "
         "meta = '{' WHERE conversation_id = ?", chat.id)
    [message] = store.messages.path_all(chat.id)
    assert message.content == "quokka broken" and message.role == "user"
    assert message.damaged is not None
    for words in ("created time", "tool calls", "usage", "meta"):
        assert words in message.damaged
    assert message.tool_calls == [] and message.usage is None and message.meta == {}
    assert [m.content for m in store.messages.all(chat.id)] == ["quokka broken"]
    assert store.messages.page(chat.id)[0].damaged == message.damaged


def test_unreadable_role_still_lists(store, chats):
    chat = chats["broken"]
    _raw(store, "UPDATE messages SET role = 'wizard', status = 'odd' "
         "WHERE conversation_id = ?", chat.id)
    [message] = store.messages.path_all(chat.id)
    assert message.role == "assistant" and message.status == "complete"
    assert "role" in (message.damaged or "") and "status" in (message.damaged or "")


def test_delete_damaged_chat_and_its_agent(store, agent, chats):
    broken = chats["broken"]
    _raw(store, "UPDATE conversations SET created_at = 'x', updated_at = 'y' WHERE id = ?",
         broken.id)
    _raw(store, "UPDATE messages SET created_at = 'x' WHERE conversation_id = ?", broken.id)
    store.conversations.delete(broken.id)
    with pytest.raises(NotFoundError):
        store.conversations.get(broken.id)
    _raw(store, "UPDATE conversations SET created_at = 'x' WHERE id = ?", chats["ancient"].id)
    _raw(store, "UPDATE agents SET created_at = 'never' WHERE id = ?", agent.id)
    assert store.agents.get(agent.id).created_at == UNREADABLE_TIME
    store.agents.delete(agent.id)
    assert store.conversations.list() == []
    assert store.search.search("quokka") == []


def test_v9_pads_the_old_codec_years_so_they_sort_as_time(tmp_path: Path):
    path = tmp_path / "agentdesk.db"
    db = open_database(path)
    migrate(db, target=8)
    sql = db.execute_sql
    new = time_to_db(datetime(2024, 5, 1, tzinfo=UTC))
    sql("INSERT INTO agents(id, name, created_at, updated_at) VALUES (1, 'a', ?, ?)",
        ("7-02-03T04:05:06.000007Z", new))
    sql("INSERT INTO conversations(id, agent_id, title, created_at, updated_at) "
        "VALUES (1, 1, 'old', ?, ?), (2, 1, 'new', ?, ?)", (OLD_999, OLD_999, new, new))
    sql("INSERT INTO messages(id, conversation_id, role, content, created_at, updated_at) "
        "VALUES (1, 1, 'user', 'hi', '42-01-01T00:00:00.000000Z', ?)", (new,))
    db.close()
    assert len(TIME_COLUMNS) == 10
    with Store(path) as store:
        rows = store.db.execute_sql(
            "SELECT created_at, updated_at FROM conversations ORDER BY id").fetchall()
        assert rows[0] == ("0999-01-01T12:30:00.000000Z",) * 2
        assert rows[1] == (new, new)
        assert store.db.execute_sql("SELECT created_at FROM agents").fetchone()[0] == \
            "0007-02-03T04:05:06.000007Z"
        assert store.db.execute_sql("SELECT created_at FROM messages").fetchone()[0] == \
            "0042-01-01T00:00:00.000000Z"
        # Newest activity first: the year-999 chat is last, not first.
        assert [c.title for c in store.conversations.list()] == ["new", "old"]
        assert store.search.search("hi")[0].created_at.year == 42
