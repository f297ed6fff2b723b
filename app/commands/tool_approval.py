"""Approving ``ask`` tools from the command line.

* A tool (or its group, or ``mcp:SERVER``) named with ``--approve NAME`` runs
  without asking.
* Otherwise, when stdin is a terminal, the user is asked on stderr
  (``Allow python to run …? [y/N]``) and answers on the terminal; one
  question at a time, even when tools run concurrently. The whole call is
  shown first (app/commands/approval_view.py), a page at a time when it is
  longer than the terminal: Enter shows the next page, ``n`` (or the end of
  input) denies at once; the question comes only after the last page.
* Otherwise (a pipe, a script, the message read from stdin) it is denied, and
  the model is told the user declined.

The answer is read on a daemon thread, so Ctrl+C during a question ends the
program at once instead of waiting for a line.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app.commands.approval_view import call_lines, question
from app.core.tools.base import ApprovalRequest
from app.core.tools.mcp_tools import SERVER_PREFIX, server_prefix

YES = frozenset({"y", "yes"})
#: Answers to "more?" that stop showing the call and deny it.
STOP = frozenset({"n", "no", "q", "quit"})
_DEFAULT_SIZE = os.terminal_size((100, 40))


@dataclass
class Terminal:
    read_line: Callable[[], str]
    write: Callable[[str], None]
    columns: int = _DEFAULT_SIZE.columns
    rows: int = _DEFAULT_SIZE.lines

    @property
    def page(self) -> int:
        """Lines of the call shown before asking for more (room for the prompt)."""
        return max(5, self.rows - 2)


def terminal_from_stdio() -> Terminal | None:
    """The terminal to ask on, or None when stdin is not one."""
    stdin = sys.stdin
    if stdin is None or not stdin.isatty():
        return None

    def write(text: str) -> None:
        sys.stderr.write(text)
        sys.stderr.flush()

    try:
        size = os.get_terminal_size(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):   # stderr is not a terminal
        size = _DEFAULT_SIZE
    return Terminal(stdin.readline, write, size.columns, size.lines)


class CliApprover:
    """An ``Approver`` for ``agentdesk chat``."""

    def __init__(self, approved: Iterable[str], terminal: Terminal | None,
                 expand: Callable[[list[str]], list[str]] = list) -> None:
        names = [n.strip() for n in approved if n.strip()]
        self._approved = set(names) | set(expand(names))
        self._servers = [server_prefix(n[len(SERVER_PREFIX):]) for n in names
                         if n.startswith(SERVER_PREFIX)]
        self._terminal = terminal
        self._lock = asyncio.Lock()
        self.asked: list[ApprovalRequest] = []

    def pre_approved(self, tool: str) -> bool:
        return tool in self._approved or any(tool.startswith(p) for p in self._servers)

    async def __call__(self, request: ApprovalRequest) -> bool:
        if self.pre_approved(request.tool):
            return True
        if self._terminal is None:
            return False
        async with self._lock:
            self.asked.append(request)
            if not await self._show_call(request):
                return False
            self._terminal.write(question(request))
            answer = await _read_line(self._terminal.read_line)
        return answer.strip().lower() in YES

    async def _show_call(self, request: ApprovalRequest) -> bool:
        """Every line of the call, a page at a time; False when the person
        stopped (``n``) or the input ended before the last page."""
        terminal = self._terminal
        assert terminal is not None
        lines = call_lines(request, terminal.columns)
        step = terminal.page
        for start in range(0, len(lines), step):
            shown = lines[start:start + step]
            terminal.write("\n".join(shown) + "\n")
            end = start + len(shown)
            if end < len(lines):
                terminal.write(f"-- lines {start + 1}-{end} of {len(lines)}: "
                               "Enter for more, n to deny -- ")
                answer = await _read_line(terminal.read_line)
                if not answer or answer.strip().lower() in STOP:
                    terminal.write("denied\n")
                    return False
        return True


async def _read_line(read_line: Callable[[], str]) -> str:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def work() -> None:
        try:
            line = read_line()
        except (OSError, ValueError):      # a closed or broken terminal: a "no"
            line = ""
        try:
            loop.call_soon_threadsafe(lambda: future.done() or future.set_result(line))
        except RuntimeError:               # the program ended while we waited
            pass

    threading.Thread(target=work, name="agentdesk-approval", daemon=True).start()
    return await future
