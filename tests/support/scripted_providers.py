"""Scripted ChatProvider subclasses for routing, fallback and chat-turn tests.

A ScriptedProvider records every request it receives and plays a script:
run events are yielded, numbers are awaited as sleeps (seconds), callables
are called with the request (awaited when they return an awaitable), and an
exception instance is raised. It also records whether its stream was closed.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Any

from app.domain import (
    ChatRequest,
    Done,
    Error,
    ModelInfo,
    ProbeResult,
    ProviderConfig,
    TextDelta,
    Usage,
)
from app.providers.base import ChatProvider


class ScriptedProvider(ChatProvider):
    def __init__(self, config: ProviderConfig, script: Iterable[Any] = (),
                 models: Iterable[ModelInfo] = ()) -> None:
        super().__init__(config)
        self.script = list(script)
        self.models = list(models)
        self.requests: list[ChatRequest] = []
        self.streams_closed = 0
        self.list_calls = 0

    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[Any]:
        self.requests.append(request)
        try:
            for item in self.script:
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, (int, float)):
                    await asyncio.sleep(item)
                elif callable(item):
                    result = item(request)
                    if inspect.isawaitable(result):
                        await result
                else:
                    yield item
        finally:
            self.streams_closed += 1

    async def list_models(self) -> list[ModelInfo]:
        self.list_calls += 1
        return list(self.models)

    async def probe(self) -> ProbeResult:
        return ProbeResult(model_count=len(self.models))


def answer(*texts: str, usage: Usage | None = None) -> list[Any]:
    """A script that streams ``texts`` and finishes normally."""
    script: list[Any] = [TextDelta(text=t) for t in texts]
    if usage is not None:
        script.append(usage)
    script.append(Done(stop_reason="stop"))
    return script


def refused(kind: str = "unreachable", retryable: bool = True) -> list[Any]:
    return [Error(kind=kind, message=f"scripted {kind}", retryable=retryable)]


def config(name: str, *, local: bool = True, enabled: bool = True,
           kind: str | None = None) -> ProviderConfig:
    return ProviderConfig(name=name, kind=kind or ("llamacpp" if local else "openai"),
                          base_url=f"http://{name}.invalid/v1", is_local=local,
                          enabled=enabled)


def source(providers: Mapping[str, ScriptedProvider]) -> Callable[[ProviderConfig], ChatProvider]:
    """A ProviderSource over scripted providers, by configuration name."""

    def get(config: ProviderConfig) -> ChatProvider:
        return providers[config.name]

    return get
