"""A cited file's text for the source viewer, and where the cited chunk is in it.

The file is untrusted: it is read as the indexer reads it (``read_file``:
bounded, binary and undecodable files refused; documents through the one
document converter), shown as plain text, and cut to ``MAX_SHOWN_CHARS``
around the cited chunk when it is longer. Text and Markdown files are shown
as they are; PDF, Office and HTML files as the text the index was built from
(their sections, one after another), so the chunk's text is found in it.

A chunk is found by its stored text (exactly, then with any run of white
space matching any other, from its first words), else by the last heading of
its location ("Install › Linux": a line holding "Linux"), else by its line
("line 120"); else the view opens at the top and says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from app.core.bounded_read import decode_text
from app.core.knowledge.files import (
    DOCUMENT_SUFFIXES,
    MARKDOWN_SUFFIXES,
    FileProblem,
    read_file,
    sections_of,
)

#: The most characters the viewer shows (the part around the chunk when longer).
MAX_SHOWN_CHARS = 400_000
_PREFIX_WORDS = 40
_LINE = re.compile(r"^line (\d+)$")


@dataclass(frozen=True)
class SourceText:
    """What the viewer shows: ``text`` with the chunk at ``span`` (start, end;
    None when it was not found), a ``note`` for the person (empty if none),
    or ``error`` (the file could not be read; ``text`` is then empty)."""

    text: str = ""
    span: tuple[int, int] | None = None
    note: str = ""
    error: str = ""


def load_source(path: str, chunk_text: str = "", location: str = "",
                max_chars: int = MAX_SHOWN_CHARS) -> SourceText:
    """The file's text (bounded) with the cited chunk located. Never raises
    for a bad file: ``error`` says why."""
    try:
        data, _digest = read_file(path)
        text = _whole_text(path, data)
    except FileProblem as exc:
        return SourceText(error=f"{Path(path).name}: {exc}")
    except OSError as exc:
        return SourceText(error=f"{Path(path).name}: {exc.strerror or exc}")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    span = locate(text, chunk_text, location)
    note = "" if span is not None else \
        "The cited passage was not found in the file as it is now (it may have changed)."
    if len(text) <= max_chars:
        return SourceText(text, span, note)
    start = 0 if span is None else max(0, span[0] - max_chars // 2)
    end = min(len(text), start + max_chars)
    start = max(0, end - max_chars)
    shown = text[start:end]
    cut = (f"Showing characters {start + 1:,}–{end:,} of {len(text):,} "
           "(the file is longer than the viewer shows).")
    moved = None if span is None else (span[0] - start, min(span[1], end) - start)
    return SourceText(shown, moved, " ".join(part for part in (note, cut) if part))


def _whole_text(path: str, data: bytes) -> str:
    """The text the index was built from: a document's sections one after
    another; a text file as it is (Markdown too, not cut at its headings).
    Raises FileProblem."""
    sections = sections_of(path, data)          # decodes (or refuses) the file
    if Path(path).suffix.lower() in DOCUMENT_SUFFIXES:
        return "\n\n".join(section.text for section in sections)
    if Path(path).suffix.lower() in MARKDOWN_SUFFIXES:
        return decode_text(data, Path(path))    # decoded once already: cannot fail
    return sections[0].text if sections else ""


def locate(text: str, chunk_text: str, location: str = "") -> tuple[int, int] | None:
    """Where the chunk is in ``text``: (start, end), or None."""
    chunk = chunk_text.strip()
    if chunk:
        found = text.find(chunk)
        if found >= 0:
            return found, found + len(chunk)
        words = chunk.split()[:_PREFIX_WORDS]
        if words:
            pattern = r"\s+".join(re.escape(word) for word in words)
            match = re.search(pattern, text)
            if match is not None:
                return match.start(), match.end()
    return _by_location(text, location)


def _by_location(text: str, location: str) -> tuple[int, int] | None:
    location = location.strip()
    if not location:
        return None
    line = _LINE.match(location)
    if line is not None:
        number = int(line.group(1))
        lines = text.split("\n")
        if 1 <= number <= len(lines):
            start = sum(len(item) + 1 for item in lines[:number - 1])
            return start, start + len(lines[number - 1])
        return None
    heading = location.split(" › ")[-1].strip()
    if not heading:
        return None
    match = re.search(r"^[ \t]*#{1,6}[ \t]+" + re.escape(heading) + r"[ \t#]*$", text,
                      re.MULTILINE)
    if match is None:
        match = re.search(re.escape(heading), text)
    return (match.start(), match.end()) if match is not None else None
