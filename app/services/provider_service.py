"""Providers for the dialogs: configuration, API keys, connection test, models.

Configuration lives in the store (worker thread). API keys go to the OS
keyring (app.core.secrets) and the store only keeps the reference
``keyring:provider:<name>`` — or ``env:<VARIABLE>`` when there is no keyring.
Keyring calls may block (D-Bus), so they run in a worker thread too.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from app.core.connection_test import check_provider
from app.core.discovery import ModelCatalog
from app.core.secrets import (
    ENV_NAME,
    delete_key,
    keyring_available,
    provider_key_entry,
    store_key,
)
from app.domain import ConnectionReport, ModelInfo, ProviderConfig
from app.providers.base import ProviderOptions
from app.services.store_bridge import StoreBridge
from app.store import NotFoundError

log = logging.getLogger(__name__)


KIND_LABELS: dict[str, str] = {
    "ollama": "Ollama",
    "lmstudio": "LM Studio",
    "llamacpp": "llama.cpp server",
    "openai": "OpenAI / OpenAI-compatible",
    "embedded": "Embedded llama.cpp (in-process)",
}



def url_problem(kind: str, url: str) -> str | None:
    """Why ``url`` cannot be used for ``kind`` (None when it can)."""
    if kind == "embedded":
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Enter an address like http://127.0.0.1:11434"
    return None


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
        return await self._bridge.run(lambda store: store.providers.list())

    async def save(self, config: ProviderConfig, *, api_key: str | None = None,
                   api_key_env: str | None = None) -> ProviderConfig:
        """Create (no id) or update a provider.

        ``api_key`` (a new key typed by the user) goes to the keyring first; if
        the database write then fails, a key stored for a new entry is removed
        again. ``api_key_env`` stores a reference to an environment variable.
        """
        previous_ref = config.api_key_ref
        new_entry: str | None = None
        if api_key:
            entry = provider_key_entry(config.name)
            new_entry = entry
            reference = await asyncio.to_thread(store_key, entry, api_key)
            config = config.model_copy(update={"api_key_ref": reference})
        elif api_key_env:
            if not ENV_NAME.fullmatch(api_key_env):
                raise ValueError("the environment variable name may only hold letters, "
                                 "digits and _")
            config = config.model_copy(update={"api_key_ref": f"env:{api_key_env}"})
        try:
            if config.id is None:
                saved = await self._bridge.run(lambda store: store.providers.create(config))
            else:
                saved = await self._bridge.run(lambda store: store.providers.update(config))
        except Exception:
            if new_entry is not None and previous_ref != f"keyring:{new_entry}":
                await asyncio.to_thread(delete_key, f"keyring:{new_entry}")
            raise
        if previous_ref and previous_ref != saved.api_key_ref:
            await asyncio.to_thread(delete_key, previous_ref)  # the old key is obsolete
        return saved

    async def remove(self, config: ProviderConfig) -> None:
        if config.id is None:
            raise NotFoundError("provider", config.name)
        await self._bridge.run(lambda store: store.providers.delete(config.id))
        await asyncio.to_thread(delete_key, config.api_key_ref)

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
