"""The composer: Enter sends, Shift+Enter breaks the line, a huge paste stays intact."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtWidgets import QPlainTextEdit

from app.ui.composer import Composer


def make(qtbot) -> tuple[Composer, list[str]]:
    composer = Composer()
    qtbot.addWidget(composer)
    composer.show()
    sent: list[str] = []
    composer.sig_send.connect(sent.append)
    return composer, sent


def test_enter_sends_and_shift_enter_starts_a_new_line(qtbot) -> None:
    composer, sent = make(qtbot)
    assert composer.edit.objectName() == "composer"
    assert isinstance(composer.edit, QPlainTextEdit)
    assert not composer.send_button.isEnabled()
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)          # nothing to send
    assert sent == []

    qtbot.keyClicks(composer.edit, "first line")
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(composer.edit, "second line")
    assert composer.send_button.isEnabled()
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)

    assert sent == ["first line\nsecond line"]
    assert composer.text() == ""
    qtbot.keyClicks(composer.edit, "by keypad")
    qtbot.keyClick(composer.edit, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    assert sent[-1] == "by keypad"


def test_blank_text_is_not_sent(qtbot) -> None:
    composer, sent = make(qtbot)
    composer.set_text("   \n\t ")
    composer.submit()
    assert sent == [] and composer.text() == "   \n\t "


def test_while_a_reply_runs_stop_is_on_and_send_waits(qtbot) -> None:
    composer, sent = make(qtbot)
    stops: list[bool] = []
    composer.sig_stop.connect(lambda: stops.append(True))
    composer.set_running(True)
    qtbot.keyClicks(composer.edit, "next question")
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent == [] and composer.text() == "next question"   # kept for later
    assert not composer.send_button.isEnabled() and composer.stop_button.isEnabled()
    composer.stop_button.click()
    assert stops == [True]

    composer.set_running(False)
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent == ["next question"]


def test_a_megabyte_paste_is_accepted_and_sent_intact(qtbot) -> None:
    composer, sent = make(qtbot)
    line = "def f(x):  # tabs\t, unicode é漢字, <b>markup</b> & entities &amp;\n"
    text = (line * (1_000_000 // len(line) + 1))[:1_000_000]
    mime = QMimeData()
    mime.setText(text)
    mime.setHtml("<b>rich</b> text must not be used")
    composer.edit.insertFromMimeData(mime)
    assert composer.edit.document().characterCount() - 1 == len(text)
    composer.submit()
    assert len(sent) == 1 and sent[0] == text


def test_the_box_grows_with_its_lines_up_to_a_limit(qtbot) -> None:
    composer, _sent = make(qtbot)
    empty = composer.edit.height()
    composer.set_text("\n".join(["line"] * 5))
    grown = composer.edit.height()
    composer.set_text("\n".join(["line"] * 50))
    capped = composer.edit.height()
    assert empty < grown < capped
    composer.set_text("\n".join(["line"] * 500))
    assert composer.edit.height() == capped
