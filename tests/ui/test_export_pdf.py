"""PDF export through Qt's writer: a real PDF whose text is the conversation's."""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pypdf
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter, QTextDocument

from app.core.export import load_bundles
from app.core.export.html_format import pdf_html_pieces
from app.domain import Message
from app.store import Store
from app.ui.export_pdf import (
    export_pdf,
    fill_document,
    html_batches,
    paged_document,
    pdf_writer,
)
from tests.support.export_data import add_conversation, make_agent, rich_messages


def _letters(text: str) -> str:
    """Letters and digits only, ligatures (ﬀ, ﬁ) unfolded."""
    return re.sub(r"[\W_]", "", unicodedata.normalize("NFKC", text))


def _words(text: str) -> list[str]:
    return text.split()


def _pdf_text(path: Path) -> str:
    reader = pypdf.PdfReader(str(path))
    return "\n".join(page.extract_text() for page in reader.pages)


def _bundles(tmp_path: Path, messages: list[Message]):
    with Store(tmp_path / "a.db") as store:
        agent = make_agent(store)
        add_conversation(store, agent.id, "Greeting plan", messages)
        return load_bundles(store)


def test_pdf_text_is_the_conversation_text(qapp, tmp_path: Path) -> None:
    messages = rich_messages()
    bundles = _bundles(tmp_path, messages)
    out = tmp_path / "chat.pdf"
    export_pdf(bundles, out)

    assert out.read_bytes().startswith(b"%PDF-")
    reader = pypdf.PdfReader(str(out))
    assert reader.metadata.title == "Greeting plan"
    words = " ".join(_words(_pdf_text(out)))
    assert "Greeting plan" in words
    # Every word of every prose line, in order (Markdown markup is rendered, so
    # fence lines and table rules are not text; tool results sit in their call).
    expected = []
    for message in messages:
        if message.role == "tool":
            continue
        for line in message.content.splitlines():
            if line.startswith("```") or set(line) <= set("|- "):
                continue
            expected += [_letters(w) for w in _words(line) if _letters(w)]
    # Highlighted code is split into spans the extractor separates with spaces,
    # and markup characters are rendered away, so compare letters and digits:
    # each word must follow the one before.
    found = _letters(words)
    position = 0
    for word in expected:
        hit = found.find(word, position)
        assert hit >= 0, (word, found[position:position + 80])
        position = hit + len(word)
    assert "defgreetname" in found and "Result42" in found
    assert "connection reset" in words


def test_long_conversation_spans_pages_and_nothing_is_loaded(qapp, tmp_path: Path) -> None:
    body = [Message(conversation_id=0, role="user" if i % 2 == 0 else "assistant",
                    content=f"Line number {i} ![img](file:///etc/passwd)")
            for i in range(120)]
    out = tmp_path / "long.pdf"
    export_pdf(_bundles(tmp_path, body), out, theme="dark")
    reader = pypdf.PdfReader(str(out))
    assert len(reader.pages) > 1
    text = " ".join(_words(_pdf_text(out)))
    assert "Line number 0" in text and "Line number 119" in text
    assert "[image: img]" in text and "root:" not in text
    for page in reader.pages:
        resources = page["/Resources"].get_object()
        objects = resources.get("/XObject")
        for item in (objects.get_object().values() if objects else []):
            assert item.get_object().get("/Subtype") != "/Image"  # no image drawn


def _text_runs(path: Path) -> list[tuple[float, str]]:
    """(x on the page in points, text) of every text run on the first page."""
    runs: list[tuple[float, str]] = []

    def visit(text, cm, tm, _font, _size) -> None:
        if text.strip():
            runs.append((tm[4] * cm[0] + tm[5] * cm[2] + cm[4], text))

    pypdf.PdfReader(str(path)).pages[0].extract_text(visitor_text=visit)
    return runs


