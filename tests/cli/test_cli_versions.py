"""The command line with versions: ``conversations show`` prints the branch the
window shows (marking versions), exports follow it, JSON keeps every version."""

from __future__ import annotations

import json

import pytest

from app.domain import Message


@pytest.fixture
def branched(make_agent, open_store) -> dict[str, int]:
    agent = make_agent("ada")
    store = open_store()
    cid = store.conversations.create(agent["id"], "Versions").id
    question = store.messages.add(Message(conversation_id=cid, role="user", content="Pick one"))
    first = store.messages.add(Message(conversation_id=cid, role="assistant",
                                       content="First pick"))
    second = store.messages.add(Message(conversation_id=cid, role="assistant",
                                        content="Second pick"), parent_id=question.id)
    return {"cid": cid, "first": first.id, "second": second.id}


def test_show_prints_the_shown_branch_and_follows_a_switch(cli, open_store, branched):
    result = cli("conversations", "show", str(branched["cid"]))
    assert result.code == 0, result.err
    assert "Second pick" in result.out and "First pick" not in result.out
    assert "version 2 of 2" in result.out
    data = cli("conversations", "show", str(branched["cid"]), "--json").json()
    assert [m["content"] for m in data["messages"]] == ["Pick one", "Second pick"]
    assert data["conversation"]["active_leaf_id"] == branched["second"]

    open_store().messages.switch_version(branched["second"], -1)    # as the window does
    result = cli("conversations", "show", str(branched["cid"]))
    assert "First pick" in result.out and "Second pick" not in result.out
    assert "version 1 of 2" in result.out


def test_exports_follow_the_shown_branch_and_json_keeps_all(cli, tmp_path, branched):
    md = tmp_path / "chat.md"
    assert cli("conversations", "export", str(branched["cid"]), "--format", "md", "-o",
               str(md)).code == 0
    text = md.read_text(encoding="utf-8")
    assert "Second pick" in text and "First pick" not in text
    out = tmp_path / "chat.json"
    assert cli("conversations", "export", str(branched["cid"]), "--format", "json", "-o",
               str(out)).code == 0
    entry = json.loads(out.read_text(encoding="utf-8"))["conversations"][0]
    assert [m["content"] for m in entry["messages"]] == ["Pick one", "First pick",
                                                         "Second pick"]
    assert entry["conversation"]["active_leaf_id"] == branched["second"]
