"""Compare mode on the REAL llama.cpp server (Gemma 3 270M): two agents — each
on its own server process, since one llama-cpp-python server answers one
request at a time — stream into their columns at once, and the Stop button
stops both. Then a short compare is picked and the chat continues on the
real server. The model is tiny: assert protocol and behaviour, never wording."""

from __future__ import annotations

from app.domain import AgentSpec, Done, Error, ProviderConfig, TextDelta
from app.store import Store
from window_support import REPLY_MS, WAIT_MS, find, open_window, send


def test_two_real_agents_stream_together_stop_stops_both_and_a_pick_goes_on(
        qtbot, bridge, db_path, settings, llama_server, second_llama_server) -> None:
    with Store(db_path) as store:
        for name, server in (("one", llama_server), ("two", second_llama_server)):
            store.providers.create(ProviderConfig(name=name, kind="llamacpp",
                                                  base_url=server.base_url, is_local=True))
            store.agents.create(AgentSpec(name=f"Agent {name}", provider=name,
                                          model=server.model, max_tokens=512,
                                          temperature=0.8,
                                          system_prompt="You tell long stories."))
    window = open_window(qtbot, bridge, settings)
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    window.actions.compare_mode.trigger()
    panel = window.compare.panel
    qtbot.waitUntil(lambda: all(c.agent_combo.count() == 2 for c in panel.columns),
                    timeout=WAIT_MS)
    assert [c.agent_combo.currentText() for c in panel.columns] == ["Agent one", "Agent two"]
    order: list[tuple[int, str]] = []

    def seen(column: int, event: object) -> None:
        if isinstance(event, TextDelta) and event.text:
            order.append((column, "text"))
        elif isinstance(event, (Done, Error)):
            order.append((column, "end"))

    window.compare.session.sig_event.connect(seen)
    panel.edit.setPlainText("Tell me a very long story about a lighthouse keeper.")
    panel.send_button.click()

    def text_in(index: int) -> str:
        widget = panel.columns[index].view.message_widget(1)
        return widget.plain_text() if widget is not None else ""

    # Both columns show text while both still run: they stream together.
    qtbot.waitUntil(lambda: bool(text_in(0).strip() and text_in(1).strip()), timeout=REPLY_MS)
    assert "end" not in {kind for _c, kind in order}
    assert {c for c, kind in order if kind == "text"} == {0, 1}
    find(window, "compareStopButton").click()
    qtbot.waitUntil(lambda: not window.compare.session.running, timeout=WAIT_MS * 4)
    assert [o.status for o in window.compare.session.outcomes] == ["cancelled", "cancelled"]
    assert all("stopped" in c.metrics.text() for c in panel.columns)
    assert all(c.pick_button.isEnabled() for c in panel.columns)

    # Pick the second column's answer and go on chatting on the real server.
    panel.columns[1].pick_button.click()
    qtbot.waitUntil(lambda: find(window, "chatView") is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.current_agent() is not None
                    and window.current_agent().name == "Agent two", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: len(window.chat_view.message_ids()) == 2, timeout=WAIT_MS)
    conversation_id = window.controller.conversation_id
    send(window, "And then?")
    qtbot.waitUntil(lambda: len(window.chat_view.message_ids()) == 4, timeout=WAIT_MS)
    window.controller.stop()            # a long story: the stop keeps what came
    qtbot.waitUntil(lambda: not window.controller.is_running(conversation_id),
                    timeout=REPLY_MS)
    with Store(db_path) as store:
        shown = store.messages.path_all(conversation_id)
    assert [m.role for m in shown] == ["user", "assistant", "user", "assistant"]
    assert shown[1].status == "cancelled" and shown[1].provider == "two"
    assert shown[3].provider == "two"
    window.close()
