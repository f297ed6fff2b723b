"""Incremental Markdown rendering into a QTextDocument.

Text is buffered by ``append`` and drawn by ``flush`` (the view calls it on a
timer). Each flush:
1. feeds the buffered text to the block splitter;
2. renders every block the splitter finished, once, and appends it at the end
   of the document (replacing the tail drawing, which showed that block while
   it was still open);
3. redraws only the open tail block.

So a flush costs the size of the tail, not the size of the message. Finished
blocks are never rendered again (``final_renders`` counts renders per block
index so tests can check that).

A message that gets very long stops being drawn after ``MAX_VIEW_CHARS`` (a
note says so; Copy still gets all of it), which bounds layout work and memory
for pathological replies.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from PySide6.QtGui import QTextBlockFormat, QTextCharFormat, QTextCursor, QTextDocument

from app.ui.chat.blocks import Block, BlockSplitter
from app.ui.chat.markdown_render import MarkdownRenderer, RenderedBlock, plain_html

# Tails larger than this are drawn as plain text until they are finished.
TAIL_RICH_MAX_CHARS = 4_000
MAX_VIEW_CHARS = 300_000
TRUNCATED_NOTE = ("[The rest of this message is too long to show here; "
                  "Copy gets all of it.]")

RenderHook = Callable[[int, bool], None]  # (block index, final?)


class StreamRenderer:
    def __init__(self, document: QTextDocument, renderer: MarkdownRenderer) -> None:
        self._doc = document
        self._md = renderer
        self._splitter = BlockSplitter()
        self._pending: list[str] = []
        self._parts: list[str] = []  # all text received, for copy
        self._tail_start: int | None = None  # where the tail drawing begins
        self._shown_chars = 0
        self._truncated = False
        self._finished = False
        self.blocks: list[Block] = []  # finished blocks, in order
        self.code: list[str] = []  # text of finished code blocks (Copy links)
        self.tail_code: str | None = None  # code of an open fence at the tail
        self.final_renders: Counter[int] = Counter()
        self.tail_renders = 0
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

    def append(self, text: str) -> None:
        if text:
            self._pending.append(text)
            self._parts.append(text)

    def flush(self) -> bool:
        """Draw what arrived since the last flush; False when there was nothing."""
        if not self._pending or self._finished:
            return False
        chunk = "".join(self._pending)
        self._pending.clear()
        for block in self._splitter.feed(chunk):
            self._commit(block)
        self._draw_tail()
        return True

    def finish(self) -> None:
        """The message is complete: flush and render the last block as finished."""
        if self._finished:
            return
        self.flush()
        for block in self._splitter.close():
            self._commit(block)
        self._clear_tail()
        self._finished = True

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

    # -- drawing ----------------------------------------------------------------------
    def _commit(self, block: Block) -> None:
        index = len(self.blocks)
        self.blocks.append(block)
        self._clear_tail()
        if self._truncated:
            return
        rendered = self._md.render(block, code_index=len(self.code))
        self.code.extend(rendered.code)
        self.final_renders[index] += 1
        if self.on_render is not None:
            self.on_render(index, True)
        self._shown_chars += len(block.text)
        if self._shown_chars > MAX_VIEW_CHARS:
            self._truncated = True
            self._insert(plain_html(TRUNCATED_NOTE, self._md.style))
            return
        self._insert(rendered.html)

    def _draw_tail(self) -> None:
        self._clear_tail()
        tail = self._splitter.tail()
        self.tail_code = None
        if tail is None or self._truncated:
            return
        rendered = self._render_tail(tail)
        if rendered.code:
            self.tail_code = rendered.code[0]
        self.tail_renders += 1
        if self.on_render is not None:
            self.on_render(len(self.blocks), False)
        self._tail_start = self._insert(rendered.html)

    def _render_tail(self, tail: Block) -> RenderedBlock:
        if len(tail.text) > TAIL_RICH_MAX_CHARS and tail.kind != "plain":
            # Cheap drawing for a big open block; the finished block gets the real one.
            return self._md.render(Block(tail.text, "plain"))
        return self._md.render(tail, code_index=len(self.code))

    def _clear_tail(self) -> None:
        if self._tail_start is None:
            return
        cursor = QTextCursor(self._doc)
        cursor.setPosition(self._tail_start)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        self._tail_start = None

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
