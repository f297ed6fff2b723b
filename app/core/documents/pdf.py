"""PDF to text with pypdf (pure Python, no native parts), one section per page."""

from __future__ import annotations

from pathlib import Path

from app.core.documents.budget import Budget
from app.core.documents.model import DocumentError


def read_pdf(path: Path, name: str, budget: Budget) -> None:
    """The text of each page; an encrypted PDF that needs a password is
    refused. Pages past ``max_pages`` are not read."""
    import pypdf

    reader = pypdf.PdfReader(str(path))
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except (NotImplementedError, pypdf.errors.PdfReadError):
            opened = 0
        if not opened:
            raise DocumentError(name, "encrypted", "the PDF is protected by a password")
    for number, page in enumerate(reader.pages, start=1):
        if number > budget.limits.max_pages:
            budget.stop(f"only the first {budget.limits.max_pages:,} pages were read")
            return
        if not budget.add(page.extract_text() or "", page=number):
            return
