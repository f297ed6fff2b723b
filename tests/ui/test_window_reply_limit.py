"""A hostile server's 50 MB reply through the real window, with a small
configured size bound: the reply stops at the bound, the bubble keeps the
text that arrived and shows the limit's message (plain text) in its error
bar, the message is stored partial — and the next message in the same chat
is answered as usual."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from window_support import REPLY_MS, WAIT_MS, open_window, send

from app.domain import AgentSpec, ProviderConfig
from app.store import Store
from tests.providers.fault_server import FaultServer, json_reply, text_stream
from tests.providers.hostile_handlers import MB, Sent, openai_flood

LIMIT = 8 * 1024


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as created:
        yield created


def test_a_reply_past_the_size_limit_is_kept_partial_and_says_why(
        qtbot, bridge, db_path, settings, server) -> None:
    settings.limits.reply_bytes = LIMIT
    sent = Sent()
    server.route("GET", "/v1/models", json_reply(
        {"object": "list", "data": [{"id": "hostile", "object": "model"}]}))
    server.route("POST", "/v1/chat/completions", openai_flood(sent, 50 * MB, piece=1024),
                 text_stream(["Back ", "to normal."]))
    with Store(db_path) as store:
        store.providers.create(ProviderConfig(name="remote", kind="llamacpp",
                                              base_url=f"{server.url}/v1", is_local=True))
        store.agents.create(AgentSpec(name="Target", provider="remote", model="hostile"))

    window = open_window(qtbot, bridge, settings)
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    view = window.chat_view

    send(window, "Tell me everything")
    qtbot.waitUntil(lambda: window.controller.conversation_id is not None, timeout=WAIT_MS)
    conversation_id = window.controller.conversation_id
    qtbot.waitUntil(lambda: conversation_id in window.controller.sessions, timeout=WAIT_MS)
    session = window.controller.sessions[conversation_id]
    qtbot.waitUntil(lambda: not session.running, timeout=REPLY_MS)

    def assistant_widgets():
        view.flush()
        return [w for w in (view.message_widget(i) for i in view.message_ids())
                if w is not None and w.role == "assistant"]

    qtbot.waitUntil(lambda: any(w.error_bar is not None and w.error_bar.isVisible()
                                for w in assistant_widgets()), timeout=WAIT_MS)
    hostile = assistant_widgets()[0]
    shown = hostile.error_bar.label.text()
    assert "8 KB" in shown and "limits.reply_bytes" in shown and "kept" in shown
    assert hostile.markdown() == "x" * LIMIT
    assert not sent.finished

    send(window, "Briefly, please")
    qtbot.waitUntil(lambda: len(assistant_widgets()) == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not session.running
                    and assistant_widgets()[1].markdown() == "Back to normal.",
                    timeout=REPLY_MS)

    with Store(db_path) as store:
        stored = [m for m in store.messages.all(conversation_id) if m.role == "assistant"]
    assert [m.status for m in stored] == ["partial", "complete"]
    assert stored[0].content == "x" * LIMIT and "limits.reply_bytes" in stored[0].error
