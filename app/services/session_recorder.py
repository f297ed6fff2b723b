"""The recording of a ChatSession's turn: the core's ConversationRecorder with
hooks (app/core/recorder.py, ``RecordingHooks``) that tell the session about
each step once it is committed (the user's message, the reply's start and
final state, a new version written), so its events follow the order of the
writes. No subclass of the recorders: only their public seam."""

from __future__ import annotations

from collections.abc import Callable

from app.core.recorder import ConversationRecorder, RecordingHooks, ReplyRecorder
from app.domain import Message
from app.services.session_events import HistoryRewritten, UserMessageRecorded
from app.store import AsyncStore


class TurnRecording:
    """One turn's recorder and what it reported.

    ``recorded`` receives the session events of the recording itself
    (``HistoryRewritten``, ``UserMessageRecorded``); ``reply_started`` and
    ``reply_finished`` the reply's recorder and final message.
    """

    def __init__(self, store: AsyncStore, flush_interval: float, conversation_id: int, *,
                 recorded: Callable[[object], None],
                 reply_started: Callable[[ReplyRecorder], None],
                 reply_finished: Callable[[Message], None],
                 rewrites: bool = False) -> None:
        self._conversation_id = conversation_id
        self._recorded = recorded
        self._reply_started = reply_started
        #: The turn's first write starts a new version (regenerate, edit).
        self._rewrites = rewrites
        #: The user's message was committed (a later failure is not "not sent").
        self.user_message_recorded = False
        self.recorder = ConversationRecorder(store, flush_interval=flush_interval,
                                             hooks=RecordingHooks(
                                                 user_message=self._on_user_message,
                                                 reply_started=self._on_reply_started,
                                                 reply_finished=reply_finished))

    def _rewritten(self) -> None:
        if self._rewrites:
            self._rewrites = False
            self._recorded(HistoryRewritten(self._conversation_id))

    def _on_user_message(self, message: Message) -> None:
        self._rewritten()
        self.user_message_recorded = True
        self._recorded(UserMessageRecorded(message))

    def _on_reply_started(self, reply: ReplyRecorder) -> None:
        self._rewritten()
        self._reply_started(reply)
