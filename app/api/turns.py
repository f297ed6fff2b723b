"""One agent turn over the API, shared by ``POST /api/agents/{id}/chat`` and
``/v1/chat/completions`` (openai_compat.py): the conversation it runs in
(marked as started over the API) and the run itself.

Nobody can be asked over HTTP, so a tool that asks first runs only when the
person allowed it for API use in the app (``AgentSpec.api_tools``: the names
the agent's tool list shows — a tool, a group such as ``files``, or
``mcp:SERVER``; the rule is ``app.ops.agents.allowed_over_api``); every other
ask is refused and the model is told so. The run is the runner's (app/core/runner.py): the
agent's tools, memory, fallback chain and privacy rules apply, and when the
caller stops iterating (a client that went away) the reply so far is kept,
marked cancelled.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from functools import partial

from app.api.context import ApiContext
from app.core.runner import AgentRunner, RunConfig, RunnerDeps, TurnEvent
from app.core.tools.base import ApprovalRequest
from app.core.turn_inputs import default_toolbox
from app.domain import AgentSpec, Conversation
from app.ops import agents, chats


class ApiApprover:
    """Allows exactly the agent's ``api_tools`` (a tool by its name, its
    group's or its server's: ``group_of`` names a tool's group); refuses every
    other ask."""

    def __init__(self, allowed: list[str],
                 group_of: Callable[[str], str | None] | None = None) -> None:
        self._allowed = agents.api_tool_names(allowed)
        self._group_of = group_of
        #: The tools refused so far (the route may report them).
        self.refused: list[str] = []

    async def __call__(self, request: ApprovalRequest) -> bool:
        group = self._group_of(request.tool) if self._group_of is not None else None
        if agents.allowed_over_api(self._allowed, request.tool, group):
            return True
        self.refused.append(request.tool)
        return False


async def start_conversation(context: ApiContext, agent: AgentSpec,
                             first_text: str) -> Conversation:
    """A new conversation of ``agent``, titled as the window titles one,
    marked ``origin="api"``."""
    return await context.run(partial(chats.start, agent_id=agent.id,
                                     first_message=first_text, origin="api"))


async def run_turn(context: ApiContext, agent: AgentSpec, conversation_id: int,
                   text: str) -> AsyncIterator[TurnEvent]:
    """The turn's events. Close it (``aclosing``) to stop the run early."""
    store = await context.open_store()
    # The toolbox knows the groups ("files" -> write_file, ...) the allowance
    # may name; built here only when something is allowed, and closed here.
    toolbox = (await default_toolbox(context.settings, store)
               if agent.tools and agent.api_tools else None)
    deps = RunnerDeps(store, context.settings, providers=context.providers, tools=toolbox,
                      approver=ApiApprover(agent.api_tools,
                                           getattr(toolbox, "group_of", None)))
    runner = AgentRunner(deps, RunConfig(agent, conversation_id, text))
    try:
        async with aclosing(runner.events()) as events:
            async for event in events:
                yield event
    finally:
        closer = getattr(toolbox, "aclose", None)
        if closer is not None:
            await closer()
