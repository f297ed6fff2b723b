"""``POST /api/agents/{id}/chat``: one turn with an agent (app/api/turns.py).

``stream`` (default true): ``application/x-ndjson``, one line per event in the
``agentdesk chat --json`` vocabulary (``conversation`` first, then
``status``, ``token``, ``thinking``, ``tool_call``, ``tool_result``,
``usage``, ``done`` or ``error``), each with a ``timestamp``. Otherwise one
JSON reply with the text and its tool calls. Both carry the conversation id
in ``X-Conversation-Id``. A provider that fails before the reply starts is a
502 in the envelope; after that, an ``error`` line. A client that goes away
stops the run; what arrived is kept (the reply is stored as cancelled).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable
from contextlib import suppress
from datetime import UTC, datetime
from functools import partial
from typing import Any, Literal, TypeVar, assert_never

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from app.api import turns
from app.api.agents import agent_or_404
from app.api.context import ApiContext
from app.api.schemas import MAX_ID, Id
from app.api.streaming import coalesced
from app.api.errors import ApiError, not_found
from app.core.fallback import Attempt
from app.core.runner import TurnEvent
from app.domain import (AgentSpec, Done, Error, Status, TextDelta, ThinkingDelta, ToolCall,
                        ToolResult, Usage)
from app.ops import chats
from app.store import NotFoundError

T = TypeVar("T")

CONVERSATION_HEADER = "X-Conversation-Id"
NDJSON = "application/x-ndjson"


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, pattern=r"\S")
    conversation_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    stream: bool = True


class ToolCallOut(BaseModel):
    call_id: str
    name: str
    arguments: dict | str
    result: str | None = None
    is_error: bool = False


class ChatReply(BaseModel):
    conversation_id: int
    reply: str
    tool_calls: list[ToolCallOut]
    stop_reason: Literal["stop", "length", "tool_calls", "cancelled"]
    usage: dict[str, Any] | None = None


def router(context: ApiContext) -> APIRouter:
    api = APIRouter(prefix="/api/agents", tags=["chat"])

    @api.post("/{agent_id}/chat", response_model=ChatReply,
              responses={200: {"content": {NDJSON: {}},
                               "description": "the reply (NDJSON lines when streaming)"},
                         404: {"description": "no such agent or conversation"},
                         409: {"description": "the conversation is another agent's"},
                         502: {"description": "the model provider failed"}})
    async def chat(agent_id: Id, body: ChatIn, request: Request):
        limit = context.limits.max_message_chars
        if len(body.message) > limit:
            raise ApiError(422, "message_too_long",
                           f"the message is over {limit} characters",
                           remediation="send a shorter message")
        agent = await agent_or_404(context, agent_id)
        conversation_id = await _conversation(context, agent, body)
        events = turns.run_turn(context, agent, conversation_id, body.message)
        headers = {CONVERSATION_HEADER: str(conversation_id)}
        if not body.stream:
            reply = await until_disconnected(request, _whole_reply(events, conversation_id))
            return JSONResponse(reply, headers=headers)
        first = await _until_content(events)
        return StreamingResponse(coalesced(_lines(conversation_id, first, events)),
                                 media_type=NDJSON,
                                 headers=headers)

    return api


async def _conversation(context: ApiContext, agent: AgentSpec, body: ChatIn) -> int:
    if body.conversation_id is None:
        return (await turns.start_conversation(context, agent, body.message)).id
    try:
        conversation = await context.run(partial(chats.get,
                                                 conversation_id=body.conversation_id))
    except NotFoundError:
        raise not_found("conversation", body.conversation_id) from None
    if conversation.agent_id != agent.id:
        raise ApiError(409, "conflict", f"conversation {conversation.id} belongs to "
                       "another agent", remediation="omit conversation_id to start a new one")
    return conversation.id


async def until_disconnected(request: Request, work: Awaitable[T]) -> T:
    """``work``'s result; cancelled when the client goes away first (a reply
    that is not streamed: Starlette only watches streamed ones). The body is
    read by then, so the next message ``receive`` gives is the disconnect."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_disconnect(request))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
        if not task.done():
            task.cancel()          # closing the events stores the partial reply
            with suppress(asyncio.CancelledError):
                await task
    if task.cancelled():
        raise ApiError(400, "client_disconnected", "the client went away; the reply so far "
                       "is kept in the conversation")
    return task.result()


