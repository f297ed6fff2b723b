"""The OpenAI-compatible face of the API: ``GET /v1/models`` and
``POST /v1/chat/completions``, so OpenAI clients (the official SDKs, editors,
chat front-ends) can talk to AgentDesk's agents.

* Each agent is a model: its id is the agent's name (its numeric id is
  accepted too).
* The agent runs on our side with everything it has: its system prompt,
  memory, tools, fallback chain and privacy rules (``app.api.turns.run_turn``,
  the same turn as ``POST /api/agents/{id}/chat``). Tool calls and results are
  not sent to the client (they already ran); the reply's text is.
* The request's messages become the turn: the last message must be the
  user's and is the new input. Without an ``X-Conversation-Id`` header a new
  conversation (marked as started over the API) is opened and the earlier
  user and assistant messages are recorded into it as its history; with the
  header, that conversation is continued and only the last message is used
  (its stored history is the history). System/developer messages are ignored
  (the agent's own system prompt applies), as are tool messages and sampling
  options (``temperature``, ``max_tokens``...: the agent's settings apply).
  Every reply carries ``X-Conversation-Id``.
* ``stream: true`` answers with Server-Sent Events: ``data: {chunk}`` lines
  (``chat.completion.chunk``) and ``data: [DONE]``. The chunk with
  ``finish_reason`` carries ``usage``; with ``stream_options.include_usage``
  a last chunk with no choices carries it as OpenAI sends it. A provider that
  fails before the reply starts is a 502 (a normal error response); a failure
  after that is an ``error`` event in the stream (the OpenAI clients raise it).
  A client that goes away stops the run; the partial reply stays recorded.
* Errors are OpenAI's shape, ``{"error": {"message", "type", "code"}}``
  (app/api/errors.py picks it for /v1 paths); the guard in front of every
  route answers 401/413/421/429 in that shape too.
* The request and response bodies are in openai_schemas.py.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Coroutine
from contextlib import suppress
from functools import partial
from typing import Any, Literal, TypeVar, assert_never

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from app.api import turns
from app.api.context import ApiContext
from app.api.errors import ApiError, OpenAIErrorReply
from app.api.openai_schemas import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionRequest,
    Choice,
    CompletionUsage,
    ModelCard,
    ModelList,
    RequestMessage,
)
from app.api.schemas import MAX_ID
from app.api.streaming import coalesced
from app.core.fallback import Attempt
from app.core.runner import TurnEvent
from app.domain import (AgentSpec, Done, Error, Status, TextDelta, ThinkingDelta, ToolCall,
                        ToolResult, Usage)
from app.ops import agents, chats, messages
from app.ops.messages import HistoryEntry

#: The response header naming the conversation a request ran in.
CONVERSATION_HEADER = "X-Conversation-Id"

#: The status recorded for a request whose client hung up before the answer (nginx's).
CLIENT_GONE = 499

_STREAM_MEDIA = "text/event-stream"
T = TypeVar("T")


_ERRORS = {status: {"model": OpenAIErrorReply, "description": text} for status, text in (
    (400, "the request cannot be a turn (last message not the user's, non-text content, "
          "another agent's conversation)"),
    (404, "no such model (agent) or conversation"),
    (422, "the body is not a valid chat request, or a message is too long"),
    (502, "the agent's model failed before the reply began"))}


# -- the turn --------------------------------------------------------------------
class _Reply:
    """What the events of one turn add up to, for the client."""

    def __init__(self, model: str) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.model = model
        self.text: list[str] = []
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.stop_reason = "stop"
        self.error: Error | None = None
        #: The reply began (text, thinking, a tool or its end): no longer a plain 502.
        self.started = False

    def take(self, event: TurnEvent) -> dict[str, str] | None:
        """Count ``event`` in; the stream delta it makes, if any."""
        match event:
            case TextDelta():
                self.started = True
                self.text.append(event.text)
                return {"content": event.text} if event.text else None
            case ThinkingDelta():
                self.started = True
                return {"reasoning_content": event.text} if event.text else None
            case Usage():
                # One per round when tools run: the request as a whole used them all.
                self.prompt_tokens += event.prompt_tokens or 0
                self.completion_tokens += event.completion_tokens or 0
            case Done():
                self.started = True
                self.stop_reason = event.stop_reason
            case Error():
                self.error = event
            case ToolCall() | ToolResult():
                self.started = True        # they ran here; the client sees the text
            case Status() | Attempt():
                pass                       # before the reply; fallback attempts stay ours
            case _:
                assert_never(event)
        return None

    @property
    def finish_reason(self) -> Literal["stop", "length"]:
        # Tool calls already ran here; a cancelled run ends as far as it came.
        return "length" if self.stop_reason == "length" else "stop"

    def usage(self) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens}

    def completion(self) -> dict[str, Any]:
        return ChatCompletion(
            id=self.id, created=self.created, model=self.model,
            choices=[Choice(message=AssistantMessage(content="".join(self.text)),
                            finish_reason=self.finish_reason)],
            usage=CompletionUsage(**self.usage())).model_dump()

    def chunk(self, delta: dict[str, Any] | None, finish: str | None = None,
              usage: bool = False) -> str:
        """One SSE event; ``delta`` None: the usage-only chunk (no choices)."""
        data: dict[str, Any] = {"id": self.id, "object": "chat.completion.chunk",
                                "created": self.created, "model": self.model,
                                "choices": [] if delta is None else
                                [{"index": 0, "delta": delta, "finish_reason": finish}]}
        if usage:
            data["usage"] = self.usage()
        return sse(data)


def sse(data: dict[str, Any]) -> str:
    """One ``data:`` event (JSON escapes every line break, so it is one line)."""
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def provider_error(error: Error) -> ApiError:
    """A provider's failure as the 502 a client sees."""
    return ApiError(502, f"provider_{error.kind}", f"the model failed: {error.message}",
                    remediation="check the agent's provider (agentdesk providers test)")


