"""The parts that follow writes made elsewhere, one at a time: the lists apply
an ``external`` notice as row changes, a session refuses to write into a
deleted chat and hands the text back, the chat follower tells the two apart."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app.domain import AgentSpec, Message, ProviderConfig
from app.services.chat_session import ChatSession, MessageNotSent
from app.store import EXTERNAL, ChangeNotice, Store
from app.ui.agent_list_model import AgentListModel
from app.ui.chat import ChatView
from app.ui.chat_controller import ChatController
from app.ui.chat_follow import CHAT_GONE_TEXT, NOT_SENT_TEXT
from app.ui.composer import Composer
from app.ui.conversation_list_model import ConversationListModel
from tests.support.scripted_providers import ScriptedProvider, answer, source

WAIT_MS = 5000
CONFIG = ProviderConfig(name="scripted", kind="llamacpp", base_url="http://scripted.invalid/v1")


@pytest.fixture
def agent(db_path: Path, async_store) -> AgentSpec:   # async_store: the schema exists
    with Store(db_path) as store:
        store.providers.create(CONFIG)
        return store.agents.create(AgentSpec(name="Echo", provider="scripted", model="m1"))


def external(bridge) -> None:
    """What the watch emits when another process committed."""
    bridge.sig_changed.emit(ChangeNotice(EXTERNAL, "update", ()))


def test_agent_list_applies_external_changes_as_row_changes(bridge, qtbot, db_path,
                                                            agent) -> None:
    model = AgentListModel(bridge)
    with qtbot.waitSignal(model.sig_loaded, timeout=WAIT_MS):
        model.reload()
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    with Store(db_path) as other:
        other.agents.create(AgentSpec(name="Added"))
        other.agents.update(agent.model_copy(update={"name": "Zed"}))
    external(bridge)
    qtbot.waitUntil(lambda: [a.name for a in model.agents()] == ["Added", "Zed"],
                    timeout=WAIT_MS)
    with Store(db_path) as other:
        other.agents.delete(agent.id)
    external(bridge)
    qtbot.waitUntil(lambda: [a.name for a in model.agents()] == ["Added"], timeout=WAIT_MS)
    assert resets == []                 # never a reset: the selection survives


def test_conversation_list_announces_rows_removed_elsewhere(bridge, qtbot, db_path,
                                                            agent) -> None:
    with Store(db_path) as store:
        kept, doomed = (store.conversations.create(agent.id, t).id for t in ("kept", "doomed"))
    model = ConversationListModel(bridge)
    with qtbot.waitSignal(model.sig_loaded, timeout=WAIT_MS):
        model.set_agent(agent.id)
    announced: list[tuple[list[int], bool]] = []
    model.sig_removed_elsewhere.connect(
        lambda ids: announced.append((ids, model.row_of(doomed) is not None)))
    with Store(db_path) as other:
        other.conversations.delete(doomed)
        added = other.conversations.create(agent.id, "added").id
    with qtbot.waitSignal(model.sig_synced, timeout=WAIT_MS):
        external(bridge)
    assert announced == [([doomed], True)]        # said before the row went
    assert [c.id for c in model.conversations()] == [added, kept]


def test_a_message_into_a_deleted_chat_is_handed_back(aio, bridge, settings, qtbot, db_path,
                                                      agent, caplog) -> None:
    caplog.set_level(logging.INFO, logger="app")
    with Store(db_path) as store:
        cid = store.conversations.create(agent.id, "soon gone").id
    session = ChatSession(bridge, settings, cid, agent.id,
                          providers=source({"scripted": ScriptedProvider(CONFIG, answer("x"))}))
    events: list[object] = []
    session.sig_event.connect(events.append)
    with Store(db_path) as other:
        other.conversations.delete(cid)
    task = session.send("keep me")
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    assert task.result() == "not sent"
    assert events == [MessageNotSent(cid, "keep me", "conversation")]
    with Store(db_path) as store:
        assert store.messages.count(cid) == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "IntegrityError" not in caplog.text


def controller_for(bridge, settings, qtbot) -> ChatController:
    view, composer = ChatView(), Composer()
    for widget in (view, composer):
        qtbot.addWidget(widget)
    return ChatController(bridge, settings, view, composer, providers=source(
        {"scripted": ScriptedProvider(CONFIG, answer("reply"))}))


def test_controller_gives_the_text_back_and_leaves_the_deleted_chat(
        bridge, settings, qtbot, db_path, agent) -> None:
    with Store(db_path) as store:
        cid = store.conversations.create(agent.id, "soon gone").id
    controller = controller_for(bridge, settings, qtbot)
    gone: list[tuple[int, str]] = []
    controller.sig_conversation_gone.connect(lambda c, text: gone.append((c, text)))
    controller.show_conversation(cid, agent.id)
    qtbot.waitUntil(lambda: controller.shown_stamp is not None, timeout=WAIT_MS)
    with Store(db_path) as other:
        other.conversations.delete(cid)
    controller.composer.set_text("first line")
    controller.composer.submit()
    controller.composer.set_text("typed meanwhile")   # before the answer comes back
    qtbot.waitUntil(lambda: bool(gone), timeout=WAIT_MS)
    assert gone == [(cid, CHAT_GONE_TEXT)]
    assert controller.composer.text() == "first line\ntyped meanwhile"
    assert controller.conversation_id is None and cid not in controller.sessions


def test_controller_gives_the_text_back_when_the_agent_is_gone(
        bridge, settings, qtbot, db_path, agent) -> None:
    controller = controller_for(bridge, settings, qtbot)
    gone: list[tuple[int, str]] = []
    controller.sig_conversation_gone.connect(lambda c, text: gone.append((c, text)))
    controller.show_conversation(None, agent.id)
    with Store(db_path) as other:
        other.agents.delete(agent.id)
    controller.composer.set_text("for a new chat")
    controller.composer.submit()
    qtbot.waitUntil(lambda: bool(gone), timeout=WAIT_MS)
    assert gone == [(0, NOT_SENT_TEXT["agent"])]
    assert controller.composer.text() == "for a new chat"


def test_follower_redraws_only_when_the_shown_chat_changed(bridge, settings, qtbot, db_path,
                                                           agent) -> None:
    with Store(db_path) as store:
        cid = store.conversations.create(agent.id, "followed").id
        store.messages.add(Message(conversation_id=cid, role="user", content="one"))
    controller = controller_for(bridge, settings, qtbot)
    controller.show_conversation(cid, agent.id)
    qtbot.waitUntil(lambda: len(controller.view.message_ids()) == 1, timeout=WAIT_MS)
    loads = controller.load_count
    with Store(db_path) as other:
        other.agents.create(AgentSpec(name="unrelated"))
    checks = controller.follower.checks
    external(bridge)
    qtbot.waitUntil(lambda: controller.follower.checks > checks, timeout=WAIT_MS)
    assert controller.load_count == loads                 # nothing of this chat changed
    with Store(db_path) as other:
        other.messages.add(Message(conversation_id=cid, role="assistant", content="two"))
    external(bridge)
    qtbot.waitUntil(lambda: len(controller.view.message_ids()) == 2, timeout=WAIT_MS)
    assert controller.load_count == loads + 1
