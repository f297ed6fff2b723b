"""Printing command results: one JSON document, or aligned human-readable text.

Everything printed goes through app/commands/terminal_text.py: text has its
control characters made visible (untrusted names, titles, replies and errors
cannot drive the terminal), JSON has the ones json.dumps leaves raw escaped.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.commands.terminal_text import json_text, terminal_text

# ANSI "bold + reverse" for search matches on a capable terminal.
_ANSI_MATCH_START = "\x1b[1;7m"
_ANSI_RESET = "\x1b[0m"


def to_jsonable(value: Any) -> Any:
    """pydantic models (also inside lists/dicts) as their JSON-mode dump."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {key: to_jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item) for item in value]
    return value


def print_json(value: Any) -> None:
    """Write ``value`` as one JSON document on stdout."""
    sys.stdout.write(json_text(to_jsonable(value), indent=2) + "\n")


def say(text: str = "") -> None:
    """A line on stdout, its control characters made visible."""
    sys.stdout.write(terminal_text(text) + "\n")


def say_marked(text: str, marks: tuple[str, str], shown: tuple[str, str]) -> None:
    """Like ``say``, with the ``marks`` pair in ``text`` (control characters,
    e.g. the store's match markers) replaced by ``shown`` after escaping, so
    our own highlighting reaches the terminal and nothing else does."""
    start, end = marks
    line = shown[0].join(shown[1].join(terminal_text(piece) for piece in part.split(end))
                         for part in text.split(start))
    sys.stdout.write(line + "\n")


def warn(text: str) -> None:
    """A note on stderr that does not make the command fail."""
    sys.stderr.write(f"agentdesk: note: {terminal_text(text)}\n")


def error_line(text: str) -> str:
    """The one-line form of an error message for stderr (made safe)."""
    return terminal_text(" ".join(text.split()), newlines=False)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print rows as left-aligned columns under ``headers``."""
    cells = [[terminal_text(_cell(value), newlines=False) for value in row] for row in rows]
    widths = [len(header) for header in headers]
    for row in cells:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], len(value))
    for row in [list(headers), *cells]:
        line = "  ".join(value.ljust(widths[i]) for i, value in enumerate(row))
        say(line.rstrip())


def fields(pairs: Sequence[tuple[str, Any]]) -> None:
    """Print ``label: value`` lines with the values aligned."""
    width = max(len(label) for label, _ in pairs) + 1
    for label, value in pairs:
        say(f"{(label + ':').ljust(width)} {_cell(value)}")


def indented(text: str, prefix: str = "    ") -> None:
    for line in (text.splitlines() or [""]):
        say(prefix + line)


def format_time(value: datetime) -> str:
    """A stored UTC time in the local time zone, to the minute (in UTC when the
    local zone would move it off the calendar: year 1 west of UTC)."""
    try:
        local = value.astimezone()
    except OverflowError:
        local = value
    return local.isoformat(sep=" ", timespec="minutes")[:16]


def match_markers() -> tuple[str, str]:
    """How to show a search match: reverse video on a terminal, else brackets."""
    if (sys.stdout.isatty() and "NO_COLOR" not in os.environ
            and os.environ.get("TERM", "dumb") != "dumb"):
        return _ANSI_MATCH_START, _ANSI_RESET
    return "[", "]"


def one_line(text: str, limit: int = 60) -> str:
    """``text`` collapsed to a single line of at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(item) for item in value) or "-"
    return str(value)
