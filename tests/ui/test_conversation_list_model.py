"""ConversationListModel: one agent's chats, kept in step by change notices with
row-level changes (never a reset after the first load)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.domain import AgentSpec, Message
from app.ui.conversation_list_model import ConversationListModel

WAIT_MS = 5000


@pytest.fixture
def agents(aio, async_store) -> tuple[AgentSpec, AgentSpec]:
    return aio.run(async_store.run(lambda s: (s.agents.create(AgentSpec(name="A")),
                                              s.agents.create(AgentSpec(name="B")))))


def titles(model: ConversationListModel) -> list[str]:
    return [model.index(row).data() for row in range(model.rowCount())]


class Spy:
    def __init__(self, model: ConversationListModel) -> None:
        self.calls: list[str] = []
        model.modelReset.connect(lambda: self.calls.append("reset"))
        model.rowsInserted.connect(lambda *a: self.calls.append("insert"))
        model.rowsRemoved.connect(lambda *a: self.calls.append("remove"))
        model.rowsMoved.connect(lambda *a: self.calls.append("move"))


def test_changes_touch_only_their_rows(aio, async_store, bridge, agents, qtbot) -> None:
    a, b = agents
    run = lambda work: aio.run(async_store.run(work))  # noqa: E731
    first = run(lambda s: s.conversations.create(a.id, "First"))
    run(lambda s: s.conversations.create(b.id, "Of B"))
    model = ConversationListModel(bridge)
    with qtbot.waitSignal(model.sig_loaded, timeout=WAIT_MS):
        model.set_agent(a.id)
    assert titles(model) == ["First"]
    spy = Spy(model)

    second = run(lambda s: s.conversations.create(a.id, "Second"))
    run(lambda s: s.conversations.create(b.id, "Another of B"))     # not this agent's
    qtbot.waitUntil(lambda: titles(model) == ["Second", "First"], timeout=WAIT_MS)

    run(lambda s: s.messages.add(Message(conversation_id=first.id, role="user", content="x")))
    qtbot.waitUntil(lambda: titles(model) == ["First", "Second"], timeout=WAIT_MS)
    run(lambda s: s.conversations.rename(second.id, "Renamed"))
    qtbot.waitUntil(lambda: titles(model) == ["First", "Renamed"], timeout=WAIT_MS)
    run(lambda s: s.conversations.delete(first.id))
    qtbot.waitUntil(lambda: titles(model) == ["Renamed"], timeout=WAIT_MS)

    assert spy.calls == ["insert", "move", "remove"]               # no reset
    assert model.index(0).data(ConversationListModel.ConversationRole).id == second.id


def test_a_streaming_chat_is_marked(aio, async_store, bridge, agents, qtbot) -> None:
    a, _b = agents
    chat = aio.run(async_store.run(lambda s: s.conversations.create(a.id, "Busy")))
    model = ConversationListModel(bridge)
    with qtbot.waitSignal(model.sig_loaded, timeout=WAIT_MS):
        model.set_agent(a.id)
    index = model.index(0)
    assert index.data(ConversationListModel.RunningRole) is False
    with qtbot.waitSignal(model.dataChanged, timeout=WAIT_MS):
        model.set_running(chat.id, True)
    assert index.data(ConversationListModel.RunningRole) is True
    model.set_running(chat.id, False)
    assert index.data(ConversationListModel.RunningRole) is False


def test_switching_agents_and_deleting_the_agent(aio, async_store, bridge, agents,
                                                 qtbot) -> None:
    a, b = agents
    aio.run(async_store.run(lambda s: s.conversations.create(b.id, "Of B")))
    model = ConversationListModel(bridge)
    with qtbot.waitSignal(model.sig_loaded, timeout=WAIT_MS):
        model.set_agent(a.id)
    assert model.rowCount() == 0
    with qtbot.waitSignal(model.sig_loaded, timeout=WAIT_MS):
        model.set_agent(b.id)
    assert titles(model) == ["Of B"]
    with qtbot.waitSignal(model.sig_loaded, timeout=WAIT_MS):
        aio.run(async_store.run(lambda s: s.agents.delete(b.id)))
    assert model.rowCount() == 0 and model.agent_id is None


def test_a_chat_started_over_the_api_is_marked(aio, async_store, bridge, agents,
                                               qtbot) -> None:
    a, _b = agents
    run = lambda work: aio.run(async_store.run(work))  # noqa: E731
    run(lambda s: s.conversations.create(a.id, "From a script", origin="api"))
    run(lambda s: s.conversations.create(a.id, "Typed here"))
    model = ConversationListModel(bridge)
    with qtbot.waitSignal(model.sig_loaded, timeout=WAIT_MS):
        model.set_agent(a.id)
    assert sorted(titles(model)) == ["From a script  · API", "Typed here"]
    tips = {model.index(row).data(model.ConversationRole).title:
            model.index(row).data(Qt.ItemDataRole.ToolTipRole) for row in range(2)}
    assert "over the local API" in tips["From a script"]
    assert "API" not in tips["Typed here"]
