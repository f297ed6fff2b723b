"""Messages and what is recorded about how each was produced."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.domain.attachments import Attachment
from app.domain.clock import utc_now

Role = Literal["system", "user", "assistant", "tool"]
MessageStatus = Literal["streaming", "complete", "partial", "error", "cancelled"]

# Statuses after which a message no longer changes.
FINAL_STATUSES: frozenset[str] = frozenset({"complete", "partial", "error", "cancelled"})


class ToolCallRecord(BaseModel):
    """A tool call the model asked for, as stored on the assistant message."""

    call_id: str
    name: str
    arguments: dict[str, Any] | str = Field(default_factory=dict)


class UsageStats(BaseModel):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    ttft_ms: float | None = None
    tokens_per_s: float | None = None


class Message(BaseModel):
    id: int | None = None
    conversation_id: int
    role: Role
    content: str = ""
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    tool_call_id: str | None = None
    status: MessageStatus = "complete"
    model: str | None = None
    provider: str | None = None
    agent_revision: int | None = None
    usage: UsageStats | None = None
    error: str | None = None
    # Free-form facts about how the reply was produced (e.g. routing decision).
    meta: dict[str, Any] = Field(default_factory=dict)
    # The message this one follows (None: the first). Messages form a tree: a
    # regenerated reply or an edited user message is a sibling of the earlier
    # one (another version of the turn); see app/store/message_tree.py.
    parent_id: int | None = None
    #: Files attached to a user message (app/core/attachments).
    attachments: list[Attachment] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)
    # Set by the store when part of the stored row could not be read: which
    # fields, in words (they hold defaults). Never saved.
    damaged: str | None = None
