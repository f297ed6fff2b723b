"""Text for a terminal: control characters are shown, never obeyed.

Model replies, tool arguments, server error messages, agent names and chat
titles are untrusted. Written raw to a terminal, ESC sequences in them can
clear the screen (``ESC[2J``), rewrite what the person sees (``\\r``, cursor
moves), set the clipboard (OSC 52), plant hidden links (OSC 8) or change the
window title. So every character the terminal would act on is replaced by a
visible escape (``\\x1b``, ``\\x9b``, ``\\u202e``) instead:

* C0 controls except newline and tab (including ``\\r`` and ESC), DEL, and the
  C1 controls U+0080–U+009F (``\\x9b`` is CSI, ``\\x9d`` OSC on some terminals);
* the bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069),
  which reorder what a line appears to say ("Trojan Source").

Escaping is one character at a time and keeps no state, so a sequence split
across two streamed pieces of a reply is escaped just the same, and escaping
already-escaped text changes nothing. Our own sequences (the status line's
erase, search match highlighting) are written separately, never through here.

JSON output keeps its meaning: ``json.dumps`` already escapes C0 controls;
``json_safe`` also writes DEL, C1, the bidi controls and U+2028/U+2029 as
``\\uXXXX`` escapes, so the document is byte-for-byte printable and decodes
to exactly the same value.
"""

from __future__ import annotations

import json
from typing import Any

_BIDI = tuple(range(0x202A, 0x202F)) + tuple(range(0x2066, 0x206A))

#: Each character a terminal may act on -> its visible escape.
_TERMINAL: dict[int, str] = {
    **{code: f"\\x{code:02x}" for code in range(0x20) if code not in (0x09, 0x0A)},
    0x7F: "\\x7f",
    **{code: f"\\x{code:02x}" for code in range(0x80, 0xA0)},
    **{code: f"\\u{code:04x}" for code in _BIDI},
}
#: The same for a one-line field (a table cell): a newline is shown too.
_ONE_LINE: dict[int, str] = {**_TERMINAL, 0x0A: "\\n"}

#: What json.dumps leaves raw that a terminal (or a JavaScript reader) acts on.
_JSON: dict[int, str] = {code: f"\\u{code:04x}" for code in
                         (0x7F, *range(0x80, 0xA0), *_BIDI, 0x2028, 0x2029)}


def terminal_text(text: str, *, newlines: bool = True) -> str:
    """``text`` with every control character made visible (see the module
    docstring). With ``newlines=False`` a newline is shown as ``\\n`` too."""
    return text.translate(_TERMINAL if newlines else _ONE_LINE)


def json_safe(document: str) -> str:
    """A JSON document (from ``json.dumps`` or pydantic) with the characters
    above written as ``\\uXXXX`` escapes: valid JSON with the same value.

    Safe on a whole document because these characters can only occur inside
    its strings (JSON's own syntax is ASCII without controls)."""
    return document.translate(_JSON)


def json_text(value: Any, *, indent: int | None = None) -> str:
    """``value`` as a JSON document that is safe to print on a terminal."""
    return json_safe(json.dumps(value, ensure_ascii=False, indent=indent))