def _text(message: RequestMessage) -> str:
    content = message.content
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts = []
    for part in content:
        if part.type != "text" or part.text is None:
            raise ApiError(400, "unsupported_content",
                           f"message content of type {part.type[:40]!r} is not supported",
                           remediation="send text only")
        parts.append(part.text)
    return "".join(parts)


def split_turn(request: ChatCompletionRequest, max_chars: int
               ) -> tuple[list[HistoryEntry], str]:
    """The earlier user/assistant messages (history) and the new input (the
    last message, which must be the user's). Other roles are left out."""
    *earlier, last = request.messages
    if last.role != "user":
        raise ApiError(400, "last_message_not_user",
                       f"the last message must be the user's, not {last.role!r}",
                       remediation="end the messages with the new user message")
    text = _text(last)
    if not text.strip():
        raise ApiError(400, "empty_message", "the last user message is empty")
    history: list[HistoryEntry] = []
    for message in earlier:
        if message.role in ("user", "assistant"):
            content = _text(message)
            if content:
                history.append((message.role, content))
    if any(len(content) > max_chars for _, content in [*history, ("user", text)]):
        raise ApiError(422, "message_too_long", f"a message is over {max_chars} characters",
                       remediation="send shorter messages")
    return history, text


def _until_disconnected(request: Request) -> asyncio.Task:
    """A task that ends when the client goes away (the body is read by then)."""

    async def wait() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass
    return asyncio.ensure_future(wait())


