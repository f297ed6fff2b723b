"""One agent turn over the API, shared by ``POST /api/agents/{id}/chat`` and
``/v1/chat/completions`` (openai_compat.py): the conversation it runs in
(marked as started over the API) and the run itself.

Nobody can be asked over HTTP, so a tool that asks first runs only when the
person allowed it for API use in the app (``AgentSpec.api_tools``: a tool
name, or ``mcp:SERVER`` for a server's tools); every other ask is refused and
the model is told so. The run is the runner's (app/core/runner.py): the
agent's tools, memory, fallback chain and privacy rules apply, and when the
caller stops iterating (a client that went away) the reply so far is kept,
marked cancelled.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from functools import partial

from app.api.context import ApiContext
from app.core.runner import AgentRunner, RunConfig, RunnerDeps, TurnEvent
from app.core.tools.base import ApprovalRequest
from app.core.tools.mcp_tools import SERVER_PREFIX, server_prefix
from app.domain import AgentSpec, Conversation
from app.ops import chats


class ApiApprover:
    """Allows exactly the agent's ``api_tools``; refuses every other ask."""

    def __init__(self, allowed: list[str]) -> None:
        names = [name.strip() for name in allowed if name.strip()]
        self._names = set(names)
        self._servers = tuple(server_prefix(name[len(SERVER_PREFIX):]) for name in names
                              if name.startswith(SERVER_PREFIX))
        #: The tools refused so far (the route may report them).
        self.refused: list[str] = []

    async def __call__(self, request: ApprovalRequest) -> bool:
        if request.tool in self._names or (self._servers and request.tool.startswith(
                self._servers)):
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
    deps = RunnerDeps(store, context.settings, providers=context.providers,
                      approver=ApiApprover(agent.api_tools))
    runner = AgentRunner(deps, RunConfig(agent, conversation_id, text))
    async with aclosing(runner.events()) as events:
        async for event in events:
            yield event
