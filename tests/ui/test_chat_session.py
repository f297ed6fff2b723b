"""ChatSession: one conversation's turns as Qt signals (scripted providers)."""

from __future__ import annotations

import asyncio

import pytest

from app.domain import AgentSpec, Done, Message, ProviderConfig, TextDelta
from app.services.chat_session import (
    ChatSession,
    ReplyFinished,
    ReplyStarted,
    UserMessageRecorded,
)
from tests.support.scripted_providers import ScriptedProvider, answer, source

WAIT_MS = 5000
CONFIG = ProviderConfig(name="scripted", kind="llamacpp", base_url="http://scripted.invalid/v1")


@pytest.fixture
def agent(aio, async_store) -> AgentSpec:
    def seed(store):
        store.providers.create(CONFIG)
        return store.agents.create(AgentSpec(name="Echo", provider="scripted", model="m1"))
    return aio.run(async_store.run(seed))


def conversation(aio, async_store, agent: AgentSpec) -> int:
    return aio.run(async_store.run(lambda s: s.conversations.create(agent.id, "Chat"))).id


def make(bridge, settings, conversation_id: int, agent: AgentSpec, script) -> tuple[
        ChatSession, list[object], ScriptedProvider]:
    provider = ScriptedProvider(CONFIG, script)
    session = ChatSession(bridge, settings, conversation_id, agent.id,
                          providers=source({"scripted": provider}))
    events: list[object] = []
    session.sig_event.connect(events.append)
    return session, events, provider


def stored(aio, async_store, conversation_id: int) -> list[Message]:
    return aio.run(async_store.run(lambda s: s.messages.all(conversation_id)))


def test_a_turn_reports_each_step_in_order(aio, async_store, bridge, settings, agent,
                                           qtbot) -> None:
    cid = conversation(aio, async_store, agent)
    session, events, provider = make(bridge, settings, cid, agent, answer("Hel", "lo"))
    finished: list[str] = []
    session.sig_finished.connect(finished.append)
    with qtbot.waitSignal(session.sig_started, timeout=WAIT_MS):
        task = session.send("Hi")
    assert session.running and session.send("again") is None      # one turn at a time
    qtbot.waitUntil(lambda: finished == ["done"], timeout=WAIT_MS)
    assert task.result() == "done" and not session.running

    kinds = [type(e).__name__ for e in events]
    assert kinds == ["UserMessageRecorded", "ReplyStarted", "Attempt", "TextDelta",
                     "TextDelta", "ReplyFinished", "Done"]
    user, reply = stored(aio, async_store, cid)
    assert events[0].message.id == user.id and user.content == "Hi"
    assert isinstance(events[1], ReplyStarted) and events[1].message_id == reply.id
    assert isinstance(events[5], ReplyFinished) and events[5].message.content == "Hello"
    assert reply.status == "complete" and reply.content == "Hello"
    assert provider.requests[0].messages[-1].content == "Hi"
    assert session.live_reply() is None


def test_stop_keeps_the_partial_reply(aio, async_store, bridge, settings, agent,
                                      qtbot) -> None:
    cid = conversation(aio, async_store, agent)
    session, events, _provider = make(bridge, settings, cid, agent,
                                      [TextDelta(text="half a "), 30, TextDelta(text="no"),
                                       Done()])
    session.send("Go")
    qtbot.waitUntil(lambda: any(isinstance(e, TextDelta) for e in events), timeout=WAIT_MS)
    live = session.live_reply()
    assert live is not None and live.text == "half a "
    with qtbot.waitSignal(session.sig_finished, timeout=WAIT_MS) as finished:
        assert session.stop()
    assert finished.args == ["cancelled"] and not session.stop()
    reply = stored(aio, async_store, cid)[-1]
    assert (reply.status, reply.content) == ("cancelled", "half a ")
    assert [e for e in events if isinstance(e, ReplyFinished)][0].message.status == "cancelled"


