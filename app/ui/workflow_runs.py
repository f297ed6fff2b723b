"""Workflow runs in the window: start one into the chat view, draw its steps
as they stream, Stop.

``WorkflowRuns.run(spec, question)`` prepares the run on the store's worker
(app/ops/workflows.prepare_run: refusals — the local-only guarantee, a gone
agent — are shown as a plain-text warning naming the agents), shows the
run's conversation and starts a ``WorkflowSession`` (app/services). While
that conversation is shown, each step's reply is drawn live under its
agent's name with its model (the writes tell where: ``StepReplyStarted``)
and finished with its usage; Stop in the composer (or Chat › Stop) cancels
every running step. Shown again later, the conversation is drawn from the
store (each step's message names its agent: app/ui/chat/speakers.py).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, assert_never

from PySide6.QtCore import QObject, Signal

from app.core.fallback import ProviderSource
from app.domain import (Done, Error, Status, TextDelta, ThinkingDelta, ToolCall, ToolResult,
                        Usage)
from app.domain.workflow import StepEnd, StepEvent, StepStart, WorkflowEnd, WorkflowSpec
from app.services.session_events import ReplyFinished, StepReplyStarted, UserMessageRecorded
from app.services.store_bridge import StoreBridge
from app.store import NotFoundError
from app.ui.chat.speakers import speaker_title

if TYPE_CHECKING:
    from app.services.workflow_session import WorkflowSession
    from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)
STATUS_MS = 8000


class WorkflowRuns(QObject):
    #: A run started (its conversation id).
    sig_started = Signal(int)
    #: A run ended: (conversation id, its WorkflowEnd or None when stopped).
    sig_finished = Signal(int, object)

    def __init__(self, window: MainWindow, bridge: StoreBridge, *,
                 providers: ProviderSource | None = None) -> None:
        super().__init__(window)
        self._window = window
        self._bridge = bridge
        #: Where runs get their providers (tests: scripted); default a pool per run.
        self.providers = providers
        self.sessions: dict[int, WorkflowSession] = {}   # by conversation id
        controller = window.controller
        controller.sig_shown.connect(self._shown)

    # -- starting and stopping -------------------------------------------------------
    def run(self, spec: WorkflowSpec, question: str) -> None:
        self._bridge.spawn(self._start(spec, question), name="workflow-run")

    async def _start(self, spec: WorkflowSpec, question: str) -> None:
        # Loaded at the first run: the engine (and the runner) are not needed
        # to show the window (tests/cli/test_cli_lazy_imports.py).
        from app.ops import workflows as workflow_ops
        from app.services.workflow_session import WorkflowSession

        window = self._window
        try:
            prepared = await self._bridge.run(
                partial(workflow_ops.prepare_run, spec=spec, question=question))
        except (workflow_ops.WorkflowRefused, workflow_ops.WorkflowProblem,
                NotFoundError) as exc:
            window.warn("Workflow not run", str(exc))
            return
        session = WorkflowSession(self._bridge, window.settings, prepared,
                                  providers=self.providers, parent=self)
        conversation_id = session.conversation_id
        self.sessions[conversation_id] = session
        session.sig_event.connect(lambda event: self._on_event(conversation_id, event))
        session.sig_finished.connect(lambda end: self._finished(conversation_id, end))
        session.start()
        window.open_conversation(prepared.conversation.agent_id, conversation_id)
        window.composer.set_running(True)
        self.sig_started.emit(conversation_id)

    def running(self, conversation_id: int | None) -> bool:
        found = self.sessions.get(conversation_id) if conversation_id is not None else None
        return found is not None and found.running

    def stop_shown(self) -> bool:
        """Stop the run of the shown conversation (every running step)."""
        found = self.sessions.get(self._window.controller.conversation_id or 0)
        return found.stop() if found is not None else False

    def stop_all(self) -> None:
        for session in self.sessions.values():
            session.stop()

    # -- drawing ---------------------------------------------------------------------
    def _shown_here(self, conversation_id: int) -> bool:
        controller = self._window.controller
        return controller.conversation_id == conversation_id and not controller.loading

    def _shown(self, conversation_id: int) -> None:
        if self.running(conversation_id):
            self._window.composer.set_running(True)

    def _on_event(self, conversation_id: int, event: object) -> None:
        if not self._shown_here(conversation_id):
            return
        view = self._window.controller.view
        session = self.sessions[conversation_id]
        match event:
            case UserMessageRecorded():
                view.add_user_message(event.message)
            case StepReplyStarted():
                view.begin_reply(event.message_id, event.model, event.provider,
                                 speaker=f"{event.agent} · step {event.step}")
            case ReplyFinished():
                message = event.message
                assert message.id is not None
                view.flush()
                view.finish_reply(message.id, message.status, message.usage, message.error,
                                  meta=message.meta)
                widget = view.message_widget(message.id)
                if widget is not None:
                    if message.model:
                        widget.set_model(message.model, message.provider)
                    title = speaker_title(message.role, message.meta)
                    if title:
                        widget.set_speaker(title)
            case StepEvent():
                self._draw(view, session.live.get(event.step), event)
            case StepStart() | StepEnd() | WorkflowEnd():
                pass

    @staticmethod
    def _draw(view, live: int | None, tagged: StepEvent) -> None:  # noqa: ANN001 (ChatView)
        event = tagged.event
        match event:
            case TextDelta() if live is not None:
                view.append_text(live, event.text)
            case ThinkingDelta() if live is not None:
                view.append_thinking(live, event.text)
            case Status() if live is not None:
                view.set_reply_state(live, event.state)
            case ToolCall() if live is not None:
                view.add_tool_call(live, event.call_id, event.name, event.arguments)
            case ToolResult():
                view.set_tool_result(event.call_id, event.content, event.is_error)
            case TextDelta() | ThinkingDelta() | Status() | ToolCall() | Usage() | Done() \
                    | Error():
                pass
            case _:
                assert_never(event)

    def _finished(self, conversation_id: int, end: WorkflowEnd | None) -> None:
        window = self._window
        if window.controller.conversation_id == conversation_id:
            window.composer.set_running(False)
            # Drawn again from the store: stopped steps show as stopped, and
            # every step's final state is the stored one.
            window.controller.reload()
        if end is None:
            text = "Workflow stopped"
        elif end.status == "error":
            text = f"Workflow failed: {end.error or ''}"[:300]
        else:
            text = "Workflow finished"
        window.statusBar().showMessage(text, STATUS_MS)
        self.sig_finished.emit(conversation_id, end)
