"""``create_app(context) -> FastAPI``: the routes, the error envelope, the
guard (security.py) and, when origins are listed, CORS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from app import __version__
from app.api import agents, chat, models, openai_compat, sessions, tools
from app.api.context import ApiContext
from app.api.errors import document_errors, install_handlers
from app.api.security import Guard

DESCRIPTION = ("AgentDesk's agents over HTTP. Every request but /health needs "
               "'Authorization: Bearer TOKEN' (the token 'agentdesk serve' prints, or "
               "Settings › Local API shows). Errors: {\"error\": {code, message, details, "
               "remediation}}; under /v1, OpenAI's error shape.")
#: What any request may be answered with (the guard, app/api/security.py).
ERROR_RESPONSES = {status: {"description": text} for status, text in (
    (401, "missing or wrong bearer token"), (413, "request body too large"),
    (421, "wrong Host header"), (429, "rate limited (see Retry-After)"))}


class Health(BaseModel):
    status: str
    version: str


def create_app(context: ApiContext) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await context.open_store()
        context.open_providers()
        try:
            yield
        finally:
            await context.close_providers()
            await context.close_store()

    app = FastAPI(title="AgentDesk local API", version=__version__, lifespan=lifespan,
                  responses=ERROR_RESPONSES)

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(get_openapi(
                title=app.title, version=app.version, routes=app.routes,
                description=DESCRIPTION))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.state.context = context
    install_handlers(app)

    @app.get("/health", response_model=Health, tags=["health"])
    async def health() -> Health:
        """Whether the server is up (the one endpoint that needs no token)."""
        return Health(status="ok", version=__version__)

    app.include_router(agents.router(context))
    app.include_router(chat.router(context))
    app.include_router(models.router(context))
    app.include_router(tools.router(context))
    app.include_router(sessions.router(context))
    app.include_router(openai_compat.router(context))

    if context.allowed_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(context.allowed_origins),
                           allow_methods=["GET", "POST", "PUT", "DELETE"],
                           allow_headers=["Authorization", "Content-Type"],
                           expose_headers=["X-Conversation-Id", "Retry-After"])
    app.add_middleware(Guard, context=context)
    return app