def test_two_sessions_stream_at_the_same_time(aio, async_store, bridge, settings, agent,
                                              qtbot) -> None:
    first = conversation(aio, async_store, agent)
    second = conversation(aio, async_store, agent)
    gate = asyncio.Event()
    script = [TextDelta(text="a"), lambda _request: gate.wait(), TextDelta(text="b"), Done()]
    one, _e1, _p1 = make(bridge, settings, first, agent, script)
    two, _e2, _p2 = make(bridge, settings, second, agent, script)
    one.send("first")
    two.send("second")
    qtbot.waitUntil(lambda: one.live_reply() is not None and two.live_reply() is not None
                    and one.live_reply().text == "a" and two.live_reply().text == "a",
                    timeout=WAIT_MS)
    assert one.running and two.running
    gate.set()
    qtbot.waitUntil(lambda: not one.running and not two.running, timeout=WAIT_MS)
    for cid in (first, second):
        assert [m.content for m in stored(aio, async_store, cid)][-1] == "ab"


def test_regenerate_and_edit_keep_the_earlier_versions(aio, async_store, bridge, settings,
                                                      agent, qtbot) -> None:
    cid = conversation(aio, async_store, agent)
    session, events, provider = make(bridge, settings, cid, agent, answer("ok"))
    session.send("one")
    qtbot.waitUntil(lambda: session.last_status == "done", timeout=WAIT_MS)
    session.send("two")
    qtbot.waitUntil(lambda: len(stored(aio, async_store, cid)) == 4 and not session.running,
                    timeout=WAIT_MS)
    first_user, first_reply, second_user, second_reply = stored(aio, async_store, cid)
    generation = session.generation

    events.clear()
    session.regenerate(second_user.id)
    qtbot.waitUntil(lambda: not session.running and session.last_status == "done",
                    timeout=WAIT_MS)
    kinds = [type(e).__name__ for e in events]
    # The view is told to redraw before the new reply starts; no user message is sent.
    assert kinds[:2] == ["HistoryRewritten", "ReplyStarted"]
    assert "UserMessageRecorded" not in kinds and session.generation > generation
    regenerated = stored(aio, async_store, cid)[-1]
    assert regenerated.parent_id == second_user.id and regenerated.id != second_reply.id

    events.clear()
    session.edit(second_user.id, "two, edited")
    qtbot.waitUntil(lambda: not session.running and session.last_status == "done",
                    timeout=WAIT_MS)
    assert [type(e).__name__ for e in events][:2] == ["HistoryRewritten",
                                                      "UserMessageRecorded"]
    everything = stored(aio, async_store, cid)
    assert len(everything) == 7                           # every version is kept
    shown = aio.run(async_store.run(lambda s: s.messages.path_all(cid)))
    assert [m.content for m in shown] == ["one", "ok", "two, edited", "ok"]
    assert shown[2].parent_id == first_reply.id
    # The request after the edit does not carry the earlier version.
    assert [m.content for m in provider.requests[-1].messages if m.role == "user"] == [
        "one", "two, edited"]
    assert session.regenerate(first_reply.id) is not None   # not a user message:
    qtbot.waitUntil(lambda: not session.running, timeout=WAIT_MS)
    assert len(stored(aio, async_store, cid)) == 7          # nothing was written


def test_user_message_event_carries_the_stored_message(aio, async_store, bridge, settings,
                                                       agent, qtbot) -> None:
    cid = conversation(aio, async_store, agent)
    session, events, _provider = make(bridge, settings, cid, agent, answer("x"))
    session.send("a\n\nmultiline  message ")
    qtbot.waitUntil(lambda: not session.running and session.last_status == "done",
                    timeout=WAIT_MS)
    recorded = [e for e in events if isinstance(e, UserMessageRecorded)][0].message
    assert recorded.content == "a\n\nmultiline  message "
    assert recorded.id == stored(aio, async_store, cid)[0].id
