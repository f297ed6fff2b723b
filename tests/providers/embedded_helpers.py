"""Shared pieces of the embedded-engine tests (real llama.cpp, Gemma 3 270M)."""

from __future__ import annotations

import threading
from pathlib import Path

from app.domain import ChatMessage, ChatRequest, ProviderConfig
from app.providers.embedded import EmbeddedProvider
from app.providers.embedded_engine import THREAD_PREFIX


def config_for(path: Path | str | None, name: str = "embedded") -> ProviderConfig:
    return ProviderConfig(name=name, kind="embedded", model_path=str(path) if path else None)


def provider_for(path: Path | str | None, **kwargs) -> EmbeddedProvider:
    return EmbeddedProvider(config_for(path), **kwargs)


def ask(text: str = "Say hello.", *, max_tokens: int = 8, **kwargs) -> ChatRequest:
    return ChatRequest(model="gemma-3-270m-q4_k_m",
                       messages=[ChatMessage(role="user", content=text)],
                       max_tokens=max_tokens, **kwargs)


async def collect(provider: EmbeddedProvider, request: ChatRequest) -> list:
    return [event async for event in provider.stream_chat(request)]


def generation_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(THREAD_PREFIX)]
