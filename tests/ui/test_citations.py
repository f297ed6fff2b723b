"""Citations under a reply that used the agent's knowledge: shown from the stored
meta (after a reload) and when a streamed reply finishes; clicking opens a
PDF at its page through QDesktopServices and any other file in the source
viewer — only a real local file."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl

from app.ui.chat import ChatView
from app.ui.chat.citations import CitationBar
from app.ui.chat.source_viewer import SourceViewer
from tests.ui.chat_support import make_message, shown_chat_view


@pytest.fixture
def view(qtbot) -> ChatView:
    return shown_chat_view(qtbot, 700, 400)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[QUrl]:
    seen: list[QUrl] = []
    monkeypatch.setattr(CitationBar, "opener", staticmethod(seen.append))
    return seen


def _references(tmp_path: Path) -> list[dict]:
    pdf = tmp_path / "manual.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    guide = tmp_path / "guide.md"
    guide.write_text("# Guide")
    return [
        {"n": 1, "path": str(pdf), "location": "page 3", "page": 3, "chunk_id": 7,
         "text": "<b>not bold</b> the falcon code"},
        {"n": 2, "path": str(guide), "location": "Guide › Falcons", "page": None,
         "chunk_id": 9, "text": "guide text"},
        {"n": 3, "path": "relative/evil.sh", "location": "", "page": None, "text": ""},
        {"n": 4, "path": str(tmp_path / "gone.txt"), "location": "", "page": None,
         "text": ""},
    ]


def test_a_stored_reply_shows_its_sources_and_a_click_opens_the_page(
        view, qtbot, tmp_path, opened) -> None:
    references = _references(tmp_path)
    view.set_messages([make_message(1, "user", "code?"),
                       make_message(2, "assistant", "It is zanzibar [1].",
                                    meta={"knowledge": references})])
    bar = view.message_widget(2).citations
    assert bar is not None
    qtbot.waitUntil(bar.isVisible, timeout=5000)
    labels = [b.text() for b in bar.buttons]
    assert labels[:2] == ["[1] manual.pdf — page 3", "[2] guide.md — Guide › Falcons"]
    assert "<b>not bold</b>" in bar.buttons[0].toolTip().replace("&lt;", "<").replace(
        "&gt;", ">")                       # the excerpt, shown literally
    qtbot.mouseClick(bar.buttons[0], Qt.MouseButton.LeftButton)
    assert [u.toString() for u in opened] == [QUrl.fromLocalFile(references[0]["path"])
                                              .toString() + "#page=3"]
    # A non-PDF file opens in the app's source viewer, not the desktop's.
    with qtbot.waitSignal(bar.sig_opened) as shown:
        qtbot.mouseClick(bar.buttons[1], Qt.MouseButton.LeftButton)
    assert shown.args[1] is True and len(opened) == 1
    viewer = view.window().findChild(SourceViewer, "sourceViewer")
    assert viewer is not None and viewer.isVisible()
    qtbot.waitUntil(lambda: viewer.source is not None, timeout=5000)
    assert viewer.text.toPlainText() == "# Guide"
    viewer.close()
    with qtbot.waitSignal(bar.sig_opened) as refused:
        qtbot.mouseClick(bar.buttons[2], Qt.MouseButton.LeftButton)
    assert refused.args[1] is False             # a relative path never opens
    with qtbot.waitSignal(bar.sig_opened) as refused:
        qtbot.mouseClick(bar.buttons[3], Qt.MouseButton.LeftButton)
    assert refused.args[1] is False and len(opened) == 1    # nor a file that is gone
    assert not viewer.isVisible()                # and no viewer for either


def test_a_streamed_reply_gets_its_sources_when_it_finishes(view, tmp_path, opened) -> None:
    view.begin_reply(5, "gemma3", "local")
    view.append_text(5, "From your files [2].")
    assert view.message_widget(5).citations is None
    view.finish_reply(5, "complete", meta={"knowledge": _references(tmp_path)[:2]})
    assert len(view.message_widget(5).citations.buttons) == 2


def test_malformed_meta_shows_nothing(view) -> None:
    view.set_messages([make_message(2, "assistant", "x", meta={"knowledge": [
        {"n": "1", "path": 5}, "junk"]})])
    assert view.message_widget(2).citations is None
