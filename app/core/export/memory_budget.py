"""How much memory one import may use, checked before the objects are built.

A file is untrusted, and what it costs in memory is not its size: 199 MB of
``[],[],…`` becomes 66 million Python lists (5 GB), and 10 MB of tiny messages
becomes a few hundred thousand ``Message`` models. So an import gets a budget
of ``ImportLimits.memory_ratio`` × the file's size (at least
``memory_floor``), and each step *estimates* what it is about to build and
spends that before building it:

- JSON: a linear scan over the text (strings blanked out by one regular
  expression, then C-speed counts of ``[ { , :``) bounds how many values the
  parser would make; each costs at most ``VALUE_BYTES`` (measured: an empty
  list with its slot 32 bytes, ``{"a":1}`` 64 per value), plus the strings'
  characters.
- Messages: each conversation's message count × ``MESSAGE_BYTES`` (a parsed
  ``Message`` with its meta measured ~1.6 KB) before its messages are made.

Over budget, the whole file is refused with ``ImportRejected`` naming the
estimate — nothing has been written, and the big allocation never happened.
The estimate is an upper bound per value, so dense but honest files (many
tiny messages) can be refused; the message says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.core.export.model import ImportRejected

#: Upper bound of one parsed JSON value: the object, its slot in the list or
#: dict that holds it, a dict key (keys are shared by the parser's memo).
VALUE_BYTES = 64
#: One parsed Message (pydantic model, meta dict, times), measured ~1.6 KB.
MESSAGE_BYTES = 2048

# A JSON string, or an unterminated one up to the end: every quote starts a
# match, so the scan is linear (no retry from inside a long bad string).
_WINDOW = 1 << 20
# From a window's start (outside strings): everything up to the opening quote
# of a string that does not close inside the window; no match when every
# string closes. Possessive, so one linear pass.
_BEFORE_OPEN_STRING = re.compile(r'(?:[^"]*+"(?:[^"\\]++|\\.)*+")*+[^"]*+(?=")', re.DOTALL)
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.DOTALL)


@dataclass
class MemoryBudget:
    """Bytes an import may still allocate for what it parses."""

    allowed: int
    name: str = "the file"
    spent: int = field(default=0)

    @classmethod
    def for_size(cls, size: int, ratio: float, floor: int, name: str) -> MemoryBudget:
        return cls(allowed=max(int(size * ratio), floor), name=name)

    def spend(self, amount: int, what: str) -> None:
        """Count ``amount`` bytes about to be used for ``what``; ImportRejected
        when the import would go over its budget."""
        self.spent += amount
        if self.spent > self.allowed:
            raise ImportRejected(
                f"{self.name} would need about {_mb(self.spent)} of memory to import "
                f"({what}); the limit for a file of this size is {_mb(self.allowed)}. "
                "It is not an export AgentDesk can read safely (split it into smaller "
                "files if it is one)")


def json_cost(text: str) -> tuple[int, int]:
    """(values, estimated bytes) of parsing ``text`` as JSON, without parsing it.

    Every value after the first in a container follows a ``,`` or ``:``, and
    the first follows ``[`` or ``{``; outside strings, counting those four
    characters bounds the number of values and keys. The text is scanned in
    windows of about a megabyte (blanking out ten million short strings at
    once would hold a list of them all), each cut before a string that does
    not close inside it."""
    values, string_chars, pos, end_of_text = 1, 0, 0, len(text)
    while pos < end_of_text:
        size = _WINDOW
        while True:
            window = text[pos:pos + size]
            if pos + size >= end_of_text:
                break
            open_string = _BEFORE_OPEN_STRING.match(window)
            if open_string is None:
                break                      # the window ends outside any string
            if open_string.end() > 0:
                window = window[:open_string.end()]
                break
            size *= 2                      # one string longer than the window
        skeleton = _JSON_STRING.sub('""', window)
        values += sum(skeleton.count(mark) for mark in "[{,:")
        string_chars += len(window) - len(skeleton)
        pos += len(window)
    return values, values * VALUE_BYTES + max(string_chars, 0)


def spend_json(budget: MemoryBudget | None, text: str) -> None:
    if budget is not None:
        values, cost = json_cost(text)
        budget.spend(cost, f"{values:,} JSON values")


def spend_messages(budget: MemoryBudget | None, count: int) -> None:
    if budget is not None and count:
        budget.spend(count * MESSAGE_BYTES, f"{count:,} more messages")


def _mb(amount: int) -> str:
    if amount >= 2**30:
        return f"{amount / 2**30:.1f} GB"
    return f"{max(amount / 2**20, 0.1):.1f} MB"
