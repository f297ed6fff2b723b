"""A ChatSession's own events, emitted through ``sig_event`` beside the runner's
run events, in the order the work happened (see app/services/chat_session.py);
and ``LiveReply``, the reply streaming right now. Plain data, no Qt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain import Message


@dataclass(frozen=True)
class UserMessageRecorded:
    message: Message


@dataclass(frozen=True)
class ReplyStarted:
    message_id: int
    model: str | None
    provider: str | None


@dataclass(frozen=True)
class ReplyFinished:
    message: Message


@dataclass(frozen=True)
class ApprovalNeeded:
    call_id: str
    summary: str


@dataclass(frozen=True)
class ApprovalSettled:
    call_id: str
    allowed: bool


@dataclass(frozen=True)
class MessageNotSent:
    """The conversation (``what`` = "conversation") or its agent no longer
    exists (deleted by another process), or the model cannot take the
    message (``what`` = "unsupported": images for a model without vision;
    ``reason`` says so); ``text`` and its ``attachments`` were not recorded."""

    conversation_id: int
    text: str
    what: str
    reason: str = ""
    attachments: tuple = ()


@dataclass(frozen=True)
class HistoryRewritten:
    """The shown branch changed: a regenerated reply or an edited message was
    written as a new version (the earlier ones are kept); a view shows the
    conversation anew. Emitted right after that first write, before the
    ``UserMessageRecorded`` / ``ReplyStarted`` it would otherwise draw."""

    conversation_id: int


#: The session's own events (beside the runner's ``TurnEvent``s).
SessionEvent = (UserMessageRecorded | ReplyStarted | ReplyFinished | ApprovalNeeded
                | ApprovalSettled | MessageNotSent | HistoryRewritten)


@dataclass(frozen=True)
class LiveReply:
    """The assistant message streaming right now, as far as it has come."""

    message_id: int
    model: str | None
    provider: str | None
    text: str
    thinking: str
    tool_calls: list[Any]


@dataclass(frozen=True)
class StepReplyStarted:
    """A workflow step's reply row was inserted (app/services/workflow_session.py;
    each tool round of a step is a new one): where that step's tokens go."""

    step: int
    message_id: int
    model: str | None
    provider: str | None
    agent: str
