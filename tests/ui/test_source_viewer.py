"""Citations of non-PDF files open the in-app source viewer at the cited chunk,
in one window lifetime: a chat whose reply cites a Markdown file far down and
a hostile-looking text file; clicking [1] shows the viewer with the chunk
selected, marked and inside the visible area; Close, then [2] reopens the same
viewer on the other file (its HTML shown as text, no link); [1] again in the
dark theme; "Open file" hands only the checked file URL to the desktop; a PDF
citation still opens at its page. Also the screenshots in both themes
(docs/screenshots/source_viewer_*.png)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QColor, QTextCursor
from plain_text_support import HOSTILE as PLAIN_HOSTILE
from plain_text_support import hostile_problems
from window_support import WAIT_MS, add_messages, open_window, process, seed_ollama

from app.core.knowledge.chunking import chunk_sections
from app.core.knowledge.files import read_file, sections_of
from app.domain import Message
from app.store import Store
from app.ui.chat.citations import CitationBar
from app.ui.chat.source_viewer import SourceViewer
from app.ui.theme import theme_manager
from tests.support.document_files import markdown_guide
from tests.providers.ollama_server import OllamaServer

HOSTILE = ('Session notes\n<a href="https://evil.example/login">Session expired</a>'
           '<img src="/etc/passwd"> <b>not bold</b>\nThe falcon code is zanzibar.\n')


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[QUrl]:
    seen: list[QUrl] = []
    monkeypatch.setattr(CitationBar, "opener", staticmethod(seen.append))
    monkeypatch.setattr(SourceViewer, "opener", staticmethod(seen.append))
    return seen


def _last_chunk(path: Path):
    data, _ = read_file(str(path))
    return chunk_sections(sections_of(str(path), data))[-1]


def _references(tmp_path: Path) -> list[dict]:
    guide = markdown_guide(tmp_path / "guide.md", sections=60)
    chunk = _last_chunk(guide)
    notes = tmp_path / "notes.txt"
    notes.write_text(HOSTILE, encoding="utf-8")
    pdf = tmp_path / "manual.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    return [
        {"n": 1, "path": str(guide), "location": chunk.location, "page": None,
         "chunk_id": 1, "text": chunk.text},
        {"n": 2, "path": str(notes), "location": PLAIN_HOSTILE, "page": None,
         "chunk_id": 2, "text": "The falcon code is zanzibar."},   # a hostile heading
        {"n": 3, "path": str(pdf), "location": "page 3", "page": 3, "chunk_id": 3,
         "text": "pdf text"},
    ]


def _open_chat(qtbot, bridge, settings, db_path, references):
    ollama = OllamaServer().start()
    (agent,) = seed_ollama(db_path, ollama.base_url, {"Reader": "llama3.2:latest"})
    with Store(db_path) as store:
        chat = store.conversations.create(agent.id, "From my files")
    add_messages(db_path, chat.id, [
        Message(conversation_id=0, role="user", content="What is part 60 about?"),
        Message(conversation_id=0, role="assistant", model="llama3.2:latest",
                content="Part 60 is about topic60 [1]; the falcon code is zanzibar [2].",
                meta={"knowledge": references})])
    window = open_window(qtbot, bridge, settings)
    window.resize(1100, 720)
    window.select_agent(agent.id)
    window.conversation_list.select(chat.id)
    qtbot.waitUntil(lambda: len(window.chat_view.message_ids()) == 2, timeout=WAIT_MS)
    reply = window.chat_view.message_widget(window.chat_view.message_ids()[1])
    qtbot.waitUntil(lambda: reply.citations is not None and reply.citations.isVisible(),
                    timeout=WAIT_MS)
    return ollama, window, reply.citations


def _click(qtbot, window, bar: CitationBar, index: int) -> SourceViewer:
    viewer = window.findChild(SourceViewer, "sourceViewer")
    if viewer is None:
        with qtbot.waitSignal(bar.sig_opened, timeout=WAIT_MS):
            bar.buttons[index].click()
        viewer = window.findChild(SourceViewer, "sourceViewer")
        assert viewer is not None
        qtbot.waitUntil(lambda: viewer.source is not None, timeout=WAIT_MS)
    else:
        with qtbot.waitSignal(viewer.sig_shown, timeout=WAIT_MS):
            bar.buttons[index].click()
    qtbot.waitExposed(viewer)
    process()
    return viewer


def _mark(viewer: SourceViewer) -> str:
    (selection,) = viewer.text.extraSelections()
    fmt = selection.format
    return fmt.background().color().name()


def _cited_text_is_selected_and_visible(viewer: SourceViewer, cited: str) -> None:
    edit = viewer.text
    assert viewer.isVisible() and edit.isReadOnly()
    selected = edit.textCursor().selectedText().replace("\u2029", "\n")
    assert selected == cited
    start, end = viewer.cited_range()
    assert [(s.cursor.selectionStart(), s.cursor.selectionEnd())
            for s in edit.extraSelections()] == [(start, end)]          # marked
    at = QTextCursor(edit.document())
    at.setPosition(start)
    first_line = edit.cursorRect(at)
    assert edit.viewport().rect().contains(first_line.center())         # in view
    assert edit.verticalScrollBar().value() > 0                         # scrolled to it


def test_citations_open_the_source_viewer_at_the_chunk(qapp, qtbot, bridge, settings,
                                                       db_path, tmp_path, opened) -> None:
    references = _references(tmp_path)
    ollama, window, bar = _open_chat(qtbot, bridge, settings, db_path, references)
    try:
        # 1. The Markdown chunk far down the file: shown, selected, marked, in view.
        viewer = _click(qtbot, window, bar, 0)
        _cited_text_is_selected_and_visible(viewer, references[0]["text"])
        assert viewer.text.toPlainText() == Path(references[0]["path"]).read_text()
        assert opened == []                          # nothing handed to the desktop
        assert viewer.open_button.isEnabled()
        viewer.open_button.click()
        assert [u.toString() for u in opened] == [QUrl.fromLocalFile(
            references[0]["path"]).toString()]

        # 2. Closed, then the text file: the same viewer, its HTML only text.
        viewer.close()
        process()
        assert not viewer.isVisible()
        again = _click(qtbot, window, bar, 1)
        assert again is viewer
        assert again.text.toPlainText() == HOSTILE
        assert again.text.textCursor().selectedText() == "The falcon code is zanzibar."
        assert hostile_problems([again]) == []   # its heading, in the title, is text
        assert PLAIN_HOSTILE in again.title.text()
        link = QTextCursor(again.text.document())
        link.setPosition(HOSTILE.index("Session expired") + 3)
        assert again.text.anchorAt(again.text.cursorRect(link).center()) == ""   # no link

        # 3. Dark theme: [1] again, the mark follows the theme.
        light_mark = _mark(viewer)
        theme_manager(qapp).apply("dark")
        process()
        viewer = _click(qtbot, window, bar, 0)
        _cited_text_is_selected_and_visible(viewer, references[0]["text"])
        dark_mark = _mark(viewer)
        assert QColor(dark_mark).lightness() < QColor(light_mark).lightness()
        theme_manager(qapp).apply("light")
        process()
        assert _mark(viewer) == light_mark

        # 4. A PDF still opens in the desktop's viewer at its page.
        bar.buttons[2].click()
        assert opened[-1].toString().endswith("manual.pdf#page=3")
        viewer.close()
    finally:
        window.close()
        ollama.stop()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_source_viewer_screenshot(theme: str, qapp, qtbot, bridge, settings, db_path,
                                  tmp_path, opened, screenshot_dir: Path) -> None:
    references = _references(tmp_path)
    theme_manager(qapp).apply(theme)
    ollama, window, bar = _open_chat(qtbot, bridge, settings, db_path, references)
    try:
        viewer = _click(qtbot, window, bar, 0)
        viewer.resize(760, 520)
        process()
        viewer._scroll()                               # after the resize, as a person sees it
        process()
        _cited_text_is_selected_and_visible(viewer, references[0]["text"])
        path = screenshot_dir / f"source_viewer_{theme}.png"
        assert viewer.grab().toImage().save(str(path))
        assert path.stat().st_size > 20_000
        viewer.close()
    finally:
        window.close()
        ollama.stop()
