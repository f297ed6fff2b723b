"""Hostile files give one clear DocumentError each, quickly, without reading
what they would unpack to."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from app.core.documents import DocumentError, DocumentLimits, convert_file
from tests.support.document_files import write_binary_txt, write_zip_bomb_docx


def _problem(path: Path, limits: DocumentLimits | None = None) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        convert_file(path, limits)
    assert str(caught.value).startswith(path.name + ": ")
    return caught.value


def test_a_zip_bomb_named_docx_is_refused_before_unpacking(tmp_path: Path) -> None:
    path = write_zip_bomb_docx(tmp_path / "bomb.docx")
    assert path.stat().st_size < 2 * 1024 * 1024
    error = _problem(path)
    assert error.problem == "zip_bomb" and "zip bomb" in error.detail


def test_an_archive_that_unpacks_too_large_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("xl/a.bin", os.urandom(300_000))
    error = _problem(path, DocumentLimits(max_unpacked_bytes=100_000))
    assert error.problem == "zip_bomb" and "unpacks to 300,000 bytes" in error.detail


def test_a_huge_pdf_is_refused_by_its_size_before_it_is_opened(tmp_path: Path) -> None:
    path = tmp_path / "huge.pdf"
    with path.open("wb") as handle:     # sparse: 500 MB on paper, nothing on disk
        handle.write(b"%PDF-1.4\n")
        handle.truncate(500 * 1024 * 1024)
    error = _problem(path)
    assert error.problem == "too_large" and "524,288,000 bytes" in error.detail


def test_a_binary_file_named_txt_is_refused(tmp_path: Path) -> None:
    error = _problem(write_binary_txt(tmp_path / "notes.txt"))
    assert error.problem == "binary"


def test_control_characters_without_nuls_are_binary_too(tmp_path: Path) -> None:
    path = tmp_path / "odd.md"
    path.write_bytes(bytes(range(1, 32)) * 200)
    assert _problem(path).problem == "binary"


def test_a_symlink_loop_is_unreadable_not_a_hang(tmp_path: Path) -> None:
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    error = _problem(tmp_path / "a.txt")
    assert error.problem == "unreadable"


def test_a_damaged_pdf_and_a_fake_docx_are_damaged(tmp_path: Path) -> None:
    pdf = tmp_path / "broken.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + os.urandom(4000))
    assert _problem(pdf).problem in {"damaged", "empty"}
    fake = tmp_path / "fake.docx"
    fake.write_text("not a zip at all")
    assert _problem(fake).problem == "damaged"
    zipped = tmp_path / "zipped.docx"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("hello.txt", "a zip, but not a document")
    assert _problem(zipped).problem == "damaged"


def test_a_folder_and_a_missing_file(tmp_path: Path) -> None:
    assert _problem(tmp_path).problem in {"not_a_file", "unreadable"}
    assert _problem(tmp_path / "gone.pdf").problem == "unreadable"


def test_an_unknown_binary_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\0\1\2" * 1000)
    assert _problem(path).problem == "unsupported"


def test_a_slow_reader_stops_at_the_time_budget(tmp_path: Path) -> None:
    from tests.support.document_files import write_pdf
    path = write_pdf(tmp_path / "pages.pdf", ["one", "two", "three"])
    document = convert_file(path, DocumentLimits(max_seconds=-1.0))
    assert [s.page for s in document.sections] == [1]
    assert document.truncated and "seconds" in document.note
