"""Attaching files in the composer: by the button, by pasting a picture or
files, by dropping files; chips show and remove them; a sent message shows
its attachments."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QToolButton
from window_support import choose_files

from app.domain import Message
from app.ui.attachment_chips import MessageAttachments
from app.ui.composer import Composer
from app.ui.file_drop import ComposerFileDrop
from tests.support.document_files import write_pdf, write_zip_bomb_docx
from tests.support.image_files import write_image


def _chips(composer: Composer) -> list[str]:
    return [chip.text() for chip in composer.attachments.findChildren(QToolButton,
                                                                       "attachmentChip")
            if not chip.isHidden() and chip.parent() is composer.attachments]


def test_the_button_attaches_chosen_files(qtbot, tmp_path: Path) -> None:
    composer = Composer()
    qtbot.addWidget(composer)
    pdf = write_pdf(tmp_path / "plan.pdf", ["Budget"])
    png = write_image(tmp_path / "photo.png", (30, 20))
    choose_files(qtbot, composer, pdf, png)
    assert [a.name for a in composer.attachments.attachments] == ["plan.pdf", "photo.png"]
    assert composer.attachments.isVisibleTo(composer)
    qtbot.waitUntil(lambda: len(_chips(composer)) == 2)
    chip = composer.attachments.findChildren(QToolButton, "attachmentChip")[0]
    chip.click()                                    # a chip removes its file
    assert [a.name for a in composer.attachments.attachments] == ["photo.png"]


def test_pasting_a_picture_or_files_attaches_them(qtbot, tmp_path: Path) -> None:
    composer = Composer()
    qtbot.addWidget(composer)
    image = QImage(50, 40, QImage.Format.Format_RGB32)
    image.fill(QColor("steelblue"))
    mime = QMimeData()
    mime.setImageData(image)
    composer.edit.insertFromMimeData(mime)
    (pasted,) = composer.attachments.attachments
    assert pasted.kind == "image" and (pasted.width, pasted.height) == (50, 40)
    assert composer.text() == ""                    # nothing pasted as text
    files = QMimeData()
    files.setUrls([QUrl.fromLocalFile(str(write_pdf(tmp_path / "a.pdf", ["x"])))])
    composer.edit.insertFromMimeData(files)
    assert [a.name for a in composer.attachments.attachments] == ["pasted image.png", "a.pdf"]
    text = QMimeData()
    text.setText("just words")
    composer.edit.insertFromMimeData(text)
    assert composer.text() == "just words"


def test_dropping_files_attaches_images_and_documents(qtbot, tmp_path: Path) -> None:
    composer = Composer()
    qtbot.addWidget(composer)
    refused: list[str] = []
    composer.attachments.sig_refused.connect(refused.append)
    drop = ComposerFileDrop(composer.edit, attach=composer.attachments.add_paths)
    notes = tmp_path / "notes.txt"
    notes.write_text("typed notes")
    drop.drop([write_image(tmp_path / "p.gif", (10, 10)), notes,
               write_zip_bomb_docx(tmp_path / "bomb.docx")])
    assert [a.name for a in composer.attachments.attachments] == ["p.gif"]
    assert "typed notes" in composer.text()        # text files still go in as text
    assert refused and "bomb.docx: refused" in refused[0]


def test_send_takes_the_attachments_and_a_message_shows_them(qtbot, tmp_path: Path) -> None:
    composer = Composer()
    qtbot.addWidget(composer)
    composer.attachments.add_paths([write_image(tmp_path / "c.png", (12, 12))])
    taken = composer.attachments.take()
    assert len(taken) == 1 and composer.attachments.attachments == []
    assert not composer.attachments.isVisibleTo(composer)
    message = Message(id=1, conversation_id=1, role="user", content="hi", attachments=taken)
    shown = MessageAttachments(message.attachments)
    qtbot.addWidget(shown)
    (label,) = shown.findChildren(type(shown.children()[1]), "messageAttachment")
    assert label.pixmap() is not None and not label.pixmap().isNull()
