"""Screenshots of the real main window, light and dark (docs/screenshots/main_*.png).

The window runs against the real llama.cpp server (so the provider's dot is a
real connection test) with a short recorded chat: code, a table, a list, a
link and a tool call. The test checks what it renders, then writes the PNGs
that README.md shows (into the ``screenshot_dir`` fixture's folder: a temporary
one, or docs/screenshots/ when scripts/screenshots.sh runs it).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from chat_support import sample_chat, settle_layout
from PySide6.QtGui import QPalette
from window_support import WAIT_MS, add_messages, open_window, seed_llama

from app.domain import Message
from app.store import Store
from app.ui.theme import theme_manager

@pytest.mark.parametrize("theme", ["light", "dark"])
def test_main_window_screenshot(theme: str, qapp, qtbot, aio, bridge, db_path, settings,
                                llama_server, screenshot_dir: Path) -> None:
    agent = seed_llama(db_path, llama_server.base_url, name="Python Helper")
    with Store(db_path) as store:
        store.agents.create(agent.model_copy(update={"id": None, "name": "Researcher"}))
        store.agents.create(agent.model_copy(update={"id": None, "name": "Writer"}))
        older = store.conversations.create(agent.id, "Parsing CSV files")
        store.conversations.set_pinned(older.id, True)
        store.conversations.create(agent.id, "Regex for dates")
        conversation = store.conversations.create(agent.id, "Reading files in Python")
    shown = add_messages(db_path, conversation.id, sample_chat())
    with Store(db_path) as store:         # a regenerated reply: the first one has 2 versions
        store.messages.add(Message(conversation_id=conversation.id, role="assistant",
                                   content="Loop over `open(path)`.", model="gemma3"),
                           parent_id=shown[0].id)
        assert store.messages.show_branch(shown[1].id) == shown[-1].id
    theme_manager(qapp).apply(theme)

    window = open_window(qtbot, bridge, settings)
    window.resize(1180, 760)
    window.select_agent(agent.id)
    window.conversation_list.select(conversation.id)
    qtbot.waitUntil(lambda: len(window.chat_view.message_ids()) == 4, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.model_bar.status_of("llama") == "up", timeout=30_000)
    qtbot.waitUntil(lambda: window.model_bar.model_combo.count() >= 2, timeout=WAIT_MS)
    settle_layout(window.chat_view)
    window.chat_view.scroll_to_bottom()
    settle_layout(window.chat_view)

    assert window.conversation_model.rowCount() == 3
    first_reply = window.chat_view.message_widget(shown[1].id)
    assert first_reply is not None and first_reply.versions is not None
    assert first_reply.versions.text() == "◀ 1/2 ▶" and first_reply.versions.isVisible()
    assert window.conversation_model.conversations()[0].pinned
    assert window.model_bar.provider_combo.currentText() == "llama"
    assert "latency" in window.model_bar.provider_combo.toolTip()
    dark_window = window.palette().color(QPalette.ColorRole.Window).lightness() < 128
    assert dark_window == (theme == "dark")

    path = screenshot_dir / f"main_{theme}.png"
    image = window.grab().toImage()
    assert image.width() >= 1000 and image.height() >= 600
    assert image.save(str(path))
    assert path.stat().st_size > 20_000
