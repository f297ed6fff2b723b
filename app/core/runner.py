"""The agent runner: one user turn end to end, tool rounds included.

Order of work (the durability contract, docs/ARCHITECTURE.md):

1. the user's message is committed before any request leaves;
2. the request is built from the agent's system prompt (plus the memory block
   when the agent has the ``memory`` tool) and the earlier conversation,
   trimmed to the model's context (app/core/context_window.py) — loaded from
   the newest end only as far as the budget reaches, with the turns converted
   for the previous request taken from the store's ``HistoryCache``
   (app/core/context_window_cache.py), so the cost of a turn does not grow
   with the length of the conversation;
3. each round is routed (app/core/routing.py — again every round, so privacy
   rules also see tool results) and streamed through the fallback chain
   (app/core/fallback.py) into a new assistant message: inserted ``streaming``,
   finished ``complete`` / ``partial`` / ``error`` / ``cancelled`` with its tool
   calls, usage, who answered, ``meta["routing"]``, ``meta["attempts"]`` and
   ``meta["round"]``;
4. the tool calls of a round run concurrently (app/core/tool_loop.py), each
   result recorded as a ``tool`` message, and are fed back in the next round;
   after ``max_rounds`` rounds with tools, one final request goes out without
   tools (``tool_choice`` ``none``) so the model answers;
5. the turn ends with exactly one ``Done`` (the last round's stop reason) or
   one ``Error``; every write happens before the event that reports it.

Cancelling at any moment — before the request, mid-stream, during a tool or
after one — leaves no message ``streaming``: the reply so far is kept as
``cancelled``, running tools are cancelled and recorded ``cancelled``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, assert_never

from app.core.context_window import (
    ContextBudget,
    HistoryWindow,
    fit_rounds,
    load_history,
    message_tokens,
    messages_tokens,
    tools_tokens,
)
from app.core.fallback import Attempt, FallbackStream, ProviderPool, ProviderSource
from app.core.recorder import ConversationRecorder, Parent, ReplyRecorder
from app.core.reply_meta import context_meta, reply_meta, unique_call_id, usage_stats
from app.core.routing import AUTO, RequestFacts, RoutePlan, plan_route
from app.core.tool_loop import ToolBatch
from app.core.turn_inputs import (  # noqa: F401 (build_request re-exported)
    agent_workspace,
    build_request,
    context_tokens,
    default_provider_pool,
    default_toolbox,
    discover_models,
    resolve_tools,
    system_messages,
    tool_lookup,
)
from app.core.tools.base import Approver, Tool, ToolContext, ToolRegistry, deny_all
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
    Status,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    ToolCallRecord,
    ToolResult,
    ToolSpec,
    Usage,
)
from app.domain.chat import ToolChoice
from app.settings import AppSettings
from app.store import AsyncStore
from app.store.message_tree import AT_LEAF

log = logging.getLogger(__name__)

TurnEvent = RunEvent | Attempt


@dataclass
class _Round:
    """What one model request produced."""

    number: int
    calls: list[ToolCallRecord] = field(default_factory=list)
    done: Done | None = None
    error: Error | None = None
    message: Message | None = None
    batch: ToolBatch | None = None


class AgentRunner:
    """One user message and the agent's reply to it, tools included.

    Iterate ``events()`` once. ``providers`` gives provider objects by
    configuration; without it the runner builds its own and closes them at the
    end. ``models`` is what is known about models (``auto`` routing and context
    lengths); without it, an ``auto`` agent's providers are asked. ``tools`` is
    the registry (default: ``build_tool_registry``, closed at the end);
    ``approver`` answers approval requests of ``ask`` tools (default: deny).

    Versions (app/store/message_tree.py): ``reply_to`` answers a stored user
    message again (Regenerate: no new user message; the reply is a new version
    beside the earlier ones); ``parent_id`` attaches the new user message
    elsewhere than after the shown branch (an edit: the edited message's parent).
    Either way the request carries only the branch that leads to the message.
    """

    def __init__(self, store: AsyncStore, settings: AppSettings, agent: AgentSpec,
                 conversation_id: int, text: str, *,
                 providers: ProviderSource | None = None,
                 recorder: ConversationRecorder | None = None,
                 models: Sequence[ModelInfo] | None = None,
                 tools: ToolRegistry | None = None,
                 approver: Approver = deny_all,
                 max_rounds: int | None = None,
                 context_tokens: int | None = None,
                 tool_choice: ToolChoice | None = None,
                 history_page: int | None = None,
                 reply_to: Message | None = None,
                 parent_id: Parent = AT_LEAF) -> None:
        self.store = store
        self.settings = settings
        self.agent = agent
        self.conversation_id = conversation_id
        self.text = reply_to.content if reply_to is not None else text
        self.reply_to = reply_to
        self._parent_id = parent_id
        self._own_pool = providers is None
        self._providers: ProviderSource = providers or default_provider_pool(settings)
        self.recorder = recorder or ConversationRecorder.from_settings(store, settings)
        self._models = models
        self._registry = tools
        self._own_registry = tools is None
        self.approver = approver
        self.max_rounds = max_rounds if max_rounds is not None \
            else settings.runner.max_tool_rounds
        self._context_override = context_tokens
        self._tool_choice = tool_choice      # first round only (e.g. a forced tool)
        self._history_page = history_page
        self.user_message: Message | None = None
        self.window: HistoryWindow | None = None
        self.requests: list[ChatRequest] = []
        self.request: ChatRequest | None = None
        self.plan: RoutePlan | None = None
        self.reply: ReplyRecorder | None = None
        self.fallback: FallbackStream | None = None
        self.rounds: list[Message] = []          # one assistant message per round
        self.tool_messages: list[Message] = []
        self.tool_problems: list[str] = []
        self.final: Message | None = None        # the last round's message
        self._round: _Round | None = None

    async def events(self) -> AsyncIterator[TurnEvent]:
        try:
            async with aclosing(self._run()) as run:
                async for event in run:
                    yield event
        finally:
            if self._own_pool and isinstance(self._providers, ProviderPool):
                await self._providers.aclose()
            if self._own_registry and self._registry is not None:
                closer = getattr(self._registry, "aclose", None)
                if closer is not None:
                    await closer()

    # -- the turn -----------------------------------------------------------------
    async def _run(self) -> AsyncIterator[TurnEvent]:
        agent = self.agent
        if self.reply_to is not None:
            self.user_message = self.reply_to
        else:
            self.user_message = await self.recorder.record_user_message(
                self.conversation_id, self.text, agent_revision=agent.revision or None,
                parent_id=self._parent_id)
        configs = await self.store.run(lambda s: s.providers.list())
        notes: list[str] = []
        models = self._models
        if models is None:
            models = await discover_models(agent, self.settings, configs, self._providers,
                                           notes)
        tools = await self._agent_tools()
        specs = [t.spec() for t in tools]
        system = await system_messages(self.store, agent, tools)
        user = ChatMessage(role="user", content=self.text)
        window_tokens = self._context_override or context_tokens(agent, self.settings, models)
        budget = ContextBudget.for_model(window_tokens, agent.max_tokens)
        fixed = (messages_tokens(system), tools_tokens(specs), message_tokens(user))
        self.window = await load_history(
            self.store, self.conversation_id, before_id=self.user_message.id,
            budget=budget.available(*fixed), max_turns=agent.max_turns,
            first_page=self._history_page)
        context = ToolContext(workspace=agent_workspace(agent, self.settings),
                              agent_id=agent.id, conversation_id=self.conversation_id,
                              approver=self.approver,
                              services={"store": self.store, "settings": self.settings})
        lookup = tool_lookup(self._registry, tools, agent.tool_policies)
        try:
            async with aclosing(self._rounds(system, user, specs, tools, budget, fixed,
                                             configs, models, notes, context, lookup)) as run:
                async for event in run:
                    yield event
        except BaseException:
            await self._answer_unrun_calls(context)
            raise

    async def _rounds(self, system: list[ChatMessage], user: ChatMessage,
                      specs: list[ToolSpec], tools: list[Tool], budget: ContextBudget,
                      fixed: tuple[int, ...], configs: Sequence[ProviderConfig],
                      models: Sequence[ModelInfo], notes: list[str], context: ToolContext,
                      lookup: Any) -> AsyncIterator[TurnEvent]:
        agent = self.agent
        rounds: list[list[ChatMessage]] = []
        for number in range(1, self.max_rounds + 2):
            final_round = number > self.max_rounds
            request = self._request(system, user, rounds, specs, budget, fixed,
                                    final_round=final_round, first=number == 1)
            plan = plan_route(agent, configs, RequestFacts.from_request(
                request, tools_attached=bool(specs)), self.settings, models=models)
            plan.reasons.extend(notes)
            self.request, self.plan = request, plan
            self.requests.append(request)
            async with aclosing(self._stream_round(number, request, plan, final_round)) as s:
                async for event in s:
                    yield event
            result = self._round
            assert result is not None and result.message is not None
            self.rounds.append(result.message)
            self.final = result.message
            if result.error is not None or result.done is None:
                return                       # the Error was the last event
            if result.done.stop_reason == "cancelled" or not result.calls:
                yield result.done
                return
            batch = ToolBatch(result.calls, lookup, context, self.recorder,
                              conversation_id=self.conversation_id,
                              agent_revision=agent.revision or None,
                              known_names=[t.name for t in tools])
            result.batch = batch
            context.workspace.mkdir(parents=True, exist_ok=True)
            async with aclosing(batch.results()) as results:
                async for tool_result in results:
                    yield tool_result
            self.tool_messages.extend(batch.messages)
            rounds.append([ChatMessage(role="assistant", content=result.message.content,
                                       tool_calls=result.calls), *batch.chat_messages()])

    def _request(self, system: list[ChatMessage], user: ChatMessage,
                 rounds: list[list[ChatMessage]], specs: list[ToolSpec],
                 budget: ContextBudget, fixed: tuple[int, ...], *, final_round: bool,
                 first: bool) -> ChatRequest:
        assert self.window is not None
        room = budget.available(*fixed)
        current = fit_rounds(rounds, room)
        history = self.window.fit(room - messages_tokens(current))
        choice: ToolChoice | None = self._tool_choice if first else None
        if final_round and specs:
            choice = "none"
        agent = self.agent
        return ChatRequest(model=agent.model or AUTO,
                           messages=[*system, *history, user, *current],
                           temperature=agent.temperature, max_tokens=agent.max_tokens,
                           stream=agent.streaming, tools=[] if final_round else specs,
                           tool_choice=choice if specs else None,
                           **agent.generation.request_fields())

    # -- one round ------------------------------------------------------------------
    async def _stream_round(self, number: int, request: ChatRequest, plan: RoutePlan,
                            final_round: bool) -> AsyncIterator[TurnEvent]:
        result = self._round = _Round(number)
        reply = self.reply = await self._start_reply(plan, number)
        fallback = self.fallback = FallbackStream(plan.candidates, request, self._providers)
        usage: Usage | None = None
        got_tokens = False
        ignored = 0
        try:
            async with aclosing(fallback.events()) as events:
                async for event in events:
                    match event:
                        case TextDelta():
                            got_tokens = True
                            reply.append(event.text)
                        case ThinkingDelta():
                            got_tokens = True
                            reply.append_thinking(event.text)
                        case ToolCall() if final_round:   # no tools were offered: not run
                            got_tokens = True
                            ignored += 1
                            continue
                        case ToolCall():
                            got_tokens = True
                            call = ToolCallRecord(
                                call_id=unique_call_id(event.call_id, result.calls),
                                name=event.name, arguments=event.arguments)
                            result.calls.append(call)
                            reply.add_tool_call(call)
                            if call.call_id != event.call_id:
                                event = event.model_copy(update={"call_id": call.call_id})
                        case Usage():
                            usage = event
                        case Done():
                            status: MessageStatus = ("cancelled"
                                                     if event.stop_reason == "cancelled"
                                                     else "complete")
                            result.message = await self._finish(
                                status, usage, stop_reason=event.stop_reason, ignored=ignored)
                            result.done = event
                            continue             # the turn's one Done comes at its end
                        case Error():
                            result.message = await self._finish(
                                "partial" if got_tokens else "error", usage, error=event,
                                ignored=ignored)
                            result.error = event
                        case Status() | ToolResult() | Attempt():
                            pass                 # passed on as they are
                        case _:
                            assert_never(event)
                    yield event
        except (asyncio.CancelledError, GeneratorExit):
            result.message = await self._finish("cancelled", usage, stop_reason="cancelled")
            raise
        except BaseException as exc:
            result.message = await self._finish(
                "partial" if got_tokens else "error", usage,
                error=Error(kind="protocol", message=f"{type(exc).__name__}: {exc}"))
            raise
        if result.message is None:   # cannot happen: the fallback ends with Done or Error
            result.error = Error(kind="protocol", message="the reply ended without a result")
            result.message = await self._finish("error", usage, error=result.error)
            yield result.error

    async def _agent_tools(self) -> list[Tool]:
        if not self.agent.tools:
            return []
        if self._registry is None:
            self._registry = await default_toolbox(self.settings, self.store)
        tools, self.tool_problems = await resolve_tools(self._registry, self.agent.tools)
        for problem in self.tool_problems:
            log.warning("agent %s: %s", self.agent.name, problem)
        return tools

    async def _answer_unrun_calls(self, context: ToolContext) -> None:
        """Stopped after the model asked for tools but before they started: each
        call still gets its (cancelled) tool message, so the stored conversation
        stays a valid request for the next turn."""
        result = self._round
        if result is None or not result.calls or result.message is None:
            return
        if result.batch is not None and result.batch.started:
            return                       # the batch records its own calls
        batch = ToolBatch(result.calls, lambda name: None, context, self.recorder,
                          conversation_id=self.conversation_id,
                          agent_revision=self.agent.revision or None)
        await asyncio.shield(asyncio.ensure_future(batch.cancel_all()))

    async def _start_reply(self, plan: RoutePlan, number: int) -> ReplyRecorder:
        """Insert the round's ``streaming`` message. If we are cancelled meanwhile,
        the insert still completes — and the message is finished as cancelled."""
        first = plan.candidates[0] if plan.candidates else None
        # The first round answers the user message (which a regenerate does not
        # write anew); later rounds follow the tool results.
        assert self.user_message is not None
        parent = self.user_message.id if number == 1 else AT_LEAF
        task = asyncio.ensure_future(self.recorder.start_reply(
            self.conversation_id, self.agent.revision or None,
            first.model if first else self.agent.model or None,
            first.provider.name if first else self.agent.provider or None,
            parent_id=parent))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            reply = await task
            await reply.finish("cancelled", meta={"stop_reason": "cancelled", "round": number,
                                                  "routing": plan.to_meta()})
            raise

    async def _finish(self, status: MessageStatus, usage: Usage | None, *,
                      error: Error | None = None, stop_reason: str | None = None,
                      ignored: int = 0) -> Message:
        reply, plan, fallback, result = self.reply, self.plan, self.fallback, self._round
        assert reply is not None and plan is not None and fallback is not None
        assert result is not None
        if reply.finished:
            return await reply.finish(status)   # returns the first result
        answered = fallback.answered_by
        meta = reply_meta(result.number, plan, fallback,
                          context=context_meta(self.window, self.request),
                          tool_problems=self.tool_problems, stop_reason=stop_reason,
                          error=error, ignored=ignored)
        self.final = await reply.finish(
            status, usage=usage_stats(usage, answered), meta=meta,
            error=error.message if error else None,
            model=answered.model if answered else None,
            provider=answered.provider if answered else None)
        return self.final