def router(context: ApiContext) -> APIRouter:
    """The /v1 routes; the app's guard checks the token before they run."""
    api = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])

    async def agent_for(model: str) -> AgentSpec:
        agent = await context.run(lambda store: agents.find(store, model))
        if agent is None:
            raise ApiError(404, "model_not_found", f"no agent is called {model[:80]!r}",
                           remediation="GET /v1/models lists the agents")
        return agent

    async def conversation_for(agent: AgentSpec, conversation_id: int | None,
                               history: list[HistoryEntry], text: str) -> int:
        if conversation_id is not None:
            conversation = await context.run(lambda store: chats.get(store, conversation_id))
            if conversation.agent_id != agent.id:
                raise ApiError(400, "conversation_of_another_agent",
                               f"conversation {conversation_id} belongs to another agent",
                               remediation=f"ask that agent, or leave out {CONVERSATION_HEADER}")
            return conversation_id
        first = next((content for role, content in history if role == "user"), text)
        conversation = await context.run(partial(
            messages.start_with_history, agent_id=agent.id, first_message=first,
            entries=history, origin="api"))
        return conversation.id

    @api.get("/models", response_model=ModelList, summary="The agents, as models")
    async def list_models() -> ModelList:
        found = await context.run(agents.list_agents)
        return ModelList(data=[ModelCard(id=agent.name, created=int(agent.created_at.timestamp()))
                               for agent in found])

    @api.post("/chat/completions", summary="Ask an agent, as an OpenAI chat completion",
              response_model=ChatCompletion,
              responses={200: {"content": {_STREAM_MEDIA: {"schema": {"type": "string"}}},
                               "description": "the completion, or SSE chunks with stream"},
                         **_ERRORS})
    async def chat_completions(
            body: ChatCompletionRequest, request: Request,
            x_conversation_id: int | None = Header(default=None, ge=1, le=MAX_ID)) -> Any:
        history, text = split_turn(body, context.limits.max_message_chars)
        agent = await agent_for(body.model)
        conversation_id = await conversation_for(
            agent, x_conversation_id, [] if x_conversation_id else history, text)
        headers = {CONVERSATION_HEADER: str(conversation_id)}
        reply = _Reply(agent.name)
        events = turns.run_turn(context, agent, conversation_id, text)
        try:
            if not body.stream:
                await _while_connected(request, _complete(reply, events))
                if reply.error is not None:
                    raise provider_error(reply.error)
                return JSONResponse(reply.completion(), headers=headers)
            deltas = await _while_connected(request, _start(reply, events))
        except _ClientGone:
            await events.aclose()       # the run stops; its reply so far stays, cancelled
            return Response(status_code=CLIENT_GONE)
        include_usage = body.stream_options is not None and body.stream_options.include_usage
        return StreamingResponse(coalesced(_stream(reply, events, deltas, include_usage)),
                                 media_type=_STREAM_MEDIA,
                                 headers={**headers, "Cache-Control": "no-cache"})

    return api


class _ClientGone(Exception):
    """The client hung up before the response started."""


async def _while_connected(request: Request, work: Coroutine[Any, Any, T]) -> T:
    """``work``, cancelled when the client goes away first (then _ClientGone):
    before a response starts nobody else listens for the hang-up."""
    run = asyncio.ensure_future(work)
    gone = _until_disconnected(request)
    try:
        await asyncio.wait({run, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
        if not run.done():
            run.cancel()
            with suppress(asyncio.CancelledError):
                await run
    if run.cancelled():
        raise _ClientGone()
    return run.result()


async def _complete(reply: _Reply, events: AsyncGenerator[TurnEvent, None]) -> None:
    """Run the turn to its end."""
    try:
        async for event in events:
            reply.take(event)
    finally:
        await events.aclose()


async def _start(reply: _Reply, events: AsyncGenerator[TurnEvent, None]) -> list[dict]:
    """Run the turn until its reply begins; the deltas so far. A failure before
    any text is raised as the 502 (the client learns it from the status); the
    caller streams the rest."""
    deltas: list[dict] = []
    try:
        async for event in events:
            delta = reply.take(event)
            if delta is not None:
                deltas.append(delta)
            if reply.error is not None and not reply.text:
                raise provider_error(reply.error)
            if reply.started or reply.error is not None:
                break
    except BaseException:
        await events.aclose()
        raise
    return deltas


async def _stream(reply: _Reply, events: AsyncGenerator[TurnEvent, None], deltas: list[dict],
                  include_usage: bool) -> AsyncIterator[str]:
    """SSE chunks of the turn; closing this (a client gone) closes the turn."""
    try:
        yield reply.chunk({"role": "assistant", "content": ""})
        for delta in deltas:
            yield reply.chunk(delta)
        async for event in events:
            delta = reply.take(event)
            if delta is not None:
                yield reply.chunk(delta)
            if reply.error is not None:
                break
        if reply.error is not None:
            failed = provider_error(reply.error)
            yield sse({"error": {"message": failed.message, "type": "api_error",
                                 "code": failed.code}})
            return
        yield reply.chunk({}, reply.finish_reason, usage=True)
        if include_usage:
            yield reply.chunk(None, usage=True)
        yield "data: [DONE]\n\n"
    finally:
        await events.aclose()
