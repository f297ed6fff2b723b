"""One user turn, end to end: record, route, stream with fallback, finish.

Order of work (the durability contract, docs/ARCHITECTURE.md):

1. the user's message is committed before any request leaves;
2. the request is built from the agent's system prompt and the whole
   conversation (trimming and tools come with the agent runner);
3. the route is planned (app/core/routing.py);
4. the assistant message is inserted with status ``streaming``; text is
   appended as it arrives (the recorder flushes it on its own cadence);
5. it is finished as ``complete`` (done), ``partial`` (error after tokens),
   ``error`` (nothing received) or ``cancelled`` (the task was cancelled or
   the caller closed the stream — the text received so far is kept), with
   usage, the model and provider that answered, ``meta["routing"]`` and
   ``meta["attempts"]``.

The final write happens before the final ``Done``/``Error`` event is handed to
the caller, so whoever reacts to it finds the message in its final state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from typing import Any

from app.core.fallback import Attempt, FallbackStream, ProviderPool, ProviderSource
from app.core.provider_factory import build_provider, options_from_settings
from app.core.recorder import ConversationRecorder, ReplyRecorder
from app.core.routing import AUTO, RequestFacts, RoutePlan, plan_route
from app.domain import (
    AgentSpec,
    ChatMessage,
    ChatRequest,
    Done,
    Error,
    Message,
    MessageStatus,
    ModelInfo,
    ProviderConfig,
    RunEvent,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    ToolCallRecord,
    Usage,
    UsageStats,
)
from app.providers.base import ProviderError
from app.settings import AppSettings
from app.store import AsyncStore

log = logging.getLogger(__name__)

TurnEvent = RunEvent | Attempt


def build_request(agent: AgentSpec, history: Sequence[Message]) -> ChatRequest:
    """The request for the agent's next reply to ``history`` (oldest first).

    Replies still streaming and replies that produced nothing are left out.
    """
    messages: list[ChatMessage] = []
    if agent.system_prompt.strip():
        messages.append(ChatMessage(role="system", content=agent.system_prompt))
    for message in history:
        if message.role == "assistant":
            if message.status == "streaming" or not (message.content or message.tool_calls):
                continue
            messages.append(ChatMessage(role="assistant", content=message.content,
                                        tool_calls=message.tool_calls))
        elif message.role == "tool":
            messages.append(ChatMessage(role="tool", content=message.content,
                                        tool_call_id=message.tool_call_id))
        else:
            messages.append(ChatMessage(role=message.role, content=message.content))
    return ChatRequest(model=agent.model or AUTO, messages=messages,
                       temperature=agent.temperature, max_tokens=agent.max_tokens,
                       stream=agent.streaming)


def default_provider_pool(settings: AppSettings) -> ProviderPool:
    options = options_from_settings(settings)
    return ProviderPool(lambda config: build_provider(config, options))


class ChatTurn:
    """One user message and the agent's reply to it.

    Iterate ``events()`` once. ``providers`` gives provider objects by
    configuration; without it the turn builds its own and closes them at
    the end. ``models`` is what is known about models (for ``auto``
    routing); without it, an ``auto`` agent's providers are asked.
    """

    def __init__(self, store: AsyncStore, settings: AppSettings, agent: AgentSpec,
                 conversation_id: int, text: str, *,
                 providers: ProviderSource | None = None,
                 recorder: ConversationRecorder | None = None,
                 models: Sequence[ModelInfo] | None = None) -> None:
        self.store = store
        self.settings = settings
        self.agent = agent
        self.conversation_id = conversation_id
        self.text = text
        self._own_pool = providers is None
        self._providers: ProviderSource = providers or default_provider_pool(settings)
        self.recorder = recorder or ConversationRecorder.from_settings(store, settings)
        self._models = models
        self.user_message: Message | None = None
        self.request: ChatRequest | None = None
        self.plan: RoutePlan | None = None
        self.reply: ReplyRecorder | None = None
        self.fallback: FallbackStream | None = None
        self.final: Message | None = None

    async def events(self) -> AsyncIterator[TurnEvent]:
        try:
            async with aclosing(self._run()) as run:
                async for event in run:
                    yield event
        finally:
            if self._own_pool and isinstance(self._providers, ProviderPool):
                await self._providers.aclose()

    async def _run(self) -> AsyncIterator[TurnEvent]:
        agent, conversation_id = self.agent, self.conversation_id
        self.user_message = await self.recorder.record_user_message(
            conversation_id, self.text, agent_revision=agent.revision or None)
        history, configs = await self.store.run(
            lambda s: (s.messages.all(conversation_id), s.providers.list()))
        self.request = build_request(agent, history)
        facts = RequestFacts.from_request(self.request, tools_attached=bool(agent.tools))
        notes: list[str] = []
        models = self._models
        if models is None:
            models = await self._discover_models(configs, notes)
        self.plan = plan_route(agent, configs, facts, self.settings, models=models)
        self.plan.reasons.extend(notes)
        first = self.plan.candidates[0] if self.plan.candidates else None
        self.reply = await self.recorder.start_reply(
            conversation_id, agent.revision or None,
            first.model if first else agent.model or None,
            first.provider.name if first else agent.provider or None)
        self.fallback = FallbackStream(self.plan.candidates, self.request, self._providers)
        async with aclosing(self._stream()) as stream:
            async for event in stream:
                yield event

    async def _stream(self) -> AsyncIterator[TurnEvent]:
        assert self.reply is not None and self.fallback is not None
        reply, usage = self.reply, None
        got_tokens = False
        try:
            async with aclosing(self.fallback.events()) as events:
                async for event in events:
                    if isinstance(event, TextDelta):
                        got_tokens = True
                        reply.append(event.text)
                    elif isinstance(event, ThinkingDelta):
                        got_tokens = True
                        reply.append_thinking(event.text)
                    elif isinstance(event, ToolCall):
                        got_tokens = True
                        reply.add_tool_call(ToolCallRecord(call_id=event.call_id,
                                                           name=event.name,
                                                           arguments=event.arguments))
                    elif isinstance(event, Usage):
                        usage = event
                    elif isinstance(event, Done):
                        status: MessageStatus = ("cancelled" if event.stop_reason == "cancelled"
                                                 else "complete")
                        await self._finish(status, usage, stop_reason=event.stop_reason)
                    elif isinstance(event, Error):
                        await self._finish("partial" if got_tokens else "error", usage,
                                           error=event)
                    yield event
        except (asyncio.CancelledError, GeneratorExit):
            await self._finish("cancelled", usage, stop_reason="cancelled")
            raise
        except BaseException as exc:
            await self._finish("partial" if got_tokens else "error", usage,
                               error=Error(kind="protocol", message=f"{type(exc).__name__}: {exc}"))
            raise

    async def _finish(self, status: MessageStatus, usage: Usage | None, *,
                      error: Error | None = None, stop_reason: str | None = None) -> Message:
        assert self.reply is not None and self.plan is not None and self.fallback is not None
        if self.reply.finished:
            return await self.reply.finish(status)   # returns the first result
        answered = self.fallback.answered_by
        meta: dict[str, Any] = {
            "routing": self.plan.to_meta(),
            "attempts": [attempt.to_meta() for attempt in self.fallback.attempts],
        }
        if stop_reason:
            meta["stop_reason"] = stop_reason
        if error is not None:
            meta["error_kind"] = error.kind
        self.final = await self.reply.finish(
            status, usage=_usage_stats(usage, answered), meta=meta,
            error=error.message if error else None,
            model=answered.model if answered else None,
            provider=answered.provider if answered else None)
        return self.final

    async def _discover_models(self, configs: Sequence[ProviderConfig],
                               notes: list[str]) -> list[ModelInfo]:
        """Ask the providers that stand for ``auto`` which models they have.

        Each is bounded by the connect timeout; a failure is noted, not fatal.
        """
        names = {t.provider.lower() for t in self.agent.fallbacks if t.model.lower() == AUTO}
        if (self.agent.model or AUTO).lower() == AUTO:
            names.add((self.agent.provider or self.settings.default_provider).lower())
        wanted = [c for c in configs if c.enabled and c.name.lower() in names]
        if not wanted:
            return []
        timeout = self.settings.timeouts.connect

        async def ask(config: ProviderConfig) -> list[ModelInfo]:
            try:
                provider = self._providers(config)
                return await asyncio.wait_for(provider.list_models(), timeout)
            except (ProviderError, TimeoutError, OSError) as exc:
                notes.append(f"could not list the models of {config.name!r}: {exc}")
            except Exception as exc:  # noqa: BLE001 — routing goes on without this list
                log.exception("listing models of %s failed", config.name)
                notes.append(f"could not list the models of {config.name!r}: "
                             f"{type(exc).__name__}")
            return []

        found = await asyncio.gather(*(ask(config) for config in wanted))
        return [info for infos in found for info in infos]


def _usage_stats(usage: Usage | None, answered: Attempt | None) -> UsageStats | None:
    if usage is not None:
        return UsageStats(prompt_tokens=usage.prompt_tokens,
                          completion_tokens=usage.completion_tokens,
                          ttft_ms=usage.ttft_ms, tokens_per_s=usage.tokens_per_s)
    if answered is not None and answered.elapsed_ms is not None:
        # The provider reported nothing; the time to its first token is still known.
        return UsageStats(ttft_ms=answered.elapsed_ms)
    return None

