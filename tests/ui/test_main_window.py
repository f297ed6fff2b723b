"""MainWindow: object names, the placeholder, and the New Agent flow."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QInputDialog, QLabel, QListView, QMessageBox, QPushButton
from ui_helpers import names

from app.domain import AgentSpec
from app.ui.main_window import EMPTY_TEXT, MainWindow

WAIT_MS = 5000


def create(aio, store, name: str, **fields) -> AgentSpec:
    return aio.run(store.run(lambda s: s.agents.create(AgentSpec(name=name, **fields))))


def answer_name(monkeypatch, name: str, ok: bool = True) -> list[tuple]:
    """Make the New Agent dialog answer ``name``; returns the recorded calls."""
    calls: list[tuple] = []

    def fake_get_text(parent, title, label, *args, **kwargs):
        calls.append((parent, title, label))
        return name, ok

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(fake_get_text))
    return calls


def test_main_widgets_carry_their_object_names(window: MainWindow) -> None:
    assert window.windowTitle() == "AgentDesk"
    assert isinstance(window.findChild(QListView, "agentList"), QListView)
    button = window.findChild(QPushButton, "newAgentButton")
    assert isinstance(button, QPushButton) and button.text() == "New Agent"
    assert window.minimumWidth() >= 640 and window.minimumHeight() >= 400


def test_file_menu_has_quit_on_ctrl_q(window: MainWindow, qtbot) -> None:
    menus = {action.text().replace("&", ""): action.menu()
             for action in window.menuBar().actions()}
    quit_actions = [a for a in menus["File"].actions() if a.text().replace("&", "") == "Quit"]
    assert len(quit_actions) == 1
    assert quit_actions[0].shortcut() == QKeySequence("Ctrl+Q")

    with qtbot.waitSignal(window.sig_closed, timeout=WAIT_MS):
        quit_actions[0].trigger()
    assert not window.isVisible()


def test_placeholder_follows_the_selection(aio, async_store, window: MainWindow,
                                           qtbot) -> None:
    assert EMPTY_TEXT in window.placeholder_text()
    assert isinstance(window.findChild(QLabel, "agentPlaceholder"), QLabel)

    spec = create(aio, async_store, "Researcher", provider="ollama", model="llama3.2")
    qtbot.waitUntil(lambda: window.agent_list.model().rowCount() == 1, timeout=WAIT_MS)
    assert EMPTY_TEXT not in window.placeholder_text()

    assert window.select_agent(spec.id)
    text = window.placeholder_text()
    assert "Researcher" in text and "ollama" in text and "llama3.2" in text

    aio.run(async_store.run(lambda s: s.agents.update(
        spec.model_copy(update={"name": "Analyst"}))))
    qtbot.waitUntil(lambda: "Analyst" in window.placeholder_text(), timeout=WAIT_MS)

    aio.run(async_store.run(lambda s: s.agents.delete(spec.id)))
    qtbot.waitUntil(lambda: EMPTY_TEXT in window.placeholder_text(), timeout=WAIT_MS)
    assert window.current_agent() is None


def test_new_agent_button_creates_and_selects_the_agent(
        aio, async_store, window: MainWindow, qtbot, monkeypatch) -> None:
    create(aio, async_store, "Zeta")
    create(aio, async_store, "Alpha")
    qtbot.waitUntil(lambda: window.agent_list.model().rowCount() == 2, timeout=WAIT_MS)
    calls = answer_name(monkeypatch, "  Mapper  ")

    qtbot.mouseClick(window.new_agent_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: window.current_agent() is not None
                    and window.current_agent().name == "Mapper", timeout=WAIT_MS)
    assert len(calls) == 1 and calls[0][0] is window
    assert names(window.agent_list.model()) == ["Alpha", "Mapper", "Zeta"]
    assert window.agent_list.currentIndex().row() == 1
    stored = aio.run(async_store.run(lambda s: s.agents.get_by_name("Mapper")))
    assert stored.id == window.current_agent().id
    assert "Mapper" in window.placeholder_text()


def test_new_agent_uses_the_configured_default_provider(
        aio, async_store, bridge, model, qtbot, monkeypatch) -> None:
    window = MainWindow(bridge, model, default_provider="ollama", default_model="qwen3")
    qtbot.addWidget(window)
    answer_name(monkeypatch, "Helper")

    window.new_agent_button.click()
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)

    stored = aio.run(async_store.run(lambda s: s.agents.get_by_name("Helper")))
    assert (stored.provider, stored.model) == ("ollama", "qwen3")


def test_cancelled_or_blank_name_creates_nothing(aio, async_store, window: MainWindow,
                                                 bridge, qtbot, monkeypatch) -> None:
    answer_name(monkeypatch, "Ignored", ok=False)
    window.new_agent_button.click()
    answer_name(monkeypatch, "   ")
    window.new_agent_button.click()

    assert bridge.pending_tasks == 0
    assert aio.run(async_store.run(lambda s: s.agents.list())) == []


def test_duplicate_name_shows_a_warning_and_adds_nothing(
        aio, async_store, window: MainWindow, qtbot, monkeypatch) -> None:
    create(aio, async_store, "Scout")
    qtbot.waitUntil(lambda: window.agent_list.model().rowCount() == 1, timeout=WAIT_MS)
    answer_name(monkeypatch, "scout")

    window.new_agent_button.click()

    def warning() -> QMessageBox | None:
        box = window.findChild(QMessageBox, "warningMessage")
        return box if box is not None and box.isVisible() else None

    qtbot.waitUntil(lambda: warning() is not None, timeout=WAIT_MS)
    assert "'scout' already exists" in warning().text()
    assert len(aio.run(async_store.run(lambda s: s.agents.list()))) == 1
    warning().close()


def test_too_long_name_is_refused_with_a_warning(aio, async_store, window: MainWindow,
                                                 qtbot, monkeypatch) -> None:
    answer_name(monkeypatch, "x" * 300)

    window.new_agent_button.click()

    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "warningMessage") is not None,
                    timeout=WAIT_MS)
    assert aio.run(async_store.run(lambda s: s.agents.list())) == []
    window.findChild(QMessageBox, "warningMessage").close()
