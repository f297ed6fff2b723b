"""/api/sessions/{conversation_id}: a conversation's history (the shown
branch, newest ``limit`` messages) and clearing it (the conversation and its
messages are deleted, as the window's Delete does)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.api.context import ApiContext
from app.api.schemas import Id
from app.api.errors import not_found
from app.ops import chats, messages
from app.store import NotFoundError

#: Most messages one history answer carries.
MAX_HISTORY = 1000


class MessageOut(BaseModel):
    id: int
    role: str
    content: str
    status: str
    tool_calls: list[dict[str, Any]]
    tool_call_id: str | None
    created_at: datetime


class Session(BaseModel):
    conversation_id: int
    agent_id: int
    title: str
    origin: str
    messages: list[MessageOut]
    has_older: bool


class Cleared(BaseModel):
    deleted: bool = True
    conversation_id: int
    messages: int


def router(context: ApiContext) -> APIRouter:
    api = APIRouter(prefix="/api/sessions", tags=["sessions"])

    @api.get("/{conversation_id}", response_model=Session,
             responses={404: {"description": "no such conversation"}})
    async def history(conversation_id: Id,
                      limit: int = Query(100, ge=1, le=MAX_HISTORY)) -> Session:
        try:
            shown = await context.run(partial(messages.shown_chat,
                                               conversation_id=conversation_id, limit=limit))
        except NotFoundError:
            raise not_found("conversation", conversation_id) from None
        if shown.stamp is None:
            raise not_found("conversation", conversation_id)
        return Session(
            conversation_id=conversation_id, agent_id=shown.stamp.agent_id,
            title=shown.stamp.title, origin=shown.stamp.origin,
            has_older=shown.page.has_older,
            messages=[MessageOut(id=m.id, role=m.role, content=m.content, status=m.status,
                                 tool_calls=[c.model_dump(mode="json") for c in m.tool_calls],
                                 tool_call_id=m.tool_call_id, created_at=m.created_at)
                      for m in shown.page.messages])

    @api.delete("/{conversation_id}", response_model=Cleared,
                responses={404: {"description": "no such conversation"}})
    async def clear(conversation_id: Id) -> Cleared:
        try:
            gone = await context.run(partial(chats.delete, conversation_id=conversation_id))
        except NotFoundError:
            raise not_found("conversation", conversation_id) from None
        return Cleared(conversation_id=conversation_id, messages=gone.message_count)

    return api
