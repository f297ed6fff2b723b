"""Providers for the dialogs: configuration, API keys, connection test, models.

Saving and removing are the named ops of app/ops/providers.py (the key goes to
the OS keyring first and is rolled back if the database write fails), run on
the store's worker thread: keyring calls may block (D-Bus), never the UI.
"""

from __future__ import annotations

from functools import partial

from app.core.connection_test import check_provider
from app.core.discovery import ModelCatalog
from app.core.secrets import keyring_available
from app.domain import ConnectionReport, ModelInfo, ProviderConfig
from app.ops import providers as provider_ops
from app.providers.base import ProviderOptions
from app.services.store_bridge import StoreBridge
from app.store import NotFoundError

KIND_LABELS: dict[str, str] = {
    "ollama": "Ollama",
    "lmstudio": "LM Studio",
    "llamacpp": "llama.cpp server",
    "openai": "OpenAI / OpenAI-compatible",
    "embedded": "Embedded llama.cpp (in-process)",
}


class ProviderService:
    def __init__(self, bridge: StoreBridge, *, options: ProviderOptions | None = None,
                 catalog: ModelCatalog | None = None) -> None:
        self._bridge = bridge
        self._options = options
        self.catalog = catalog or ModelCatalog(self.list, options=options)

    @staticmethod
    def keyring_available() -> bool:
        return keyring_available()

    async def list(self) -> list[ProviderConfig]:
        return await self._bridge.run(provider_ops.list_providers)

    async def save(self, config: ProviderConfig, *, api_key: str | None = None,
                   api_key_env: str | None = None) -> ProviderConfig:
        """Create (no id) or update a provider (ops.providers.save_provider)."""
        return await self._bridge.run(partial(provider_ops.save_provider, config=config,
                                              api_key=api_key, api_key_env=api_key_env))

    async def remove(self, config: ProviderConfig) -> None:
        if config.id is None:
            raise NotFoundError("provider", config.name)
        await self._bridge.run(partial(provider_ops.remove_provider, name=config.name))

    async def test(self, config: ProviderConfig) -> ConnectionReport:
        """The connection test; never raises for an expected failure."""
        return await check_provider(config, self._options)

    async def models(self, provider: str, *, refresh: bool = False
                     ) -> tuple[list[ModelInfo], ConnectionReport | None]:
        """The provider's models and, when it could not be asked, why."""
        catalog = await (self.catalog.refresh(provider) if refresh
                         else self.catalog.get(provider))
        error = next((report for name, report in catalog.errors.items()
                      if name.lower() == provider.lower()), None)
        return catalog.for_provider(provider), error