def test_long_lines_wrap_instead_of_running_off_the_page(qapp, tmp_path: Path) -> None:
    """A code line or tool result wider than the page is wrapped, not cut off
    at the page's edge (a PDF keeps clipped text, so position is what counts)."""
    words = [f"word{i:03d}" for i in range(60)]  # ~480 characters on one line
    body = [Message(conversation_id=0, role="assistant",
                    content=f"```python\nvalues = '{' '.join(words)}'\n```")]
    out = tmp_path / "wide.pdf"
    export_pdf(_bundles(tmp_path, body), out)
    runs = [(x, text) for x, text in _text_runs(out) if "word" in text]
    width = float(pypdf.PdfReader(str(out)).pages[0].mediabox.width)
    assert len(runs) >= 4, runs  # one run per wrapped line
    assert all(0 <= x < width / 2 for x, _ in runs)
    assert all(word in _pdf_text(out) for word in words)


def test_pdf_from_a_process_without_a_display(tmp_path: Path) -> None:
    """The CLI path: no QApplication yet and no DISPLAY; one is made offscreen."""
    script = (
        "import sys; from pathlib import Path\n"
        "from app.store import Store\n"
        "from app.core.export import load_bundles\n"
        "from app.ui.export_pdf import export_pdf\n"
        "from tests.support.export_data import add_conversation, make_agent, rich_messages\n"
        "s = Store(Path(sys.argv[1]) / 'a.db'); a = make_agent(s)\n"
        "add_conversation(s, a.id, 'Headless', rich_messages())\n"
        "export_pdf(load_bundles(s), Path(sys.argv[1]) / 'out.pdf')\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=root,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Headless" in _pdf_text(tmp_path / "out.pdf")


def test_html_batches_join_whole_fragments_in_order() -> None:
    fragments = [f"<p>{i:04d}</p>" for i in range(100)]  # 11 characters each
    batches = list(html_batches(fragments, size=60))
    assert all(len(b.split("\n")) <= 5 for b in batches)  # 5 × 11 ≤ 60 < 6 × 11
    assert "\n".join(batches).split("\n") == fragments
    big = "<pre>" + "x" * 500 + "</pre>"
    assert list(html_batches(["<p>a</p>", big, "<p>b</p>"], size=60)) == [
        "<p>a</p>", big, "<p>b</p>"]  # a fragment is never split
    assert list(html_batches([])) == []


def _lines(document: QTextDocument) -> list[str]:
    return [line.rstrip(" ") for line in document.toPlainText().split("\n")]


def _page_image(document: QTextDocument, page: int) -> QImage:
    size = document.pageSize()
    image = QImage(int(size.width()), int(size.height()), QImage.Format.Format_RGB32)
    image.fill(QColor("#ff00ff"))  # neither theme's background
    painter = QPainter(image)
    painter.translate(0, -page * size.height())
    document.drawContents(painter, QRectF(0, page * size.height(), size.width(),
                                          size.height()))
    painter.end()
    return image


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_document_built_in_batches_is_the_html_page(qapp, tmp_path: Path, theme) -> None:
    """The PDF's document is filled a batch at a time; it must be what the
    whole page in one setHtml gives: same text, same pages, same pixels
    (background and text colours of the theme included)."""
    messages = rich_messages() * 150  # several batches of HTML
    pieces = pdf_html_pieces(_bundles(tmp_path, messages), theme)
    assert len(list(html_batches(pieces.body_fragments()))) >= 3
    writer = pdf_writer(tmp_path / "unused.pdf", "x")
    batched, whole = paged_document(writer), paged_document(writer)
    fill_document(batched, pieces)
    whole.setHtml(pieces.page())
    # Qt keeps the white space between two messages as a trailing space on the
    # line before; a batch ends without it. Invisible, so lines are compared
    # without trailing spaces (the pixels below are compared exactly).
    assert _lines(batched) == _lines(whole)
    assert batched.pageCount() == whole.pageCount() > 3
    for page in (0, whole.pageCount() // 2, whole.pageCount() - 1):
        assert _page_image(batched, page) == _page_image(whole, page), page
