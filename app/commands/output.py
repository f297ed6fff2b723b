"""Printing command results: one JSON document, or aligned human-readable text."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel

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
    sys.stdout.write(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2) + "\n")


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def warn(text: str) -> None:
    """A note on stderr that does not make the command fail."""
    sys.stderr.write(f"agentdesk: note: {text}\n")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print rows as left-aligned columns under ``headers``."""
    cells = [[_cell(value) for value in row] for row in rows]
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
    """A stored UTC time in the local time zone, to the minute."""
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


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
