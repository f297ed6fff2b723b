"""The workflow engine: runs a chain, a hand-off or a parallel workflow.

Every step is one turn of the agent runner (app/core/runner.py) in the run's
conversation, so it is recorded like a chat reply (durability contract,
docs/ARCHITECTURE.md): the step's reply is inserted ``streaming`` at its
start, flushed as it grows and finished in one transaction; a finished step
is never lost, a crash leaves the cut step ``partial``, Stop leaves it
``cancelled``. Each reply's ``meta["workflow"]`` names the step and the agent
that spoke; its model, provider and usage are the message's own.

Steps run with no memory of the conversation (``max_turns=0``): a step sees
exactly its input — the question, the previous answer (chain), the asking
agent's question (hand-off) or the question with every answer (synthesis).

Events come out of one queue: steps running at once (parallel branches,
nested hand-offs) put their tagged run events there, and ``events()`` yields
them in arrival order. Closing or cancelling ``events()`` cancels the run
task, which cancels every running step; it returns once they are recorded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from functools import partial
from typing import Any, assert_never

from app.core.fallback import Attempt, ProviderPool, ProviderSource
from app.core.recorder import NO_HOOKS, ConversationRecorder, RecordingHooks
from app.core.runner import AgentRunner
from app.core.runner_types import RunConfig, RunnerDeps
from app.core.tools.base import Approver, ToolError, ToolRegistry, deny_all
from app.core.turn_inputs import default_provider_pool, default_toolbox
from app.core.workflows.guard import WorkflowRefused, check_handoff, check_workflow
from app.core.workflows.handoff import AskAgentTool, Frame, ask_tool_names
from app.core.workflows.inputs import handoff_question_meta, synthesis_input
from app.domain import (
    AgentSpec,
    Done,
    Error,
    Message,
    ProviderConfig,
    Status,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    ToolResult,
    Usage,
)
from app.domain.workflow import (
    StepEnd,
    StepEvent,
    StepRole,
    StepStart,
    WorkflowEnd,
    WorkflowEvent,
    WorkflowSpec,
    workflow_meta,
)
from app.settings import AppSettings
from app.store import AsyncStore

log = logging.getLogger(__name__)


class StepFailed(Exception):
    """A step ended without a complete answer; the message names it."""


@dataclass(frozen=True)
class WorkflowDeps:
    """What a run works with. ``providers``: default a pool of its own,
    closed at the end; ``approver``: answers tools that ask first; ``hooks``:
    told of each write (the window draws replies as they are inserted)."""

    store: AsyncStore
    settings: AppSettings
    providers: ProviderSource | None = None
    approver: Approver = deny_all
    hooks: RecordingHooks = NO_HOOKS


class WorkflowRun:
    """One run of ``spec`` on ``question`` into ``conversation_id``.

    ``agents``: the workflow's agents by name (``spec.agent_names()``), as
    read just before the run; ``configs``: the providers, for the local-only
    checks. Iterate ``events()`` once.
    """

    def __init__(self, deps: WorkflowDeps, spec: WorkflowSpec,
                 agents: Sequence[AgentSpec], configs: Sequence[ProviderConfig],
                 conversation_id: int, question: str) -> None:
        self._deps = deps
        self._spec = spec
        self._agents = {a.name.casefold(): a for a in agents}
        self._configs = list(configs)
        self._conversation_id = conversation_id
        self._question = question
        self._own_pool = deps.providers is None
        self._providers: ProviderSource = (deps.providers
                                           or default_provider_pool(deps.settings))
        self._queue: asyncio.Queue[WorkflowEvent | Callable[[], None]] = asyncio.Queue()
        self._recorder = ConversationRecorder.from_settings(
            deps.store, deps.settings, hooks=self._queued_hooks(deps.hooks))
        self._steps = 0
        self._spoke_local_only: list[AgentSpec] = []   # for the hand-off check

    def _queued_hooks(self, hooks: RecordingHooks) -> RecordingHooks:
        """``hooks`` called from ``events()`` in turn with the events, so a
        caller learns of a write exactly between the events around it (a
        step's reply row before its tokens, its final state after them)."""
        if hooks is NO_HOOKS:
            return NO_HOOKS

        def later(hook: Callable[[Any], None] | None) -> Callable[[Any], None] | None:
            if hook is None:
                return None
            return lambda value: self._queue.put_nowait(partial(hook, value))

        return RecordingHooks(user_message=later(hooks.user_message),
                              reply_started=later(hooks.reply_started),
                              reply_finished=later(hooks.reply_finished))

    def agent(self, name: str) -> AgentSpec:
        return self._agents[name.casefold()]

    # -- the events ---------------------------------------------------------------
    async def events(self) -> AsyncIterator[WorkflowEvent]:
        check_workflow(self._spec, [self.agent(n) for n in
                                    [*self._spec.agents, *filter(None, [self._spec.synthesis])]],
                       self._configs)
        task = asyncio.ensure_future(self._main())
        try:
            while True:
                getter = asyncio.ensure_future(self._queue.get())
                await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    item = getter.result()
                    if callable(item):
                        item()            # a queued hook (see _queued_hooks)
                    else:
                        yield item
                    continue
                getter.cancel()
                while not self._queue.empty():
                    item = self._queue.get_nowait()
                    if callable(item):
                        item()
                    else:
                        yield item
                break
            yield task.result()
        finally:
            if not task.done():
                task.cancel()            # Stop: every running step is cancelled
                await asyncio.wait({task})
            if self._own_pool and isinstance(self._providers, ProviderPool):
                await self._providers.aclose()

    async def _main(self) -> WorkflowEnd:
        spec = self._spec
        try:
            if spec.kind == "chain":
                final = await self._chain()
            elif spec.kind == "handoff":
                final = await self._step(self.agent(spec.agents[0]), "step",
                                         text=self._question,
                                         frame=lambda n: Frame(n, 0, (spec.agents[0],)))
            else:
                final = await self._parallel()
        except (StepFailed, WorkflowRefused) as exc:
            return WorkflowEnd(conversation_id=self._conversation_id, status="error",
                               error=str(exc))
        return WorkflowEnd(conversation_id=self._conversation_id, status="complete",
                           answer=final.content)

    # -- the kinds ----------------------------------------------------------------
    async def _chain(self) -> Message:
        final = await self._step(self.agent(self._spec.agents[0]), "step",
                                 text=self._question)
        for name in self._spec.agents[1:]:
            final = await self._step(self.agent(name), "step", reply_to=final)
        return final

    async def _parallel(self) -> Message:
        question = await self._recorder.record_user_message(self._conversation_id,
                                                            self._question)
        branches = [self.agent(name) for name in self._spec.agents]

        async def branch(agent: AgentSpec) -> Message | StepFailed:
            try:
                return await self._step(agent, "branch", reply_to=question)
            except StepFailed as exc:
                return exc

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(branch(agent)) for agent in branches]
        answers = [(agent.name, task.result()) for agent, task in zip(branches, tasks)]
        answered = [(name, m) for name, m in answers if isinstance(m, Message)]
        if not answered:
            raise StepFailed("no agent answered: " + "; ".join(
                str(m) for _name, m in answers))
        failed = [name for name, m in answers if not isinstance(m, Message)]
        synthesis = self.agent(self._spec.synthesis or "")
        text = synthesis_input(self._question, [(n, m.content) for n, m in answered],
                               failed)
        merged = await self._recorder.record_user_message(
            self._conversation_id, text, meta={"workflow": {
                "name": self._spec.name, "role": "synthesis_input",
                "agent": synthesis.name}})
        return await self._step(synthesis, "synthesis", reply_to=merged)

    # -- one step -----------------------------------------------------------------
    async def _step(self, agent: AgentSpec, role: StepRole, *, text: str = "",
                    reply_to: Message | None = None,
                    frame: Callable[[int], Frame] | None = None,
                    parent: int | None = None) -> Message:
        """Run ``agent`` on ``text`` (recorded as the user's message) or on the
        stored ``reply_to``; its final reply, or StepFailed. ``frame(n)``: the
        step's hand-off frame (given its number) — the agent then gets the
        ``ask_<agent>`` tools; ``parent``: the step that asked (hand-off)."""
        self._steps += 1
        number = self._steps
        where = frame(number) if frame is not None else None
        depth = where.depth if where is not None else 0
        if agent.local_only:
            self._spoke_local_only.append(agent)
        self._queue.put_nowait(StepStart(step=number, agent=agent.name, model=agent.model,
                                         provider=agent.provider, role=role, depth=depth,
                                         parent=parent))
        stamp = {"workflow": workflow_meta(number, agent.name, role, workflow=self._spec.name,
                                           depth=depth, parent=parent)}
        registry, own_toolbox, asks = await self._tools_for(agent, where)
        step_agent = agent.model_copy(update={"max_turns": 0,
                                              "tools": [*agent.tools, *asks]})
        runner = AgentRunner(
            RunnerDeps(self._deps.store, self._deps.settings, providers=self._providers,
                       recorder=self._recorder, tools=registry,
                       approver=self._deps.approver),
            RunConfig(step_agent, self._conversation_id, text=text, reply_to=reply_to,
                      at_leaf=True, stamp=stamp))
        error: Error | None = None
        final: Message | None = None
        try:
            async with aclosing(runner.events()) as events:
                async for event in events:
                    match event:
                        case Attempt():
                            continue      # stored on the message (meta["attempts"])
                        case Error():
                            error = event
                        case TextDelta() | ThinkingDelta() | ToolCall() | ToolResult() \
                                | Usage() | Done() | Status():
                            pass
                        case _:
                            assert_never(event)
                    self._queue.put_nowait(StepEvent(step=number, event=event))
        finally:
            try:
                final = runner.result.final
            except RuntimeError:          # ended before the turn began
                final = None
            self._queue.put_nowait(StepEnd(
                step=number, agent=agent.name,
                model=final.model if final else None,
                provider=final.provider if final else None,
                status=final.status if final else "cancelled",
                message_id=final.id if final else None,
                usage=final.usage if final else None,
                error=error.message if error else None))
            if own_toolbox and registry is not None:
                closer = getattr(registry, "aclose", None)
                if closer is not None:
                    await closer()
        if final is None or final.status != "complete":
            reason = error.message if error else (final.status if final else "no reply")
            raise StepFailed(f"step {number} ({agent.name}) failed: {reason}")
        return final

    async def _tools_for(self, agent: AgentSpec, frame: Frame | None
                         ) -> tuple[ToolRegistry | None, bool, list[str]]:
        """The step's tool registry (the agent's own tools, plus the ask tools
        of a hand-off step), whether we built it (and close it), the ask names."""
        if frame is None:
            return None, False, []     # the runner builds the agent's own toolbox
        others = [name for name in self._spec.agents if name.casefold() != agent.name.casefold()]
        names = ask_tool_names(others)
        registry = (await default_toolbox(self._deps.settings, self._deps.store)
                    if agent.tools else ToolRegistry())
        for other, tool_name in names.items():
            registry.register(AskAgentTool(tool_name, self.agent(other), frame, self._ask),
                              replace=True)
        return registry, True, list(names.values())

    # -- hand-off ------------------------------------------------------------------
    async def _ask(self, frame: Frame, name: str, question: str) -> str:
        """A hand-off: ``frame``'s agent asks ``name``. Refusals are ToolErrors
        (the model reads why; the chat shows an error result)."""
        asker = frame.stack[-1]
        if name.casefold() in (n.casefold() for n in frame.stack):
            raise ToolError(f"loop guard: {name!r} is already asking in this chain "
                            f"({' → '.join([*frame.stack, name])}); answer without it")
        if frame.depth + 1 > self._spec.max_depth:
            raise ToolError(f"depth limit: hand-offs nest at most {self._spec.max_depth} "
                            f"deep, so {asker!r} cannot ask {name!r}; answer without it")
        current = await self._deps.store.run(lambda s: s.agents.find_by_name(name))
        if current is None:
            raise ToolError(f"the agent {name!r} no longer exists")
        configs = await self._deps.store.run(lambda s: s.providers.list())
        involved = [self.agent(n) for n in frame.stack] + self._spoke_local_only
        try:
            check_handoff(involved, current, configs)
        except WorkflowRefused as exc:
            raise ToolError(str(exc)) from None
        self._agents[current.name.casefold()] = current
        asked = await self._recorder.record_user_message(
            self._conversation_id, question,
            meta=handoff_question_meta(self._spec.name, asker, current.name))
        try:
            answer = await self._step(
                current, "handoff", reply_to=asked, parent=frame.step,
                frame=lambda n: Frame(n, frame.depth + 1, (*frame.stack, current.name)))
        except StepFailed as exc:
            raise ToolError(str(exc)) from None
        return answer.content
