"""Real documents of each kind, written by the tests themselves: PDF (a small
hand-built file with one text line per page), DOCX, PPTX, XLSX (by the same
libraries that read them), HTML, Markdown, text and code; and hostile ones
(a zip bomb dressed as DOCX, a binary file named .txt)."""

from __future__ import annotations

import zipfile
from pathlib import Path


def write_pdf(path: Path, pages: list[str]) -> Path:
    """A valid PDF with one line of text per page (Helvetica, ASCII)."""
    objects: list[bytes] = []
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for index, text in enumerate(pages):
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * index} 0 R >>"
            .encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream
                       + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += (b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, xref))
    path.write_bytes(bytes(out))
    return path


def write_docx(path: Path, sections: dict[str, list[str]],
               table: list[list[str]] | None = None) -> Path:
    """A DOCX with a Heading 1 per key and its paragraphs, then a table."""
    import docx

    document = docx.Document()
    for heading, paragraphs in sections.items():
        document.add_heading(heading, level=1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    document.save(str(path))
    return path


def write_pptx(path: Path, slides: list[tuple[str, str]], notes: str = "") -> Path:
    """A PPTX with a title-and-content slide per (title, body)."""
    import pptx

    presentation = pptx.Presentation()
    for title, body in slides:
        slide = presentation.slides.add_slide(presentation.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    presentation.save(str(path))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(str(path))
    return path


def write_zip_bomb_docx(path: Path, unpacked_bytes: int = 64 * 1024 * 1024) -> Path:
    """A "DOCX" whose one part unpacks to ``unpacked_bytes`` of zeros (a few
    hundred KB on disk). Written in 1 MB pieces, never held whole."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(unpacked_bytes // len(chunk)):
                member.write(chunk)
    return path


def write_binary_txt(path: Path, size: int = 20_000) -> Path:
    """Random-looking bytes (with NULs) under a .txt name."""
    data = bytes((i * 7919 + 13) % 256 for i in range(size))
    path.write_bytes(data)
    return path


def markdown_guide(path: Path, sections: int = 30) -> Path:
    """A Markdown file of ``sections`` "## Part N" sections of 40 sentences each."""
    parts = ["# Guide\n\nIntro text.\n"]
    for number in range(1, sections + 1):
        parts.append(f"\n## Part {number}\n\n" + " ".join(
            f"Paragraph {number} sentence {i} about topic{number}." for i in range(40)) + "\n")
    path.write_text("".join(parts), encoding="utf-8")
    return path
