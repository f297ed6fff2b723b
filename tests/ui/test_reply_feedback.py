"""Feedback while a reply is on its way, in the real window (scripted provider,
gated by events so every state is seen in order): "thinking…", the engine's
"loading model…" / "waiting for the engine…", the duration from the reply's
start, "stopped at the token limit" — live, after switching chats and after
a reload — and the model badge drawn the same live and reloaded."""

from __future__ import annotations

import asyncio
import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from window_support import WAIT_MS, open_window, send

from app.core.starters import GENERIC, starter_prompts
from app.domain import AgentSpec, Done, ProviderConfig, Status, TextDelta, Usage
from app.domain.events import STATE_TEXTS, TOKEN_LIMIT_NOTE
from app.store import Store
from tests.support.scripted_providers import ScriptedProvider, source
from tests.ui.chat_support import settle_layout

CONFIG = ProviderConfig(name="scripted", kind="llamacpp", base_url="http://scripted.invalid/v1",
                        is_local=True)


def seed(db_path) -> tuple[AgentSpec, int]:
    """The agent and another chat of it (to switch to and back)."""
    with Store(db_path) as store:
        store.providers.create(CONFIG)
        agent = store.agents.create(AgentSpec(name="Helper", provider="scripted",
                                              model="m1", max_tokens=8))
        other = store.conversations.create(agent.id, "Another chat")
    return agent, other.id


def gate() -> tuple[asyncio.Event, object]:
    """An event and a script step that waits for it."""
    event = asyncio.Event()
    return event, lambda _request: event.wait()


def state_text(window, message_id: int) -> str | None:
    widget = window.chat_view.message_widget(message_id)
    if widget is None or widget.state_label is None or widget.state_label.isHidden():
        return None
    return widget.state_label.text()


def live_id(window) -> int | None:
    found = window.controller.current_session()
    reply = found.live_reply() if found is not None else None
    return reply.message_id if reply is not None else None


def switch_away_and_back(qtbot, window, other_id: int) -> None:
    chat_id = window.controller.conversation_id
    window.conversation_list.select(other_id)
    qtbot.waitUntil(lambda: window.controller.conversation_id == other_id
                    and not window.controller.loading, timeout=WAIT_MS)
    window.conversation_list.select(chat_id)
    qtbot.waitUntil(lambda: window.controller.conversation_id == chat_id
                    and not window.controller.loading, timeout=WAIT_MS)


def answered_once(qtbot, bridge, settings, provider, text: str):
    """A window over ``provider``; ``text`` sent and answered. (window, reply id)"""
    window = open_window(qtbot, bridge, settings, providers=source({"scripted": provider}))
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    send(window, text)
    qtbot.waitUntil(lambda: window.controller.current_session() is not None
                    and window.controller.current_session().last_status == "done",
                    timeout=WAIT_MS)
    return window, window.chat_view.message_ids()[-1]


def footer_seconds(text: str) -> float:
    match = re.search(r"(\d+\.\d) s\b", text)
    assert match, text
    return float(match.group(1))


def test_waiting_states_show_in_order_and_survive_switching(qtbot, bridge, db_path,
                                                            settings) -> None:
    _agent, other_id = seed(db_path)
    gates = [gate() for _ in range(4)]
    script = [gates[0][1], Status(state="loading_model"), gates[1][1],
              Status(state="generating"), gates[2][1], Status(state="waiting_engine"),
              gates[3][1], TextDelta(text="Hello there."), Done()]
    provider = ScriptedProvider(CONFIG, script)
    window = open_window(qtbot, bridge, settings, providers=source({"scripted": provider}))
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    send(window, "hi")

    seen: list[str] = []
    expected = [STATE_TEXTS["generating"], STATE_TEXTS["loading_model"],
                STATE_TEXTS["generating"], STATE_TEXTS["waiting_engine"]]
    for step, text in enumerate(expected):
        qtbot.waitUntil(lambda t=text: live_id(window) is not None
                        and state_text(window, live_id(window)) == t, timeout=WAIT_MS)
        seen.append(state_text(window, live_id(window)))
        if step == 1:        # loading: another chat and back shows the same state
            switch_away_and_back(qtbot, window, other_id)
            assert state_text(window, live_id(window)) == STATE_TEXTS["loading_model"]
        gates[step][0].set()
    assert seen == ["thinking…", "loading model…", "thinking…",
                    "waiting for the engine (another chat is using it)"]
    reply_id = live_id(window)
    gates[3][0].set()
    qtbot.waitUntil(lambda: not window.controller.current_session().running, timeout=WAIT_MS)
    widget = window.chat_view.message_widget(reply_id)
    assert state_text(window, reply_id) is None            # gone with the first token
    assert widget.markdown() == "Hello there."


