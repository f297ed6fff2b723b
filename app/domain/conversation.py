"""A conversation: an ordered exchange of messages with one agent."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.domain.clock import utc_now

#: Where a conversation was started: the window/CLI, the local HTTP API, or a
#: workflow run (app/core/workflows: each step's message names its agent).
ConversationOrigin = Literal["app", "api", "workflow"]


class Conversation(BaseModel):
    id: int | None = None
    agent_id: int
    title: str = "New chat"
    pinned: bool = False
    archived: bool = False
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)
    message_count: int = 0
    # The last message of the branch that is shown (None: no messages).
    active_leaf_id: int | None = None
    # Set by the store when part of the stored row could not be read (e.g. a
    # time that is no time): which fields, in words. Views show the row as
    # damaged; it can still be opened, exported as far as it reads, and deleted.
    damaged: str | None = None
    # Where it was started: "api" = over the local HTTP API (the window marks
    # it), "workflow" = a workflow run.
    origin: ConversationOrigin = "app"
