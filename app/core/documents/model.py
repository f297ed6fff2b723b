"""What a converted document is: sections of plain text, each with where it came
from (page, slide, sheet or heading), and the limits that keep a hostile file
from costing more than an ordinary one.

Qt-free and store-free: attachments (app/core/attachments) and knowledge
folders both read files through this package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DocumentKind = Literal["pdf", "docx", "pptx", "xlsx", "html", "markdown", "text", "code"]

ProblemKind = Literal[
    "unreadable", "not_a_file", "too_large", "binary", "unsupported", "damaged",
    "zip_bomb", "encrypted", "empty",
]


class DocumentError(ValueError):
    """A file that cannot be turned into text; ``str()`` is one sentence naming
    the file, ``problem`` says which kind of failure (for tests and callers
    that word it themselves), ``detail`` is the sentence without the name."""

    def __init__(self, name: str, problem: ProblemKind, detail: str) -> None:
        self.name, self.problem, self.detail = name, problem, detail
        super().__init__(f"{name}: {detail}")


@dataclass(frozen=True)
class DocumentLimits:
    """Bounds on one conversion. The defaults are generous for real documents
    and small enough that a hostile one cannot exhaust memory or time."""

    #: A file larger than this is refused before it is opened.
    max_file_bytes: int = 64 * 1024 * 1024
    #: A text-like file (text, Markdown, HTML, code) larger than this is refused.
    max_text_file_bytes: int = 16 * 1024 * 1024
    #: Office files are zip archives: refuse those that unpack to more than
    #: this, whose members expand more than ``max_zip_ratio`` times, or that
    #: hold more than ``max_zip_members`` members (zip bombs).
    max_unpacked_bytes: int = 256 * 1024 * 1024
    max_zip_ratio: int = 200
    max_zip_members: int = 10_000
    #: Pages (PDF), slides (PPTX), rows per sheet (XLSX) read at most.
    max_pages: int = 2_000
    max_rows_per_sheet: int = 20_000
    #: Characters of text kept at most; the rest is dropped and the document
    #: marked truncated.
    max_chars: int = 4_000_000
    #: Seconds of work at most (checked between pages/slides/sheets); past it
    #: the text so far is kept and the document marked truncated.
    max_seconds: float = 60.0


@dataclass(frozen=True)
class Section:
    """One stretch of a document's text and where it is."""

    text: str
    page: int | None = None         # 1-based page (PDF) or slide (PPTX)
    heading: str | None = None      # the heading above it, or the sheet's name

    @property
    def location(self) -> str:
        """Where it is in words: "page 3", "heading Intro", "" for none."""
        if self.page is not None:
            return f"page {self.page}"
        return f"heading {self.heading}" if self.heading else ""


@dataclass(frozen=True)
class Document:
    """A file turned into text. ``truncated`` says a limit cut it short
    (``note`` says which, in words)."""

    name: str
    kind: DocumentKind
    sections: tuple[Section, ...]
    truncated: bool = False
    note: str = ""
    #: What a page/slide marker is called for this kind ("page", "slide").
    page_word: str = field(default="page")

    @property
    def char_count(self) -> int:
        return sum(len(section.text) for section in self.sections)

    def text(self) -> str:
        """The whole text with markers a reader (or a model) can cite:
        ``[page 3]`` / ``[slide 2]`` before each page, ``[sheet NAME]`` before
        each sheet; headings of DOCX/HTML/Markdown stay as Markdown headings."""
        parts: list[str] = []
        for section in self.sections:
            if section.page is not None:
                parts.append(f"[{self.page_word} {section.page}]\n{section.text}")
            elif self.kind == "xlsx" and section.heading:
                parts.append(f"[sheet {section.heading}]\n{section.text}")
            else:
                parts.append(section.text)
        return "\n\n".join(part.rstrip() for part in parts if part.strip())
