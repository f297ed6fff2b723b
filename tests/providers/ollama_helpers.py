"""Client-side helpers for the Ollama provider tests: a fresh in-test server
per test, a provider with short timeouts, and event collection that fails a
test instead of hanging it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from app.domain import ChatRequest, ProviderConfig, RunEvent
from app.providers.base import ProviderOptions, RetryPolicy, Timeouts
from app.providers.ollama import OllamaProvider
from tests.providers.ollama_server import OllamaServer


@pytest.fixture
def ollama_server() -> Iterator[OllamaServer]:
    """A fresh in-test Ollama server per test."""
    with OllamaServer() as server:
        yield server


# -- client-side helpers for the tests ------------------------------------------------
def make_provider(server: OllamaServer, *, first_byte: float = 2.0, idle: float = 1.0,
                  attempts: int = 3, base_url: str | None = None) -> OllamaProvider:
    """An OllamaProvider on ``server`` with short timeouts and fast retries,
    so a fault can never hang a test."""
    options = ProviderOptions(
        timeouts=Timeouts(connect=2.0, first_byte=first_byte, idle=idle),
        retry=RetryPolicy(attempts=attempts, backoff=0.01, max_wait=5.0),
    )
    config = ProviderConfig(name="local-ollama", kind="ollama",
                            base_url=base_url or server.base_url)
    return OllamaProvider(config, options)


async def collect(provider: OllamaProvider, request: ChatRequest,
                  limit: float = 20.0) -> list[RunEvent]:
    """Every event of one chat; fails the test instead of hanging."""
    events: list[RunEvent] = []
    async with asyncio.timeout(limit):
        async for event in provider.stream_chat(request):
            events.append(event)
    return events


def chat(provider: OllamaProvider, request: ChatRequest) -> list[RunEvent]:
    """Run one chat on a fresh event loop and close the provider."""

    async def scenario() -> list[RunEvent]:
        try:
            return await collect(provider, request)
        finally:
            await provider.aclose()

    return asyncio.run(scenario())
