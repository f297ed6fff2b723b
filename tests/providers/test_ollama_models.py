"""Ollama discovery and connection probe against the in-test Ollama server."""

from __future__ import annotations

import asyncio
import socket

import pytest

from app.core.provider_factory import build_provider
from app.domain import ModelInfo, ProbeResult, ProviderConfig
from app.providers.base import ProviderError
from app.providers.ollama import OllamaProvider, native_base_url
from tests.providers.ollama_helpers import make_provider, ollama_server  # noqa: F401
from tests.providers.ollama_server import OllamaServer


def _list(provider: OllamaProvider) -> list[ModelInfo]:
    async def scenario() -> list[ModelInfo]:
        try:
            return await provider.list_models()
        finally:
            await provider.aclose()

    return asyncio.run(scenario())


def _probe(provider: OllamaProvider) -> ProbeResult:
    async def scenario() -> ProbeResult:
        try:
            return await provider.probe()
        finally:
            await provider.aclose()

    return asyncio.run(scenario())


def test_list_models_reports_tags_show_and_ps_metadata(ollama_server: OllamaServer) -> None:
    models = {m.id: m for m in _list(make_provider(ollama_server))}

    assert set(models) == set(ollama_server.models)
    for name, entry in ollama_server.models.items():
        info = models[name]
        assert info.provider == "local-ollama"
        assert info.display_name == name
        assert info.size_bytes == entry.size
        assert info.quantization == entry.quantization_level
        assert info.family == entry.family
        assert info.parameter_size == entry.parameter_size
        assert info.context_length == entry.context_length
        assert info.capabilities == entry.capabilities
        assert info.loaded == (name in ollama_server.loaded)
    assert "tools" in models["llama3.2:latest"].capabilities
    assert "vision" in models["llava:7b"].capabilities
    assert models["llama3.2:latest"].loaded is True
    assert models["qwen3:0.6b"].loaded is False


def test_list_models_asks_show_for_each_model(ollama_server: OllamaServer) -> None:
    _list(make_provider(ollama_server))

    shown = [r.body["model"] for r in ollama_server.requests if r.path == "/api/show"]
    assert sorted(shown) == sorted(ollama_server.models)
    assert any(r.path == "/api/ps" for r in ollama_server.requests)


def test_one_failing_show_does_not_fail_the_list(ollama_server: OllamaServer) -> None:
    ollama_server.show_failures.add("llava:7b")

    models = {m.id: m for m in _list(make_provider(ollama_server))}

    assert set(models) == set(ollama_server.models)
    broken = models["llava:7b"]
    assert broken.context_length is None and broken.capabilities == []
    # what /api/tags said is still there
    assert broken.quantization == ollama_server.models["llava:7b"].quantization_level
    assert models["qwen3:0.6b"].context_length == \
        ollama_server.models["qwen3:0.6b"].context_length


def test_loaded_state_follows_api_ps(ollama_server: OllamaServer) -> None:
    ollama_server.loaded = {"qwen3:0.6b", "llava:7b"}

    models = {m.id: m for m in _list(make_provider(ollama_server))}

    assert {name for name, m in models.items() if m.loaded} == {"qwen3:0.6b", "llava:7b"}


def test_probe_reports_version_and_model_count(ollama_server: OllamaServer) -> None:
    result = _probe(make_provider(ollama_server))

    assert result.version == "0.12.6"
    assert result.model_count == len(ollama_server.models)
    paths = [r.path for r in ollama_server.requests]
    assert "/api/version" in paths and "/api/tags" in paths


def test_openai_style_url_is_mapped_to_the_native_root(ollama_server: OllamaServer) -> None:
    provider = make_provider(ollama_server, base_url=ollama_server.base_url + "/v1")

    assert provider.base_url == ollama_server.base_url
    assert _probe(provider).model_count == len(ollama_server.models)
    assert native_base_url("") == "http://127.0.0.1:11434"
    assert native_base_url("http://box:11434/api/") == "http://box:11434"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_probe_of_a_dead_server_raises_unreachable() -> None:
    dead = OllamaServer()  # never started: only its URL is used
    provider = make_provider(dead, base_url=f"http://127.0.0.1:{_free_port()}")

    with pytest.raises(ProviderError) as caught:
        _probe(provider)

    assert caught.value.kind == "unreachable"
    assert "Ollama at http://127.0.0.1:" in caught.value.message


def test_factory_builds_it_and_a_configured_key_is_sent_as_bearer(
        ollama_server: OllamaServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTDESK_TEST_OLLAMA_KEY", "sk-test-123")
    keyed = build_provider(ProviderConfig(name="remote", kind="ollama",
                                          base_url=ollama_server.base_url,
                                          api_key_ref="env:AGENTDESK_TEST_OLLAMA_KEY"))
    plain = build_provider(ProviderConfig(name="local", kind="ollama",
                                          base_url=ollama_server.base_url))
    assert isinstance(keyed, OllamaProvider) and isinstance(plain, OllamaProvider)

    assert _probe(keyed).auth_ok is True
    keyed_headers = [r.headers for r in ollama_server.requests]
    ollama_server.requests.clear()
    assert _probe(plain).auth_ok is None

    assert all(h.get("Authorization") == "Bearer sk-test-123" for h in keyed_headers)
    assert not any("Authorization" in r.headers for r in ollama_server.requests)
