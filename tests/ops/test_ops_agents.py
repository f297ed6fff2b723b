"""app/ops/agents.py on a real Store, without Qt: look-ups, saving, duplicate,
what deleting loses, delete, revisions, the recent agents."""

from __future__ import annotations

import pytest
from ops_support import say

from app.domain import AgentSpec, Message
from app.domain.agent import NAME_MAX_LENGTH, FallbackTarget
from app.ops import agents, chats
from app.store import DuplicateNameError, NotFoundError, Store


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

    copy = agents.duplicate(store, source.id)
    source = store.agents.get(source.id)
    assert copy.name == "Writer (copy)" and copy.id != source.id
    same = {"system_prompt", "provider", "model", "temperature", "max_tokens", "tools",
            "tool_policies", "workspace", "max_turns", "fallbacks", "generation",
            "streaming", "local_only"}
    assert copy.model_dump(include=same) == source.model_dump(include=same)
    assert copy.revision == 1
    assert store.conversations.list(copy.id, include_archived=True) == []
    assert store.memories.list(copy.id) == []
    assert agents.footprint(store, source.id).chats == 1      # the original keeps its chat


def test_copies_get_the_first_free_name(store: Store) -> None:
    source = _agent(store)
    store.agents.create(AgentSpec(name="writer (COPY)"))      # names compare without case
    assert agents.duplicate(store, source.id).name == "Writer (copy 2)"
    assert agents.duplicate(store, source.id).name == "Writer (copy 3)"
    assert agents.duplicate(store, source.id, name="Editor").name == "Editor"
    with pytest.raises(DuplicateNameError):
        agents.duplicate(store, source.id, name="Editor")
    with pytest.raises(NotFoundError):
        agents.duplicate(store, 999)


def test_a_long_name_is_shortened_to_fit() -> None:
    name = "x" * NAME_MAX_LENGTH
    made = agents.copy_name(name, {name})
    assert len(made) == NAME_MAX_LENGTH and made.endswith(" (copy)")
    assert agents.copy_name("A", {"A", "A (copy)"}) == "A (copy 2)"


def test_the_question_names_everything_deleting_loses(store: Store) -> None:
    source = _agent(store)
    for index in range(12):
        chat = store.conversations.create(source.id, f"Chat {index}")
        for turn in range(index % 3 + 1):
            store.messages.add(Message(conversation_id=chat.id, role="user",
                                       content=f"m{turn}"))
        if index == 0:
            store.conversations.set_archived(chat.id, True)   # counted too
    footprint = agents.footprint(store, source.id)
    assert (footprint.chats, footprint.messages, footprint.memories) == (12, 24, 0)
    assert agents.deletion_question(footprint) == (
        "Delete agent 'Writer' and its 12 chats (24 messages)? This cannot be undone.")

    store.memories.add(source.id, "likes tea")
    one = store.agents.create(AgentSpec(name="Solo"))
    store.messages.add(Message(conversation_id=store.conversations.create(one.id).id,
                               role="user", content="x"))
    store.memories.add(one.id, "a")
    store.memories.add(one.id, "b")
    assert agents.deletion_question(agents.footprint(store, one.id)) == (
        "Delete agent 'Solo' and its 1 chat (1 message) and 2 memories? "
        "This cannot be undone.")
    assert "and 1 memory?" in agents.deletion_question(agents.footprint(store, source.id))


def test_delete_removes_the_agent_and_reports_what_went(store: Store) -> None:
    source = _agent(store)
    chat = store.conversations.create(source.id)
    store.messages.add(Message(conversation_id=chat.id, role="user", content="hi"))
    copy = agents.duplicate(store, source.id)
    gone = agents.delete(store, copy.id)
    assert (gone.name, gone.chats, gone.messages) == ("Writer (copy)", 0, 0)
    assert [a.name for a in store.agents.list()] == ["Writer"]
    gone = agents.delete(store, source.id)
    assert (gone.chats, gone.messages) == (1, 1)
    assert store.conversations.list(include_archived=True) == []
    with pytest.raises(NotFoundError):
        agents.delete(store, source.id)


