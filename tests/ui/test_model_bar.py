"""The model bar in the window: changes are saved on the agent (a new revision)
and used by the next message; the provider's status dot."""

from __future__ import annotations

from dialog_helpers import closed_port
from PySide6.QtCore import Qt
from window_support import WAIT_MS, open_window

from app.domain import AgentSpec, ProviderConfig
from app.store import Store
from app.ui.model_bar import status_state, status_tooltip


def seeded(db_path) -> AgentSpec:
    port = closed_port()
    with Store(db_path) as store:
        for name in ("down", "other"):
            store.providers.create(ProviderConfig(
                name=name, kind="llamacpp", base_url=f"http://127.0.0.1:{port}/v1"))
        return store.agents.create(AgentSpec(name="Tuned", provider="down", model="m1",
                                             temperature=0.7, max_tokens=256))


def stored(db_path, agent_id: int) -> AgentSpec:
    with Store(db_path) as store:
        return store.agents.get(agent_id)


def test_controls_show_the_agent_and_save_each_change(qtbot, bridge, db_path,
                                                      settings) -> None:
    agent = seeded(db_path)
    window = open_window(qtbot, bridge, settings)
    bar = window.model_bar
    qtbot.waitUntil(lambda: bar.provider_combo.count() == 2, timeout=WAIT_MS)
    assert bar.provider_combo.currentText() == "down"
    assert bar.model_combo.currentData() == "m1"
    assert bar.temperature_slider.value() == 70 and bar.temperature_label.text() == "0.70"
    assert bar.max_tokens_spin.value() == 256 and bar.streaming_check.isChecked()

    bar.temperature_slider.setFocus()
    qtbot.keyClick(bar.temperature_slider, Qt.Key.Key_PageUp)      # +0.10
    assert bar.temperature_label.text() == "0.80"
    qtbot.waitUntil(lambda: stored(db_path, agent.id).temperature == 0.8, timeout=WAIT_MS)
    assert stored(db_path, agent.id).revision == agent.revision + 1

    bar.max_tokens_spin.setValue(64)
    qtbot.waitUntil(lambda: stored(db_path, agent.id).max_tokens == 64, timeout=WAIT_MS)
    bar.streaming_check.click()
    qtbot.waitUntil(lambda: stored(db_path, agent.id).streaming is False, timeout=WAIT_MS)
    final = stored(db_path, agent.id)
    assert final.revision == agent.revision + 3
    assert (final.provider, final.model) == ("down", "m1")          # untouched
    qtbot.waitUntil(lambda: window.current_agent().revision == final.revision,
                    timeout=WAIT_MS)
    assert bar.max_tokens_spin.value() == 64 and not bar.streaming_check.isChecked()


def test_a_change_survives_a_copy_of_the_agent_from_before_it(qtbot, bridge, db_path,
                                                               settings) -> None:
    """The list's notice of one save can arrive after the next change was made in
    the bar: that older copy must neither show over the change nor undo it."""
    agent = seeded(db_path)
    window = open_window(qtbot, bridge, settings)
    bar = window.model_bar
    qtbot.waitUntil(lambda: bar.provider_combo.count() == 2, timeout=WAIT_MS)
    stale = window.current_agent()
    bar.max_tokens_spin.setValue(64)
    bar.set_agent(stale)                                  # arrives before the save
    assert bar.max_tokens_spin.value() == 64
    bar.streaming_check.click()                           # the next change, at once
    bar.set_agent(stale)
    assert bar.max_tokens_spin.value() == 64 and not bar.streaming_check.isChecked()
    qtbot.waitUntil(lambda: stored(db_path, agent.id).streaming is False, timeout=WAIT_MS)
    final = stored(db_path, agent.id)
    assert (final.max_tokens, final.streaming, final.temperature) == (64, False, 0.7)
    qtbot.waitUntil(lambda: not bar._unsaved, timeout=WAIT_MS)
    bar.set_agent(stale)              # once saved, a copy shows as it is (a real change)
    assert bar.max_tokens_spin.value() == 256


def test_flush_pending_commits_a_temperature_still_waiting(qtbot, bridge, db_path,
                                                           settings) -> None:
    agent = seeded(db_path)
    window = open_window(qtbot, bridge, settings)
    bar = window.model_bar
    bar.temperature_slider.setValue(150)                 # as by keyboard: waits a pause
    assert bar._temperature_timer.isActive()
    bar.flush_pending()
    qtbot.waitUntil(lambda: stored(db_path, agent.id).temperature == 1.5, timeout=WAIT_MS)


def test_status_dot_turns_red_for_a_provider_that_is_down(qtbot, bridge, db_path,
                                                          settings) -> None:
    seeded(db_path)
    window = open_window(qtbot, bridge, settings)
    bar = window.model_bar
    assert bar.status_of("other") == "unknown"
    qtbot.waitUntil(lambda: bar.status_of("down") == "down", timeout=30_000)
    tooltip = bar.provider_combo.toolTip()
    assert tooltip.startswith("down: down") and bar.reports["down"].message in tooltip
    assert bar.status_of("other") == "unknown"           # only the chosen one is tested


def test_the_periodic_check_runs_only_while_the_window_is_shown(qtbot, bridge, db_path,
                                                                settings) -> None:
    """Hidden (the tray, or closed at quit) the window asks no provider anything:
    a left-over window's timer once fired after its event loop had ended."""
    seeded(db_path)
    window = open_window(qtbot, bridge, settings)
    timer = window.model_bar._status_timer
    assert timer.isActive()
    window.hide()
    assert not timer.isActive()
    window.show()
    qtbot.waitExposed(window)
    assert timer.isActive()
    window.close()
    assert not timer.isActive()


def test_providers_are_refilled_only_when_they_changed(qtbot, bridge, db_path,
                                                      settings) -> None:
    """Any write by another process (the local API streaming into new chats) re-reads
    the providers; the combo is rebuilt only when the list really changed, and a
    provider added from the CLI while the window is open does show up."""
    seeded(db_path)
    window = open_window(qtbot, bridge, settings)
    bar = window.model_bar
    qtbot.waitUntil(lambda: bar.provider_combo.count() == 2, timeout=WAIT_MS)
    rebuilt: list[int] = []
    bar.provider_combo.model().modelReset.connect(lambda: rebuilt.append(1))
    bar.provider_combo.model().rowsRemoved.connect(lambda *_: rebuilt.append(1))
    with Store(db_path) as store:
        configs = store.providers.list()
    bar.set_providers(configs)
    assert rebuilt == []
    with Store(db_path) as store:                     # another process adds one
        store.providers.create(ProviderConfig(name="third", kind="ollama",
                                              base_url="http://127.0.0.1:9/"))
    qtbot.waitUntil(lambda: bar.provider_combo.count() == 3, timeout=WAIT_MS)
    assert rebuilt
    assert bar.provider_combo.currentText() == "down"


def test_status_words() -> None:
    assert status_state(None) == "unknown"
    assert status_tooltip("x", None) == "x: not checked yet"
