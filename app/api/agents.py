"""/api/agents: list (limit, offset, total), create (201), read, replace,
delete. Every job is an app/ops.agents call on the store's worker."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Query, Response

from app.api.context import ApiContext
from app.api.errors import ApiError, not_found
from app.api.schemas import AgentIn, AgentOut, Deleted, Id, Page
from app.ops import agents
from app.store import DuplicateNameError, NotFoundError

#: Most agents one page lists.
MAX_PAGE = 200


def router(context: ApiContext) -> APIRouter:
    api = APIRouter(prefix="/api/agents", tags=["agents"])

    @api.get("", response_model=Page[AgentOut])
    async def list_agents(limit: int = Query(50, ge=1, le=MAX_PAGE),
                          offset: int = Query(0, ge=0, le=1_000_000)) -> Page[AgentOut]:
        """The agents by name, one page."""
        every = await context.run(agents.list_agents)
        return Page[AgentOut](items=[AgentOut.of(spec) for spec in every[offset:offset + limit]],
                              total=len(every), limit=limit, offset=offset)

    @api.post("", response_model=AgentOut, status_code=201,
              responses={409: {"description": "the name is taken"}})
    async def create_agent(body: AgentIn, response: Response) -> AgentOut:
        try:
            created = await context.run(partial(agents.create, spec=body.applied_to(None)))
        except DuplicateNameError:
            raise _name_taken(body.name) from None
        response.headers["Location"] = f"/api/agents/{created.id}"
        return AgentOut.of(created)

    @api.get("/{agent_id}", response_model=AgentOut, responses={404: {"description": "no such agent"}})
    async def get_agent(agent_id: Id) -> AgentOut:
        return AgentOut.of(await agent_or_404(context, agent_id))

    @api.put("/{agent_id}", response_model=AgentOut,
             responses={404: {"description": "no such agent"},
                        409: {"description": "the name is taken"}})
    async def replace_agent(agent_id: Id, body: AgentIn) -> AgentOut:
        spec = await agent_or_404(context, agent_id)
        try:
            saved = await context.run(partial(agents.update, spec=body.applied_to(spec)))
        except DuplicateNameError:
            raise _name_taken(body.name) from None
        except NotFoundError:
            raise not_found("agent", agent_id) from None
        return AgentOut.of(saved)

    @api.delete("/{agent_id}", response_model=Deleted,
                responses={404: {"description": "no such agent"}})
    async def delete_agent(agent_id: Id) -> Deleted:
        """Deletes the agent with its conversations and memories."""
        try:
            await context.run(partial(agents.delete, agent_id=agent_id))
        except NotFoundError:
            raise not_found("agent", agent_id) from None
        return Deleted(id=agent_id)

    return api


async def agent_or_404(context: ApiContext, agent_id: int):
    try:
        return await context.run(partial(agents.get, agent_id=agent_id))
    except NotFoundError:
        raise not_found("agent", agent_id) from None


def _name_taken(name: str) -> ApiError:
    return ApiError(409, "conflict", f"an agent named {name.strip()!r} already exists",
                    remediation="choose another name")
