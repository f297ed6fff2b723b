"""LM Studio against an in-test server speaking its documented REST API v0
(``GET /api/v0/models``, LM Studio 0.3.6+) and the OpenAI-compatible /v1."""

from __future__ import annotations

import asyncio

import pytest

from app.domain import ChatMessage, ChatRequest, Done, ProviderConfig, TextDelta
from app.providers.base import ProviderError, ProviderOptions, RetryPolicy, Timeouts
from app.providers.lmstudio import LMStudioProvider, root_url
from tests.providers.fault_server import FaultServer, json_reply, status, text_stream

OPTIONS = ProviderOptions(timeouts=Timeouts(connect=1.0, first_byte=5.0, idle=5.0),
                          retry=RetryPolicy(attempts=2, backoff=0.01))

# The response format of GET /api/v0/models as LM Studio documents it.
V0_MODELS = {"object": "list", "data": [
    {"id": "qwen2-vl-7b-instruct", "object": "model", "type": "vlm",
     "publisher": "mlx-community", "arch": "qwen2_vl", "compatibility_type": "mlx",
     "quantization": "4bit", "state": "not-loaded", "max_context_length": 32768},
    {"id": "meta-llama-3.1-8b-instruct", "object": "model", "type": "llm",
     "publisher": "lmstudio-community", "arch": "llama", "compatibility_type": "gguf",
     "quantization": "Q4_K_M", "state": "loaded", "max_context_length": 131072},
    {"id": "text-embedding-nomic-embed-text-v1.5", "object": "model", "type": "embeddings",
     "publisher": "nomic-ai", "arch": "nomic-bert", "compatibility_type": "gguf",
     "quantization": "Q4_0", "state": "not-loaded", "max_context_length": 2048},
]}
V1_MODELS = {"object": "list", "data": [
    {"id": "meta-llama-3.1-8b-instruct", "object": "model", "owned_by": "organization_owner"}]}


@pytest.fixture()
def server():
    with FaultServer() as srv:
        yield srv


def provider(server: FaultServer, suffix: str = "/v1", api_key: str | None = None
             ) -> LMStudioProvider:
    return LMStudioProvider(ProviderConfig(name="studio", kind="lmstudio",
                                           base_url=server.url + suffix), OPTIONS, api_key)


def models_of(p: LMStudioProvider):
    async def go():
        try:
            return await p.list_models()
        finally:
            await p.aclose()

    return asyncio.run(go())


def test_root_url_is_derived_from_the_api_base() -> None:
    assert root_url("http://host:1234/v1") == "http://host:1234"
    assert root_url("http://host:1234/v1/") == "http://host:1234"
    assert root_url("http://host:1234") == "http://host:1234"


def test_native_model_list_is_mapped(server: FaultServer) -> None:
    server.route("GET", "/api/v0/models", json_reply(V0_MODELS))
    listed = {m.id: m for m in models_of(provider(server))}
    assert set(listed) == {"qwen2-vl-7b-instruct", "meta-llama-3.1-8b-instruct"}  # no embeddings
    vlm, llm = listed["qwen2-vl-7b-instruct"], listed["meta-llama-3.1-8b-instruct"]
    assert (vlm.loaded, vlm.quantization, vlm.family, vlm.context_length) == (
        False, "4bit", "qwen2_vl", 32768)
    assert vlm.capabilities == ["vision"]
    assert (llm.loaded, llm.quantization, llm.family, llm.context_length) == (
        True, "Q4_K_M", "llama", 131072)
    assert llm.capabilities == [] and llm.provider == "studio"
    assert not server.requests_to("/v1/models")


def test_root_base_url_reaches_both_apis(server: FaultServer) -> None:
    server.route("GET", "/api/v0/models", json_reply(V0_MODELS))
    server.route("POST", "/v1/chat/completions", text_stream(["hello"]))
    p = provider(server, suffix="", api_key="lm-token")

    async def go():
        try:
            models = await p.list_models()
            request = ChatRequest(model=models[0].id,
                                  messages=[ChatMessage(role="user", content="hi")])
            return [e async for e in p.stream_chat(request)]
        finally:
            await p.aclose()

    events = asyncio.run(asyncio.wait_for(go(), 20))
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["hello"]
    assert events[-1] == Done(stop_reason="stop")
    native, = server.requests_to("/api/v0/models")
    chat, = server.requests_to("/v1/chat/completions")
    assert native.headers["Authorization"] == chat.headers["Authorization"] == "Bearer lm-token"
    assert chat.json["model"] == "qwen2-vl-7b-instruct"


def test_falls_back_to_v1_models_when_api_v0_is_missing(server: FaultServer) -> None:
    server.route("GET", "/api/v0/models", status(404, {"error": "Unexpected endpoint"}))
    server.route("GET", "/v1/models", json_reply(V1_MODELS))
    listed = models_of(provider(server))
    assert [(m.id, m.loaded, m.quantization) for m in listed] == [
        ("meta-llama-3.1-8b-instruct", None, None)]
    assert len(server.requests_to("/v1/models")) == 1


def test_other_native_failures_are_not_hidden_by_the_fallback(server: FaultServer) -> None:
    server.route("GET", "/api/v0/models", status(401))
    server.route("GET", "/v1/models", json_reply(V1_MODELS))
    with pytest.raises(ProviderError) as caught:
        models_of(provider(server))
    assert caught.value.kind == "auth"
    assert not server.requests_to("/v1/models")


def test_native_capabilities_extend_the_type(server: FaultServer) -> None:
    newer = {"object": "list", "data": [dict(V0_MODELS["data"][1],
                                             capabilities=["tool_use"])]}
    server.route("GET", "/api/v0/models", json_reply(newer))
    (model,) = models_of(provider(server))
    assert model.capabilities == ["tools"]
