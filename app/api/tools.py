"""/api/tools: what an agent can be given (built-ins, runnable custom tools,
approved MCP servers), and one agent's tools with their approval policy and
whether each may run over the API. Read-only: no endpoint registers a tool
or changes who may run one (that is the person's, in the app)."""

from __future__ import annotations

from functools import partial
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from app.api.agents import agent_or_404
from app.api.context import ApiContext
from app.api.schemas import Id
from app.core.export.agent_grants import default_policy
from app.ops import agents, tools


class ToolOut(BaseModel):
    name: str
    description: str
    source: Literal["builtin", "custom", "mcp"]
    default_policy: Literal["auto", "ask", "deny"] | None


class AgentToolOut(BaseModel):
    name: str
    description: str
    policy: Literal["auto", "ask", "deny"]
    runs_over_api: bool


class AgentTools(BaseModel):
    agent_id: int
    tools: list[AgentToolOut]


def router(context: ApiContext) -> APIRouter:
    api = APIRouter(prefix="/api/tools", tags=["tools"])
    builtins: list[tools.ToolEntry] = []

    async def available() -> list[tools.ToolEntry]:
        if not builtins:                      # the built-ins' modules load once
            builtins.extend(tools.builtin_tools())
        return await context.run(partial(tools.available_tools, builtins=builtins))

    @api.get("", response_model=list[ToolOut])
    async def list_tools() -> list[ToolOut]:
        return [ToolOut(name=e.name, description=e.description, source=e.source,
                        default_policy=e.default_policy) for e in await available()]

    @api.get("/{agent_id}", response_model=AgentTools,
             responses={404: {"description": "no such agent"}})
    async def agent_tools(agent_id: Id) -> AgentTools:
        agent = await agent_or_404(context, agent_id)
        described = {entry.name: entry.description for entry in await available()}
        listed = []
        for name in agent.tools:
            policy = agent.tool_policies.get(name) or default_policy(name)
            listed.append(AgentToolOut(
                name=name, description=described.get(name, ""), policy=policy,
                runs_over_api=policy == "auto" or (policy == "ask" and agents.allowed_over_api(
                    agent.api_tools, name))))
        return AgentTools(agent_id=agent.id, tools=listed)

    return api
