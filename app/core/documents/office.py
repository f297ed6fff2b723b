"""DOCX (python-docx), PPTX (python-pptx) and XLSX (openpyxl) to text. Each
file has passed ``zip_guard.check_archive`` first."""

from __future__ import annotations

from pathlib import Path

from app.core.documents.budget import Budget


def _table_rows(rows: list[list[str]]) -> str:
    """A table as Markdown-ish rows ("a | b | c"), empty rows left out."""
    lines = [" | ".join(cell.strip() for cell in row) for row in rows]
    return "\n".join(line for line in lines if line.strip(" |"))


def read_docx(path: Path, budget: Budget) -> None:
    """Paragraphs and tables in reading order; ``Heading N``/``Title`` styles
    become Markdown headings and start a new section (its place to cite)."""
    import docx  # python-docx; imported here so the app starts without it loaded
    from docx.table import Table

    document = docx.Document(str(path))
    heading: str | None = None
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.append(_table_rows([[cell.text for cell in row.cells]
                                      for row in block.rows]))
            continue
        text = block.text.strip()
        style = (block.style.name if block.style is not None else "") or ""
        level = _heading_level(style)
        if level and text:
            if lines and not budget.add("\n".join(lines), heading=heading):
                return
            heading, lines = text, [f"{'#' * level} {text}"]
        elif text:
            lines.append(text)
    if lines:
        budget.add("\n\n".join(lines), heading=heading)


def _heading_level(style: str) -> int:
    if style == "Title":
        return 1
    if style.startswith("Heading "):
        number = style.removeprefix("Heading ").strip()
        return min(int(number), 6) if number.isdigit() else 0
    return 0


def read_pptx(path: Path, budget: Budget) -> None:
    """Each slide's text frames, tables and notes, one section per slide."""
    import pptx  # python-pptx

    presentation = pptx.Presentation(str(path))
    for number, slide in enumerate(presentation.slides, start=1):
        if number > budget.limits.max_pages:
            budget.stop(f"only the first {budget.limits.max_pages:,} slides were read")
            return
        lines: list[str] = []
        for shape in slide.shapes:
            if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
                text = shape.text_frame.text.strip()
                if text:
                    lines.append(text)
            if getattr(shape, "has_table", False) and shape.has_table:
                lines.append(_table_rows([[cell.text for cell in row.cells]
                                          for row in shape.table.rows]))
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            if notes is not None and notes.text.strip():
                lines.append(f"Notes: {notes.text.strip()}")
        if not budget.add("\n".join(lines), page=number):
            return


def read_xlsx(path: Path, budget: Budget) -> None:
    """Each sheet's cell values (formulas' last computed values), one row a
    line, one section per sheet named after it."""
    import openpyxl

    workbook = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            rows: list[list[str]] = []
            for index, row in enumerate(sheet.iter_rows(values_only=True)):
                if index >= budget.limits.max_rows_per_sheet:
                    budget.stop(f"only the first {budget.limits.max_rows_per_sheet:,} "
                                "rows of a sheet were read")
                    break
                rows.append(["" if value is None else str(value) for value in row])
            if not budget.add(_table_rows(rows), heading=sheet.title) or budget.full:
                return
    finally:
        workbook.close()
