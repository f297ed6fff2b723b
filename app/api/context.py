"""What the API needs from its host (``agentdesk serve`` or the window): the
settings, the token it accepts, the database, limits and the host names it
answers to. One object, built by the host and handed to ``create_app``."""

from __future__ import annotations

from collections.abc import Callable
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from app.core.fallback import ProviderPool, ProviderSource
from app.core.turn_inputs import default_provider_pool
from app.settings import AppSettings
from app.store import AsyncStore, Store

T = TypeVar("T")

#: Host names every server answers to (besides the address it is bound to).
LOCAL_HOSTS = ("127.0.0.1", "localhost")


#: Addresses that bind every interface.
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def machine_names() -> tuple[str, ...]:
    """This machine's own name and addresses: what a client on the network
    puts in Host when the server listens on every interface. A name that
    only resolves here (DNS rebinding) is still refused."""
    name = socket.gethostname().lower()
    try:
        _canonical, aliases, addresses = socket.gethostbyname_ex(name)
    except OSError:
        aliases, addresses = [], []
    return tuple(dict.fromkeys([name, *(a.lower() for a in aliases), *addresses]))


@dataclass
class ApiLimits:
    """Bounds on what a client may send."""

    max_body_bytes: int = 1_000_000       # 413 above
    max_message_chars: int = 100_000      # 422 above (one chat message)
    requests_per_minute: int = 120        # per token; 429 with Retry-After above


@dataclass
class ApiContext:
    """The API's services.

    ``store``: an AsyncStore opened on the loop that serves the API, or None:
    the app then opens its own (``store_path``, ``recover=False``: a second
    connection beside the window's, as the CLI does) when it starts and closes
    it when it stops. ``providers``: where chat turns get their providers, or
    None: the app keeps one pool while it serves, so concurrent and later
    requests share each provider's HTTP connections instead of building a
    client and connecting per request (bench/api_load.py). ``on_request`` is told the status of every finished
    request (the window's status line counts them), on the serving thread.
    """

    settings: AppSettings
    token: str
    store_path: Path
    store: AsyncStore | None = None
    providers: ProviderSource | None = None
    limits: ApiLimits = field(default_factory=ApiLimits)
    hosts: tuple[str, ...] = LOCAL_HOSTS
    allowed_origins: tuple[str, ...] = ()
    on_request: Callable[[int], None] | None = None
    #: Requests answered so far (any status).
    request_count: int = 0
    _owns_store: bool = field(default=False, repr=False)
    _owns_providers: bool = field(default=False, repr=False)

    @classmethod
    def from_settings(cls, settings: AppSettings, token: str, store_path: Path,
                      **overrides) -> "ApiContext":
        """Limits, origins and host names from ``settings.api``."""
        api = settings.api
        if api.host in WILDCARD_HOSTS:
            hosts = (*LOCAL_HOSTS, *machine_names())
        else:
            hosts = tuple(dict.fromkeys((*LOCAL_HOSTS, api.host.lower())))
        limits = ApiLimits(max_body_bytes=api.max_body_bytes,
                           requests_per_minute=api.rate_limit_per_minute)
        values = dict(settings=settings, token=token, store_path=store_path, limits=limits,
                      hosts=hosts, allowed_origins=tuple(api.allowed_origins))
        values.update(overrides)
        return cls(**values)

    async def open_store(self) -> AsyncStore:
        if self.store is None:
            self.store = await AsyncStore.open(self.store_path, recover=False)
            self._owns_store = True
        return self.store

    def open_providers(self) -> None:
        if self.providers is None:
            self.providers = default_provider_pool(self.settings)
            self._owns_providers = True

    async def close_providers(self) -> None:
        if self._owns_providers and isinstance(self.providers, ProviderPool):
            pool, self.providers, self._owns_providers = self.providers, None, False
            await pool.aclose()

    async def close_store(self) -> None:
        if self._owns_store and self.store is not None:
            store, self.store, self._owns_store = self.store, None, False
            await store.close()

    async def run(self, work: Callable[[Store], T]) -> T:
        """``work(store)`` on the store's worker (an app/ops call)."""
        store = self.store if self.store is not None else await self.open_store()
        return await store.run(work)

    def counted(self, status: int) -> None:
        self.request_count += 1
        if self.on_request is not None:
            self.on_request(status)

