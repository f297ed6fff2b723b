"""Duplicating and deleting agents (app/core/agent_admin.py) on a real store."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.agent_admin import (
    agent_footprint,
    copy_name,
    delete_agent,
    deletion_question,
    duplicate_agent,
)
from app.domain import AgentSpec, Message
from app.domain.agent import NAME_MAX_LENGTH, FallbackTarget
from app.store import DuplicateNameError, NotFoundError, Store


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "agentdesk.db") as opened:
        yield opened


def _agent(store: Store, name: str = "Writer") -> AgentSpec:
    return store.agents.create(AgentSpec(
        name=name, system_prompt="Be brief.", provider="llama", model="gemma",
        temperature=0.3, max_tokens=77, tools=["calculator", "memory"],
        tool_policies={"calculator": "deny"}, workspace="/tmp/ws", max_turns=4,
        fallbacks=[FallbackTarget(provider="other", model="m2")],
        generation={"top_p": 0.8, "seed": 42}))


def test_the_copy_has_the_same_settings_and_no_chats(store: Store) -> None:
    source = _agent(store)
    chat = store.conversations.create(source.id, "Chat")
    store.messages.add(Message(conversation_id=chat.id, role="user", content="hi"))
    store.memories.add(source.id, "likes tea")
    store.agents.update(source.model_copy(update={"temperature": 0.4}))   # revision 2

    copy = duplicate_agent(store, source.id)
    source = store.agents.get(source.id)
    assert copy.name == "Writer (copy)" and copy.id != source.id
    same = {"system_prompt", "provider", "model", "temperature", "max_tokens", "tools",
            "tool_policies", "workspace", "max_turns", "fallbacks", "generation",
            "streaming", "local_only"}
    assert copy.model_dump(include=same) == source.model_dump(include=same)
    assert copy.revision == 1
    assert store.conversations.list(copy.id, include_archived=True) == []
    assert store.memories.list(copy.id) == []
    assert agent_footprint(store, source.id).chats == 1      # the original keeps its chat


def test_copies_get_the_first_free_name(store: Store) -> None:
    source = _agent(store)
    store.agents.create(AgentSpec(name="writer (COPY)"))      # names compare without case
    assert duplicate_agent(store, source.id).name == "Writer (copy 2)"
    assert duplicate_agent(store, source.id).name == "Writer (copy 3)"
    assert duplicate_agent(store, source.id, name="Editor").name == "Editor"
    with pytest.raises(DuplicateNameError):
        duplicate_agent(store, source.id, name="Editor")
    with pytest.raises(NotFoundError):
        duplicate_agent(store, 999)


def test_a_long_name_is_shortened_to_fit() -> None:
    name = "x" * NAME_MAX_LENGTH
    made = copy_name(name, {name})
    assert len(made) == NAME_MAX_LENGTH and made.endswith(" (copy)")
    assert copy_name("A", {"A", "A (copy)"}) == "A (copy 2)"


def test_the_question_names_everything_deleting_loses(store: Store) -> None:
    source = _agent(store)
    for index in range(12):
        chat = store.conversations.create(source.id, f"Chat {index}")
        for turn in range(index % 3 + 1):
            store.messages.add(Message(conversation_id=chat.id, role="user",
                                       content=f"m{turn}"))
        if index == 0:
            store.conversations.set_archived(chat.id, True)   # counted too
    footprint = agent_footprint(store, source.id)
    assert (footprint.chats, footprint.messages, footprint.memories) == (12, 24, 0)
    assert deletion_question(footprint) == (
        "Delete agent 'Writer' and its 12 chats (24 messages)? This cannot be undone.")

    store.memories.add(source.id, "likes tea")
    one = store.agents.create(AgentSpec(name="Solo"))
    store.messages.add(Message(conversation_id=store.conversations.create(one.id).id,
                               role="user", content="x"))
    store.memories.add(one.id, "a")
    store.memories.add(one.id, "b")
    assert deletion_question(agent_footprint(store, one.id)) == (
        "Delete agent 'Solo' and its 1 chat (1 message) and 2 memories? "
        "This cannot be undone.")
    assert "and 1 memory?" in deletion_question(agent_footprint(store, source.id))


def test_delete_removes_the_agent_and_reports_what_went(store: Store) -> None:
    source = _agent(store)
    chat = store.conversations.create(source.id)
    store.messages.add(Message(conversation_id=chat.id, role="user", content="hi"))
    copy = duplicate_agent(store, source.id)
    gone = delete_agent(store, copy.id)
    assert (gone.name, gone.chats, gone.messages) == ("Writer (copy)", 0, 0)
    assert [a.name for a in store.agents.list()] == ["Writer"]
    gone = delete_agent(store, source.id)
    assert (gone.chats, gone.messages) == (1, 1)
    assert store.conversations.list(include_archived=True) == []
    with pytest.raises(NotFoundError):
        delete_agent(store, source.id)
