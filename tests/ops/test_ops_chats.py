"""app/ops/chats.py on a real Store, without Qt."""

from __future__ import annotations

import pytest
from ops_support import say

from app.domain import AgentSpec, Message
from app.ops import chats
from app.store import ChangeNotice, NotFoundError, Store


def test_the_title_is_the_first_words_of_the_first_message() -> None:
    assert chats.title_for_new_chat(
        "  Explain   quantum tunnelling to a ten year old, with examples and a joke"
    ) == "Explain quantum tunnelling to a ten year old,"
    assert chats.title_for_new_chat("x" * 100) == "x" * 59 + "…"
    assert chats.title_for_new_chat("line one\n\tline two") == "line one line two"
    assert chats.title_for_new_chat(" \n ") == "New chat"


def test_start_titles_the_chat_after_its_first_message(
        store: Store, agent: AgentSpec, notices: list[ChangeNotice]) -> None:
    first = chats.start(store, agent.id, "Boiling   point of water at altitude?")
    assert first.title == "Boiling point of water at altitude?"
    assert (first.agent_id, first.message_count, first.archived) == (agent.id, 0, False)
    assert [(n.entity, n.op, n.ids) for n in notices] == [
        ("conversation", "insert", (first.id,))]
    second = chats.start(store, agent.id, "again")
    assert [c.id for c in chats.list_chats(store, agent.id)] == [second.id, first.id]
    with pytest.raises(NotFoundError):
        chats.start(store, 999, "nobody to ask")


def test_the_stamp_changes_with_every_write_and_is_none_once_deleted(
        store: Store, agent: AgentSpec) -> None:
    chat = chats.start(store, agent.id, "hi")
    before = chats.stamp(store, chat.id)
    assert before == chats.stamp(store, chat.id) == chats.get(store, chat.id)
    say(store, chat.id, "user", "hi")
    after = chats.stamp(store, chat.id)
    assert after is not None and after != before and after.message_count == 1
    chats.delete(store, chat.id)
    assert chats.stamp(store, chat.id) is None
    assert chats.get_many(store, [chat.id]) == {chat.id: None}
    with pytest.raises(NotFoundError):
        chats.get(store, chat.id)


def test_get_many_reads_each_as_stored_now(store: Store, agent: AgentSpec) -> None:
    one, two = chats.start(store, agent.id, "one"), chats.start(store, agent.id, "two")
    chats.rename(store, two.id, "Second")
    found = chats.get_many(store, (one.id, two.id, 999))
    assert found[one.id] == one
    assert found[two.id] is not None and found[two.id].title == "Second"
    assert found[999] is None


def test_rename_pin_archive_and_back(store: Store, agent: AgentSpec) -> None:
    chat = chats.start(store, agent.id, "first words")
    assert chats.rename(store, chat.id, "  Trip plans ").title == "Trip plans"
    assert chats.rename(store, chat.id, "   ").title == "New chat"
    assert chats.set_pinned(store, chat.id, True).pinned
    other = chats.start(store, agent.id, "newer")
    assert [c.id for c in chats.list_chats(store, agent.id)] == [chat.id, other.id]

    assert chats.archive(store, chat.id).archived
    assert chats.archive(store, chat.id).archived            # twice: no error
    assert [c.id for c in chats.list_chats(store, agent.id)] == [other.id]
    assert [c.id for c in chats.list_chats(store, agent.id, archived_only=True)] == [chat.id]
    assert len(chats.list_chats(store, agent.id, include_archived=True)) == 2
    assert not chats.unarchive(store, chat.id).archived
    assert [c.id for c in chats.list_chats(store, agent.id)] == [chat.id, other.id]
    for change in (lambda: chats.rename(store, 999, "x"),
                   lambda: chats.set_pinned(store, 999, True),
                   lambda: chats.archive(store, 999)):
        with pytest.raises(NotFoundError):
            change()


def test_list_all_reads_every_page_archived_too(store: Store, agent: AgentSpec,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chats, "LIST_PAGE", 2)
    made = [chats.start(store, agent.id, f"chat {i}") for i in range(5)]
    chats.archive(store, made[0].id)
    other = store.agents.create(AgentSpec(name="Other"))
    chats.start(store, other.id, "not this agent's")
    assert sorted(c.id for c in chats.list_all(store, agent.id)) == [c.id for c in made]
    assert len(chats.list_all(store)) == 6


def test_delete_returns_what_went_with_the_chat(store: Store, agent: AgentSpec) -> None:
    chat = chats.start(store, agent.id, "hi")
    say(store, chat.id, "user", "hi")
    say(store, chat.id, "assistant", "hello")
    gone = chats.delete(store, chat.id)
    assert (gone.id, gone.message_count) == (chat.id, 2)
    assert store.messages.all(chat.id) == []
    with pytest.raises(NotFoundError):
        chats.delete(store, chat.id)


def test_owner_and_reply_preview_follow_the_shown_branch(store: Store,
                                                         agent: AgentSpec) -> None:
    chat = chats.start(store, agent.id, "q")
    assert chats.owner(store, chat).name == "Helper"
    assert chats.reply_preview(store, chat.id)[1] is None
    user = say(store, chat.id, "user", "q")
    say(store, chat.id, "assistant", "first answer")
    store.messages.add(Message(conversation_id=chat.id, role="assistant",
                               content="second answer"), parent_id=user.id)   # regenerated
    conversation, reply = chats.reply_preview(store, chat.id)
    assert conversation.id == chat.id
    assert reply is not None and reply.content == "second answer"
    store.messages.switch_version(reply.id, -1)
    assert chats.reply_preview(store, chat.id)[1].content == "first answer"
