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
from app.core.attachments import fit_user_message, has_images
from app.core.attachments.agent_vision import VisionGate, vision_for_agent
from app.core.fallback import Attempt, FallbackStream, ProviderPool, ProviderSource
from app.core.recorder import ConversationRecorder, ReplyRecorder
from app.core.reply_meta import context_meta, reply_meta, unique_call_id, usage_stats
from app.core.routing import AUTO, RequestFacts, RoutePlan, plan_route
from app.core.runner_types import RunConfig, RunnerDeps, RunResult
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
from app.core.knowledge.turn import (
    KnowledgeTurn,
    knowledge_meta,
    knowledge_turn,
    prompt_block,
    with_block,
)
from app.core.tools.base import Tool, ToolContext
from app.core.tools.knowledge import NAME as KNOWLEDGE_TOOL
from app.core.tools.knowledge import KnowledgeSearchTool
from app.domain import (
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

    Configuration in (``RunnerDeps``: what it works with; ``RunConfig``: what
    to run, app/core/runner_types.py), a result out: iterate ``events()``
    once (or ``await run()``); then ``result`` is the ``RunResult``. The
    request carries only the branch that leads to the user's message.
    """

    def __init__(self, deps: RunnerDeps, config: RunConfig) -> None:
        settings = deps.settings
        self._store = deps.store
        self._settings = settings
        self._config = config
        self._agent = config.agent
        self._conversation_id = config.conversation_id
        self._text = config.message
        self._own_pool = deps.providers is None
        self._providers: ProviderSource = deps.providers or default_provider_pool(settings)
        self._recorder = deps.recorder or ConversationRecorder.from_settings(deps.store,
                                                                             settings)
        self._models = deps.models
        self._registry = deps.tools
        self._own_registry = deps.tools is None
        self._approver = deps.approver
        self._max_rounds = config.max_rounds if config.max_rounds is not None \
            else settings.runner.max_tool_rounds
        # What the turn has done so far (the result is made of it).
        self._user_message: Message | None = None
        self._window: HistoryWindow | None = None
        self._requests: list[ChatRequest] = []
        self._plan: RoutePlan | None = None
        self._reply: ReplyRecorder | None = None
        self._fallback: FallbackStream | None = None
        self._round_messages: list[Message] = []  # one assistant message per round
        self._tool_messages: list[Message] = []
        self._tool_problems: list[str] = []
        self._knowledge_turn: KnowledgeTurn | None = None
        self._vision: VisionGate | None = None
        self._final: Message | None = None        # the last round's message
        self._round: _Round | None = None
        self._result: RunResult | None = None

    @property
    def result(self) -> RunResult:
        """What the turn recorded; there once ``events()`` ended (also after a
        cancel or an error: as far as it came)."""
        if self._result is None:
            raise RuntimeError("the turn has not ended")
        return self._result

    async def run(self) -> RunResult:
        """Run the whole turn without looking at its events."""
        async with aclosing(self.events()) as events:
            async for _event in events:
                pass
        return self.result

    async def events(self) -> AsyncIterator[TurnEvent]:
        try:
            async with aclosing(self._run()) as run:
                async for event in run:
                    yield event
        finally:
            self._result = RunResult(
                user_message=self._user_message, rounds=tuple(self._round_messages),
                final=self._final, tool_messages=tuple(self._tool_messages),
                requests=tuple(self._requests), window=self._window,
                tool_problems=tuple(self._tool_problems))
            if self._own_pool and isinstance(self._providers, ProviderPool):
                await self._providers.aclose()
            if self._own_registry and self._registry is not None:
                closer = getattr(self._registry, "aclose", None)
                if closer is not None:
                    await closer()

    # -- the turn -----------------------------------------------------------------
    async def _run(self) -> AsyncIterator[TurnEvent]:
        agent = self._agent
        attachments = self._config.message_attachments
        configs = await self._store.run(lambda s: s.providers.list())
        notes: list[str] = []
        models = self._models
        if models is None:
            models = await discover_models(agent, self._settings, configs, self._providers,
                                           notes)
        self._vision = VisionGate(self._settings, models, self._providers)
        if has_images(attachments):
            # Before anything is recorded or sent: a model without vision
            # gets a clear message, not a provider error afterwards.
            check = await vision_for_agent(agent, self._settings, configs, self._text,
                                           self._vision, models)
            if not check.ok:
                yield Error(kind="unsupported", message=check.message)
                return
        if self._config.reply_to is not None:
            self._user_message = self._config.reply_to
        else:
            self._user_message = await self._recorder.record_user_message(
                self._conversation_id, self._text, agent_revision=agent.revision or None,
                parent_id=self._config.parent_id, attachments=attachments)
        tools = await self._agent_tools()
        knowledge = await self._knowledge(configs, tools)
        specs = [t.spec() for t in tools]
        system = await system_messages(self._store, agent, tools)
        if knowledge is not None and knowledge.settings.retrieval == "auto":
            system = with_block(system, prompt_block(await knowledge.find(self._text)))
        window_tokens = self._config.context_tokens or context_tokens(agent, self._settings, models)
        budget = ContextBudget.for_model(window_tokens, agent.max_tokens)
        user, trimmed = fit_user_message(
            self._text,
            attachments, budget.available(messages_tokens(system), tools_tokens(specs)))
        if trimmed:
            notes.extend(trimmed)
            yield Status(state="generating", detail="; ".join(trimmed))
        fixed = (messages_tokens(system), tools_tokens(specs), message_tokens(user))
        self._window = await load_history(
            self._store, self._conversation_id, before_id=self._user_message.id,
            budget=budget.available(*fixed), max_turns=agent.max_turns,
            first_page=self._config.history_page)
        context = ToolContext(workspace=agent_workspace(agent, self._settings),
                              agent_id=agent.id, conversation_id=self._conversation_id,
                              approver=self._approver, store=self._store,
                              settings=self._settings,
                              python_unisolated=agent.python_unisolated,
                              knowledge=knowledge)
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
        agent = self._agent
        rounds: list[list[ChatMessage]] = []
        for number in range(1, self._max_rounds + 2):
            final_round = number > self._max_rounds
            request = self._request(system, user, rounds, specs, budget, fixed,
                                    final_round=final_round, first=number == 1)
            plan = plan_route(agent, configs, RequestFacts.from_request(
                request, tools_attached=bool(specs)), self._settings, models=models)
            plan.reasons.extend(notes)
            self._plan = plan
            self._requests.append(request)
            async with aclosing(self._stream_round(number, request, plan, final_round)) as s:
                async for event in s:
                    yield event
            result = self._round
            assert result is not None and result.message is not None
            self._round_messages.append(result.message)
            self._final = result.message
            if result.error is not None or result.done is None:
                return                       # the Error was the last event
            if result.done.stop_reason == "cancelled" or not result.calls:
                yield result.done
                return
            batch = ToolBatch(result.calls, lookup, context, self._recorder,
                              conversation_id=self._conversation_id,
                              agent_revision=agent.revision or None,
                              known_names=[t.name for t in tools])
            result.batch = batch
            context.workspace.mkdir(parents=True, exist_ok=True)
            async with aclosing(batch.results()) as results:
                async for tool_result in results:
                    yield tool_result
            self._tool_messages.extend(batch.messages)
            rounds.append([ChatMessage(role="assistant", content=result.message.content,
                                       tool_calls=result.calls), *batch.chat_messages()])

    def _request(self, system: list[ChatMessage], user: ChatMessage,
                 rounds: list[list[ChatMessage]], specs: list[ToolSpec],
                 budget: ContextBudget, fixed: tuple[int, ...], *, final_round: bool,
                 first: bool) -> ChatRequest:
        assert self._window is not None
        room = budget.available(*fixed)
        current = fit_rounds(rounds, room)
        history = self._window.fit(room - messages_tokens(current))
        choice: ToolChoice | None = self._config.tool_choice if first else None
        if final_round and specs:
            choice = "none"
        agent = self._agent
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
        reply = self._reply = await self._start_reply(plan, number)
        vision = self._vision
        fallback = self._fallback = FallbackStream(
            plan.candidates, request, self._providers,
            prepare=vision.prepare if vision is not None else None)
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
        if not self._agent.tools:
            return []
        if self._registry is None:
            self._registry = await default_toolbox(self._settings, self._store)
        tools, self._tool_problems = await resolve_tools(self._registry, self._agent.tools)
        for problem in self._tool_problems:
            log.warning("agent %s: %s", self._agent.name, problem)
        return tools

    async def _knowledge(self, configs: Sequence[ProviderConfig],
                         tools: list[Tool]) -> KnowledgeTurn | None:
        """The turn's knowledge; with retrieval ``tool``, its search tool is offered."""
        self._knowledge_turn = await knowledge_turn(self._store.run, self._agent, configs,
                                                    self._providers)
        turn = self._knowledge_turn
        if turn is not None and turn.settings.retrieval == "tool" and \
                all(t.name != KNOWLEDGE_TOOL for t in tools):
            tools.append(KnowledgeSearchTool())
        return turn

    async def _answer_unrun_calls(self, context: ToolContext) -> None:
        """Stopped after the model asked for tools but before they started: each
        call still gets its (cancelled) tool message, so the stored conversation
        stays a valid request for the next turn."""
        result = self._round
        if result is None or not result.calls or result.message is None:
            return
        if result.batch is not None and result.batch.started:
            return                       # the batch records its own calls
        batch = ToolBatch(result.calls, lambda name: None, context, self._recorder,
                          conversation_id=self._conversation_id,
                          agent_revision=self._agent.revision or None)
        await asyncio.shield(asyncio.ensure_future(batch.cancel_all()))

    async def _start_reply(self, plan: RoutePlan, number: int) -> ReplyRecorder:
        """Insert the round's ``streaming`` message. If we are cancelled meanwhile,
        the insert still completes — and the message is finished as cancelled."""
        first = plan.candidates[0] if plan.candidates else None
        # The first round answers the user message (which a regenerate does not
        # write anew); later rounds follow the tool results.
        assert self._user_message is not None
        parent = self._user_message.id if number == 1 and not self._config.at_leaf \
            else AT_LEAF
        task = asyncio.ensure_future(self._recorder.start_reply(
            self._conversation_id, self._agent.revision or None,
            first.model if first else self._agent.model or None,
            first.provider.name if first else self._agent.provider or None,
            parent_id=parent, meta=self._config.stamp))
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
        reply, plan, fallback, result = self._reply, self._plan, self._fallback, self._round
        assert reply is not None and plan is not None and fallback is not None
        assert result is not None
        if reply.finished:
            return await reply.finish(status)   # returns the first result
        answered = fallback.answered_by
        meta = reply_meta(result.number, plan, fallback,
                          context=context_meta(self._window, self._requests[-1]),
                          tool_problems=self._tool_problems, stop_reason=stop_reason,
                          error=error, ignored=ignored)
        knowledge = self._knowledge_turn
        if knowledge is not None:
            meta.update(knowledge_meta(knowledge))
        self._final = await reply.finish(
            status, usage=usage_stats(usage, answered), meta=meta,
            error=error.message if error else None,
            model=answered.model if answered else None,
            provider=answered.provider if answered else None)
        return self._final
