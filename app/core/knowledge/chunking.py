"""Cutting sections of text into chunks for indexing and retrieval.

A chunk is about ``size`` characters, cut at a paragraph break where one is
near, else at a line or sentence end, else at a space; consecutive chunks of
one section overlap by about ``overlap`` characters so an answer that spans a
cut is still found whole in one of them. Each chunk keeps its section's
location (heading path or page); without one, the chunk's first line number
("line 120") locates it.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.core.knowledge.files import Section
from app.domain.knowledge import Chunk

CHUNK_CHARS = 1200
OVERLAP_CHARS = 150
_BREAKS = ("\n\n", "\n", ". ", " ")


def chunk_sections(sections: Sequence[Section], *, size: int = CHUNK_CHARS,
                   overlap: int = OVERLAP_CHARS) -> list[Chunk]:
    """All chunks of a file's sections, numbered from 0 in file order."""
    if size < 100 or not 0 <= overlap < size // 2:
        raise ValueError("size must be at least 100 and overlap under half of it")
    chunks: list[Chunk] = []
    for section in sections:
        for start, end in _cuts(section.text, size, overlap):
            text = section.text[start:end].strip()
            if not text:
                continue
            location = section.location
            if not location and section.page is None:
                location = f"line {section.text.count(chr(10), 0, start) + 1}"
            chunks.append(Chunk(ordinal=len(chunks), text=text, location=location,
                                page=section.page))
    return chunks


def _cuts(text: str, size: int, overlap: int) -> list[tuple[int, int]]:
    """(start, end) of each chunk of ``text``."""
    cuts: list[tuple[int, int]] = []
    start, length = 0, len(text)
    while start < length:
        end = min(start + size, length)
        if end < length:
            end = _break_before(text, start, end, size)
        cuts.append((start, end))
        if end >= length:
            break
        start = max(end - overlap, start + 1)
        # Start the overlap at a word, not inside one.
        space = text.find(" ", start, end)
        if 0 <= space < end - 1:
            start = space + 1
    return cuts


def _break_before(text: str, start: int, end: int, size: int) -> int:
    """The best place to cut in the last half of ``text[start:end]``."""
    floor = start + size // 2
    for mark in _BREAKS:
        at = text.rfind(mark, floor, end)
        if at >= 0:
            return at + len(mark)
    return end
