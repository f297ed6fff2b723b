"""Incremental Markdown rendering into a QTextDocument, in bounded slices.

Text is buffered by ``append`` and drawn by ``flush`` (the view calls it on a
timer). Each flush, while the event-loop turn's work budget lasts
(``render_budget.py``):
1. feeds the buffered text to the block splitter, ``FEED_SLICE_CHARS`` at a time;
2. queues every block the splitter finished and draws queued blocks, in order;
3. once nothing is queued or unfed, redraws only the open tail block.
What the budget leaves is drawn by the view's ``RenderPump`` in later turns, so
a huge or hostile message (or a chat of them) never holds the UI thread for
more than about a frame at a time.

Finished blocks are rendered once (``final_renders`` counts renders per block
index so tests can check that). Work is bounded per block (the Markdown limits
in markdown_render.py; plain text is inserted in pieces of ``PLAIN_PIECE_CHARS``)
and per message: Markdown work past ``MESSAGE_MARKDOWN_UNITS`` falls back to
plain text, and drawing stops after ``MAX_VIEW_CHARS`` characters or
``MAX_VIEW_LINES`` lines (a note says so; Copy still gets all of it). Text
shown as plain instead of Markdown gets a small note (one per run of such blocks).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtGui import (
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextDocumentFragment,
)
from shiboken6 import isValid

from app.ui.chat.blocks import Block, BlockSplitter
from app.ui.chat.markdown_render import (
    MarkdownRenderer,
    is_pathological,
    plain_html,
    skipped_note_html,
)
from app.ui.chat.render_budget import (
    ITEM_UNITS,
    MESSAGE_MARKDOWN_UNITS,
    Unlimited,
    WorkBudget,
    block_cost,
    split_cost,
)

# Tails larger than this are drawn as plain text until they are finished.
TAIL_RICH_MAX_CHARS = 4_000
MAX_VIEW_CHARS = 300_000
MAX_VIEW_LINES = 20_000
PLAIN_PIECE_CHARS = 2_000  # plain text is inserted this much at a time (<= ~10 ms)
FEED_SLICE_CHARS = 8_000  # text handed to the block splitter at a time (<= ~10 ms)
TRUNCATED_NOTE = ("[The rest of this message is too long to show here; "
                  "Copy gets all of it.]")

RenderHook = Callable[[int, bool], None]  # (block index, final?)


class Pump(Protocol):
    """What a renderer needs from the view's pump (render_pump.RenderPump)."""

    def budget(self) -> WorkBudget: ...

    def wait(self, renderer: StreamRenderer) -> None: ...


@dataclass(frozen=True)
class _Item:
    """One queued piece of drawing: a block, a piece of plain text, or the cap note."""

    kind: str  # "markdown" | "fence" | "plain" | "truncated"
    index: int
    cost: int
    block: Block | None = None
    first: bool = True  # the first piece of its block (counted as its render)
    note: bool = False  # draw the "formatting skipped" note before it


def plain_pieces(text: str, size: int = PLAIN_PIECE_CHARS) -> list[str]:
    """``text`` cut at line ends into pieces of at most ``size`` characters."""
    pieces: list[str] = []
    start = 0
    while len(text) - start > size:
        cut = text.rfind("\n", start, start + size) + 1
        if cut <= start:
            cut = start + size  # one long line
        pieces.append(text[start:cut])
        start = cut
    if start < len(text):
        pieces.append(text[start:])
    return pieces


