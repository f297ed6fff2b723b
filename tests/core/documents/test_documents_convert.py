"""app.core.documents on real files of each kind, written by the test."""

from __future__ import annotations

from pathlib import Path


from app.core.documents import DocumentLimits, convert_file, kind_of
from tests.support.document_files import write_docx, write_pdf, write_pptx, write_xlsx


def test_a_pdf_keeps_its_pages(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "report.pdf", ["Alpha page one", "Bravo page two"])
    document = convert_file(path)
    assert document.kind == "pdf"
    assert [s.page for s in document.sections] == [1, 2]
    assert "Bravo page two" in document.sections[1].text
    text = document.text()
    assert text.index("[page 1]") < text.index("Alpha") < text.index("[page 2]")
    assert not document.truncated


def test_a_docx_keeps_headings_paragraphs_and_tables(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "notes.docx",
                      {"Introduction": ["The first paragraph."],
                       "Method": ["Second part.", "Third part."]},
                      table=[["name", "value"], ["alpha", "42"]])
    document = convert_file(path)
    assert document.kind == "docx"
    assert [s.heading for s in document.sections] == ["Introduction", "Method"]
    text = document.text()
    assert "# Introduction" in text and "# Method" in text
    assert "Third part." in text and "alpha | 42" in text
    assert document.sections[1].location == "heading Method"


def test_a_pptx_has_one_section_per_slide_with_notes(tmp_path: Path) -> None:
    path = write_pptx(tmp_path / "deck.pptx",
                      [("Kickoff", "Goals for the year"), ("Budget", "Numbers here")],
                      notes="speaker notes")
    document = convert_file(path)
    assert [s.page for s in document.sections] == [1, 2]
    assert "[slide 2]" in document.text()
    assert "Numbers here" in document.sections[1].text
    assert "speaker notes" in document.sections[0].text


def test_an_xlsx_has_one_section_per_sheet(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "book.xlsx",
                      {"Costs": [["item", "eur"], ["desk", 120]],
                       "People": [["name"], ["Ada"]]})
    document = convert_file(path)
    assert [s.heading for s in document.sections] == ["Costs", "People"]
    assert "desk | 120" in document.sections[0].text
    assert "[sheet People]" in document.text()


def test_html_keeps_visible_text_and_headings_only(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text("<html><head><title>t</title><style>p{color:red}</style></head>"
                    "<body><h1>Welcome</h1><p>Hello &amp; goodbye</p>"
                    "<script>alert('x')</script><h2>Later</h2><ul><li>one</li></ul>"
                    "</body></html>", encoding="utf-8")
    document = convert_file(path)
    text = document.text()
    assert "# Welcome" in text and "## Later" in text and "Hello & goodbye" in text
    assert "alert" not in text and "color:red" not in text
    assert [s.heading for s in document.sections] == ["Welcome", "Later"]


def test_markdown_text_and_code(tmp_path: Path) -> None:
    md = tmp_path / "readme.md"
    md.write_text("intro\n# One\nbody one\n## Two\nbody two\n", encoding="utf-8")
    assert [s.heading for s in convert_file(md).sections] == [None, "One", "Two"]
    txt = tmp_path / "plain.txt"
    txt.write_bytes("caf\xe9 au lait".encode("cp1252"))   # not UTF-8: still text
    assert convert_file(txt).text() == "café au lait"
    code = tmp_path / "tool.py"
    code.write_text("def f():\n    return '```'\n", encoding="utf-8")
    text = convert_file(code).text()
    assert text.startswith("````python\n") and text.endswith("\n````")
    assert kind_of("Makefile") == "code" and kind_of("x.unknown") is None


def test_an_unknown_name_that_reads_as_text_is_text(tmp_path: Path) -> None:
    path = tmp_path / "NOTES"
    path.write_text("just words", encoding="utf-8")
    assert convert_file(path).kind == "text"


def test_long_text_is_cut_to_the_budget_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("x" * 5000, encoding="utf-8")
    document = convert_file(path, DocumentLimits(max_chars=1000))
    assert document.truncated and document.char_count == 1000
    assert "1,000 characters" in document.note


def test_pages_past_the_limit_are_not_read(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "many.pdf", [f"page {i}" for i in range(1, 8)])
    document = convert_file(path, DocumentLimits(max_pages=3))
    assert [s.page for s in document.sections] == [1, 2, 3]
    assert document.truncated and "first 3 pages" in document.note
