"""First run: find the model servers already running on this machine.

Probes the usual loopback ports concurrently — Ollama 11434, LM Studio 1234,
llama.cpp 8080 — each through its own provider's ``probe()`` (so the vendor
wire format stays in app.providers) and each bounded by a short timeout, and
returns what answered. Only loopback addresses are probed: this runs without
asking, so it must never reach into the network.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from app.core.provider_factory import build_provider
from app.domain import ProviderConfig
from app.domain.provider import is_loopback_host
from app.providers.base import (
    ChatProvider,
    ProviderError,
    ProviderOptions,
    RetryPolicy,
    Timeouts,
)

log = logging.getLogger(__name__)

DEFAULT_PORTS: Mapping[str, int] = {"ollama": 11434, "lmstudio": 1234, "llamacpp": 8080}
DEFAULT_TIMEOUT = 1.0

# The URL path each kind's provider expects (as `agentdesk providers add` stores it).
_PATHS = {"ollama": "", "lmstudio": "/v1", "llamacpp": "/v1"}


@dataclass(frozen=True)
class DetectedServer:
    kind: str
    base_url: str
    version: str | None = None
    model_count: int | None = None

    def as_config(self, name: str) -> ProviderConfig:
        """A provider configuration for this server, ready to store."""
        return ProviderConfig(name=name, kind=self.kind, base_url=self.base_url,
                              is_local=True)


def base_url_for(kind: str, host: str, port: int) -> str:
    if kind not in _PATHS:
        raise ValueError(f"cannot probe servers of kind {kind!r}")
    bare = host.strip("[]")
    netloc = f"[{bare}]" if ":" in bare else bare
    return f"http://{netloc}:{port}{_PATHS[kind]}"


async def probe_local_servers(host: str = "127.0.0.1",
                              ports: Mapping[str, int] = DEFAULT_PORTS, *,
                              timeout: float = DEFAULT_TIMEOUT,
                              factory: Callable[..., ChatProvider] = build_provider,
                              ) -> list[DetectedServer]:
    """The servers that answered, in the order of ``ports`` (kind -> port).

    Raises ValueError for a host that is not a loopback address or an
    unknown kind."""
    if not is_loopback_host(host):
        raise ValueError(f"only loopback addresses are probed, not {host!r}")
    targets = [(kind, base_url_for(kind, host, port)) for kind, port in ports.items()]
    options = ProviderOptions(
        timeouts=Timeouts(connect=timeout, first_byte=timeout, idle=timeout),
        retry=RetryPolicy(attempts=1),
    )
    found = await asyncio.gather(*(_probe_one(kind, url, options, timeout, factory)
                                   for kind, url in targets))
    return [server for server in found if server is not None]


async def _probe_one(kind: str, base_url: str, options: ProviderOptions, timeout: float,
                     factory: Callable[..., ChatProvider]) -> DetectedServer | None:
    config = ProviderConfig(name=f"detected-{kind}", kind=kind, base_url=base_url)
    provider = factory(config, options)
    try:
        async with asyncio.timeout(timeout):
            result = await provider.probe()
    except ProviderError as error:
        log.debug("no %s server at %s: %s", kind, base_url, error.kind)
        return None
    except TimeoutError:
        log.debug("no %s server at %s: no answer within %g s", kind, base_url, timeout)
        return None
    finally:
        await provider.aclose()
    log.info("found a %s server at %s", kind, base_url)
    return DetectedServer(kind=kind, base_url=base_url, version=result.version,
                          model_count=result.model_count)
