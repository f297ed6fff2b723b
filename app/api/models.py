"""/api/models: the enabled providers' models (``provider`` filter), a
connection test (``POST /api/models/connect``) and a provider's status.

The list is the window's and the CLI's model catalogue (app/core/discovery.py,
cached a minute per server); a provider that fails is listed under
``errors`` with its fix, and only when none answered is the reply a 502.
"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from app.api.context import ApiContext
from app.api.errors import ApiError
from app.core.connection_test import check_provider
from app.core.discovery import ModelCatalog
from app.domain import ConnectionReport, ModelInfo, ProviderConfig
from app.ops import providers


class ModelList(BaseModel):
    models: list[ModelInfo]
    errors: dict[str, ConnectionReport]


class ConnectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: str = Field(min_length=1, max_length=255)


class ProviderStatus(BaseModel):
    provider: str
    kind: str
    enabled: bool
    report: ConnectionReport | None = Field(
        default=None, description="the check's result (none for a disabled provider)")


def router(context: ApiContext) -> APIRouter:
    api = APIRouter(prefix="/api/models", tags=["models"])

    async def configs() -> list[ProviderConfig]:
        return await context.run(providers.list_providers)

    catalog = ModelCatalog(configs)

    async def provider_or_404(name: str) -> ProviderConfig:
        config = await context.run(partial(providers.find, name=name))
        if config is None:
            raise ApiError(404, "not_found", f"no provider named {name!r}",
                           remediation="add it in the app or with 'agentdesk providers add'")
        return config

    @api.get("", response_model=ModelList, responses={
        404: {"description": "no such provider"}, 502: {"description": "no provider answered"}})
    async def list_models(provider: str | None = Query(None, min_length=1, max_length=255),
                          refresh: bool = False) -> ModelList:
        """Every enabled provider's models, or one provider's."""
        if provider is not None:
            config = await provider_or_404(provider)
            if not config.enabled:
                raise ApiError(409, "provider_disabled", f"provider {config.name!r} is disabled",
                               remediation="enable it in the app's settings")
        found = await (catalog.refresh if refresh else catalog.get)(provider)
        if found.providers and not found.answered:
            raise ApiError(502, "provider_error", "no provider answered",
                           details={name: report.model_dump(mode="json")
                                    for name, report in found.errors.items()},
                           remediation="start the model server, or check its address")
        return ModelList(models=found.models, errors=found.errors)

    @api.post("/connect", response_model=ConnectionReport, responses={
        404: {"description": "no such provider"},
        502: {"description": "the provider did not answer (details: the report)"}})
    async def connect(body: ConnectIn) -> ConnectionReport:
        """Test the connection to a configured provider (as Settings' Test)."""
        config = await provider_or_404(body.provider)
        report = await check_provider(config)
        if not report.reachable:
            raise ApiError(502, "provider_error", report.message or "the provider did not answer",
                           details=report.model_dump(mode="json"),
                           remediation=report.fix or None)
        return report

    @api.get("/{provider}/status", response_model=ProviderStatus,
             responses={404: {"description": "no such provider"}})
    async def status(provider: str) -> ProviderStatus:
        """Whether the provider answers now (one quick check; 200 either way)."""
        config = await provider_or_404(provider)
        report = await check_provider(config) if config.enabled else None
        return ProviderStatus(provider=config.name, kind=config.kind, enabled=config.enabled,
                              report=report)

    return api
