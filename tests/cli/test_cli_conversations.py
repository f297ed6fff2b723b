"""conversations list|show|delete, with data written through the Store API."""

from __future__ import annotations

import pytest

from app.domain import Message, ToolCallRecord, UsageStats
from app.store import NotFoundError


@pytest.fixture
def chats(make_agent, open_store):
    """Two agents; 'ada' has an old, a new and an archived chat, 'bob' one chat."""
    ada, bob = make_agent("ada"), make_agent("bob")
    store = open_store()
    old = store.conversations.create(ada["id"], "Old topic")
    archived = store.conversations.create(ada["id"], "Shelved")
    store.conversations.set_archived(archived.id, True)
    bobs = store.conversations.create(bob["id"], "Bob talk")
    new = store.conversations.create(ada["id"], "New topic")
    store.messages.add(Message(conversation_id=new.id, role="user", content="Hello there"))
    reply = store.messages.add(Message(
        conversation_id=new.id, role="assistant", content="", status="streaming",
        agent_revision=1))
    store.messages.finalize(
        reply.id, status="complete", content="General Kenobi", model="llama3:8b",
        provider="local", usage=UsageStats(prompt_tokens=5, completion_tokens=3),
        tool_calls=[ToolCallRecord(call_id="c1", name="calc", arguments={"x": 1})])
    store.messages.add(Message(conversation_id=new.id, role="tool", content="2",
                               tool_call_id="c1"))
    failed = store.messages.add(Message(conversation_id=new.id, role="assistant",
                                        content="half", status="streaming"))
    store.messages.finalize(failed.id, status="error", content="half",
                            error="server went away")
    return {"old": old.id, "archived": archived.id, "bob": bobs.id, "new": new.id,
            "ada": ada["id"], "bob_agent": bob["id"]}


def test_list_newest_first_without_archived(cli, chats):
    data = cli("conversations", "list", "--json").json()
    assert [c["id"] for c in data] == [chats["new"], chats["bob"], chats["old"]]
    assert data[0]["message_count"] == 4
    assert {"id", "agent_id", "title", "pinned", "archived", "created_at",
            "updated_at", "message_count"} <= set(data[0])


def test_list_archived_agent_and_limit(cli, chats):
    with_archived = cli("conversations", "list", "--archived", "--json").json()
    assert chats["archived"] in [c["id"] for c in with_archived]
    ada = cli("conversations", "list", "--agent", "ADA", "--archived", "--json").json()
    assert {c["agent_id"] for c in ada} == {chats["ada"]}
    assert len(ada) == 3
    by_id = cli("conversations", "list", "--agent", str(chats["bob_agent"]), "--json").json()
    assert [c["id"] for c in by_id] == [chats["bob"]]
    limited = cli("conversations", "list", "--limit", "1", "--json").json()
    assert [c["id"] for c in limited] == [chats["new"]]


def test_list_human_output(cli, chats):
    result = cli("conversations", "list", "--archived")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].split()[:3] == ["ID", "TITLE", "AGENT"]
    row = next(line for line in lines if "Bob talk" in line)
    assert "bob" in row.replace("Bob talk", "")
    assert "archived" in next(line for line in lines if "Shelved" in line)


@pytest.mark.parametrize("args", [["--limit", "0"], ["--limit", "many"]])
def test_list_bad_limit_is_usage_error(cli, args):
    result = cli("conversations", "list", *args)
    assert result.code == 2
    assert "--limit" in result.error_line


def test_list_unknown_agent(cli, chats):
    result = cli("conversations", "list", "--agent", "zed")
    assert result.code == 1
    assert "unknown agent 'zed'" in result.error_line


def test_list_empty(cli):
    assert cli("conversations", "list").out.strip() == "no conversations"
    assert cli("conversations", "list", "--json").json() == []


def test_show_human_lists_messages_with_role_status_and_model(cli, chats):
    result = cli("conversations", "show", str(chats["new"]))
    assert result.code == 0, result.err
    out = result.out
    assert "New topic" in out and "ada" in out
    headers = [line for line in out.splitlines() if line.startswith("[")]
    assert len(headers) == 4
    assert "user (complete)" in headers[0]
    assert "assistant (complete, local/llama3:8b)" in headers[1]
    assert "tool (complete, for call c1)" in headers[2]
    assert "assistant (error)" in headers[3]
    assert "    General Kenobi" in out
    assert "calc" in out and "server went away" in out
    assert out.index("Hello there") < out.index("General Kenobi")


def test_show_json(cli, open_store, chats):
    data = cli("conversations", "show", str(chats["new"]), "--json").json()
    assert data["conversation"]["id"] == chats["new"]
    assert data["conversation"]["title"] == "New topic"
    messages = data["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant"]
    assert [m["status"] for m in messages] == ["complete", "complete", "complete", "error"]
    assert messages[1]["model"] == "llama3:8b"
    assert messages[1]["usage"]["completion_tokens"] == 3
    assert messages[1]["tool_calls"] == [{"call_id": "c1", "name": "calc",
                                          "arguments": {"x": 1}}]
    assert messages == [m.model_dump(mode="json")
                        for m in open_store().messages.all(chats["new"])]


@pytest.mark.parametrize("command", ["show", "delete"])
def test_unknown_conversation(cli, chats, command):
    result = cli("conversations", command, "9999")
    assert result.code == 1
    assert "unknown conversation 9999" in result.error_line


@pytest.mark.parametrize("command", ["show", "delete"])
def test_conversation_id_must_be_a_number(cli, command):
    result = cli("conversations", command, "abc")
    assert result.code == 2
    assert result.error_line


def test_delete_removes_conversation_and_messages_only(cli, open_store, chats):
    store = open_store()
    message_ids = [m.id for m in store.messages.all(chats["new"])]
    result = cli("conversations", "delete", str(chats["new"]))
    assert result.code == 0
    assert "4 messages" in result.out
    with pytest.raises(NotFoundError):
        store.conversations.get(chats["new"])
    for message_id in message_ids:
        with pytest.raises(NotFoundError):
            store.messages.get(message_id)
    assert store.agents.get(chats["ada"]).name == "ada"
    remaining = {c.id for c in store.conversations.list(include_archived=True)}
    assert remaining == {chats["old"], chats["archived"], chats["bob"]}


def test_delete_json(cli, open_store, chats):
    data = cli("conversations", "delete", str(chats["old"]), "--json").json()
    assert data["deleted"]["id"] == chats["old"]
    assert data["messages_removed"] == 0
