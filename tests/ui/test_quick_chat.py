"""The quick chat window (``quickChatWindow``) offscreen, with the main window's
sessions, against the real llama.cpp server where a reply is needed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from window_support import REPLY_MS, WAIT_MS, open_window, seed_llama

from app.domain import Message
from app.store import Store
from app.ui.desktop_shell import DesktopShell


def _shell(qtbot, bridge, settings):
    window = open_window(qtbot, bridge, settings)
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    shell = DesktopShell(window, bridge, window._model, settings)
    quick = shell.quick_chat
    qtbot.addWidget(quick)
    return window, shell, quick


def test_esc_hides_the_quick_chat_and_it_is_always_on_top(
        qtbot, bridge, db_path, settings, llama_server) -> None:
    agent = seed_llama(db_path, llama_server.base_url)
    _window, shell, quick = _shell(qtbot, bridge, settings)
    shell.tray.show_quick_chat(agent.id)
    qtbot.waitExposed(quick)
    assert quick.objectName() == "quickChatWindow"
    assert quick.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert quick.agent_id == agent.id
    assert quick.agent_combo.currentText() == agent.name

    qtbot.keyClick(quick.composer.edit, Qt.Key.Key_Escape)
    assert not quick.isVisible()
    shell.tray.toggle_quick_chat()
    assert quick.isVisible()
    shell.tray.toggle_quick_chat()
    assert not quick.isVisible()
    shell.close()


def test_open_in_main_window_shows_the_same_conversation(
        qtbot, bridge, db_path, settings, llama_server) -> None:
    agent = seed_llama(db_path, llama_server.base_url)
    with Store(db_path) as store:
        other = store.conversations.create(agent.id, "Elsewhere")
        chat = store.conversations.create(agent.id, "From the tray")
        store.messages.add(Message(conversation_id=chat.id, role="user", content="hi there"))
    window, shell, quick = _shell(qtbot, bridge, settings)
    window.open_conversation(agent.id, other.id)
    qtbot.waitUntil(lambda: window.controller.conversation_id == other.id, timeout=WAIT_MS)
    window.hide()

    quick.show_conversation(chat.id, agent.id)
    quick.present()
    qtbot.waitUntil(lambda: len(quick.chat_view.message_ids()) == 1, timeout=WAIT_MS)
    quick.open_button.click()

    qtbot.waitUntil(lambda: window.isVisible()
                    and window.controller.conversation_id == chat.id, timeout=WAIT_MS)
    assert not quick.isVisible()
    qtbot.waitUntil(lambda: len(window.chat_view.message_ids()) == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.conversation_list.current_conversation() is not None
                    and window.conversation_list.current_conversation().id == chat.id,
                    timeout=WAIT_MS)
    shell.close()


def test_a_quick_chat_streams_on_the_main_windows_session_and_is_stored(
        qtbot, bridge, db_path, settings, llama_server) -> None:
    agent = seed_llama(db_path, llama_server.base_url, max_tokens=12)
    window, shell, quick = _shell(qtbot, bridge, settings)
    quick.present(agent.id)
    quick.send("Say hi.")
    qtbot.waitUntil(lambda: quick.conversation_id is not None, timeout=WAIT_MS)
    cid = quick.conversation_id
    qtbot.waitUntil(lambda: cid in window.controller.sessions, timeout=WAIT_MS)
    session = window.controller.sessions[cid]
    assert quick.controller.sessions[cid] is session        # one session, shared
    qtbot.waitUntil(lambda: session.last_status in ("done", "error"), timeout=REPLY_MS)
    assert session.last_status == "done"

    with Store(db_path) as store:
        stored = store.messages.all(cid)
        listed = [c.id for c in store.conversations.list(agent.id)]
    assert [m.role for m in stored] == ["user", "assistant"]
    assert cid in listed                                       # stored like any chat
    quick.chat_view.flush()
    shown = quick.chat_view.message_widget(stored[1].id)
    assert shown is not None and shown.markdown().strip() == stored[1].content.strip()

    quick.open_in_main()
    qtbot.waitUntil(lambda: window.controller.conversation_id == cid
                    and len(window.chat_view.message_ids()) == 2, timeout=WAIT_MS)
    assert window.chat_view.message_ids() == [m.id for m in stored]
    shell.close()


def test_first_close_with_a_tray_asks_and_remembers(qtbot, bridge, settings) -> None:
    """The close-to-tray question, with the tray forced available (offscreen has
    none; the real tray runs this under Xvfb in test_tray_xvfb.py)."""
    window = open_window(qtbot, bridge, settings)
    shell = DesktopShell(window, bridge, window._model, settings, tray_available=True)
    shell.start()
    assert shell.tray.icon.isVisible()
    window.close()
    box = shell.tray.asking
    assert isinstance(box, QMessageBox) and box.objectName() == "closeToTrayQuestion"
    assert window.isVisible()
    quit_button = next(b for b in box.buttons()
                       if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole)
    with qtbot.waitSignal(window.sig_closed, timeout=WAIT_MS):
        quit_button.click()
    assert settings.ui.close_to_tray is False
    assert '"close_to_tray": false' in settings.settings_file.read_text()
    shell.close()
