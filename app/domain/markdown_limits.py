"""When untrusted Markdown is too much for the Markdown library to render in
bounded time (very long, very many lines, brackets, table cells or emphasis
marks, very deep list or quote nesting): such text is then shown as escaped
plain text. Shared by the chat view and the exports, each with its own limits.

Python-Markdown's block parser takes a block's first lines off and puts the
rest back, so its cost grows with lines x characters of one blank-line-free
block: 5,000 lines of ``-`` (10 KB) took 0.44 s here, 150 lines 2 ms. Table
cells (one ``|`` each, ~30 µs per cell) and runs of ``*``/``_`` (emphasis
patterns) cost the most per character. The optional limits below bound each.
"""

from __future__ import annotations

import re

MAX_NESTING = 12  # list / quote levels before a block is shown as plain text
_INDENT_RE = re.compile(r"^[ \t]*", re.MULTILINE)
_QUOTE_RE = re.compile(r"^(?:[ \t]*>)+", re.MULTILINE)


def is_pathological(text: str, *, max_chars: int, max_brackets: int,
                    max_nesting: int = MAX_NESTING, max_lines: int | None = None,
                    max_cells: int | None = None,
                    max_emphasis: int | None = None) -> bool:
    """True when ``text`` should not go through the Markdown library.

    ``max_lines``: newlines in the block; ``max_cells``: ``|`` characters;
    ``max_emphasis``: ``*`` plus ``_`` characters (None: not checked)."""
    if len(text) > max_chars or text.count("[") > max_brackets:
        return True
    if max_lines is not None and text.count("\n") > max_lines:
        return True
    if max_cells is not None and text.count("|") > max_cells:
        return True
    if max_emphasis is not None and text.count("*") + text.count("_") > max_emphasis:
        return True
    deepest_indent = max((len(m.group(0).expandtabs(4)) for m in _INDENT_RE.finditer(text)),
                         default=0)
    if deepest_indent > max_nesting * 4:
        return True
    deepest_quote = max((m.group(0).count(">") for m in _QUOTE_RE.finditer(text)), default=0)
    return deepest_quote > max_nesting
