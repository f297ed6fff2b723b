"""Reading knowledge files: sections, chunks, and hostile files as clear per-file errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.core.knowledge.chunking import chunk_sections
from app.core.knowledge.files import (
    FileProblem,
    Found,
    Section,
    Unusable,
    markdown_sections,
    read_file,
    sections_of,
    walk_source,
)
from tests.support.document_files import write_docx, write_pdf
from tests.support.knowledge_files import hostile_folder


def test_markdown_is_split_at_headings_with_their_path() -> None:
    text = ("# Guide\nintro\n## Install\n### Linux\napt install x\n```\n# not a heading\n```\n"
            "## Use\nrun it\n")
    sections = markdown_sections(text)
    assert [s.location for s in sections] == ["Guide", "Guide › Install",
                                              "Guide › Install › Linux", "Guide › Use"]
    assert "# not a heading" in sections[2].text


def test_chunks_overlap_cut_at_breaks_and_keep_their_location() -> None:
    paragraph = "Sentence number {n} is here. "
    text = "\n\n".join("".join(paragraph.format(n=p * 10 + i) for i in range(10))
                       for p in range(20))
    chunks = chunk_sections([Section(text, "Chapter")], size=600, overlap=100)
    assert len(chunks) > 5
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert all(c.location == "Chapter" and len(c.text) <= 600 for c in chunks)
    for before, after in zip(chunks, chunks[1:]):
        assert before.text[-30:].split()[-1] in after.text   # overlap carries the cut
    # every sentence is in some chunk
    joined = " ".join(c.text for c in chunks)
    assert all(f"number {n} is" in joined for n in range(200))


def test_plain_text_chunks_are_located_by_line() -> None:
    text = "".join(f"line {n} of the file\n" for n in range(1, 400))
    chunks = chunk_sections([Section(text)], size=500, overlap=50)
    assert chunks[0].location == "line 1"
    first_line = int(chunks[3].location.split()[1])
    assert f"line {first_line} of" in text.splitlines()[first_line - 1]


def test_hostile_files_give_one_clear_error_each_and_the_rest_reads(tmp_path: Path) -> None:
    files = hostile_folder(tmp_path / "kb")
    found = list(walk_source(str(tmp_path / "kb")))
    problems = {Path(item.path).name: item.reason for item in found
                if isinstance(item, Unusable)}
    assert problems["self.txt"] == "symbolic link loop"
    assert "loop" in problems["back"]
    readable: dict[str, str] = {}
    for item in found:
        if isinstance(item, Found):
            try:
                data, _sha = read_file(item.path)
                readable[Path(item.path).name] = " ".join(
                    s.text for s in sections_of(item.path, data))
            except FileProblem as exc:
                problems[Path(item.path).name] = str(exc)
    assert problems["binary.txt"] == "a binary file, not text"
    assert "too large" in problems["huge.pdf"]
    assert "zip bomb" in problems["bomb.docx"]
    if os.geteuid() != 0:          # root reads anything; tests/cli covers it without root's rights
        assert "permission denied" in problems["secret.txt"]
    assert "zanzibar-77" in readable["guide.md"]
    assert "herons" in readable["inner.md"]
    assert files["good_txt"].name in readable


def test_pdf_and_docx_go_through_the_document_converter_with_their_places(
        tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "manual.pdf", ["Intro page about boats.",
                                              "The falcon code word is zanzibar."])
    data, _ = read_file(str(pdf))
    sections = sections_of(str(pdf), data)
    assert [(s.page, s.location) for s in sections] == [(1, "page 1"), (2, "page 2")]
    chunks = chunk_sections(sections)
    assert chunks[1].page == 2 and "zanzibar" in chunks[1].text
    docx = write_docx(tmp_path / "notes.docx", {"Otters": ["Otters hold hands."]})
    data, _ = read_file(str(docx))
    assert any("Otters hold hands" in s.text for s in sections_of(str(docx), data))
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK not really")
    with pytest.raises(FileProblem, match="damaged"):
        sections_of(str(broken), broken.read_bytes())


def test_a_missing_source_and_a_single_file_source(tmp_path: Path) -> None:
    assert [type(i) for i in walk_source(str(tmp_path / "gone"))] == [Unusable]
    one = tmp_path / "one.md"
    one.write_text("# A\ntext")
    assert [i.path for i in walk_source(str(one))] == [str(one)]
