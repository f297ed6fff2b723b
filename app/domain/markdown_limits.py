"""When untrusted Markdown is too much for the Markdown library to render in
bounded time (very long, very many brackets, very deep list or quote nesting):
such text is then shown as escaped plain text. Shared by the chat view and the
exports, each with its own size limits."""

from __future__ import annotations

import re

MAX_NESTING = 12  # list / quote levels before a block is shown as plain text
_INDENT_RE = re.compile(r"^[ \t]*", re.MULTILINE)
_QUOTE_RE = re.compile(r"^(?:[ \t]*>)+", re.MULTILINE)


def is_pathological(text: str, *, max_chars: int, max_brackets: int,
                    max_nesting: int = MAX_NESTING) -> bool:
    """True when ``text`` should not go through the Markdown library."""
    if len(text) > max_chars or text.count("[") > max_brackets:
        return True
    deepest_indent = max((len(m.group(0).expandtabs(4)) for m in _INDENT_RE.finditer(text)),
                         default=0)
    if deepest_indent > max_nesting * 4:
        return True
    deepest_quote = max((m.group(0).count(">") for m in _QUOTE_RE.finditer(text)), default=0)
    return deepest_quote > max_nesting
