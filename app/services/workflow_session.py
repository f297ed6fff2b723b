"""WorkflowSession: one workflow run for the window (the Qt bridge over
app/ops/workflows.run).

The run is a task on the qasync loop; everything it reports comes out of
``sig_event`` in order: the engine's events (StepStart, StepEvent, StepEnd,
WorkflowEnd) and the writes as they commit (``UserMessageRecorded``,
``StepReplyStarted`` — the step's reply row, so a view knows where that
step's tokens go —, ``ReplyFinished``). ``stop`` cancels the task, which
cancels every running step (parallel ones too); each is stored cancelled.
Tools that ask first are refused inside a window's workflow run (nobody is
asked in the middle of several agents; the chat's own approval is per chat).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import aclosing

from PySide6.QtCore import QObject, Signal

from app.core.fallback import ProviderSource
from app.core.recorder import RecordingHooks, ReplyRecorder
from app.domain import Message
from app.domain.workflow import WorkflowEnd
from app.ops import workflows as workflow_ops
from app.services.session_events import (  # noqa: F401 (StepReplyStarted re-exported)
    ReplyFinished,
    StepReplyStarted,
    UserMessageRecorded,
)
from app.services.store_bridge import StoreBridge
from app.services.task_session import TaskSession
from app.settings import AppSettings

log = logging.getLogger(__name__)


class WorkflowSession(TaskSession):
    #: An engine event or one of the write events above.
    sig_event = Signal(object)
    #: The run ended: its WorkflowEnd, or None when it was stopped or failed.
    sig_finished = Signal(object)

    def __init__(self, bridge: StoreBridge, settings: AppSettings,
                 prepared: workflow_ops.PreparedRun, *,
                 providers: ProviderSource | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(bridge, settings, providers=providers, parent=parent)
        self.prepared = prepared
        assert prepared.conversation.id is not None
        self.conversation_id: int = prepared.conversation.id
        #: The step -> its reply being written now (for a view that attaches late).
        self.live: dict[int, int] = {}

    def start(self) -> asyncio.Task[WorkflowEnd | None]:
        return self._spawn(self._run(), f"workflow-{self.conversation_id}")

    def stop(self) -> bool:
        """Cancel every running step; what they wrote so far is kept."""
        return super().stop()

    async def _run(self) -> WorkflowEnd | None:
        hooks = RecordingHooks(user_message=self._user_message,
                               reply_started=self._reply_started,
                               reply_finished=self._reply_finished)
        end: WorkflowEnd | None = None
        try:
            async with aclosing(workflow_ops.run(self._bridge.store, self._settings,
                                                 self.prepared, providers=self._providers,
                                                 hooks=hooks)) as events:
                async for event in events:
                    if isinstance(event, WorkflowEnd):
                        end = event
                    self.sig_event.emit(event)
        except asyncio.CancelledError:
            log.info("workflow run %s stopped", self.conversation_id)
        finally:
            self.live.clear()
            self.sig_finished.emit(end)
        return end

    def _user_message(self, message: Message) -> None:
        self.sig_event.emit(UserMessageRecorded(message))

    def _reply_started(self, reply: ReplyRecorder) -> None:
        stamp = reply.message.meta.get("workflow", {})
        step = int(stamp.get("step", 0))
        self.live[step] = reply.message_id
        self.sig_event.emit(StepReplyStarted(step, reply.message_id, reply.message.model,
                                             reply.message.provider, str(stamp.get("agent", ""))))

    def _reply_finished(self, message: Message) -> None:
        self.sig_event.emit(ReplyFinished(message))
