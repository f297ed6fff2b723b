"""Shared pieces of the embedded-engine tests (real llama.cpp, Gemma 3 270M;
or ScriptedLlama, which yields given chunks where llama.cpp would)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from pathlib import Path

from app.domain import ChatMessage, ChatRequest, ProviderConfig
from app.providers import embedded
from app.providers.embedded import EmbeddedProvider
from app.providers.embedded_engine import DEFAULT_N_CTX, THREAD_PREFIX, Engine


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


class ScriptedLlama:
    """Stands in for ``llama_cpp.Llama`` behind a real Engine: each
    ``create_chat_completion`` call yields the next script's chunks (the
    OpenAI-shaped dicts llama-cpp-python yields; the last script repeats)."""

    def __init__(self, *scripts: list[dict]) -> None:
        self.scripts = list(scripts)
        self.calls: list[dict] = []

    def create_chat_completion(self, **kwargs) -> Iterator[dict]:
        self.calls.append(kwargs)
        script = self.scripts.pop(0) if len(self.scripts) > 1 else self.scripts[0]
        return (copy.deepcopy(chunk) for chunk in script)  # a generator: has close()

    def close(self) -> None:
        """Nothing to free."""


def scripted_provider(monkeypatch, folder: Path, *scripts: list[dict]) -> EmbeddedProvider:
    """An embedded provider whose engine is loaded with a ScriptedLlama: the
    whole provider path (worker thread, queue, chunk parsing) minus llama.cpp."""
    path = folder / "scripted.gguf"
    engine = Engine(path.resolve(), DEFAULT_N_CTX)
    engine.llama = ScriptedLlama(*scripts)
    monkeypatch.setattr(embedded, "acquire_engine", lambda _path, _n_ctx: engine)
    monkeypatch.setattr(embedded, "loaded_engine", lambda _path, _n_ctx: engine)
    monkeypatch.setattr(embedded, "release_engine", lambda _engine, _keep=0.0: None)
    return provider_for(path)
