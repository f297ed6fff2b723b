"""``agentdesk chat --agent NAME [--conversation ID] [--json] MESSAGE``.

Sends one message to an agent through the agent runner (app/core/runner.py:
route, fallback chain, tool rounds) and streams the reply to stdout as it
arrives.

Output:
* text (default): the reply's text, flushed per delta, then a newline. When
  a fallback answered, a note on stderr says who answered and what failed.
* ``--json``: NDJSON, one line per event. The first line is
  ``{"type": "conversation", "conversation_id": N}`` so a caller can continue
  with ``--conversation N``; every further line is exactly one run event's
  JSON (``status``, ``token``, ``thinking``, ``tool_call``, ``tool_result``,
  ``usage``, ``done``, ``error``; see app/domain/events.py). Fallback attempts are not
  printed; they are stored on the message (``conversations show ID --json``,
  ``meta.attempts``).

Everything printed is made terminal-safe (app/commands/terminal_text.py):
control sequences in the reply, tool names and errors are shown, not obeyed;
``--json`` lines escape them and keep their exact values.

Tools: the agent's tools run as the model calls them. In text mode each call
and result is one compact line on stderr (``[tool] NAME ARGS`` /
``[tool] NAME -> RESULT``, cut to 120 characters: a log, not a question; a tool
that asks first shows the whole call before asking, see tool_approval.py).
On a terminal, stderr also shows what the engine is doing before the first
token (``loading model…``, ``waiting for the engine…``; erased when the reply starts) and notes a reply that stopped at
its max tokens; ``--json`` prints those states as ``status`` lines. Tools
that ask first prompt on the terminal; with
no terminal they are denied unless named with ``--approve NAME`` (a tool, a
group such as ``files``, or ``mcp:SERVER``); see app/commands/tool_approval.py.

Exit codes: 0 when the reply finished (``done``); 1 on error (one line on
stderr; what arrived before the error is kept in the conversation); 130 on
Ctrl+C (the reply so far is stored with status ``cancelled``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from contextlib import aclosing
from typing import assert_never

from app.commands.common import (CliError, command_settings, get_conversation, message_argument,
                                 positive_int, resolve_agent)
from app.commands.native_stderr import NATIVE_STDERR_FILENAME, native_stderr_to
from app.commands.output import warn
from app.commands.terminal_text import json_safe, json_text, terminal_text
from app.commands.tool_approval import CliApprover, terminal_from_stdio
from app.core.fallback import Attempt
from app.core.runner import AgentRunner, RunConfig, RunnerDeps
from app.core.turn_inputs import default_toolbox
from app.domain import (AgentSpec, Done, Error, RunEvent, Status, TextDelta, ThinkingDelta,
                        ToolCall, ToolResult, Usage)
from app.domain.events import STATE_TEXTS, TOKEN_LIMIT_NOTE
from app.domain.attachments import Attachment
from app.ops import chats
from app.ops.attachments import attach_paths
from app.settings import AppSettings
from app.store import AsyncStore, Store


def register(subparsers, common: argparse.ArgumentParser) -> None:
    chat = subparsers.add_parser(
        "chat", parents=[common],
        help="send a message to an agent and stream the reply",
        description="Send MESSAGE to an agent and stream its reply to stdout. "
                    "With --json, print NDJSON: a first line "
                    '{"type": "conversation", "conversation_id": N}, then one line '
                    "per run event (status, token, thinking, tool_call, tool_result, "
                    "usage, done, error).")
    chat.add_argument("--agent", required=True, metavar="NAME|ID", help="the agent to ask")
    chat.add_argument("--conversation", type=positive_int, metavar="ID",
                      help="continue this conversation (default: start a new one)")
    chat.add_argument("--approve", action="append", default=[], metavar="NAME",
                      help="let this tool (or group, or mcp:SERVER) run without asking; "
                           "repeatable. Without a terminal, tools that ask are denied "
                           "unless approved here")
    chat.add_argument("--attach", action="extend", nargs="+", default=[], metavar="FILE",
                      help="attach files (images for vision models; PDF, DOCX, PPTX, XLSX, "
                           "HTML, Markdown, text or code as text); repeatable. Put MESSAGE "
                           "before --attach, or end the list with --")
    chat.add_argument("message", metavar="MESSAGE", help="the message, or - to read stdin")
    chat.set_defaults(handler=chat_command)


def chat_command(args: argparse.Namespace, store: Store) -> int:
    text = message_argument(args.message)
    agent = resolve_agent(store, args.agent)
    settings = command_settings(args.home)
    attachments, problems = attach_paths(settings, args.attach)
    if problems:
        raise CliError("; ".join(problems))
    if args.conversation is not None:
        conversation = get_conversation(store, args.conversation)
        if conversation.agent_id != agent.id:
            owner = chats.owner(store, conversation)
            raise CliError(f"conversation {conversation.id} belongs to agent "
                           f"{owner.name!r}, not {agent.name!r}")
    else:
        conversation = chats.start(store, agent.id, text)   # the window's title rule
    printer = _Printer(json_lines=args.json)
    if args.json:
        printer.line({"type": "conversation", "conversation_id": conversation.id})
    try:
        # llama.cpp's own stderr (the embedded engine) goes to the log folder.
        with native_stderr_to(settings.log_dir / NATIVE_STDERR_FILENAME):
            error = asyncio.run(_run_turn(store.path, settings, agent, conversation.id,
                                          text, printer, args.approve, tuple(attachments)))
    except KeyboardInterrupt:
        printer.end()
        raise
    printer.end()
    if error is not None:
        if error.kind == "unsupported" and args.conversation is None:
            chats.drop_if_empty(store, conversation.id)   # refused before it was recorded
        raise CliError(error.message)
    if printer.fallback_note and not args.json:
        warn(printer.fallback_note)
    return 0


async def _run_turn(path, settings: AppSettings, agent: AgentSpec, conversation_id: int,
                    text: str, printer: _Printer, approve: list[str],
                    attachments: tuple[Attachment, ...] = ()) -> Error | None:
    store = await _open_async_store(path)
    tools = None
    try:
        tools = await _tool_registry(settings, store) if agent.tools else None
        approver = CliApprover(approve, terminal_from_stdio(),
                               expand=getattr(tools, "expand", list))
        turn = AgentRunner(RunnerDeps(store, settings, tools=tools, approver=approver),
                           RunConfig(agent, conversation_id, text,
                                     attachments=attachments))
        error: Error | None = None
        # aclosing: if printing fails (a closed pipe), the reply is still
        # finished (as cancelled) before the store closes.
        async with aclosing(turn.events()) as events:
            async for event in events:
                match event:
                    case Attempt():
                        printer.attempt(event)
                        continue
                    case Error():
                        error = event
                    case Done():
                        error = None
                    case TextDelta() | ThinkingDelta() | ToolCall() | ToolResult() | Usage() \
                            | Status():
                        pass
                    case _:
                        assert_never(event)
                printer.event(event)
        return error
    finally:
        try:
            closer = getattr(tools, "aclose", None)
            if closer is not None:
                await closer()       # stops MCP servers this run started
        finally:
            await store.close()


async def _tool_registry(settings: AppSettings, store: AsyncStore):
    """The built-in and enabled custom tools, plus the approved MCP servers
    (started only if the agent uses them); closed by the caller."""
    return await default_toolbox(settings, store)


async def _open_async_store(path) -> AsyncStore:
    """A second connection for the async work. recover=False: a GUI may be
    streaming into this database right now (see app/cli.py)."""
    return await AsyncStore.open(path, recover=False)


class _Printer:
    """Writes events to stdout as they arrive. Model text, tool names and
    arguments are untrusted: they go through terminal_text (JSON through
    json_safe); only our own status-line sequences are written raw."""

    def __init__(self, *, json_lines: bool) -> None:
        self.json_lines = json_lines
        self._open_line = False          # text was printed without a final newline
        self._failed: list[str] = []
        self._tool_names: dict[str, str] = {}
        self.fallback_note = ""
        self._terminal = sys.stderr.isatty()
        self._status_shown = False       # a status line is on stderr, to be erased

    def line(self, data: dict) -> None:
        sys.stdout.write(json_text(data) + "\n")
        sys.stdout.flush()

    def event(self, event: RunEvent) -> None:
        if self.json_lines:
            sys.stdout.write(json_safe(event.model_dump_json()) + "\n")
            sys.stdout.flush()
            return
        match event:
            case Status():
                self._status(event)
            case Done() if event.stop_reason == "length" and self._terminal:
                self._tool_line(f"[{TOKEN_LIMIT_NOTE}]")    # (clears the status line)
            case TextDelta():
                self._clear_status()
                if event.text:
                    sys.stdout.write(terminal_text(event.text))
                    sys.stdout.flush()
                    self._open_line = not event.text.endswith("\n")
            case ToolCall():
                self._tool_names[event.call_id] = event.name
                arguments = event.arguments if isinstance(event.arguments, str) \
                    else json.dumps(event.arguments, ensure_ascii=False)
                self._tool_line(f"[tool] {event.name} {_clip(arguments)}")
            case ToolResult():
                name = self._tool_names.get(event.call_id, event.call_id)
                arrow = "failed:" if event.is_error else "->"
                self._tool_line(f"[tool] {name} {arrow} {_clip(event.content)}")
            case ThinkingDelta() | Usage() | Done() | Error():
                self._clear_status()
            case _:
                assert_never(event)

    def _status(self, event: Status) -> None:
        """The engine's state, on one stderr line rewritten in place (terminal only)."""
        if not self._terminal or event.state == "generating":
            self._clear_status()
            return
        self.end()
        sys.stderr.write(f"\r\x1b[K{STATE_TEXTS[event.state]}")
        sys.stderr.flush()
        self._status_shown = True

    def _clear_status(self) -> None:
        if self._status_shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self._status_shown = False

    def _tool_line(self, line: str) -> None:
        self.end()      # the reply's text so far keeps its own line
        sys.stderr.write(terminal_text(line) + "\n")
        sys.stderr.flush()

    def attempt(self, attempt: Attempt) -> None:
        if attempt.outcome == "failed":
            self._failed.append(f"{attempt.label} ({attempt.error_kind})")
        elif self._failed:
            self.fallback_note = (f"answered by {attempt.label} after "
                                  f"{', '.join(self._failed)} failed")

    def end(self) -> None:
        self._clear_status()
        if self._open_line:
            sys.stdout.write("\n")
            sys.stdout.flush()
            self._open_line = False


def _clip(text: str, limit: int = 120) -> str:
    """One line of at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