def test_look_ups_by_name_or_id(store: Store) -> None:
    writer = _agent(store)
    other = store.agents.create(AgentSpec(name="42"))            # a name made of digits
    assert agents.get(store, writer.id) == writer
    assert agents.find(store, "WRITER") == writer
    assert agents.find(store, str(writer.id)) == writer
    assert agents.find(store, "42") == other                     # the name wins over the id
    assert agents.find(store, "999") is None
    assert agents.find(store, "nobody") is None
    assert [a.name for a in agents.list_agents(store)] == ["42", "Writer"]
    assert agents.get_many(store, [writer.id, 999, other.id]) == {writer.id: writer,
                                                                  other.id: other}
    with pytest.raises(NotFoundError):
        agents.get(store, 999)


def test_name_taken_ignores_case_and_the_agent_itself(store: Store) -> None:
    writer = _agent(store)
    assert agents.name_taken(store, "writer")
    assert not agents.name_taken(store, "writer", exclude_id=writer.id)
    assert not agents.name_taken(store, "Editor")


def test_save_creates_then_makes_revisions(store: Store) -> None:
    created = agents.save(store, AgentSpec(name="Pal", model="m1"))
    assert created.id is not None and created.revision == 1
    edited = agents.save(store, created.model_copy(update={"model": "m2"}))
    assert (edited.id, edited.revision, edited.model) == (created.id, 2, "m2")
    assert agents.update(store, edited).revision == 2            # nothing changed
    with pytest.raises(DuplicateNameError):
        agents.create(store, AgentSpec(name="PAL"))


def test_history_says_what_each_revision_changed_and_restore_brings_one_back(
        store: Store) -> None:
    first = agents.create(store, AgentSpec(name="Writer", model="m1", temperature=0.2))
    second = agents.update(store, first.model_copy(update={"temperature": 0.9}))
    agents.update(store, second.model_copy(update={"model": "m2", "system_prompt": "Bold."}))
    entries = agents.history(store, first.id)
    assert [(e.revision, e.summary, e.current) for e in entries] == [
        (3, "changed: system prompt, model", True),
        (2, "changed: temperature", False),
        (1, "created", False)]
    restored = agents.restore(store, first.id, 1)
    assert (restored.revision, restored.model, restored.temperature) == (4, "m1", 0.2)
    assert agents.history(store, first.id)[0].summary == \
        "changed: system prompt, model, temperature"
    with pytest.raises(NotFoundError):
        agents.restore(store, first.id, 99)


def test_changed_fields_names_what_differs() -> None:
    old = AgentSpec(name="A", temperature=0.5, tools=["clock"])
    new = old.model_copy(update={"temperature": 0.9, "tools": ["clock", "calculator"]})
    assert agents.changed_fields(old, new) == ["temperature", "tools"]
    assert agents.changed_fields(old, old.model_copy()) == []


def test_recent_agents_rank_by_chat_activity_then_name(store: Store) -> None:
    zed, alpha, mid = (store.agents.create(AgentSpec(name=n)) for n in ("Zed", "alpha", "Mid"))
    assert [a.name for a in agents.recent(store)] == ["alpha", "Mid", "Zed"]   # no chats yet
    older = chats.start(store, mid.id, "older")
    chats.start(store, zed.id, "newest")
    assert [a.name for a in agents.recent(store)] == ["Zed", "Mid", "alpha"]
    assert [a.name for a in agents.recent(store, limit=2)] == ["Zed", "Mid"]
    say(store, older.id, "user", "new activity")
    assert [a.name for a in agents.recent(store)] == ["Mid", "Zed", "alpha"]


def test_change_settings_keeps_every_earlier_change(store: Store) -> None:
    """Each change applies to the agent as stored, so two changes made from two
    copies of the same revision both survive (the model bar's lost update)."""
    source = _agent(store)
    agents.change_settings(store, source.id, {"max_tokens": 64})
    changed = agents.change_settings(store, source.id, {"streaming": False})
    assert (changed.max_tokens, changed.streaming, changed.temperature) == (64, False, 0.3)
    assert changed.revision == source.revision + 2
    assert agents.change_settings(store, source.id, {"streaming": False}).revision \
        == changed.revision                                   # nothing new: no revision
    with pytest.raises(ValueError):
        agents.change_settings(store, source.id, {"temperature": "hot"})
    with pytest.raises(NotFoundError):
        agents.change_settings(store, 999, {"max_tokens": 1})
