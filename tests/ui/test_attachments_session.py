"""Attachments in one window lifetime, as a person uses them, against the
in-test Ollama server: a picture attached by the button to an agent whose
model has no vision is handed back with the reason before anything is sent;
the same picture and a PDF to a vision model go out in Ollama's shape and
show as a thumbnail and a chip; dark theme and back; the CLI attaches a file
while the window is open and the window shows it; closed and opened again,
the attachments are still there."""

from __future__ import annotations

import base64
import json

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QToolButton

from app.settings import load_settings
from app.ui.theme import theme_manager
from tests.providers.ollama_server import OllamaServer
from tests.support.document_files import write_pdf
from tests.support.image_files import write_image
from window_support import WAIT_MS, agentdesk, choose_files, open_window, process, seed_ollama


def _attachment_labels(window, message_index: int) -> list[QLabel]:
    ids = window.chat_view.message_ids()
    widget = window.chat_view.message_widget(ids[message_index])
    return widget.findChildren(QLabel, "messageAttachment")


def test_attachments_in_one_window_lifetime(qtbot, bridge, settings, db_path,
                                            tmp_path) -> None:
    picture = write_image(tmp_path / "chart.png", (64, 48))
    report = write_pdf(tmp_path / "report.pdf", ["Revenue grew 12 percent"])
    with OllamaServer() as ollama:
        blind, seer = seed_ollama(db_path, ollama.base_url,
                                  {"Blind": "llama3.2:latest", "Seer": "llava:7b"})
        window = open_window(qtbot, bridge, settings)
        composer = window.composer

        # 1. A model without vision: refused before sending, all handed back.
        assert window.select_agent(blind.id)
        choose_files(qtbot, composer, picture)
        assert [a.name for a in composer.attachments.attachments] == ["chart.png"]
        composer.set_text("What does this show?")
        composer.submit()
        qtbot.waitUntil(lambda: composer.text() == "What does this show?", timeout=WAIT_MS)
        qtbot.waitUntil(lambda: len(composer.attachments.attachments) == 1, timeout=WAIT_MS)
        assert "cannot read images" in window.statusBar().currentMessage()
        assert ollama.chat_requests() == []
        # The per-model switch in the attach button's menu is off, and saves when set.
        switch = composer.attach_button.menu().findChild(QAction, "visionSwitch") or \
            composer.attach_button.menu().actions()[0]
        composer.attach_button.menu().aboutToShow.emit()
        assert switch.isEnabled() and not switch.isChecked()
        switch.trigger()
        assert "ol/llama3.2:latest" in settings.attachments.vision_models
        assert "ol/llama3.2:latest" in load_settings(tmp_path).attachments.vision_models
        switch.trigger()                                  # and off again
        assert settings.attachments.vision_models == []

        # 2. A vision model: the picture and a PDF go out in Ollama's shape.
        assert window.select_agent(seer.id)
        qtbot.waitUntil(lambda: window.controller.agent_id == seer.id, timeout=WAIT_MS)
        choose_files(qtbot, composer, report)
        assert [a.name for a in composer.attachments.attachments] == ["chart.png",
                                                                      "report.pdf"]
        qtbot.waitUntil(lambda: len([c for c in composer.attachments.findChildren(
            QToolButton, "attachmentChip") if c.isVisibleTo(composer)]) == 2, timeout=WAIT_MS)
        composer.set_text("What does this show?")
        composer.submit()
        qtbot.waitUntil(lambda: len(ollama.chat_requests()) == 1, timeout=WAIT_MS)
        user = ollama.chat_requests()[0]["messages"][-1]
        assert base64.b64decode(user["images"][0])[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0")
        assert '<document name="report.pdf">' in user["content"]
        assert "Revenue grew 12 percent" in user["content"]
        assert composer.attachments.attachments == []
        qtbot.waitUntil(lambda: len(window.chat_view.message_ids()) == 2, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: not window.controller.current_session().running,
                        timeout=WAIT_MS)
        labels = _attachment_labels(window, 0)
        assert labels[0].pixmap() is not None and not labels[0].pixmap().isNull()
        assert "report.pdf" in labels[1].text()
        first_chat = window.controller.conversation_id

        # 3. Dark theme and back: the thumbnails stay.
        for theme in ("dark", "light"):
            theme_manager().apply(theme, settings.ui.font_size)
            process()
            assert len(_attachment_labels(window, 0)) == 2

        # 4. The CLI attaches a file while the window is open; the window shows it.
        out = agentdesk(tmp_path, "chat", "--agent", "Seer", "--json", "And this one?",
                        "--attach", str(report))
        cli_chat = json.loads(out.splitlines()[0])["conversation_id"]
        qtbot.waitUntil(lambda: cli_chat in [c.id for c in
                                             window.conversation_model.conversations()],
                        timeout=WAIT_MS)
        with qtbot.waitSignal(window.controller.sig_shown, timeout=WAIT_MS):
            window.open_conversation(seer.id, cli_chat)
        qtbot.waitUntil(lambda: len(window.chat_view.message_ids()) == 2, timeout=WAIT_MS)
        assert [label.text() for label in _attachment_labels(window, 0)] == [
            "report.pdf (32 characters)"]
        window.close()

        # 5. Opened again: the first chat still shows its attachments.
        again = open_window(qtbot, bridge, settings)
        with qtbot.waitSignal(again.controller.sig_shown, timeout=WAIT_MS):
            again.open_conversation(seer.id, first_chat)
        qtbot.waitUntil(lambda: len(again.chat_view.message_ids()) == 2, timeout=WAIT_MS)
        assert len(_attachment_labels(again, 0)) == 2
        again.close()
