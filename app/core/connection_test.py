"""The connection test: is a provider there, how fast, what does it serve.

Three cheap ``probe()`` calls; latency is their median, so one slow
outlier (a first connection, a model waking up) does not decide the figure.
Failures never raise: they come back as a ConnectionReport in plain words
with the fix (app.core.provider_advice).
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from collections.abc import Callable

from app.core.provider_advice import failure_report, missing_key_report
from app.core.provider_factory import build_provider
from app.core.secrets import SecretError
from app.domain import ConnectionReport, ProbeResult, ProviderConfig
from app.providers.base import ChatProvider, ProviderError, ProviderOptions

log = logging.getLogger(__name__)

PROBES = 3
DEFAULT_TIMEOUT = 10.0  # seconds per probe; a connection test must not hang


async def test_connection(provider: ChatProvider, *, probes: int = PROBES,
                          timeout: float = DEFAULT_TIMEOUT,
                          clock: Callable[[], float] = time.perf_counter) -> ConnectionReport:
    """Probe ``provider`` ``probes`` times (each bounded by ``timeout``)."""
    config = provider.config
    latencies: list[float] = []
    result = ProbeResult()
    for _ in range(probes):
        started = clock()
        try:
            async with asyncio.timeout(timeout):
                result = await provider.probe()
        except ProviderError as error:
            log.info("connection test %s: %s: %s", config.name, error.kind, error.message)
            return failure_report(config, error.kind, error.message, error.retry_after)
        except TimeoutError:
            return failure_report(config, "timeout", f"no answer within {timeout:g} s")
        latencies.append((clock() - started) * 1000.0)
    model_count = result.model_count
    if model_count is None:
        model_count = await _count_models(provider, timeout)
    return ConnectionReport(
        provider=config.name, reachable=True,
        latency_ms=round(statistics.median(latencies), 1),
        version=result.version, model_count=model_count,
        # A probe that succeeded was not refused: the key (if any) was accepted.
        auth_ok=True if result.auth_ok is None else result.auth_ok,
    )


# pytest collects module-level ``test_*`` names wherever they are imported.
test_connection.__test__ = False  # type: ignore[attr-defined]


async def check_provider(config: ProviderConfig, options: ProviderOptions | None = None, *,
                         timeout: float = DEFAULT_TIMEOUT,
                         factory: Callable[..., ChatProvider] = build_provider,
                         ) -> ConnectionReport:
    """Build the provider for ``config``, test it, close it. Never raises for
    an expected failure (missing key, dead server, bad URL)."""
    try:
        provider = factory(config, options)
    except SecretError as exc:
        return missing_key_report(config, str(exc))
    except ProviderError as error:
        return failure_report(config, error.kind, error.message, error.retry_after)
    try:
        return await test_connection(provider, timeout=timeout)
    finally:
        await provider.aclose()


async def _count_models(provider: ChatProvider, timeout: float) -> int | None:
    """The model count when the probe did not say; None if listing fails."""
    try:
        async with asyncio.timeout(timeout):
            return len(await provider.list_models())
    except (ProviderError, TimeoutError) as exc:
        log.info("connection test %s: listing models failed: %s", provider.name, exc)
        return None
