"""Messages as a tree: the shown branch (path), versions, switching, deleting,
imports with branches, and the v7 backfill of an old-shape database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.domain import AgentSpec, Conversation, Message
from app.store import ChangeNotice, Store
from app.store.codec import time_to_db
from app.store.database import open_database
from app.store.migrations import migrate
from store_helpers import add_message

T0 = time_to_db(datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC))


def contents(messages: list[Message]) -> list[str]:
    return [m.content for m in messages]


def regenerate(store: Store, user: Message, text: str) -> Message:
    """What the runner does for Regenerate: a new reply to the same user message."""
    return store.messages.add(
        Message(conversation_id=user.conversation_id, role="assistant", content=text),
        parent_id=user.id)


def test_appending_builds_one_branch_and_moves_the_leaf(store: Store,
                                                        conversation: Conversation) -> None:
    first = add_message(store, conversation.id, "q1")
    reply = add_message(store, conversation.id, "a1", role="assistant")
    assert first.parent_id is None and reply.parent_id == first.id
    assert store.conversations.get(conversation.id).active_leaf_id == reply.id
    assert contents(store.messages.path(conversation.id)) == ["q1", "a1"]
    assert store.messages.versions(conversation.id, [first, reply]) == {}


def test_regenerate_keeps_the_old_reply_as_another_version(
        store: Store, conversation: Conversation) -> None:
    user = add_message(store, conversation.id, "q")
    one = add_message(store, conversation.id, "v1", role="assistant")
    two = regenerate(store, user, "v2")
    three = regenerate(store, user, "v3")
    assert contents(store.messages.path(conversation.id)) == ["q", "v3"]
    assert len(store.messages.all(conversation.id)) == 4         # nothing deleted
    shown = store.messages.versions(conversation.id, [user, three])
    assert set(shown) == {three.id}
    assert (shown[three.id].index, shown[three.id].count) == (3, 3)

    assert store.messages.switch_version(three.id, -1) == two.id
    assert contents(store.messages.path(conversation.id)) == ["q", "v2"]
    assert store.messages.switch_version(two.id, -1) == one.id
    assert store.messages.switch_version(one.id, -1) is None     # no version before 1
    assert contents(store.messages.path(conversation.id)) == ["q", "v1"]
    version = store.messages.versions(conversation.id, [store.messages.get(one.id)])
    assert (version[one.id].index, version[one.id].count) == (1, 3)
    # The next message goes after the version shown.
    follow = add_message(store, conversation.id, "q2")
    assert follow.parent_id == one.id


def test_editing_a_user_message_keeps_the_old_branch(store: Store,
                                                     conversation: Conversation) -> None:
    add_message(store, conversation.id, "q1")
    a1 = add_message(store, conversation.id, "a1", role="assistant")
    q2 = add_message(store, conversation.id, "q2")
    add_message(store, conversation.id, "a2", role="assistant")
    add_message(store, conversation.id, "q3")
    old_leaf = add_message(store, conversation.id, "a3", role="assistant")

    edited = store.messages.add(Message(conversation_id=conversation.id, role="user",
                                        content="q2 edited"), parent_id=q2.parent_id)
    add_message(store, conversation.id, "a2'", role="assistant")
    assert contents(store.messages.path(conversation.id)) == ["q1", "a1", "q2 edited", "a2'"]
    version = store.messages.versions(conversation.id, [edited])[edited.id]
    assert (version.index, version.count) == (2, 2) and version.ids == (q2.id, edited.id)

    # Back to the first version: the whole old branch, down to its newest leaf.
    assert store.messages.switch_version(edited.id, -1) == q2.id
    assert store.messages.active_leaf(conversation.id) == old_leaf.id
    assert contents(store.messages.path(conversation.id)) == [
        "q1", "a1", "q2", "a2", "q3", "a3"]
    assert a1.id in [m.id for m in store.messages.path(conversation.id)]


def test_editing_the_first_message_makes_a_second_root(store: Store,
                                                       conversation: Conversation) -> None:
    first = add_message(store, conversation.id, "hello")
    add_message(store, conversation.id, "hi", role="assistant")
    again = store.messages.add(Message(conversation_id=conversation.id, role="user",
                                       content="hello again"), parent_id=None)
    assert contents(store.messages.path(conversation.id)) == ["hello again"]
    version = store.messages.versions(conversation.id, [again])[again.id]
    assert (version.index, version.count) == (2, 2)
    store.messages.switch_version(again.id, -1)
    assert contents(store.messages.path(conversation.id)) == ["hello", "hi"]
    assert store.messages.path(conversation.id)[0].id == first.id


def test_path_pages_backwards_along_the_shown_branch(store: Store,
                                                     conversation: Conversation) -> None:
    ids = []
    for i in range(30):
        user = add_message(store, conversation.id, f"q{i}")
        add_message(store, conversation.id, f"a{i} old", role="assistant")
        # Each turn regenerated once: the shown branch holds only the new replies.
        ids += [user.id, regenerate(store, user, f"a{i}").id]
    newest = store.messages.path(conversation.id, limit=20)
    assert [m.id for m in newest] == ids[-20:]
    older = store.messages.path(conversation.id, before_id=newest[0].id, limit=20)
    assert [m.id for m in older] == ids[-40:-20]
    rest = store.messages.path(conversation.id, before_id=older[0].id, limit=100)
    assert [m.id for m in rest] == ids[:-40]
    assert store.messages.path(conversation.id, before_id=rest[0].id) == []
    assert not any("old" in m.content for m in store.messages.path_all(conversation.id))
    # after_id: only what was added after a message (the history cache's question).
    assert [m.id for m in store.messages.path(conversation.id, after_id=ids[-3])] == ids[-2:]


def test_path_of_another_conversation_is_empty(store: Store, agent: AgentSpec,
                                               conversation: Conversation) -> None:
    other = store.conversations.create(agent.id, "Other")
    message = add_message(store, conversation.id, "mine")
    assert store.messages.path(other.id) == []
    assert store.messages.path(other.id, before_id=message.id) == []


def test_show_branch_opens_the_branch_of_a_hidden_message(store: Store,
                                                          conversation: Conversation,
                                                          notices: list[ChangeNotice]) -> None:
    user = add_message(store, conversation.id, "q")
    hidden = add_message(store, conversation.id, "hidden reply", role="assistant")
    later = add_message(store, conversation.id, "more", role="user")
    regenerate(store, user, "shown reply")
    notices.clear()
    assert store.messages.show_branch(hidden.id) == later.id
    assert contents(store.messages.path(conversation.id)) == ["q", "hidden reply", "more"]
    assert [(n.entity, n.op) for n in notices] == [("conversation", "update")]
    notices.clear()
    assert store.messages.show_branch(user.id) == later.id        # on the path already
    assert notices == []


def test_deleting_keeps_the_branch_connected(store: Store,
                                             conversation: Conversation) -> None:
    q = add_message(store, conversation.id, "q")
    a = add_message(store, conversation.id, "a", role="assistant")
    tail = add_message(store, conversation.id, "q2")
    store.messages.delete(a.id)
    assert store.messages.get(tail.id).parent_id == q.id
    assert contents(store.messages.path(conversation.id)) == ["q", "q2"]
    store.messages.delete(tail.id)                                # the leaf
    assert store.messages.active_leaf(conversation.id) == q.id
    assert contents(store.messages.path(conversation.id)) == ["q"]


def test_import_writes_branches_and_the_shown_leaf(store: Store, agent: AgentSpec) -> None:
    messages = [Message(conversation_id=0, role=role, content=text)
                for role, text in (("user", "q"), ("assistant", "old"),
                                   ("assistant", "new"), ("user", "next"))]
    cid = store.imports.add_conversation(
        Conversation(agent_id=agent.id, title="Imported"), messages, fingerprint="f",
        parents=[None, 0, 0, 1], active_leaf=3)
    assert contents(store.messages.path(cid)) == ["q", "old", "next"]
    stored = store.messages.all(cid)
    assert [m.parent_id for m in stored] == [None, stored[0].id, stored[0].id, stored[1].id]
    # AUTOINCREMENT carries on after the ids the import chose.
    assert add_message(store, cid, "after").id == stored[-1].id + 1
    with pytest.raises(ValueError):
        store.imports.add_conversation(Conversation(agent_id=agent.id), messages,
                                       fingerprint="g", parents=[None, 2, 0, 1])


def write_v6_database(path: Path) -> None:
    """A database as AgentDesk left it before versions (schema 6): two
    conversations whose messages interleave."""
    db = open_database(path)
    assert migrate(db, target=6) == 6
    sql = db.execute_sql
    sql("INSERT INTO agents(id, name, created_at, updated_at) VALUES (1, 'A', ?, ?)",
        (T0, T0))
    for cid in (1, 2, 3):
        sql("INSERT INTO conversations(id, agent_id, title, created_at, updated_at) "
            "VALUES (?, 1, ?, ?, ?)", (cid, f"c{cid}", T0, T0))
    for mid, cid, role in ((1, 1, "user"), (2, 2, "user"), (3, 1, "assistant"),
                           (4, 2, "assistant"), (5, 1, "user"), (6, 1, "assistant")):
        sql("INSERT INTO messages(id, conversation_id, role, content, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?)", (mid, cid, role, f"m{mid}", T0, T0))
    db.close()


def test_upgrade_backfills_one_branch_per_conversation(tmp_path: Path) -> None:
    path = tmp_path / "v6" / "agentdesk.db"
    write_v6_database(path)
    with Store(path) as store:
        assert [m.parent_id for m in store.messages.all(1)] == [None, 1, 3, 5]
        assert [m.parent_id for m in store.messages.all(2)] == [None, 2]
        assert [store.conversations.get(c).active_leaf_id for c in (1, 2, 3)] == [6, 4, None]
        assert contents(store.messages.path(1)) == ["m1", "m3", "m5", "m6"]
        assert store.messages.path(3) == []
        # A regenerate on the upgraded chat works like on a new one.
        user = store.messages.get(5)
        regenerate(store, user, "m6 again")
        assert contents(store.messages.path(1)) == ["m1", "m3", "m5", "m6 again"]
