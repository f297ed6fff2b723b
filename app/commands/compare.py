"""``agentdesk compare --agent A --agent B [--model PROVIDER:MODEL ...] [--json]
[--pick N] MESSAGE``.

Sends MESSAGE to every column at once (app/core/compare.py: one column per
agent, then one per ``--model``, which runs the first agent's settings on that
model) and reports each column with its metrics.

Output:
* text (default): on a terminal, a progress line on stderr while the columns
  answer; when every column has ended, one section per column — a
  header ``== [N] LABEL (provider/model) ==``, the answer, and a line with
  tokens, tokens/s, time to first token and duration (or the column's error).
  Columns stream together; sections are printed after the run so they do not
  interleave.
* ``--json``: NDJSON as the events arrive. First ``{"type": "compare",
  "columns": [{"column": 0, "label", "agent", "provider", "model"}, ...]}``,
  then one line per run event of a column: the event's JSON (as ``agentdesk
  chat --json`` prints it) with ``"column": N`` added. Each column ends with
  one ``usage`` (its metrics) and one ``done`` or ``error``.

``--pick N`` keeps column N (1-based) as a new conversation of its agent
(app/ops/compare.keep: the other answers become its other versions) and
prints its id (``{"type": "conversation", ...}`` with --json), so ``agentdesk
chat --conversation ID`` continues it. Without ``--pick`` nothing is stored.

Exit codes: 0 when at least one column answered; 1 when every column failed
(one line on stderr) or the pick cannot be kept; 130 on Ctrl+C (every column
is stopped; what arrived is printed).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from contextlib import aclosing
from typing import assert_never

from app.commands.common import CliError, command_settings, message_argument, positive_int
from app.commands.native_stderr import NATIVE_STDERR_FILENAME, native_stderr_to
from app.commands.output import say
from app.commands.terminal_text import json_safe, json_text, terminal_text
from app.core.compare import ColumnEvent, CompareColumn, CompareRun, metrics_text
from app.core.fallback import Attempt
from app.domain import (Done, Error, Status, TextDelta, ThinkingDelta, ToolCall, ToolResult,
                        Usage)
from app.ops import compare as compare_ops
from app.store import Store


def register(subparsers, common: argparse.ArgumentParser) -> None:
    command = subparsers.add_parser(
        "compare", parents=[common],
        help="send one message to several agents or models at once, side by side",
        description="Send MESSAGE to several agents (and models) at once and show each "
                    "answer with its metrics. With --json, print NDJSON: a first line "
                    '{"type": "compare", "columns": [...]}, then one line per run event '
                    'with its "column".')
    command.add_argument("--agent", action="append", required=True, metavar="NAME|ID",
                         help="an agent to ask (repeatable; one column each)")
    command.add_argument("--model", action="append", default=[], metavar="PROVIDER:MODEL",
                         help="also ask the first agent on this model (repeatable; one "
                              "column each)")
    command.add_argument("--pick", type=positive_int, metavar="N",
                         help="keep column N's answer as a new conversation of its agent")
    command.add_argument("message", metavar="MESSAGE", help="the message, or - to read stdin")
    command.set_defaults(handler=compare_command)


def compare_command(args: argparse.Namespace, store: Store) -> int:
    text = message_argument(args.message)
    try:
        columns = compare_ops.columns(store, args.agent, args.model)
    except compare_ops.CompareError as exc:
        raise CliError(str(exc)) from None
    if args.pick is not None and args.pick > len(columns):
        raise CliError(f"--pick {args.pick}: there are only {len(columns)} columns")
    settings = command_settings(args.home)
    run = CompareRun(columns, text, compare_ops.provider_configs(store), settings)
    if args.json:
        _line({"type": "compare", "columns": [_column_json(i, c)
                                              for i, c in enumerate(columns)]})
    try:
        with native_stderr_to(settings.log_dir / NATIVE_STDERR_FILENAME):
            asyncio.run(_run(run, args.json))
    except KeyboardInterrupt:
        if not args.json:
            _sections(run)
        raise
    if not args.json:
        _sections(run)
    if all(outcome.status == "error" for outcome in run.outcomes):
        raise CliError("every column failed: " + "; ".join(
            f"[{i + 1}] {o.error}" for i, o in enumerate(run.outcomes)))
    if args.pick is not None:
        try:
            kept = compare_ops.keep(store, text, run.outcomes, args.pick - 1)
        except compare_ops.CompareError as exc:
            raise CliError(f"--pick {args.pick}: {exc}") from None
        if args.json:
            _line({"type": "conversation", "conversation_id": kept.conversation.id,
                   "column": args.pick - 1, "agent": kept.agent.name})
        else:
            say(f"kept column {args.pick} as conversation {kept.conversation.id} of "
                f"{kept.agent.name!r} (continue: agentdesk chat --agent "
                f"{kept.agent.id} --conversation {kept.conversation.id} MESSAGE)")
    return 0


async def _run(run: CompareRun, json_lines: bool) -> None:
    progress = not json_lines and sys.stderr.isatty()
    try:
        async with aclosing(run.events()) as events:
            async for item in events:
                if json_lines:
                    _event_line(item)
                elif progress:
                    _progress(run)
    finally:
        if progress:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _progress(run: CompareRun) -> None:
    """One stderr line rewritten in place (a terminal only): who has answered."""
    done = sum(1 for outcome in run.outcomes if outcome.finished)
    talking = sum(1 for outcome in run.outcomes if outcome.status == "streaming")
    sys.stderr.write(f"\r\x1b[Kcomparing: {done} of {len(run.outcomes)} columns done, "
                     f"{talking} answering…")
    sys.stderr.flush()


def _event_line(item: ColumnEvent) -> None:
    event = item.event
    match event:
        case Attempt():
            return      # who answered: in the plain sections, stored on a kept reply
        case TextDelta() | ThinkingDelta() | ToolCall() | ToolResult() | Usage() | Done() \
                | Error() | Status():
            document = event.model_dump_json()
        case _:
            assert_never(event)
    sys.stdout.write(json_safe('{"column": %d, %s' % (item.column, document[1:])) + "\n")
    sys.stdout.flush()


def _line(data: dict) -> None:
    sys.stdout.write(json_text(data) + "\n")
    sys.stdout.flush()


def _column_json(index: int, column: CompareColumn) -> dict:
    agent = column.run_agent
    return {"column": index, "label": column.label, "agent": column.agent.name,
            "provider": agent.provider, "model": agent.model}


def _sections(run: CompareRun) -> None:
    for index, outcome in enumerate(run.outcomes):
        who = f" ({outcome.provider}/{outcome.model})" if outcome.provider else ""
        say(f"== [{index + 1}] {outcome.column.label}{who} ==")
        if outcome.text:
            sys.stdout.write(terminal_text(outcome.text.rstrip("\n")) + "\n")
        if outcome.error:
            say(f"error: {outcome.error}")
        say(f"-- {metrics_text(outcome) or 'no answer'}")
        say()
    sys.stdout.flush()

