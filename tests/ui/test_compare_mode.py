"""Compare mode in the window, as a person uses it in one session (issue 19):
enter compare mode, compare two agents (a failing column and Stop first, then a
good run), pick one, continue chatting with it, leave compare mode, enter it
again, close and reopen the window. Scripted providers give exact control;
tests/core/test_compare_llama.py streams two columns from the real server."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtGui import QPalette

from app.domain import AgentSpec, ProviderConfig, TextDelta, Usage
from app.store import Store
from app.ui.theme import theme_manager
from tests.support.runner_helpers import RoundsProvider
from tests.support.scripted_providers import answer, refused, source
from window_support import WAIT_MS, agentdesk, find, open_window, send

ONE = ProviderConfig(name="one", kind="llamacpp", base_url="http://one.invalid/v1")
TWO = ProviderConfig(name="two", kind="llamacpp", base_url="http://two.invalid/v1")


@pytest.fixture
def providers(db_path) -> dict[str, RoundsProvider]:
    with Store(db_path) as store:
        store.providers.create(ONE)
        store.providers.create(TWO)
        store.agents.create(AgentSpec(name="Alpha", provider="one", model="a1"))
        store.agents.create(AgentSpec(name="Beta", provider="two", model="b1",
                                      system_prompt="You are Beta."))
    blocked = asyncio.Event()          # never set: the column waits until stopped
    return {
        "one": RoundsProvider(ONE, [
            [TextDelta(text="Alpha started"), lambda _r: blocked.wait()],
            [TextDelta(text="Alpha says **hi**"), 0.05, TextDelta(text=" twice."), 0.05,
             TextDelta(text=" Done."), *answer()],
        ]),
        "two": RoundsProvider(TWO, [
            refused("server", retryable=False),
            [0.02, TextDelta(text="Beta answers"), 0.05, TextDelta(text=" well."),
             *answer(usage=Usage(completion_tokens=7, ttft_ms=12.0, tokens_per_s=70.0))],
            answer("Continued by Beta."),
        ]),
    }


def column_text(window, index: int) -> str:
    widget = window.compare.panel.columns[index].view.message_widget(1)
    return widget.plain_text() if widget is not None else ""


def enter(qtbot, window, how, agents: int = 2) -> None:
    how()
    qtbot.waitUntil(lambda: find(window, "comparePanel") is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: all(c.agent_combo.count() == agents
                                for c in window.compare.panel.columns), timeout=WAIT_MS)
    assert find(window, "composer") is None and find(window, "chatView") is None


def compare(qtbot, window, text: str) -> None:
    panel = window.compare.panel
    panel.edit.setPlainText(text)
    panel.send_button.click()
    qtbot.waitUntil(lambda: window.compare.session.running, timeout=WAIT_MS)


def test_compare_pick_continue_leave_and_enter_again(qtbot, bridge, db_path, settings,
                                                     providers) -> None:
    window = open_window(qtbot, bridge, settings, providers=source(providers))
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    enter(qtbot, window, find(window, "compareModeButton").click)
    panel = window.compare.panel
    assert [c.agent_combo.currentText() for c in panel.columns] == ["Alpha", "Beta"]
    assert window.actions.compare_mode.isChecked()

    # 1. Beta fails at once, Alpha streams and waits: Alpha goes on; Stop stops it.
    compare(qtbot, window, "First question")
    qtbot.waitUntil(lambda: "Alpha started" in column_text(window, 0), timeout=WAIT_MS)
    beta_widget = panel.columns[1].view.message_widget(1)
    qtbot.waitUntil(lambda: beta_widget.error_bar is not None, timeout=WAIT_MS)
    assert "scripted server" in beta_widget.error_bar.label.text()
    assert not beta_widget.error_bar.retry_button.isVisible()
    assert window.compare.session.running           # the failure did not end Alpha
    assert panel.stop_button.isEnabled() and not panel.send_button.isEnabled()
    panel.stop_button.click()
    qtbot.waitUntil(lambda: not window.compare.session.running, timeout=WAIT_MS)
    assert [o.status for o in window.compare.session.outcomes] == ["cancelled", "error"]
    assert "stopped" in panel.columns[0].metrics.text()
    assert "failed" in panel.columns[1].metrics.text()
    assert panel.columns[0].pick_button.isEnabled()
    assert not panel.columns[1].pick_button.isEnabled()    # nothing to continue with
    assert "1 of 2 columns failed" in panel.status.text()

    # 2. Both answer, streaming into their columns, with their metrics.
    compare(qtbot, window, "Which is best?")
    qtbot.waitUntil(lambda: not window.compare.session.running, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: column_text(window, 1) == "Beta answers well.", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: column_text(window, 0) == "Alpha says hi twice. Done.",
                    timeout=WAIT_MS)
    assert panel.columns[0].view.message_widget(1).markdown() == \
        "Alpha says **hi** twice. Done."               # rendered as Markdown
    assert panel.columns[1].metrics.text().startswith(
        "7 tokens · 70.0 tok/s · first token 12 ms")
    alpha_metrics = panel.columns[0].metrics.text()
    assert "3 tokens" in alpha_metrics and "tok/s" in alpha_metrics \
        and "first token" in alpha_metrics
    assert all(c.pick_button.isEnabled() for c in panel.columns)
    assert [m.content for m in providers["two"].requests[-1].messages] == [
        "You are Beta.", "Which is best?"]

    # Dark and back: the columns' answers follow the theme (their chat views' palettes).
    def column_is_dark() -> bool:
        view = panel.columns[1].view
        return view.palette().color(QPalette.ColorRole.Base).lightness() < 128

    for theme, dark in (("dark", True), ("light", False)):
        theme_manager().apply(theme)
        qtbot.waitUntil(lambda d=dark: column_is_dark() == d, timeout=WAIT_MS)
        assert (panel.palette().color(QPalette.ColorRole.Window).lightness() < 128) == dark
    assert column_text(window, 1) == "Beta answers well."     # nothing redrawn away

    # 3. Pick Beta: compare mode ends, the chat shows Beta's conversation.
    panel.columns[1].pick_button.click()
    qtbot.waitUntil(lambda: find(window, "comparePanel") is None, timeout=WAIT_MS)
    assert not window.actions.compare_mode.isChecked()
    assert not find(window, "compareModeButton").isChecked()
    qtbot.waitUntil(lambda: window.current_agent() is not None
                    and window.current_agent().name == "Beta", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: len(window.chat_view.message_ids()) == 2, timeout=WAIT_MS)
    reply = window.chat_view.message_widget(window.chat_view.message_ids()[-1])
    assert reply.plain_text() == "Beta answers well."
    qtbot.waitUntil(lambda: reply.versions is not None and reply.versions.isVisible(),
                    timeout=WAIT_MS)
    assert reply.versions.text() == "◀ 2/2 ▶"    # Alpha's answer is the other version
    conversation_id = window.controller.conversation_id

    # 4. Continue chatting: Beta answers with the compare in its history.
    send(window, "Tell me more")
    qtbot.waitUntil(lambda: len(window.chat_view.message_ids()) == 4, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.controller.is_running(conversation_id),
                    timeout=WAIT_MS)
    assert [(m.role, m.content) for m in providers["two"].requests[-1].messages] == [
        ("system", "You are Beta."), ("user", "Which is best?"),
        ("assistant", "Beta answers well."), ("user", "Tell me more")]
    with Store(db_path) as store:
        assert [m.content for m in store.messages.path_all(conversation_id)] == [
            "Which is best?", "Beta answers well.", "Tell me more", "Continued by Beta."]

    # 5. Enter with the menu action, leave with Back, enter again with the button.
    enter(qtbot, window, window.actions.compare_mode.trigger)
    assert column_text(window, 1) == "Beta answers well."     # the last compare stays
    # An agent made with the CLI while compare mode is open reaches the pickers.
    agentdesk(settings.home, "agents", "create", "--name", "Gamma", "--provider", "one",
              "--model", "g1")
    qtbot.waitUntil(lambda: all(c.agent_combo.count() == 3 for c in panel.columns),
                    timeout=WAIT_MS)
    assert [c.agent_combo.currentText() for c in panel.columns] == ["Alpha", "Beta"]
    find(window, "compareLeaveButton").click()
    qtbot.waitUntil(lambda: find(window, "chatView") is not None, timeout=WAIT_MS)
    assert find(window, "composer") is not None and find(window, "comparePanel") is None
    assert window.controller.conversation_id == conversation_id
    enter(qtbot, window, find(window, "compareModeButton").click, agents=3)
    panel.add_button.click()
    assert len(panel.columns) == 3 and panel.remove_button.isEnabled()
    panel.remove_button.click()
    assert len(panel.columns) == 2 and not panel.remove_button.isEnabled()
    window.actions.compare_mode.trigger()
    qtbot.waitUntil(lambda: find(window, "chatView") is not None, timeout=WAIT_MS)
    window.close()

    # 6. Reopen on the same data: the kept conversation is Beta's, with its versions.
    again = open_window(qtbot, bridge, settings, providers=source(providers))
    qtbot.waitUntil(lambda: again.current_agent() is not None, timeout=WAIT_MS)
    with Store(db_path) as store:
        beta = store.agents.find_by_name("Beta")
        assert store.conversations.get(conversation_id).agent_id == beta.id
    again.open_conversation(beta.id, conversation_id)
    qtbot.waitUntil(lambda: len(again.chat_view.message_ids()) == 4, timeout=WAIT_MS)
    enter(qtbot, again, again.actions.compare_mode.trigger, agents=3)
    again.actions.compare_mode.trigger()
    again.close()