def test_duration_counts_from_the_reply_start_across_chat_switches(qtbot, bridge, db_path,
                                                                   settings) -> None:
    _agent, other_id = seed(db_path)
    (middle, wait_middle), (end, wait_end) = gate(), gate()
    provider = ScriptedProvider(CONFIG, [TextDelta(text="Part one. "), wait_middle, 0.8,
                                         TextDelta(text="Part two."), wait_end,
                                         Usage(completion_tokens=4), Done()])
    window = open_window(qtbot, bridge, settings, providers=source({"scripted": provider}))
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    send(window, "tell me")
    qtbot.waitUntil(lambda: live_id(window) is not None, timeout=WAIT_MS)
    reply_id = live_id(window)
    middle.set()
    qtbot.wait(900)                              # the reply runs on, 0.8 s of it scripted
    switch_away_and_back(qtbot, window, other_id)  # the view draws the reply anew here
    end.set()
    qtbot.waitUntil(lambda: not window.controller.current_session().running, timeout=WAIT_MS)
    live_footer = window.chat_view.message_widget(reply_id).footer.text()

    with Store(db_path) as store:
        stored = store.messages.get(reply_id)
    recorded = stored.meta["duration_ms"] / 1000
    assert recorded >= 0.8                       # at least the scripted pause
    assert footer_seconds(live_footer) == round(recorded, 1)   # from the start, not the return
    switch_away_and_back(qtbot, window, other_id)
    reloaded = window.chat_view.message_widget(reply_id).footer.text()
    assert reloaded == live_footer               # the same after a reload


def test_a_reply_cut_at_max_tokens_says_so_live_and_after_reload(qtbot, bridge, db_path,
                                                                 settings) -> None:
    _agent, other_id = seed(db_path)
    provider = ScriptedProvider(CONFIG, [TextDelta(text="A long answer that"),
                                         Usage(completion_tokens=8),
                                         Done(stop_reason="length")])
    window, reply_id = answered_once(qtbot, bridge, settings, provider, "go on")
    assert TOKEN_LIMIT_NOTE in window.chat_view.message_widget(reply_id).footer.text()

    switch_away_and_back(qtbot, window, other_id)
    footer = window.chat_view.message_widget(reply_id).footer
    assert footer.isVisibleTo(window) and TOKEN_LIMIT_NOTE in footer.text()
    with Store(db_path) as store:
        assert store.messages.get(reply_id).meta["stop_reason"] == "length"


def test_the_model_badge_is_the_same_live_and_reloaded(qtbot, bridge, db_path,
                                                       settings) -> None:
    _agent, other_id = seed(db_path)
    provider = ScriptedProvider(CONFIG, [TextDelta(text="Same badge."), Done()])
    window, reply_id = answered_once(qtbot, bridge, settings, provider, "hi")

    def badge_facts() -> tuple:
        settle_layout(window.chat_view)
        badge = window.chat_view.message_widget(reply_id).model_badge
        QApplication.processEvents()
        image = badge.grab().toImage()
        pixels = [image.pixelColor(x, y).name() for y in range(image.height())
                  for x in range(image.width())]
        return (badge.text(), badge.toolTip(), badge.isVisibleTo(window), badge.size(),
                badge.contentsMargins(), badge.indent(), pixels)

    live = badge_facts()
    switch_away_and_back(qtbot, window, other_id)
    reloaded = badge_facts()
    assert live[0] == "m1" and live[2]
    assert reloaded[:-1] == live[:-1]
    assert reloaded[-1] == live[-1]               # the same outline, pixel for pixel


def test_an_empty_chat_greets_and_a_starter_fills_the_composer(qtbot, bridge, db_path,
                                                               settings) -> None:
    with Store(db_path) as store:
        store.providers.create(CONFIG)
        plain = store.agents.create(AgentSpec(name="Plain", provider="scripted", model="m2"))
        coder = store.agents.create(AgentSpec(name="Coder", provider="scripted", model="m1",
                                              system_prompt="You help with Python code."))
    provider = ScriptedProvider(CONFIG, [TextDelta(text="Sure."), Done()])
    window = open_window(qtbot, bridge, settings, providers=source({"scripted": provider}))
    view = window.chat_view
    window.select_agent(plain.id)
    qtbot.waitUntil(lambda: view.greeting() is not None
                    and view.greeting().title.text() == "Chat with Plain", timeout=WAIT_MS)
    greeting = view.greeting()
    assert "m2" in greeting.model.text()
    assert greeting.starters() == list(GENERIC)                 # no system prompt: generic
    assert all(b.isVisibleTo(window) for b in greeting.buttons)

    window.select_agent(coder.id)
    qtbot.waitUntil(lambda: view.greeting() is not None
                    and view.greeting().title.text() == "Chat with Coder", timeout=WAIT_MS)
    greeting = view.greeting()
    assert "m1" in greeting.model.text()
    assert greeting.starters() == starter_prompts(coder) != list(GENERIC)  # coding starters
    choice = greeting.buttons[0]
    qtbot.mouseClick(choice, Qt.MouseButton.LeftButton)
    assert window.composer.text() == choice.text()
    assert QApplication.focusWidget() is window.composer.edit

    window.composer.submit()                     # sent: the greeting gives way to the chat
    qtbot.waitUntil(lambda: len(view.message_ids()) == 2, timeout=WAIT_MS)
    assert view.greeting() is None
    qtbot.waitUntil(lambda: not window.controller.current_session().running, timeout=WAIT_MS)
    window.new_chat_button.click()               # a new chat greets again
    qtbot.waitUntil(lambda: view.greeting() is not None, timeout=WAIT_MS)
    assert view.message_ids() == [] and view.greeting().title.text() == "Chat with Coder"
