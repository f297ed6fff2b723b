"""Screenshots of the quick chat, light and dark (docs/screenshots/quick_chat_*.png),
after a real streamed reply from the llama.cpp server: what a person sees after
asking a question from the tray. Saved into the ``screenshot_dir`` fixture's
folder: a temporary one, or docs/screenshots/ when scripts/screenshots.sh runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
from chat_support import settle_layout
from PySide6.QtGui import QPalette
from window_support import REPLY_MS, WAIT_MS, open_window, seed_llama

from app.ui.desktop_shell import DesktopShell
from app.ui.theme import theme_manager

@pytest.mark.parametrize("theme", ["light", "dark"])
def test_quick_chat_screenshot(theme: str, qapp, qtbot, bridge, db_path, settings,
                               llama_server, screenshot_dir: Path) -> None:
    agent = seed_llama(db_path, llama_server.base_url, name="Quick Helper", max_tokens=40)
    theme_manager(qapp).apply(theme)
    window = open_window(qtbot, bridge, settings)
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    shell = DesktopShell(window, bridge, window._model, settings)
    quick = shell.quick_chat
    qtbot.addWidget(quick)
    window.hide()

    quick.present(agent.id)
    qtbot.waitExposed(quick)
    quick.send("Name three colours of the rainbow.")
    qtbot.waitUntil(lambda: quick.conversation_id is not None, timeout=WAIT_MS)
    session = window.controller.sessions[quick.conversation_id]
    qtbot.waitUntil(lambda: session.last_status in ("done", "error"), timeout=REPLY_MS)
    assert session.last_status == "done"
    quick.chat_view.flush()
    settle_layout(quick.chat_view)
    quick.chat_view.scroll_to_bottom()
    settle_layout(quick.chat_view)

    assert len(quick.chat_view.message_ids()) == 2
    assert quick.agent_combo.currentText() == "Quick Helper"
    dark = quick.palette().color(QPalette.ColorRole.Window).lightness() < 128
    assert dark == (theme == "dark")
    image = quick.grab().toImage()
    assert image.width() >= 400 and image.height() >= 400
    path = screenshot_dir / f"quick_chat_{theme}.png"
    assert image.save(str(path))
    assert path.stat().st_size > 10_000
    shell.close()