async def _disconnect(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


def provider_failure(error: Error) -> ApiError:
    headers = {}
    if error.retry_after:
        headers["Retry-After"] = str(max(1, round(error.retry_after)))
    return ApiError(502, "provider_error", error.message,
                    details={"kind": error.kind, "retryable": error.retryable},
                    remediation="check the agent's provider (Settings, or "
                                "GET /api/models/{provider}/status)", headers=headers)


async def _until_content(events: AsyncIterator[TurnEvent]) -> list[TurnEvent]:
    """The events up to the first that is content (or the end): a provider
    that fails before anything arrived is a 502, not a 200 with an error."""
    seen: list[TurnEvent] = []
    try:
        async for event in events:
            match event:
                case Error():
                    raise provider_failure(event)
                case TextDelta() | ThinkingDelta() | ToolCall() | ToolResult() | Done():
                    seen.append(event)
                    break                    # the reply has started
                case Usage() | Status() | Attempt():
                    seen.append(event)
                case _:
                    assert_never(event)
    except BaseException:
        await events.aclose()
        raise
    return seen


def _shown(event: TurnEvent) -> bytes | None:
    """The event's NDJSON line; fallback attempts are not shown (as in the CLI)."""
    match event:
        case Attempt():
            return None
        case TextDelta() | ThinkingDelta() | ToolCall() | ToolResult() | Usage() | Done() \
                | Error() | Status():
            # pydantic-core writes the JSON (UTF-8, not ASCII-escaped, as _line);
            # the timestamp goes in before the closing brace.
            return b"".join((event.__pydantic_serializer__.to_json(event)[:-1],
                             b',"timestamp":"', _now().encode(), b'"}\n'))
        case _:
            assert_never(event)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _line(data: dict) -> bytes:
    data["timestamp"] = _now()
    return (json.dumps(data, ensure_ascii=False) + "\n").encode()


async def _lines(conversation_id: int, first: list[TurnEvent],
                 events: AsyncIterator[TurnEvent]) -> AsyncIterator[bytes]:
    try:
        yield _line({"type": "conversation", "conversation_id": conversation_id})
        for event in first:
            if (line := _shown(event)) is not None:
                yield line
        async for event in events:
            if (line := _shown(event)) is not None:
                yield line
    finally:
        await events.aclose()       # a client that went away: the run stops here


async def _whole_reply(events: AsyncIterator[TurnEvent], conversation_id: int) -> dict:
    text: list[str] = []
    calls: dict[str, ToolCallOut] = {}
    usage: dict[str, Any] | None = None
    stop = "stop"
    try:
        async for event in events:
            match event:
                case Error():
                    raise provider_failure(event)
                case TextDelta():
                    text.append(event.text)
                case ToolCall():
                    calls[event.call_id] = ToolCallOut(call_id=event.call_id, name=event.name,
                                                       arguments=event.arguments)
                case ToolResult() if event.call_id in calls:
                    calls[event.call_id].result = event.content
                    calls[event.call_id].is_error = event.is_error
                case Usage():
                    usage = event.model_dump(exclude={"type"})
                case Done():
                    stop = event.stop_reason
                case ToolResult() | ThinkingDelta() | Status() | Attempt():
                    pass
                case _:
                    assert_never(event)
    finally:
        await events.aclose()
    return ChatReply(conversation_id=conversation_id, reply="".join(text),
                     tool_calls=list(calls.values()), stop_reason=stop,
                     usage=usage).model_dump(mode="json")
