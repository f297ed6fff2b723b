"""The source viewer's text and where the cited chunk is in it: real files
chunked by the real chunker, the chunk found again by its stored text (or its
heading, or its line), a long file cut around the chunk, hostile files
refused with a reason."""

from __future__ import annotations

from pathlib import Path

from app.core.knowledge.chunking import chunk_sections
from app.core.knowledge.files import read_file, sections_of
from app.core.knowledge.source_text import load_source, locate
from tests.support.document_files import markdown_guide, write_binary_txt, write_docx


def _chunks(path: Path):
    data, _ = read_file(str(path))
    return chunk_sections(sections_of(str(path), data))


def test_every_chunk_of_a_markdown_file_is_found_where_it_is(tmp_path: Path) -> None:
    guide = markdown_guide(tmp_path / "guide.md")
    chunks = _chunks(guide)
    assert len(chunks) > 20
    for chunk in (chunks[-1], chunks[len(chunks) // 2]):
        source = load_source(str(guide), chunk.text, chunk.location)
        assert source.error == "" and source.note == ""
        assert source.text == guide.read_text(encoding="utf-8")    # the file as it is
        start, end = source.span
        assert source.text[start:end] == chunk.text
    last = load_source(str(guide), chunks[-1].text).span
    assert last[0] > len(guide.read_text()) * 0.9                  # far down the file


def test_reflowed_white_space_still_finds_the_chunk() -> None:
    text = "alpha beta\n\ngamma delta epsilon\nzeta"
    assert locate(text, "gamma   delta\nepsilon") == (12, 31)


def test_the_heading_or_the_line_when_the_text_changed() -> None:
    text = "# Top\nx\n## Install › not this\n## Linux\nsteps\n"
    start, end = locate(text, "text that is gone", "Install › Linux")
    assert text[start:end] == "## Linux"
    start, end = locate("one\ntwo\nthree", "gone", "line 2")
    assert (start, end) == (4, 7)
    assert locate("one", "gone", "line 9") is None
    assert locate("one", "gone", "") is None


def test_a_chunk_no_longer_in_the_file_opens_at_the_top_and_says_so(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("completely different now", encoding="utf-8")
    source = load_source(str(notes), "the old text", "line 4")
    assert source.span is None and "not found" in source.note


def test_a_long_file_is_cut_around_the_chunk(tmp_path: Path) -> None:
    guide = markdown_guide(tmp_path / "big.md", sections=200)
    chunk = _chunks(guide)[-3]
    source = load_source(str(guide), chunk.text, chunk.location, max_chars=20_000)
    assert len(source.text) == 20_000
    start, end = source.span
    assert source.text[start:end] == chunk.text
    assert "Showing characters" in source.note


def test_a_docx_is_shown_as_the_text_it_was_indexed_from(tmp_path: Path) -> None:
    docx = write_docx(tmp_path / "plan.docx", {
        "Budget": [f"Line {i} of the budget with figure {i * 7}." for i in range(60)],
        "Risks": [f"Risk {i}: the supplier may be late by {i} days." for i in range(60)]})
    chunk = _chunks(docx)[-1]
    source = load_source(str(docx), chunk.text, chunk.location)
    start, end = source.span
    assert source.text[start:end] == chunk.text and "Risk 59" in source.text


def test_hostile_files_give_a_reason_not_an_exception(tmp_path: Path) -> None:
    fake = write_binary_txt(tmp_path / "fake.txt")
    assert "binary" in load_source(str(fake), "x").error
    assert load_source(str(tmp_path / "gone.md"), "x").error.startswith("gone.md: ")
    folder = tmp_path / "folder.md"
    folder.mkdir()
    assert load_source(str(folder), "x").error
