"""Model discovery: one merged, cached model list across the enabled providers.

Each provider is asked concurrently and bounded by its own timeout, so a dead
provider costs at most that timeout and never hides what the others serve;
its failure is reported per provider (a ConnectionReport with the fix), not
raised. Answers are cached per provider for ``ttl`` seconds (``refresh()``
asks again). A changed configuration (URL, key reference, enabled) is a cache
miss, so editing a provider shows its new models at once.

Only successful answers can be exported (``export_cache``) for a process
that lives shorter than the cache, like one CLI command; failures are never
persisted, so a server started a moment ago is seen on the next call.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from app.core.provider_advice import failure_report, missing_key_report
from app.core.provider_factory import build_provider
from app.core.secrets import SecretError
from app.domain import ConnectionReport, ModelInfo, ProviderConfig
from app.providers.base import ChatProvider, ProviderError, ProviderOptions

log = logging.getLogger(__name__)

DEFAULT_TTL = 60.0
DEFAULT_TIMEOUT = 10.0
_CLOSE_TIMEOUT = 2.0

ConfigSource = Callable[[], Iterable[ProviderConfig] | Awaitable[Iterable[ProviderConfig]]]
ProviderFactory = Callable[[ProviderConfig, ProviderOptions | None], ChatProvider]


@dataclass
class Catalog:
    """One look at every enabled provider's models."""

    models: list[ModelInfo] = field(default_factory=list)
    errors: dict[str, ConnectionReport] = field(default_factory=dict)
    providers: list[str] = field(default_factory=list)  # the providers asked

    @property
    def answered(self) -> list[str]:
        return [name for name in self.providers if name not in self.errors]

    def for_provider(self, name: str) -> list[ModelInfo]:
        return [m for m in self.models if m.provider.lower() == name.lower()]


@dataclass
class _Entry:
    signature: str
    fetched_at: float
    models: list[ModelInfo] | None = None
    error: ConnectionReport | None = None


class ModelCatalog:
    """The merged model list. ``configs`` is re-read on every call (sync or
    async callable, or a fixed iterable), so added providers appear at once."""

    def __init__(self, configs: ConfigSource | Iterable[ProviderConfig], *,
                 factory: ProviderFactory = build_provider,
                 options: ProviderOptions | None = None,
                 timeout: float = DEFAULT_TIMEOUT,
                 timeouts: Mapping[str, float] | None = None,
                 ttl: float = DEFAULT_TTL,
                 clock: Callable[[], float] = time.time) -> None:
        self._configs = configs
        self._factory = factory
        self._options = options
        self._timeout = timeout
        self._timeouts = {k.lower(): v for k, v in (timeouts or {}).items()}
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._lock = asyncio.Lock()

    async def get(self, provider: str | None = None) -> Catalog:
        """The catalog (only ``provider``'s part when named), from the cache
        where it is fresh, asking the providers otherwise."""
        async with self._lock:
            configs = await self._enabled(provider)
            now = self._clock()
            stale = [c for c in configs if not self._fresh(c, now)]
            if stale:
                await self._fetch_all(stale)
            return self._catalog(configs)

    async def refresh(self, provider: str | None = None) -> Catalog:
        """Ask the providers again, whatever the cache holds."""
        async with self._lock:
            if provider is None:
                self._entries.clear()
            else:
                self._entries.pop(provider.lower(), None)
        return await self.get(provider)

    # -- persistence of successful answers -----------------------------------------
    def export_cache(self) -> dict[str, Any]:
        """The successful answers, JSON-serialisable (for ``import_cache``)."""
        return {name: {"signature": e.signature, "fetched_at": e.fetched_at,
                       "models": [m.model_dump(mode="json") for m in e.models]}
                for name, e in self._entries.items() if e.models is not None}

    def import_cache(self, data: Mapping[str, Any]) -> None:
        """Load what ``export_cache`` gave; malformed entries are skipped."""
        for name, item in data.items():
            try:
                entry = _Entry(signature=str(item["signature"]),
                               fetched_at=float(item["fetched_at"]),
                               models=[ModelInfo.model_validate(m) for m in item["models"]])
            except (KeyError, TypeError, ValueError, ValidationError):
                log.info("ignoring a malformed model-cache entry for %r", name)
                continue
            self._entries[name.lower()] = entry

    # -- internals -------------------------------------------------------------------
    async def _enabled(self, provider: str | None) -> list[ProviderConfig]:
        source = self._configs() if callable(self._configs) else self._configs
        if inspect.isawaitable(source):
            source = await source
        configs = [c for c in source if c.enabled]
        if provider is not None:
            configs = [c for c in configs if c.name.lower() == provider.lower()]
        return configs

    def _fresh(self, config: ProviderConfig, now: float) -> bool:
        entry = self._entries.get(config.name.lower())
        if entry is None or entry.signature != _signature(config):
            return False
        age = now - entry.fetched_at
        return 0 <= age < self._ttl

    async def _fetch_all(self, configs: list[ProviderConfig]) -> None:
        results = await asyncio.gather(*(self._fetch(c) for c in configs))
        now = self._clock()
        for config, (models, error) in zip(configs, results, strict=True):
            self._entries[config.name.lower()] = _Entry(_signature(config), now, models, error)

    async def _fetch(self, config: ProviderConfig
                     ) -> tuple[list[ModelInfo] | None, ConnectionReport | None]:
        timeout = self._timeouts.get(config.name.lower(), self._timeout)
        try:
            provider = self._factory(config, self._options)
        except SecretError as exc:
            return None, missing_key_report(config, str(exc))
        except ProviderError as error:
            return None, failure_report(config, error.kind, error.message, error.retry_after)
        try:
            async with asyncio.timeout(timeout):
                found = await provider.list_models()
        except ProviderError as error:
            log.info("listing models of %s failed: %s: %s", config.name, error.kind,
                     error.message)
            return None, failure_report(config, error.kind, error.message, error.retry_after)
        except TimeoutError:
            log.info("listing models of %s timed out after %g s", config.name, timeout)
            return None, failure_report(config, "timeout", f"no answer within {timeout:g} s")
        finally:
            await _close(provider)
        return [m.model_copy(update={"provider": config.name}) for m in found], None

    def _catalog(self, configs: list[ProviderConfig]) -> Catalog:
        catalog = Catalog(providers=[c.name for c in configs])
        for config in configs:
            entry = self._entries[config.name.lower()]
            if entry.error is not None:
                catalog.errors[config.name] = entry.error
            else:
                catalog.models.extend(entry.models or [])
        catalog.models.sort(key=lambda m: (m.provider.lower(), m.id.lower()))
        return catalog


def _signature(config: ProviderConfig) -> str:
    """What, if changed, makes a cached answer wrong (the id is irrelevant)."""
    return json.dumps(config.model_dump(mode="json", exclude={"id"}), sort_keys=True)


async def _close(provider: ChatProvider) -> None:
    try:
        async with asyncio.timeout(_CLOSE_TIMEOUT):
            await provider.aclose()
    except (ProviderError, OSError, TimeoutError) as exc:  # the answer is in hand
        log.info("closing provider %s failed: %r", provider.name, exc)
