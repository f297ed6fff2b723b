"""``agentdesk workflows run NAME [--json] QUESTION``: run a workflow and stream
each step.

Output:
* text (default): a header line per step on stderr (``[step 2] Critic ·
  model @ provider``, nested hand-offs indented), the step's reply on stdout
  as it streams, tool calls and results as ``[tool]`` lines on stderr, and
  the error of a failed step; the run's final answer is the last step's text.
* ``--json``: NDJSON. The first line is ``{"type": "conversation",
  "conversation_id": N, "workflow": NAME}``; then ``step_start`` (step,
  agent, model, provider, role, depth, parent), the step's run events with
  the chat vocabulary (``token``, ``thinking``, ``tool_call``,
  ``tool_result``, ``usage``, ``done``, ``error``, ``status``) each with its
  ``step``, ``step_end`` (status, message id, model, usage) and a last
  ``workflow_end`` (status, answer, error).

Exit codes: 0 when every step answered; 1 when the workflow is refused (the
local-only guarantee, a missing agent) or a step failed (one line on stderr;
finished steps stay stored); 130 on Ctrl+C (running steps stored cancelled).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from contextlib import aclosing
from typing import assert_never

from app.commands.common import CliError
from app.commands.native_stderr import NATIVE_STDERR_FILENAME, native_stderr_to
from app.commands.terminal_text import json_text, terminal_text
from app.commands.tool_approval import CliApprover, terminal_from_stdio
from app.core.workflows import WorkflowRefused
from app.domain import (Done, Error, Status, TextDelta, ThinkingDelta, ToolCall, ToolResult,
                        Usage)
from app.domain.workflow import StepEnd, StepEvent, StepStart, WorkflowEnd, WorkflowEvent
from app.ops import workflows as workflow_ops
from app.settings import AppSettings, SettingsError, load_settings
from app.store import AsyncStore, Store


def register(commands, common: argparse.ArgumentParser) -> None:
    run = commands.add_parser(
        "run", parents=[common], help="run a workflow and stream each step",
        description="Run a workflow on QUESTION. Each step's reply streams to stdout "
                    "under a header on stderr. With --json, NDJSON: a conversation "
                    "line, then step_start, the step's run events (each with its "
                    "step), step_end, and a final workflow_end.")
    run.add_argument("workflow", metavar="NAME|ID")
    run.add_argument("--approve", action="append", default=[], metavar="NAME",
                     help="let this tool (or group, or mcp:SERVER) run without asking")
    run.add_argument("question", metavar="QUESTION", help="the question, or - to read stdin")
    run.set_defaults(handler=run_workflow)


def run_workflow(args: argparse.Namespace, store: Store) -> int:
    from app.commands.workflows import resolve_workflow

    question = sys.stdin.read() if args.question == "-" else args.question
    spec = resolve_workflow(store, args.workflow)
    try:
        prepared = workflow_ops.prepare_run(store, spec, question)
    except (WorkflowRefused, workflow_ops.WorkflowProblem) as exc:
        raise CliError(str(exc)) from None
    try:
        settings = load_settings(args.home)
    except SettingsError as exc:
        raise CliError(str(exc)) from None
    printer = _Printer(json_lines=args.json)
    if args.json:
        printer.line({"type": "conversation", "conversation_id": prepared.conversation.id,
                      "workflow": spec.name})
    try:
        with native_stderr_to(settings.log_dir / NATIVE_STDERR_FILENAME):
            end = asyncio.run(_run(store.path, settings, prepared, printer, args.approve))
    except KeyboardInterrupt:
        printer.end()
        raise
    printer.end()
    if end is None or end.status != "complete":
        raise CliError(end.error if end is not None and end.error else "the workflow stopped")
    return 0


async def _run(path, settings: AppSettings, prepared: workflow_ops.PreparedRun,
               printer: _Printer, approve: list[str]) -> WorkflowEnd | None:
    # recover=False: a window may be streaming into this database right now.
    store = await AsyncStore.open(path, recover=False)
    try:
        approver = CliApprover(approve, terminal_from_stdio())
        end: WorkflowEnd | None = None
        async with aclosing(workflow_ops.run(store, settings, prepared,
                                             approver=approver)) as events:
            async for event in events:
                if isinstance(event, WorkflowEnd):
                    end = event
                printer.event(event)
        return end
    finally:
        await store.close()


class _Printer:
    """Workflow events to stdout/stderr; model text made terminal-safe."""

    def __init__(self, *, json_lines: bool) -> None:
        self.json_lines = json_lines
        self._open_line = False
        self._depth: dict[int, int] = {}
        self._current: int | None = None

    def line(self, data: dict) -> None:
        sys.stdout.write(json_text(data) + "\n")
        sys.stdout.flush()

    def event(self, event: WorkflowEvent) -> None:
        if self.json_lines:
            data = event.line() if isinstance(event, StepEvent) else event.model_dump(
                mode="json")
            sys.stdout.write(json_text(data) + "\n")
            sys.stdout.flush()
            return
        match event:
            case StepStart():
                self._depth[event.step] = event.depth
                self._note(event.step, f"[step {event.step}] {event.agent} · "
                           f"{event.model or 'auto'} @ {event.provider}"
                           + (f" (asked by step {event.parent})" if event.parent else ""))
            case StepEnd():
                if event.status != "complete":
                    self._note(event.step, f"[step {event.step}] {event.agent}: "
                               f"{event.status}" + (f" — {event.error}" if event.error else ""))
            case StepEvent():
                self._run_event(event)
            case WorkflowEnd():
                pass

    def _run_event(self, tagged: StepEvent) -> None:
        event = tagged.event
        match event:
            case TextDelta():
                if self._current != tagged.step:
                    self.end()
                    if self._current is not None:
                        self._note(tagged.step, f"[step {tagged.step}] …")
                    self._current = tagged.step
                if event.text:
                    sys.stdout.write(terminal_text(event.text))
                    sys.stdout.flush()
                    self._open_line = not event.text.endswith("\n")
            case ToolCall():
                self._note(tagged.step, f"[tool] {event.name}")
            case ToolResult():
                arrow = "failed:" if event.is_error else "->"
                flat = " ".join(event.content.split())
                self._note(tagged.step, f"[tool] {arrow} {flat[:117]}"
                           + ("…" if len(flat) > 117 else ""))
            case ThinkingDelta() | Usage() | Done() | Error() | Status():
                pass
            case _:
                assert_never(event)

    def _note(self, step: int, text: str) -> None:
        self.end()
        indent = "  " * self._depth.get(step, 0)
        sys.stderr.write(terminal_text(indent + text) + "\n")
        sys.stderr.flush()

    def end(self) -> None:
        if self._open_line:
            sys.stdout.write("\n")
            sys.stdout.flush()
            self._open_line = False
