"""One entry point: a file's path in, a ``Document`` (or one ``DocumentError``
sentence) out. Every check that protects the caller from a hostile file
happens here or in the reader it dispatches to: size before opening, zip
bombs before unpacking, binary data named ``.txt``, unreadable files and
symlink loops, and the character/page/time budget while reading."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from app.core.bounded_read import BoundedReadError, read_bounded
from app.core.documents import office, pdf, text_files
from app.core.documents.budget import Budget
from app.core.documents.kinds import kind_of
from app.core.documents.model import Document, DocumentError, DocumentKind, DocumentLimits
from app.core.documents.zip_guard import check_archive
from app.domain.live_files import refuse_live

log = logging.getLogger(__name__)

_TEXT_KINDS = frozenset({"html", "markdown", "text", "code"})
_OFFICE = {"docx": office.read_docx, "pptx": office.read_pptx, "xlsx": office.read_xlsx}


def convert_file(path: Path | str, limits: DocumentLimits | None = None) -> Document:
    """The text of the file at ``path`` with page/slide/sheet/heading places.
    Raises DocumentError (one sentence naming the file) for anything that is
    not a readable document of a kind we know."""
    path, limits = Path(path), limits or DocumentLimits()
    name = path.name
    size = _stat_size(path, name)
    kind = kind_of(name) or _sniff_kind(path, name)
    limit = limits.max_text_file_bytes if kind in _TEXT_KINDS else limits.max_file_bytes
    if size > limit:
        raise DocumentError(name, "too_large",
                            f"too large ({size:,} bytes; the limit is {limit:,})")
    budget = Budget(limits)
    if kind in _TEXT_KINDS:
        _read_text(path, name, kind, limit, budget)
    else:
        _read_binary(path, name, kind, limits, budget)
    if not budget.sections:
        raise DocumentError(name, "empty", "holds no text"
                            + (" (a scanned PDF?)" if kind == "pdf" else ""))
    return Document(name=name, kind=kind, sections=tuple(budget.sections),
                    truncated=budget.full, note=budget.note,
                    page_word="slide" if kind == "pptx" else "page")


def _stat_size(path: Path, name: str) -> int:
    try:
        refuse_live(path)
        info = path.stat()              # follows links; a loop is ELOOP here
    except OSError as exc:
        raise DocumentError(name, "unreadable",
                            f"cannot be read ({exc.strerror or exc})") from None
    if not path.is_file():
        raise DocumentError(name, "not_a_file", "not a file")
    if not os.access(path, os.R_OK):
        raise DocumentError(name, "unreadable", "cannot be read (permission denied)")
    return info.st_size


def _sniff_kind(path: Path, name: str) -> DocumentKind:
    """A name we do not know: text if its start reads as text, else refused."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
    except OSError as exc:
        raise DocumentError(name, "unreadable",
                            f"cannot be read ({exc.strerror or exc})") from None
    if head.startswith(b"%PDF-"):
        return "pdf"
    try:
        text_files.decode(head, name)
    except DocumentError:
        raise DocumentError(name, "unsupported", "not a kind of document AgentDesk reads") \
            from None
    return "text"


def _read_text(path: Path, name: str, kind: str, limit: int, budget: Budget) -> None:
    try:
        data = read_bounded(path, limit, text=False)
    except BoundedReadError as exc:
        problem = "too_large" if exc.problem == "too_large" else "unreadable"
        raise DocumentError(name, problem, exc.detail) from None
    text = text_files.decode(data, name)
    if kind == "html":
        text_files.read_html(text, budget)
    elif kind == "markdown":
        text_files.read_markdown(text, budget)
    elif kind == "code":
        text_files.read_code(text, name, budget)
    else:
        text_files.read_plain(text, budget)


def _read_binary(path: Path, name: str, kind: DocumentKind, limits: DocumentLimits,
                 budget: Budget) -> None:
    if kind in _OFFICE:
        check_archive(path, name, limits)
    try:
        if kind == "pdf":
            pdf.read_pdf(path, name, budget)
        else:
            _OFFICE[kind](path, budget)
    except DocumentError:
        raise
    except OSError as exc:
        raise DocumentError(name, "unreadable",
                            f"cannot be read ({exc.strerror or exc})") from None
    except Exception as exc:  # noqa: BLE001 — a hostile file can make a parser raise anything
        log.info("could not convert %s: %r", name, exc)
        raise DocumentError(name, "damaged",
                            f"damaged or not a real {kind.upper()} file "
                            f"({type(exc).__name__})") from None
