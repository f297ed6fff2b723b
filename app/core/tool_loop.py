"""One round of tool calls: run concurrently, each result recorded durably.

Every call the model made gets exactly one ``tool`` message, in every outcome:

* ``complete`` — the tool ran and returned text;
* ``error`` — unknown tool, invalid arguments (also invalid JSON), denied by
  policy or by the user, a time-out or a tool failure; the text tells the model
  what went wrong (``execute_tool`` never raises for these);
* ``cancelled`` — the run was stopped before the tool finished (its task is
  cancelled) or before it started.

``meta`` holds the tool's name, its duration in milliseconds and the outcome
(``ok``, ``error``, ``denied``, ``timeout``, ``cancelled``).

Each write runs in its own task, so cancelling the round never interrupts a
write half-way; ``ToolBatch.results`` waits for every write before it lets a
cancellation (or the closing of its stream) go on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

from app.core.recorder import ConversationRecorder
from app.core.tools.base import ApprovalPolicy, Tool, ToolContext, ToolOutcome, execute_tool
from app.domain import ChatMessage, Message, MessageStatus, ToolCallRecord, ToolResult

log = logging.getLogger(__name__)

# name -> (the tool, the policy that applies to it for this agent); None if unknown.
ToolLookup = Callable[[str], tuple[Tool, ApprovalPolicy] | None]

_STATUS: dict[str, MessageStatus] = {"ok": "complete", "cancelled": "cancelled"}


@dataclass
class _Run:
    call: ToolCallRecord
    started: float | None = None
    outcome: ToolOutcome | None = None
    record: asyncio.Task[Message] | None = None


class ToolBatch:
    """The tool calls of one assistant message. Iterate ``results()`` once."""

    def __init__(self, calls: Sequence[ToolCallRecord], lookup: ToolLookup,
                 context: ToolContext, recorder: ConversationRecorder, *,
                 conversation_id: int, agent_revision: int | None = None,
                 known_names: Sequence[str] = ()) -> None:
        self._runs = [_Run(call) for call in calls]
        self._lookup = lookup
        self._context = context
        self._recorder = recorder
        self._conversation_id = conversation_id
        self._agent_revision = agent_revision
        self._known = list(known_names)
        self._loop = asyncio.get_running_loop()
        self.started = False

    # -- what was recorded -----------------------------------------------------
    @property
    def messages(self) -> list[Message]:
        """The recorded ``tool`` messages, in the order of the calls."""
        return [run.record.result() for run in self._runs
                if run.record is not None and run.record.done()
                and not run.record.cancelled() and run.record.exception() is None]

    def chat_messages(self) -> list[ChatMessage]:
        """The results as request messages, in the order of the calls."""
        out = []
        for run in self._runs:
            content = run.outcome.content if run.outcome else "cancelled"
            out.append(ChatMessage(role="tool", content=content,
                                   tool_call_id=run.call.call_id, name=run.call.name))
        return out

    # -- running ---------------------------------------------------------------------
    async def results(self) -> AsyncIterator[ToolResult]:
        """Start every call at once; yield each result as it is recorded."""
        self.started = True
        tasks = {self._loop.create_task(self._run_one(run)): run for run in self._runs}
        pending = set(tasks)
        try:
            while pending:
                done, pending = await asyncio.wait(pending,
                                                   return_when=asyncio.FIRST_COMPLETED)
                for task in sorted(done, key=lambda t: self._runs.index(tasks[t])):
                    run = tasks[task]
                    task.result()           # re-raises a recording failure
                    assert run.outcome is not None
                    yield ToolResult(call_id=run.call.call_id, content=run.outcome.content,
                                     is_error=run.outcome.is_error)
        except BaseException:
            # Cancelled, or our reader stopped: stop the tools, record the rest.
            cleanup = self._loop.create_task(self._abort(list(tasks)))
            await asyncio.shield(cleanup)
            raise

    async def cancel_all(self) -> None:
        """Record every call as cancelled without running any (the run stopped
        before the tools started)."""
        self.started = True
        await self._abort([])

    async def _run_one(self, run: _Run) -> None:
        run.started = self._loop.time()
        found = self._lookup(run.call.name)
        if found is None:
            names = ", ".join(self._known) or "none"
            run.outcome = ToolOutcome(f"there is no tool named {run.call.name!r} "
                                      f"(available: {names})", True, 0.0, "error")
        else:
            tool, policy = found
            run.outcome = await execute_tool(tool, run.call.arguments, self._context, policy)
        await asyncio.shield(self._record(run, run.outcome))

    def _record(self, run: _Run, outcome: ToolOutcome) -> asyncio.Task[Message]:
        if run.record is None:
            meta = {"tool": run.call.name, "duration_ms": round(outcome.duration_ms, 1),
                    "outcome": outcome.status}
            run.record = self._loop.create_task(self._recorder.record_tool_result(
                self._conversation_id, run.call.call_id, outcome.content,
                is_error=outcome.is_error, agent_revision=self._agent_revision,
                status=_STATUS.get(outcome.status, "error"), meta=meta))
        return run.record

    async def _abort(self, tasks: list[asyncio.Task[None]]) -> None:
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        now = self._loop.time()
        for run in self._runs:
            if run.record is None:
                started = run.started if run.started is not None else now
                run.outcome = ToolOutcome(
                    f"{run.call.name} was cancelled: the user stopped the run "
                    f"{'before it finished' if run.started is not None else 'before it started'}",
                    True, (now - started) * 1000, "cancelled")
                self._record(run, run.outcome)
        records = [run.record for run in self._runs if run.record is not None]
        for result in await asyncio.gather(*records, return_exceptions=True):
            if isinstance(result, BaseException):
                log.error("recording a tool result failed: %s", result)
