"""The recorders of a ChatSession's turn: they write as the core's recorders do
and tell the session about each step once it is committed (the user's message,
the reply's start and final state, a new version written), so its events
follow the order of the writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.core.recorder import ConversationRecorder, FlushListener, ReplyRecorder
from app.domain import Message, MessageStatus, UsageStats
from app.services.session_events import HistoryRewritten, UserMessageRecorded
from app.store.message_tree import AT_LEAF

if TYPE_CHECKING:
    from app.services.chat_session import ChatSession


class ReportingReplyRecorder(ReplyRecorder):
    """A ReplyRecorder that reports its final state (once) to the session."""

    def __init__(self, *args: Any, on_finished: Callable[[Message], None],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_finished: Callable[[Message], None] | None = on_finished

    async def finish(self, status: MessageStatus, *, usage: UsageStats | None = None,
                     **kwargs: Any) -> Message:
        final = await super().finish(status, usage=usage, **kwargs)
        report, self._on_finished = self._on_finished, None
        if report is not None:
            report(final)
        return final


class SessionRecorder(ConversationRecorder):
    """Records as usual and tells the session about each step as it is committed."""

    def __init__(self, session: ChatSession, store: Any, flush_interval: float, *,
                 rewrites: bool = False) -> None:
        super().__init__(store, flush_interval=flush_interval)
        self._session = session
        self._async_store = store
        #: The turn's first write starts a new version (regenerate, edit).
        self._rewrites = rewrites
        #: The user's message was committed (a later failure is not "not sent").
        self.recorded = False

    def _rewritten(self) -> None:
        if self._rewrites:
            self._rewrites = False
            self._session.generation += 1
            self._session._emit(HistoryRewritten(self._session.conversation_id))

    async def record_user_message(self, conversation_id: int, text: str,
                                  agent_revision: int | None = None, *,
                                  parent_id: Any = AT_LEAF) -> Message:
        message = await super().record_user_message(conversation_id, text, agent_revision,
                                                    parent_id=parent_id)
        self._rewritten()
        self.recorded = True
        self._session.generation += 1
        self._session._emit(UserMessageRecorded(message))
        return message

    async def start_reply(self, conversation_id: int, agent_revision: int | None,
                          model: str | None, provider: str | None, *,
                          on_flushed: FlushListener | None = None,
                          parent_id: Any = AT_LEAF) -> ReplyRecorder:
        message = Message(conversation_id=conversation_id, role="assistant",
                          status="streaming", model=model, provider=provider,
                          agent_revision=agent_revision)
        stored = await self._async_store.run(
            lambda s: s.messages.add(message, parent_id=parent_id))
        reply = ReportingReplyRecorder(self._async_store, stored, flush_interval=self.flush_interval,
                               clock=self._clock, on_flushed=on_flushed,
                               on_finished=self._session._reply_finished)
        self._rewritten()
        self._session._reply_started(reply)
        return reply
