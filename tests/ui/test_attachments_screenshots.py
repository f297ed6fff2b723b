"""Screenshots of attachments in the main window, light and dark
(docs/screenshots/attachments_*.png): a sent message with a picture's
thumbnail and a document chip, and two files waiting in the composer."""

from __future__ import annotations

from pathlib import Path

import pytest
from chat_support import settle_layout
from PIL import Image, ImageDraw
from PySide6.QtWidgets import QLabel, QToolButton
from window_support import WAIT_MS, add_messages, open_window, seed_ollama

from app.core.attachments import attach_file
from app.domain import Message
from app.store import Store
from app.ui.theme import theme_manager
from tests.providers.ollama_server import OllamaServer
from tests.support.document_files import write_docx, write_pdf


def _chart(path: Path) -> Path:
    image = Image.new("RGB", (640, 400), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    for index, height in enumerate((120, 220, 170, 300, 260)):
        draw.rectangle([60 + index * 110, 360 - height, 130 + index * 110, 360],
                       fill=(40 + index * 40, 110, 200 - index * 30))
    draw.line([40, 360, 620, 360], fill=(30, 30, 30), width=3)
    image.save(path)
    return path


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_attachments_screenshot(theme: str, qapp, qtbot, bridge, db_path, settings, tmp_path,
                                screenshot_dir: Path) -> None:
    chart = attach_file(_chart(tmp_path / "sales-chart.png"))
    report = attach_file(write_pdf(tmp_path / "q3-report.pdf",
                                   ["Revenue grew 12 percent", "Costs fell"]))
    with OllamaServer() as ollama:
        (agent,) = seed_ollama(db_path, ollama.base_url, {"Analyst": "llava:7b"},
                               provider="ollama")
        with Store(db_path) as store:
            chat = store.conversations.create(agent.id, "Q3 sales chart")
        add_messages(db_path, chat.id, [
            Message(conversation_id=0, role="user", attachments=[chart, report],
                    content="What does the chart show, and does the report agree?"),
            Message(conversation_id=0, role="assistant", model="llava:7b",
                    content="The bars rise from Q1 to Q4 with a dip in Q3; the report's "
                            "**12 percent** revenue growth matches the last two bars.")])
        theme_manager(qapp).apply(theme)
        window = open_window(qtbot, bridge, settings)
        window.resize(1180, 760)
        window.select_agent(agent.id)
        window.conversation_list.select(chat.id)
        qtbot.waitUntil(lambda: len(window.chat_view.message_ids()) == 2, timeout=WAIT_MS)
        window.composer.attachments.add_paths([
            write_docx(tmp_path / "meeting-notes.docx", {"Agenda": ["Budget"]}),
            _chart(tmp_path / "forecast.png")])
        window.composer.set_text("Compare with the forecast")
        settle_layout(window.chat_view)
        widget = window.chat_view.message_widget(window.chat_view.message_ids()[0])
        labels = widget.findChildren(QLabel, "messageAttachment")
        assert labels[0].pixmap() is not None and labels[1].text().startswith("q3-report.pdf")
        assert len([c for c in window.composer.attachments.findChildren(
            QToolButton, "attachmentChip") if c.isVisibleTo(window)]) == 2
        path = screenshot_dir / f"attachments_{theme}.png"
        assert window.grab().toImage().save(str(path))
        assert path.stat().st_size > 20_000
        window.close()
