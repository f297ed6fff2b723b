"""The whole tool call, as lines for the terminal, before the person answers.

The compact ``[tool] NAME ARGS`` line of ``agentdesk chat`` is cut to one
line; a question about running code must not be. So the approval prompt
first shows every argument in full:

* a text argument (code, file content, a command) line by line, numbered,
  long lines wrapped at the terminal's width (marked ``+``), tabs expanded;
* any other value as indented JSON (wrapped the same way);
* every control character made visible (app/commands/terminal_text.py): a
  ``\\r`` cannot hide a line behind another, an ESC cannot clear the screen.

Long calls are shown a page at a time by ``CliApprover`` (numbered chunks,
no external pager: the same on every platform, and nothing else ever
interprets the text); the question comes after the last page.
"""

from __future__ import annotations

import json
from typing import Any

from app.commands.terminal_text import terminal_text
from app.core.tools.base import ApprovalRequest

_NUMBER_WIDTH = 5
_MIN_TEXT_WIDTH = 20


def call_lines(request: ApprovalRequest, columns: int) -> list[str]:
    """Every line of the call, each at most about ``columns`` characters."""
    lines = [f"{_safe(request.tool)} asks to run (risk: {_safe(request.risk)}):"]
    if not request.arguments:
        return [*lines, "  (no arguments)"]
    for key, value in request.arguments.items():
        lines.append(f"  {_safe(str(key))}:")
        lines += _numbered(value, columns) if isinstance(value, str) else _json(value, columns)
    return lines


def question(request: ApprovalRequest) -> str:
    """The y/N question asked after the whole call was shown."""
    summary = " ".join(request.summary.split())
    return (f"Allow {_safe(request.tool)} to run {_safe(summary)}? "
            f"(risk: {_safe(request.risk)}) [y/N] ")


def _safe(text: str) -> str:
    return terminal_text(text, newlines=False)


def _numbered(text: str, columns: int) -> list[str]:
    """``text`` split on newlines only (a ``\\r`` stays visible as ``\\x0d``),
    numbered, each line wrapped to the width left after the number."""
    prefix = " " * 2 + "{:>%d} | " % _NUMBER_WIDTH
    more = " " * (2 + _NUMBER_WIDTH - 1) + "+ | "
    width = max(_MIN_TEXT_WIDTH, columns - len(more))
    out: list[str] = []
    for number, line in enumerate(text.split("\n"), start=1):
        shown = _safe(line.expandtabs(4))
        pieces = [shown[i:i + width] for i in range(0, len(shown), width)] or [""]
        out.append(prefix.format(number) + pieces[0])
        out += [more + piece for piece in pieces[1:]]
    return out


def _json(value: Any, columns: int) -> list[str]:
    """A non-text value as indented JSON, each line escaped and wrapped."""
    width = max(_MIN_TEXT_WIDTH, columns - 4)
    out: list[str] = []
    for line in json.dumps(value, ensure_ascii=False, indent=2).split("\n"):
        shown = _safe(line)
        out += ["    " + shown[i:i + width] for i in range(0, len(shown), width)] or ["    "]
    return out