class StreamRenderer:
    def __init__(self, document: QTextDocument, renderer: MarkdownRenderer,
                 pump: Pump | None = None) -> None:
        """``pump``: the view's; without one everything is drawn at once."""
        self._doc = document
        self._md = renderer
        self._pump = pump
        self._splitter = BlockSplitter()
        self._pending: list[str] = []
        self._parts: list[str] = []  # all text received, for copy
        self._unfed = ""  # flushed text not yet given to the splitter (from _unfed_at)
        self._unfed_at = 0
        self._closed = False  # the splitter's last block was taken (after finish)
        self._queue: deque[_Item] = deque()
        self._tail_start: int | None = None  # where the tail drawing begins
        self._tail_fixed = 0  # chars of a big open block drawn as pieces that stay
        self._tail_fixed_end: int | None = None  # document position after those pieces
        self._queued_chars = 0
        self._queued_lines = 0
        self._markdown_units = 0
        self._in_fallback = False  # the last queued block was shown as plain text
        self._truncated = False
        self._finished = False
        self.blocks: list[Block] = []  # finished blocks, in order
        self.code: list[str] = []  # text of finished code blocks (Copy links)
        self.tail_code: str | None = None  # code of an open fence at the tail
        self.final_renders: Counter[int] = Counter()
        self.tail_renders = 0
        self.fallback_notes = 0  # "formatting skipped" notes drawn
        self.on_render: RenderHook | None = None

    # -- input ------------------------------------------------------------------------
    @property
    def text(self) -> str:
        if len(self._parts) > 1:
            self._parts = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    @property
    def has_pending(self) -> bool:
        return bool(self._pending)

    @property
    def finished(self) -> bool:
        return self._finished

    @property
    def busy(self) -> bool:
        """Text is still waiting to be split or drawn."""
        return (bool(self._queue) or self._unfed_at < len(self._unfed)
                or (self._finished and not self._closed))

    def alive(self) -> bool:
        return isValid(self._doc)

    def append(self, text: str) -> None:
        if text:
            self._pending.append(text)
            self._parts.append(text)

    def flush(self) -> bool:
        """Draw what arrived since the last flush; False when there was nothing."""
        if not self._pending or self._finished:
            return False
        self._take_pending()
        self._drain_now()
        return True

    def finish(self) -> None:
        """The message is complete: its last block is finished; drawing may go on
        in later turns (``busy``)."""
        if self._finished:
            return
        self._take_pending()
        self._clear_tail()
        self._finished = True
        self._drain_now()

    def all_blocks(self) -> list[Block]:
        """Finished blocks plus the open one (what the user sees, as source)."""
        tail = self._splitter.tail()
        return [*self.blocks, tail] if tail is not None else list(self.blocks)

    def code_text(self, index: int) -> str | None:
        if 0 <= index < len(self.code):
            return self.code[index]
        if index == len(self.code):
            return self.tail_code
        return None

    def plain_text(self) -> list[str]:
        """Each block as text without Markdown syntax, with the same per-message
        Markdown budget as drawing (blocks past it, or too complex, stay as source)."""
        parts: list[str] = []
        units = 0
        splitter = BlockSplitter()  # linear; independent of how far drawing got
        for block in [*splitter.feed(self.text), *splitter.close()]:
            if block.kind == "fence":
                parts.append(self._md.render(block).code[0])
                continue
            cost = block_cost(block.text, markdown=True)
            if (block.kind == "plain" or is_pathological(block.text)
                    or units + cost > MESSAGE_MARKDOWN_UNITS):
                parts.append(block.text.strip())
                continue
            units += cost
            html = self._md.render(block).html
            parts.append(QTextDocumentFragment.fromHtml(html).toPlainText().strip())
        return parts

    # -- queueing ---------------------------------------------------------------------
    def _take_pending(self) -> None:
        self._unfed = self._unfed[self._unfed_at:] + "".join(self._pending)
        self._unfed_at = 0
        self._pending.clear()

    def _feed_slice(self, budget: WorkBudget) -> bool:
        """Give the splitter the next slice of text, or finish it; False: no budget."""
        if self._unfed_at < len(self._unfed):
            piece = self._unfed[self._unfed_at:self._unfed_at + FEED_SLICE_CHARS]
            cost = split_cost(piece)
            if not budget.allows(cost):
                return False
            budget.take(cost)
            self._unfed_at += len(piece)
            blocks = self._splitter.feed(piece)
            if self._unfed_at == len(self._unfed):
                self._unfed, self._unfed_at = "", 0
        else:
            blocks = self._splitter.close()
            self._closed = True
            self._clear_tail()
        for block in blocks:
            self._commit(block)
        return True

    def _commit(self, block: Block) -> None:
        index = len(self.blocks)
        self.blocks.append(block)
        self._clear_tail()
        if self._truncated:
            return
        self._queued_chars += len(block.text)
        self._queued_lines += block.text.count("\n")
        if self._queued_chars > MAX_VIEW_CHARS or self._queued_lines > MAX_VIEW_LINES:
            self._truncated = True
            self._queue.append(_Item("truncated", index, ITEM_UNITS))
            return
        cost = block_cost(block.text, markdown=True)
        if block.kind == "fence":
            self._in_fallback = False
            self._queue.append(_Item("fence", index, cost, block))
            return
        if (block.kind == "plain" or is_pathological(block.text)
                or self._markdown_units + cost > MESSAGE_MARKDOWN_UNITS):
            note = not self._in_fallback
            self._in_fallback = True
            for n, piece in enumerate(plain_pieces(block.text)):
                self._queue.append(_Item("plain", index, block_cost(piece, markdown=False),
                                         Block(piece, "plain"),
                                         first=n == 0, note=note and n == 0))
            return
        self._markdown_units += cost
        self._in_fallback = False
        self._queue.append(_Item("markdown", index, cost, block))

    # -- drawing ----------------------------------------------------------------------
    def _drain_now(self) -> None:
        budget = self._pump.budget() if self._pump is not None else Unlimited()
        if not self.drain(budget) and self._pump is not None:
            self._pump.wait(self)

    def drain(self, budget: WorkBudget) -> bool:
        """Split and draw while ``budget`` lasts, then the tail; True when all is drawn."""
        while True:
            if self._queue:
                item = self._queue[0]
                if not budget.allows(item.cost):
                    return False
                self._queue.popleft()
                budget.take(item.cost)
                self._draw(item)
            elif self._unfed_at < len(self._unfed) or (self._finished and not self._closed):
                if not self._feed_slice(budget):
                    return False
            else:
                break
        tail = self._splitter.tail()
        if self._finished or tail is None:
            return True
        if not budget.allows(block_cost(tail.text[:TAIL_RICH_MAX_CHARS], markdown=True)):
            return False
        return self._draw_tail(budget)

    def _draw(self, item: _Item) -> None:
        """Draw one queued item."""
        if item.kind == "truncated":
            self._insert(plain_html(TRUNCATED_NOTE, self._md.style))
            return
        block = item.block
        assert block is not None
        if item.first:
            self.final_renders[item.index] += 1
            if self.on_render is not None:
                self.on_render(item.index, True)
        if item.note:
            self.fallback_notes += 1
            self._insert(skipped_note_html(self._md.style))
        rendered = self._md.render(block, code_index=len(self.code))
        self.code.extend(rendered.code)
        self._insert(rendered.html)

    def _draw_tail(self, budget: WorkBudget) -> bool:
        """Redraw the open block; True when it is drawn whole."""
        tail = self._splitter.tail()
        self.tail_code = None
        if tail is None or self._truncated:
            self._clear_tail()
            return True
        self.tail_renders += 1
        if self.on_render is not None:
            self.on_render(len(self.blocks), False)
        if len(tail.text) > TAIL_RICH_MAX_CHARS or tail.kind == "plain":
            return self._draw_plain_tail(tail.text, budget)
        self._clear_tail()
        rendered = self._md.render(tail, code_index=len(self.code))
        if rendered.code:
            self.tail_code = rendered.code[0]
        self._tail_start = self._insert(rendered.html)
        budget.take(block_cost(tail.text, markdown=not rendered.fallback))
        return True

    def _draw_plain_tail(self, text: str, budget: WorkBudget) -> bool:
        """A big open block as plain text (the finished block gets the real drawing).
        Pieces of it that can no longer change stay drawn between flushes; only the
        last piece is redrawn, so a flush costs what arrived, not the block's size."""
        if self._tail_fixed_end is None:
            self._clear_tail()
        else:  # keep the fixed pieces, drop the last (growing) one
            cursor = QTextCursor(self._doc)
            cursor.setPosition(self._tail_fixed_end)
            cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
        pieces = plain_pieces(text[self._tail_fixed:])
        for piece in pieces[:-1]:
            if budget.spent:
                return False
            start = self._insert(plain_html(piece, self._md.style))
            if self._tail_start is None:
                self._tail_start = start
            self._tail_fixed += len(piece)
            self._tail_fixed_end = self._doc.characterCount() - 1
            budget.take(block_cost(piece, markdown=False))
        if pieces:
            start = self._insert(plain_html(pieces[-1], self._md.style))
            if self._tail_start is None:
                self._tail_start = start
            budget.take(block_cost(pieces[-1], markdown=False))
        return True

    def _clear_tail(self) -> None:
        if self._tail_start is None:
            return
        cursor = QTextCursor(self._doc)
        cursor.setPosition(self._tail_start)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        self._tail_start = None
        self._tail_fixed = 0
        self._tail_fixed_end = None

    def _insert(self, html: str) -> int:
        """Append ``html`` as new blocks at the end; returns where it starts."""
        cursor = QTextCursor(self._doc)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        if cursor.block().length() > 1:
            cursor.insertBlock(QTextBlockFormat(), QTextCharFormat())
        else:
            # Reuse the empty last block, without formats left from removed text.
            cursor.setBlockFormat(QTextBlockFormat())
            cursor.setBlockCharFormat(QTextCharFormat())
            cursor.setCharFormat(QTextCharFormat())
        start = cursor.position()
        cursor.insertHtml(html)
        return start
