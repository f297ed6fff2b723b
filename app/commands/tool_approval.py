"""Approving ``ask`` tools from the command line.

* A tool (or its group, or ``mcp:SERVER``) named with ``--approve NAME`` runs
  without asking.
* Otherwise, when stdin is a terminal, the user is asked on stderr
  (``Allow python to run …? [y/N]``) and answers on the terminal; one
  question at a time, even when tools run concurrently.
* Otherwise (a pipe, a script, the message read from stdin) it is denied, and
  the model is told the user declined.

The answer is read on a daemon thread, so Ctrl+C during a question ends the
program at once instead of waiting for a line.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app.core.tools.base import ApprovalRequest
from app.core.tools.mcp_tools import SERVER_PREFIX, server_prefix

YES = frozenset({"y", "yes"})


@dataclass
class Terminal:
    read_line: Callable[[], str]
    write: Callable[[str], None]


def terminal_from_stdio() -> Terminal | None:
    """The terminal to ask on, or None when stdin is not one."""
    stdin = sys.stdin
    if stdin is None or not stdin.isatty():
        return None

    def write(text: str) -> None:
        sys.stderr.write(text)
        sys.stderr.flush()

    return Terminal(stdin.readline, write)


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
            self._terminal.write(f"Allow {request.tool} to run {request.summary}? "
                                 f"(risk: {request.risk}) [y/N] ")
            answer = await _read_line(self._terminal.read_line)
        return answer.strip().lower() in YES


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
