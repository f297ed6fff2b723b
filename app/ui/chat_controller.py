"""ChatController: the chat view and the composer bound to the current conversation.

It owns one ChatSession per conversation that has been used (they outlive
switching: a reply keeps streaming while another conversation is shown) and
shows one conversation at a time:

- showing a conversation loads its newest page from the store, leaves out the
  reply streaming right now, and draws that one from the session's live state
  (text, tool calls, approvals waiting) — "what was recorded plus the live
  tail". A recorded change during the load (a reply finished, a tool result
  written) makes it load again, so nothing falls between the two.
- events of the shown conversation's session are drawn as they come; those
  of other conversations are left to the store (they are recorded) and drawn
  when that conversation is shown again.
- message actions of the view: regenerate / retry (answer the user message
  before it again: a new version of the reply), edit-and-resend (a new version
  of the user message), delete (asked first) in app/ui/message_actions.py;
  approvals; the earlier versions are kept and shown with ◀ n/m ▶
  (app/ui/chat_versions.py).
- only the shown branch is drawn and paged (``messages.path``).
- writes made elsewhere (app/ui/chat_follow.py): the shown chat is drawn again,
  or, deleted, replaced by a new chat; a message that could not be sent
  because its chat was deleted goes back into the composer, never lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, assert_never

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from app.core.fallback import Attempt, ProviderSource
from app.core.starters import starter_prompts
from app.domain import (Conversation, Done, Error, Message, Status, TextDelta, ThinkingDelta,
                        ToolCall, ToolResult, Usage)
from app.ops import agents, chats
from app.ops import messages as message_ops
from app.services.chat_session import (
    ApprovalNeeded,
    ApprovalSettled,
    ChatSession,
    HistoryRewritten,
    MessageNotSent,
    ReplyFinished,
    ReplyStarted,
    RunnerFactory,
    UserMessageRecorded,
)
from app.services.store_bridge import StoreBridge
from app.settings import AppSettings
from app.store import NotFoundError
from app.ui.chat import ChatView
from app.ui.chat_follow import ShownChatFollower, Stamp
from app.ui.chat_versions import ChatVersions
from app.domain.attachments import Attachment
from app.ui.composer import Composer
from app.ui.message_actions import MessageActions
from app.ui.message_edit_dialog import MessageEditDialog

if TYPE_CHECKING:
    from app.core.runner import TurnEvent
    from app.services.session_events import SessionEvent

log = logging.getLogger(__name__)

# Messages drawn when a conversation opens: app/ops/messages.py PAGE (then older
# on scroll-up; 60 cost ~20 MB and ~250 ms per open: bench/startup.py).
MAX_LOADS = 5             # reloads while replies keep changing the history


class ChatController(QObject):
    #: A conversation was created for the first message of a new chat.
    sig_conversation_created = Signal(object)
    #: A session started (True) or finished (False) streaming: conversation id, state.
    sig_running = Signal(int, bool)
    #: The shown conversation finished loading (conversation id or 0 for a new chat).
    sig_shown = Signal(int)
    #: The user asked to switch provider from an error.
    sig_switch_provider = Signal()
    #: The shown chat was deleted elsewhere (conversation id, what to tell the user);
    #: a new chat of the same agent is shown, the composer keeps its text.
    sig_conversation_gone = Signal(int, str)
    #: A provider was tried for a reply, in any chat (an Attempt: answered or failed).
    sig_attempt = Signal(object)

    def __init__(self, bridge: StoreBridge, settings: AppSettings, view: ChatView,
                 composer: Composer, *, providers: ProviderSource | None = None,
                 runner_factory: RunnerFactory | None = None,
                 before_send: Callable[[], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._settings = settings
        self._providers = providers
        self._runner_factory = runner_factory
        self._parent = parent
        self.view = view
        self.composer = composer
        self._before_send = before_send
        self.sessions: dict[int, ChatSession] = {}
        self.agent_id: int | None = None
        self.conversation_id: int | None = None
        self._live_ids: dict[int, int] = {}     # conversation -> reply streaming now
        self._loading = False
        self._show_generation = 0
        self.load_count = 0
        self.shown_stamp: Stamp = None      # the shown chat as its view was drawn from
        composer.sig_send.connect(self.send)
        composer.sig_stop.connect(self.stop)
        view.sig_need_older.connect(self._need_older)
        view.sig_approval.connect(self._approval)
        view.sig_switch_provider.connect(lambda _id: self.sig_switch_provider.emit())
        view.sig_starter.connect(self._use_starter)
        self.follower = ShownChatFollower(self, bridge)
        self.versions = ChatVersions(self, bridge)
        self.message_actions = MessageActions(self, bridge, parent)

    # -- sessions --------------------------------------------------------------------------
    def session(self, conversation_id: int, agent_id: int) -> ChatSession:
        found = self.sessions.get(conversation_id)
        if found is None:
            extra = {"runner_factory": self._runner_factory} if self._runner_factory else {}
            found = ChatSession(self._bridge, self._settings, conversation_id, agent_id,
                                providers=self._providers, parent=self, **extra)
            found.sig_event.connect(lambda event, c=conversation_id: self._on_event(c, event))
            found.sig_started.connect(lambda c=conversation_id: self._on_running(c, True))
            found.sig_finished.connect(lambda _s, c=conversation_id: self._on_running(c, False))
            self.sessions[conversation_id] = found
        return found

    def _let_go_of_idle_sessions(self) -> None:
        """Drop the sessions of chats not shown that run nothing and wait for
        no answer: their replies are recorded, so they hold nothing the store
        does not, and a window used all day would otherwise keep one per chat
        it ever showed (found by tests/reliability/test_soak_window.py). A
        session shared with the quick-chat window stays alive while it holds
        it; a later send here makes a new one."""
        for conversation_id, found in list(self.sessions.items()):
            if conversation_id == self.conversation_id or found.running \
                    or found.pending_approvals():
                continue
            del self.sessions[conversation_id]
            if found.parent() is self:
                found.setParent(None)       # freed once nothing refers to it

    def current_session(self) -> ChatSession | None:
        if self.conversation_id is None:
            return None
        return self.sessions.get(self.conversation_id)

    def is_running(self, conversation_id: int) -> bool:
        found = self.sessions.get(conversation_id)
        return found is not None and found.running

    def forget(self, conversation_id: int) -> None:
        """The conversation is being deleted: stop its reply, drop its session."""
        found = self.sessions.pop(conversation_id, None)
        if found is not None:
            found.stop()
        if conversation_id == self.conversation_id:
            self.show_conversation(None, self.agent_id)

    @property
    def generation(self) -> int:
        """Bumped whenever another conversation is shown or the shown one reloads."""
        return self._show_generation

    @property
    def loading(self) -> bool:
        return self._loading

    # -- showing ---------------------------------------------------------------------------
    def show_conversation(self, conversation_id: int | None, agent_id: int | None, *,
                          at_message: int | None = None) -> None:
        """Show a conversation (None: an empty new chat of ``agent_id``)."""
        same = conversation_id == self.conversation_id and agent_id == self.agent_id
        if same and at_message is None and (conversation_id is not None or
                                            not self.view.message_ids()):
            return
        self.agent_id = agent_id
        self.conversation_id = conversation_id
        self._show_generation += 1
        self._let_go_of_idle_sessions()
        self.composer.set_can_send(agent_id is not None, "Create or select an agent first")
        self.composer.set_running(conversation_id is not None
                                  and self.is_running(conversation_id))
        if conversation_id is None:
            self._loading = False
            self.view.set_messages([])
            if agent_id is not None:
                self._bridge.spawn(self._greet(agent_id, self._show_generation), name="greet")
            self.sig_shown.emit(0)
            return
        self._loading = True
        self._bridge.spawn(self._load(conversation_id, self._show_generation, at_message),
                           name="open-conversation")

    def reload(self) -> None:
        """Draw the shown conversation again from the store."""
        if self.conversation_id is not None:
            self._show_generation += 1
            self._loading = True
            self._bridge.spawn(self._load(self.conversation_id, self._show_generation, None),
                               name="reload-conversation")

    async def _load(self, conversation_id: int, generation: int,
                    at_message: int | None) -> None:
        messages: list[Message] = []
        older = False
        found = self.sessions.get(conversation_id)
        stamp: Stamp = None
        for _attempt in range(MAX_LOADS):
            before = found.generation if found is not None else 0
            shown = await self._bridge.run(   # the page and its stamp: one read, one state
                partial(message_ops.shown_chat, conversation_id=conversation_id,
                        at_message=at_message))
            messages, older, stamp = shown.page.messages, shown.page.has_older, shown.stamp
            if generation != self._show_generation:
                return                  # another conversation was chosen meanwhile
            if found is None or found.generation == before:
                break
        self.load_count += 1
        self.shown_stamp = stamp
        live = found.live_reply() if found is not None else None
        if live is not None:
            messages = [m for m in messages if m.id != live.message_id]
        self.view.set_messages(messages, has_older=older)
        if live is not None and found is not None:
            self._live_ids[conversation_id] = live.message_id
            self.view.begin_reply(live.message_id, live.model, live.provider)
            if found.engine_state is not None:
                self.view.set_reply_state(live.message_id, found.engine_state)
            if live.thinking:
                self.view.append_thinking(live.message_id, live.thinking)
            if live.text:
                self.view.append_text(live.message_id, live.text)
            for call in live.tool_calls:
                self.view.add_tool_call(live.message_id, call.call_id, call.name,
                                        call.arguments)
        if found is not None:
            for call_id, summary in found.pending_approvals().items():
                self.view.show_approval(call_id, summary)
        self._loading = False
        if at_message is not None:
            self.reveal(at_message)
        self.sig_shown.emit(conversation_id)

    def reveal(self, message_id: int) -> None:
        """Scroll the message into view once the layout has settled."""
        def scroll() -> None:
            widget = self.view.message_widget(message_id)
            if widget is not None:
                self.view.scroll.ensureWidgetVisible(widget, 0, 40)
        for delay in (0, 60, 200):
            QTimer.singleShot(delay, self.view, scroll)

    async def _older(self, conversation_id: int, before_id: int, generation: int) -> None:
        page = await self._bridge.run(
            partial(message_ops.page, conversation_id=conversation_id, before_id=before_id))
        if generation == self._show_generation:
            self.view.prepend_messages(page.messages, has_older=page.has_older)
            self.versions.refresh()

    def _need_older(self, before_id: int) -> None:
        if self.conversation_id is not None and not self._loading:
            self._bridge.spawn(self._older(self.conversation_id, before_id,
                                           self._show_generation), name="older-messages")

    # -- sending and stopping -----------------------------------------------------------------
    def send(self, text: str) -> None:
        if self.agent_id is None or not text.strip():
            return
        if self._before_send is not None:
            self._before_send()
        attached = self.composer.attachments.take()
        if self.conversation_id is None:
            self._bridge.spawn(self._start_new_chat(self.agent_id, text, attached),
                               name="new-chat")
            return
        self.follower.sending(self.conversation_id, text)
        self.session(self.conversation_id, self.agent_id).send(text, attached)

    async def _start_new_chat(self, agent_id: int, text: str,
                              attached: list[Attachment] | None = None) -> None:
        try:
            conversation: Conversation = await self._bridge.run(
                partial(chats.start, agent_id=agent_id, first_message=text))
        except NotFoundError:            # the agent was deleted elsewhere
            self.follower.give_back(text, "agent")
            return
        assert conversation.id is not None
        self.follower.sending(conversation.id, text, new=True)
        if self.agent_id == agent_id and self.conversation_id is None:
            self.conversation_id = conversation.id   # the (empty) view is this chat
        self.session(conversation.id, agent_id).send(text, attached or [])
        self.sig_conversation_created.emit(conversation)

    def stop(self) -> bool:
        found = self.current_session()
        return found.stop() if found is not None else False

    # -- session events -------------------------------------------------------------------------
    def _on_running(self, conversation_id: int, running: bool) -> None:
        if conversation_id == self.conversation_id:
            self.composer.set_running(running)
        if not running:
            self._live_ids.pop(conversation_id, None)
        self.sig_running.emit(conversation_id, running)

    def _on_event(self, conversation_id: int, event: TurnEvent | SessionEvent) -> None:
        shown = conversation_id == self.conversation_id and not self._loading
        live = self._live_ids.get(conversation_id) if shown else None
        match event:
            case Attempt():
                self.sig_attempt.emit(event)
            case ReplyStarted():
                self._live_ids[conversation_id] = event.message_id
                if shown:
                    self.view.begin_reply(event.message_id, event.model, event.provider)
            case UserMessageRecorded():
                self.follower.settled(conversation_id, event)   # sent
                if shown:
                    self.view.add_user_message(event.message)
            case MessageNotSent():
                self.follower.settled(conversation_id, event)   # given back
            case TextDelta() if live is not None:
                self.view.append_text(live, event.text)
            case ThinkingDelta() if live is not None:
                self.view.append_thinking(live, event.text)
            case Status() if live is not None:
                self.view.set_reply_state(live, event.state)
            case ToolCall() if live is not None:
                self.view.add_tool_call(live, event.call_id, event.name, event.arguments)
            case ToolResult() if shown:
                self.view.set_tool_result(event.call_id, event.content, event.is_error)
            case ApprovalNeeded() if shown:
                self.view.show_approval(event.call_id, event.summary)
            case ReplyFinished() if shown:
                self._finished(event.message)
            case HistoryRewritten() if shown:
                self.reload()
            case (TextDelta() | ThinkingDelta() | Status() | ToolCall() | ToolResult()
                  | ApprovalNeeded() | ReplyFinished() | HistoryRewritten() | Usage() | Done()
                  | Error() | ApprovalSettled()):
                pass                     # another chat's, or nothing to draw
            case _:
                assert_never(event)

    def _finished(self, message: Message) -> None:
        assert message.id is not None
        view = self.view
        view.flush()
        view.finish_reply(message.id, message.status, message.usage, message.error,
                          meta=message.meta)
        widget = view.message_widget(message.id)
        if widget is not None and message.model:
            widget.set_model(message.model, message.provider)   # who really answered
        self.versions.refresh()           # a regenerated reply: one version more

    # -- the empty chat's greeting ----------------------------------------------------------------
    async def _greet(self, agent_id: int, generation: int) -> None:
        try:
            agent = await self._bridge.run(partial(agents.get, agent_id=agent_id))
        except NotFoundError:
            return                       # deleted meanwhile: nobody to greet for
        if generation == self._show_generation and self.conversation_id is None:
            self.view.show_greeting(agent.name, agent.model, agent.provider,
                                    starter_prompts(agent))

    def _use_starter(self, text: str) -> None:
        """A starter prompt goes into the composer, to send or edit first."""
        self.composer.set_text(text)
        self.composer.edit.setFocus()

    def _approval(self, call_id: str, allowed: bool) -> None:
        found = self.current_session()
        if found is None or not found.answer_approval(call_id, allowed):
            log.info("approval for %s came too late", call_id)

    @property
    def editor(self) -> MessageEditDialog | None:
        """The open Edit and Resend dialog, if any (never a deleted one)."""
        return self.message_actions.editor
