"""ChatSession: the Qt side of one conversation's running replies.

One ChatSession per conversation, created when the window first needs it and
kept while the window lives, so a reply keeps streaming (and being recorded)
while the user looks at another conversation or agent. Each ``send`` runs the
AgentRunner (app/core/runner.py) as a task owned by the StoreBridge (so a
shutdown cancels and awaits it) and re-emits what happens as ``sig_event``:

- every run event of the runner (``TextDelta``, ``ToolCall``, ``ToolResult``,
  ``Usage``, ``Done``, ``Error``) and the fallback's ``Attempt`` records;
- the session's own events (app/services/session_events.py), in the order
  the work happened (told by the recorder's hooks, app/services/session_recorder.py):
  ``UserMessageRecorded`` (the user's message is committed),
  ``ReplyStarted`` (an assistant message was inserted ``streaming``; every
  text delta that follows belongs to it), ``ReplyFinished`` (its final state,
  written), ``ApprovalNeeded`` / ``ApprovalSettled`` (an ``ask`` tool waits
  for the user), ``MessageNotSent`` (the chat or its agent was deleted
  elsewhere before the message was recorded: nothing was written, and the
  text comes back so the view can give it to the user again).

``live_reply()`` and ``pending_approvals()`` describe what is in flight right
now, so a view that attaches in the middle of a reply shows what was recorded
plus the live tail (see app/ui/chat_controller.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import aclosing
from functools import partial
from typing import TYPE_CHECKING, Any, assert_never

from PySide6.QtCore import QObject, Signal

from app.core.fallback import Attempt, ProviderSource
from app.core.recorder import ReplyRecorder
from app.core.runner_types import RunConfig, RunnerDeps
from app.core.tools.base import ApprovalRequest
from app.domain import (
    AgentSpec,
    Done,
    Error,
    Message,
    Status,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    ToolResult,
    Usage,
)
from app.domain.attachments import Attachment
from app.ops import agents, messages
from app.services.session_events import (  # noqa: F401 (re-exported for the views)
    ApprovalNeeded,
    ApprovalSettled,
    HistoryRewritten,
    LiveReply,
    MessageNotSent,
    ReplyFinished,
    ReplyStarted,
    UserMessageRecorded,
)
from app.services.session_recorder import TurnRecording
from app.services.store_bridge import StoreBridge
from app.services.task_session import TaskSession
from app.settings import AppSettings
from app.store import NotFoundError
from app.store.message_tree import AT_LEAF

if TYPE_CHECKING:
    from app.core.runner import AgentRunner, TurnEvent

log = logging.getLogger(__name__)

RunnerFactory = Callable[[RunnerDeps, RunConfig], "AgentRunner"]


def default_runner(deps: RunnerDeps, config: RunConfig) -> AgentRunner:
    """An AgentRunner; app/core/runner (routing, context window, tool loop) is
    imported at the first send, not while the window starts."""
    from app.core.runner import AgentRunner

    return AgentRunner(deps, config)


class ChatSession(TaskSession):
    """Sends messages in one conversation and reports the replies as they stream."""

    #: A run event, an ``Attempt`` or one of the session events (session_events.py).
    sig_event = Signal(object)
    #: A turn began (``running`` is now True).
    sig_started = Signal()
    #: A turn ended: "done", "error", "cancelled" or "not sent" (MessageNotSent).
    sig_finished = Signal(str)

    def __init__(self, bridge: StoreBridge, settings: AppSettings, conversation_id: int,
                 agent_id: int, *, providers: ProviderSource | None = None,
                 runner_factory: RunnerFactory = default_runner,
                 parent: QObject | None = None) -> None:
        super().__init__(bridge, settings, providers=providers, parent=parent)
        self.conversation_id = conversation_id
        self.agent_id = agent_id
        self._runner_factory = runner_factory
        self._reply: ReplyRecorder | None = None
        self._calls: dict[str, ToolCall] = {}           # this round's calls, by id
        self._answered: set[str] = set()                # calls with a result or approval
        self._approvals: dict[str, tuple[str, asyncio.Future[bool]]] = {}
        #: Bumped whenever the recorded state changes under a view (a reply
        #: started or finished); a view that loaded in between loads again.
        self.generation = 0
        self.last_status = ""
        #: The engine's state for the streaming reply until its first token
        #: (a ``Status`` state, e.g. "loading_model"); None once content arrives.
        self.engine_state: str | None = None

    # -- state (``running`` from TaskSession) ----------------------------------------------
    def live_reply(self) -> LiveReply | None:
        # Kept until ReplyFinished is emitted (after the final write), so a view
        # loading in between has the full text from here, not a stale flush.
        reply = self._reply
        if reply is None:
            return None
        return LiveReply(reply.message_id, reply.message.model, reply.message.provider,
                         reply.content, reply.thinking, reply.tool_calls)

    def pending_approvals(self) -> dict[str, str]:
        """Call id -> summary of the tools waiting for the user's answer."""
        return {call_id: summary for call_id, (summary, future) in self._approvals.items()
                if not future.done()}

    # -- commands -------------------------------------------------------------------------
    def send(self, text: str, attachments: Sequence[Attachment] = ()
             ) -> asyncio.Task[str] | None:
        """Send ``text`` (with ``attachments``) as the user's next message; None
        when a turn is running or the text is blank."""
        if self.running or not text.strip():
            return None
        return self._spawn(self._turn(text, attachments=tuple(attachments)),
                           f"chat-{self.conversation_id}")

    def regenerate(self, user_message_id: int) -> asyncio.Task[str] | None:
        """Answer the user message ``user_message_id`` again (Regenerate, Retry):
        the new reply is another version of the turn; the earlier replies and
        whatever followed them stay as the other branch."""
        if self.running:
            return None
        return self._spawn(self._again(user_message_id, None),
                           f"chat-{self.conversation_id}-regenerate")

    def edit(self, user_message_id: int, text: str) -> asyncio.Task[str] | None:
        """Send ``text`` as a new version of the user message ``user_message_id``
        (edit-and-resend); the old message and its branch are kept."""
        if self.running or not text.strip():
            return None
        return self._spawn(self._again(user_message_id, text),
                           f"chat-{self.conversation_id}-edit")

    def stop(self) -> bool:
        """Cancel the running turn; what arrived so far is kept (``cancelled``)."""
        return super().stop()

    def answer_approval(self, call_id: str, allowed: bool) -> bool:
        entry = self._approvals.get(call_id)
        if entry is None or entry[1].done():
            return False
        entry[1].set_result(allowed)
        return True

    # -- the turn -------------------------------------------------------------------------
    async def _again(self, user_message_id: int, text: str | None) -> str:
        """Regenerate (``text`` None) or edit the user message ``user_message_id``."""
        original = await self._bridge.run(partial(
            messages.user_message, conversation_id=self.conversation_id,
            message_id=user_message_id))
        if original is None:
            log.warning("message %s is not a user message of conversation %s; not sent",
                        user_message_id, self.conversation_id)
            return "error"
        if text is None:
            return await self._turn(original.content, reply_to=original)
        return await self._turn(text, parent_id=original.parent_id)

    async def _turn(self, text: str, *, reply_to: Message | None = None,
                    parent_id: Any = AT_LEAF, attachments: tuple[Attachment, ...] = ()) -> str:
        # The agent as stored now: a change made in the model bar a moment ago
        # was queued on the same serial worker before this read.
        agent_id = self.agent_id
        try:
            agent: AgentSpec = await self._bridge.run(partial(agents.get, agent_id=agent_id))
        except NotFoundError as exc:
            self._emit(MessageNotSent(self.conversation_id, text, exc.what))
            return "not sent"
        rewrites = reply_to is not None or parent_id is not AT_LEAF
        recording = TurnRecording(self._bridge.store, self._settings.stream_flush_seconds,
                                  self.conversation_id, recorded=self._recorded,
                                  reply_started=self._reply_started,
                                  reply_finished=self._reply_finished, rewrites=rewrites)
        runner = self._runner_factory(
            RunnerDeps(self._bridge.store, self._settings, providers=self._providers,
                       recorder=recording.recorder, approver=self._approve),
            RunConfig(agent, self.conversation_id, text, reply_to=reply_to,
                      parent_id=parent_id, attachments=attachments))
        status = "cancelled"
        self.last_status = ""
        self._refusal: Error | None = None
        self.sig_started.emit()
        try:
            async with aclosing(runner.events()) as events:
                async for event in events:
                    status = self._forward(event, status)
            refused = self._refusal
            if refused is not None and not recording.user_message_recorded:
                # Refused before anything was written or sent (images for a
                # model without vision): hand the text and files back.
                status = "not sent"
                self._emit(MessageNotSent(self.conversation_id, text, "unsupported",
                                          reason=refused.message, attachments=attachments))
        except NotFoundError as exc:
            if recording.user_message_recorded or exc.what not in ("conversation", "agent"):
                status = "error"
                raise
            # Deleted elsewhere before the user's message could be recorded:
            # nothing was written; hand the text back (no traceback: not a bug).
            log.info("message not sent: %s (deleted elsewhere)", exc)
            status = "not sent"
            self._emit(MessageNotSent(self.conversation_id, text, exc.what))
        except asyncio.CancelledError:
            status = "cancelled"
            raise
        except Exception:
            status = "error"
            raise
        finally:
            for _summary, future in self._approvals.values():
                if not future.done():
                    future.cancel()
            self._approvals.clear()
            self._calls.clear()
            self._answered.clear()
            self._reply = None
            self.last_status = status
            self.sig_finished.emit(status)
        return status

    def _forward(self, event: TurnEvent, status: str) -> str:
        """Note what a run event changes, pass it on; the turn's status after it."""
        match event:
            case Status():
                self.engine_state = event.state
            case TextDelta() | ThinkingDelta():
                self.engine_state = None
            case ToolCall():
                self.engine_state = None
                self._calls[event.call_id] = event
            case ToolResult():
                self._answered.add(event.call_id)
                self.generation += 1         # its tool message was just written
            case Done():
                status = "cancelled" if event.stop_reason == "cancelled" else "done"
            case Error():
                status = "error"
                self._refusal = event if event.kind == "unsupported" else None
            case Usage() | Attempt():
                pass
            case _:
                assert_never(event)
        self._emit(event)
        return status

    # -- called by the recorder and the tools ---------------------------------------------
    def _emit(self, event: object) -> None:
        self.sig_event.emit(event)

    def _recorded(self, event: object) -> None:
        """A write of the recording changed the recorded state (its event says which)."""
        self.generation += 1
        self._emit(event)

    def _reply_started(self, reply: ReplyRecorder) -> None:
        self._reply = reply
        self.engine_state = None
        self._calls.clear()
        self._answered.clear()
        self.generation += 1
        self._emit(ReplyStarted(reply.message_id, reply.message.model,
                                reply.message.provider))

    def _reply_finished(self, message: Message) -> None:
        if self._reply is not None and self._reply.message_id == message.id:
            self._reply = None
        self.generation += 1
        self._emit(ReplyFinished(message))

    async def _approve(self, request: ApprovalRequest) -> bool:
        """The runner's approver: ask in the chat view, wait for the answer."""
        call_id = self._call_for(request)
        if call_id is None:
            log.warning("approval for %s matches no tool call shown; denied", request.tool)
            return False
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        summary = f"{request.summary} (risk: {request.risk})"
        self._approvals[call_id] = (summary, future)
        self._answered.add(call_id)
        self._emit(ApprovalNeeded(call_id, summary))
        try:
            allowed = await future
        finally:
            self._approvals.pop(call_id, None)
        self._emit(ApprovalSettled(call_id, allowed))
        return allowed

    def _call_for(self, request: ApprovalRequest) -> str | None:
        """The call an approval request is about. Requests carry no call id, so
        the first unanswered call of that tool (same arguments preferred) is it."""
        open_calls = [c for c in self._calls.values()
                      if c.name == request.tool and c.call_id not in self._answered]
        for call in open_calls:
            if call.arguments == request.arguments:
                return call.call_id
        return open_calls[0].call_id if open_calls else None
