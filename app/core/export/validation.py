"""Limits and checks applied to everything an import reads.

A file is untrusted. Whole-file problems (too big, not UTF-8, not JSON, nested
without end, an unknown shape) reject the file; problems inside one
conversation (a huge message, NUL bytes, absurd nesting in metadata) skip that
conversation with a reason. Text is stored as plain text: HTML in a message
stays characters, never markup (the renderers escape it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.bounded_read import BoundedReadError, read_bounded
from app.core.export.memory_budget import MemoryBudget, spend_json
from app.core.export.model import ImportRejected


@dataclass(frozen=True)
class ImportLimits:
    max_file_bytes: int = 200 * 1024 * 1024
    max_message_chars: int = 2_000_000
    max_title_chars: int = 1_000
    max_messages: int = 200_000  # per conversation
    max_conversations: int = 100_000  # per file
    max_depth: int = 64  # nesting of tool arguments / metadata
    # Memory an import may use for what it parses: this many times the file's
    # size, at least memory_floor bytes (memory_budget.py).
    memory_ratio: float = 3.0
    memory_floor: int = 64 * 1024 * 1024


DEFAULT_LIMITS = ImportLimits()

# C0 controls other than tab, newline, carriage return, form feed and escape
# (which real tool output contains), DEL, and lone surrogates (not UTF-8).
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f\ud800-\udfff]")
_TITLE_CONTROLS = re.compile(r"[\x00-\x1f\x7f]+")


class Invalid(ValueError):
    """One conversation cannot be imported (the message says why)."""


def read_source(path: Path, limits: ImportLimits = DEFAULT_LIMITS) -> str:
    """The file's text, refusing a file over the size limit before reading it."""
    try:
        return read_bounded(path, limits.max_file_bytes)
    except BoundedReadError as exc:
        raise ImportRejected(_rejection(exc, limits)) from None


def _rejection(exc: BoundedReadError, limits: ImportLimits) -> str:
    """The bounded read's refusal in the import's words."""
    path = exc.path
    if exc.problem == "unreadable":
        return f"cannot read {path}: {exc.reason}"
    if exc.problem == "not_a_file":
        return f"{path} is not a file"
    if exc.problem == "too_large":
        size = f"{exc.size / 2**20:.0f} MB; " if exc.size is not None else ""
        return (f"{path.name} is too large to import ({size}the limit is "
                f"{limits.max_file_bytes / 2**20:.0f} MB)")
    if exc.problem == "binary":
        return f"{path.name} is a binary file, not an export"
    return f"{path.name} is not UTF-8 text (bad byte at offset {exc.offset})"


#: Integers a conversation may hold: what SQLite stores (signed 64-bit).
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
#: Longest integer literal converted at all (Python refuses over 4,300 digits
#: with a ValueError; no stored number needs more than 19).
_MAX_INT_DIGITS = 40


class TooLongNumber:
    """An integer literal too long to convert, kept as a marker so that only
    the conversation holding it is skipped (check_data names it)."""

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"<a number of {self.digits:,} digits>"


def _parse_int(literal: str) -> int | TooLongNumber:
    digits = len(literal) - literal.startswith("-")
    return int(literal) if digits <= _MAX_INT_DIGITS else TooLongNumber(digits)


def loads(text: str) -> Any:
    """``json.loads`` that never converts an over-long integer literal (a
    TooLongNumber stands in for it)."""
    return json.loads(text, parse_int=_parse_int)


def parse_json(text: str, name: str, budget: MemoryBudget | None = None) -> Any:
    """The file's JSON data; ImportRejected when it is not JSON, nested without
    end, or would take more memory than ``budget`` allows (checked first)."""
    spend_json(budget, text)
    try:
        return loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRejected(f"{name} is not valid JSON: {exc.msg} (line {exc.lineno}, "
                             f"column {exc.colno})") from None
    except RecursionError:
        raise ImportRejected(f"{name} is nested too deeply to be an export") from None


def check_text(value: str, what: str, limit: int) -> str:
    if len(value) > limit:
        raise Invalid(f"{what} is too long ({len(value):,} characters; "
                      f"the limit is {limit:,})")
    bad = _BAD_CHARS.search(value)
    if bad:
        raise Invalid(f"{what} contains a control character "
                      f"(U+{ord(bad.group()):04X} at position {bad.start()})")
    return value


def clean_title(value: Any, limits: ImportLimits, fallback: str = "Imported chat") -> str:
    """A one-line title: control characters become spaces, overlong titles are cut."""
    if not isinstance(value, str):
        return fallback
    title = " ".join(_TITLE_CONTROLS.sub(" ", value).split())
    title = _BAD_CHARS.sub("", title)[:limits.max_title_chars]
    return title or fallback


def title_controls_replaced(title: str) -> str:
    """The title with control characters (newlines too) replaced by spaces."""
    return _TITLE_CONTROLS.sub(" ", title)


def check_depth(value: Any, what: str, limit: int) -> None:
    """Refuse JSON data nested deeper than ``limit`` (checked without recursion)."""
    check_data(value, what, limit)


def check_data(value: Any, what: str, limit: int) -> None:
    """Refuse JSON data nested deeper than ``limit``, or holding an integer
    literal too long to convert (TooLongNumber); checked without recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                raise Invalid(f"{what} is nested more than {limit} levels deep")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, TooLongNumber):
            raise Invalid(f"{what} holds a number of {item.digits:,} digits")


def check_int(value: Any, what: str) -> None:
    """Refuse an integer the store keeps in an INTEGER column (signed 64 bits)
    when it does not fit (a revision of 2^63 raised OverflowError on save)."""
    if isinstance(value, int) and not isinstance(value, bool) and not (
            INT_MIN <= value <= INT_MAX):
        raise Invalid(f"{what} is out of range ({len(str(abs(value)))} digits; "
                      f"the limit is {INT_MAX:,})")


def require(condition: bool, message: str) -> None:
    if not condition:
        raise Invalid(message)
