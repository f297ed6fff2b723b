"""Incremental splitting of streamed Markdown into top-level blocks (pure Python).

A reply arrives a few tokens at a time. The splitter keeps the *open* block (the
tail) and hands back every block that can no longer change, so the view renders
each finished block exactly once and only redraws the tail.

A block ends:
- after the closing line of a fenced code block (```` ``` ```` or ``~~~``);
- before a fence's opening line;
- before a non-indented line that follows a blank line (indented lines after a
  blank line continue a list item or an indented code block; a list item after a
  blank line continues a list started by the same kind of marker);
- when it grows past ``FORCE_SPLIT_CHARS`` (pathological input: a 1 MB line, a
  huge paragraph). The rest of such a block is then shown as plain text, since
  Markdown structure spanning the cut could not be rendered correctly anyway.

Only complete lines (ending in a newline) are scanned; the partial last line
stays in the tail, which the view renders too, so the user still sees it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

# Blocks larger than this are cut and shown as plain text (bounds the work of
# the Markdown library, whose cost on hostile input is hard to predict).
FORCE_SPLIT_CHARS = 16_000

BlockKind = Literal["markdown", "fence", "plain"]

_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)")
_UL_RE = re.compile(r"^[*+-]\s")
_OL_RE = re.compile(r"^\d{1,9}[.)]\s")


@dataclass(frozen=True)
class Block:
    """One top-level Markdown block; ``text`` is its raw source."""

    text: str
    kind: BlockKind = "markdown"
    lang: str = ""
    closed: bool = True  # False: a fence whose closing line has not arrived (yet)


def _list_kind(line: str) -> str | None:
    if _UL_RE.match(line):
        return "ul"
    if _OL_RE.match(line):
        return "ol"
    return None


class BlockSplitter:
    """Feed streamed text; get finished blocks back; ``tail()`` is the open block.

    Linear in the text fed, however it is cut: the open block is
    ``_buf[_base:]`` (emitting a block moves ``_base`` instead of copying the
    rest of the buffer), a line search never looks further than the size limit,
    and whether the open block has content yet is a flag, not a re-scan.
    """

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._buf = ""       # the open block is _buf[_base:]; earlier text is spent
        self._base = 0
        self._scan = 0       # index in _buf of the next complete line to scan
        self._fence: tuple[str, int] | None = None  # (char, length) while in a fence
        self._lang = ""
        self._blank = False  # the previous scanned line was blank
        self._content = False  # the open block has a non-blank scanned line
        self._list: str | None = None  # list kind of the open block's first line
        self._degraded = False  # the open block was force-split: rest is plain

    def feed(self, text: str) -> list[Block]:
        """Add ``text``; return the blocks it finished, in order."""
        if self._base:  # drop spent text once per feed (amortised: linear overall)
            self._buf = self._buf[self._base:]
            self._scan -= self._base
            self._base = 0
        self._buf += text
        out: list[Block] = []
        while True:
            # Scan lines only up to the size limit, so no block grows past it (and
            # a search for the next newline never runs past it either).
            limit = self._base + FORCE_SPLIT_CHARS
            end = self._buf.find("\n", self._scan, limit)
            while end >= 0:
                self._scan_line(self._scan, end + 1, out)
                limit = self._base + FORCE_SPLIT_CHARS
                end = self._buf.find("\n", self._scan, limit)
            if len(self._buf) - self._base <= FORCE_SPLIT_CHARS:
                return out
            self._force_split(out)

    def close(self) -> list[Block]:
        """The reply is over: the open block (if any) is finished as it stands."""
        out: list[Block] = []
        if self._scan < len(self._buf):  # the last line, without its newline
            self._scan_line(self._scan, len(self._buf), out)
        tail = self.tail()
        if tail is not None:
            out.append(tail)
        self._reset()
        return out

    def tail(self) -> Block | None:
        """The open block, or None when there is nothing pending."""
        text = self._buf[self._base:]
        if not text.strip():
            return None
        if self._degraded:
            return Block(text, "plain")
        if self._fence is not None:
            return Block(text, "fence", self._lang, closed=False)
        return Block(text, "markdown")

    # -- scanning ---------------------------------------------------------------------
    def _emit(self, cut: int, out: list[Block], kind: BlockKind = "markdown") -> None:
        """Finish the open block at ``cut`` (an index in ``_buf``)."""
        text = self._buf[self._base:cut]
        self._base = cut
        if text.strip():
            if self._degraded:
                kind = "plain"
            out.append(Block(text, kind, self._lang if kind == "fence" else ""))
        self._degraded = False
        self._list = None
        self._content = False

    def _scan_line(self, start: int, end: int, out: list[Block]) -> None:
        line = self._buf[start:end].rstrip("\n")
        self._scan = end
        if self._fence is not None:
            char, length = self._fence
            stripped = line.strip()
            if stripped.startswith(char * length) and not stripped.strip(char):
                self._fence = None
                self._emit(end, out, "fence")
                self._lang = ""
                self._blank = False
            return
        match = _FENCE_RE.match(line)
        if match:
            self._emit(start, out)
            fence = match.group(1)
            self._fence = (fence[0], len(fence))
            self._lang = match.group(2)
            self._blank = False
            self._content = True
            return
        if not line.strip():
            self._blank = True
            return
        starts_block = not self._content
        if self._blank and not line[0].isspace() and not starts_block:
            kind = _list_kind(line)
            if kind is None or kind != self._list:
                self._emit(start, out)
                starts_block = True
        if starts_block:
            self._list = _list_kind(line)
        self._blank = False
        self._content = True

    def _force_split(self, out: list[Block]) -> None:
        """Cut an over-long open block; what is cut off was scanned already."""
        limit = self._base + FORCE_SPLIT_CHARS
        cut = self._buf.rfind("\n", self._base, limit) + 1
        if cut - self._base < FORCE_SPLIT_CHARS // 2:
            cut = limit  # one huge line: cut inside it
        content = bool(self._buf[cut:self._scan].strip())  # at most the size limit
        self._degraded = True
        self._emit(cut, out, "plain")
        # The open block goes on as plain text until its natural end.
        self._degraded = True
        self._content = content
        self._scan = max(self._scan, cut)
