"""LM Studio against an in-test server speaking its documented wire format
(tests/providers/lmstudio_server.py): REST API v0 ``GET /api/v0/models``
(LM Studio 0.3.6+), the OpenAI-compatible /v1 with streamed tool-call
fragments as LM Studio sends them, and its errors."""

from __future__ import annotations

import asyncio

import pytest

from app.domain import (
    ChatMessage,
    ChatRequest,
    Done,
    Error,
    ProviderConfig,
    TextDelta,
    ToolCall,
    ToolSpec,
    Usage,
)
from app.providers.base import ProviderError, ProviderOptions, RetryPolicy, Timeouts
from app.providers.lmstudio import LMStudioProvider, root_url
from tests.providers.fault_server import status
from tests.providers.lmstudio_server import V0_MODELS, LMStudioServer, StudioReply

OPTIONS = ProviderOptions(timeouts=Timeouts(connect=1.0, first_byte=5.0, idle=5.0),
                          retry=RetryPolicy(attempts=2, backoff=0.01))
CHAT = "/v1/chat/completions"
WEATHER = ToolSpec(name="get_current_weather", description="the weather somewhere",
                   parameters={"type": "object",
                               "properties": {"location": {"type": "string"}},
                               "required": ["location"]})


@pytest.fixture()
def server():
    with LMStudioServer() as srv:
        yield srv


def provider(server: LMStudioServer, suffix: str = "/v1", api_key: str | None = None
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


def chat(server: LMStudioServer, request: ChatRequest, suffix: str = "/v1",
         api_key: str | None = None) -> list:
    p = provider(server, suffix, api_key)

    async def go():
        try:
            return [e async for e in p.stream_chat(request)]
        finally:
            await p.aclose()

    return asyncio.run(asyncio.wait_for(go(), 20))


def ask(model: str, text: str = "hi", **extra) -> ChatRequest:
    return ChatRequest(model=model, messages=[ChatMessage(role="user", content=text)],
                       **extra)


def test_root_url_is_derived_from_the_api_base() -> None:
    assert root_url("http://host:1234/v1") == "http://host:1234"
    assert root_url("http://host:1234/v1/") == "http://host:1234"
    assert root_url("http://host:1234") == "http://host:1234"


def test_native_model_list_is_mapped(server: LMStudioServer) -> None:
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


def test_root_base_url_reaches_both_apis(server: LMStudioServer) -> None:
    server.script.append(StudioReply(content=["hello"]))
    p = provider(server, suffix="", api_key="lm-token")

    async def go():
        try:
            models = await p.list_models()
            return [e async for e in p.stream_chat(ask(models[0].id))]
        finally:
            await p.aclose()

    events = asyncio.run(asyncio.wait_for(go(), 20))
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["hello"]
    assert events[-1] == Done(stop_reason="stop")
    native, = server.requests_to("/api/v0/models")
    sent, = server.requests_to(CHAT)
    assert native.headers["Authorization"] == sent.headers["Authorization"] == "Bearer lm-token"
    assert sent.json["model"] == "qwen2-vl-7b-instruct"


def test_streamed_tool_call_fragments_become_complete_calls(server: LMStudioServer) -> None:
    # LM Studio's documented stream: the name with empty arguments first, then
    # the arguments a few characters per chunk; two calls, told apart by index.
    server.script.append(StudioReply(
        content=["Let me check", " the weather."],
        tool_calls=[("get_current_weather", ['{"', "location", '":"', "San Francisco", '"}']),
                    ("get_current_weather", ['{"location"', ':"Par', 'is"}'])]))
    events = chat(server, ask("meta-llama-3.1-8b-instruct", "weather in SF and Paris?",
                              tools=[WEATHER]))

    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == \
        "Let me check the weather."
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert calls == [
        ToolCall(call_id="814890118", name="get_current_weather",
                 arguments={"location": "San Francisco"}),
        ToolCall(call_id="814890119", name="get_current_weather",
                 arguments={"location": "Paris"})]
    assert isinstance(events[-2], Usage) and events[-1] == Done(stop_reason="tool_calls")
    # Every call comes after all the text, once, and nothing after Done.
    assert events.index(calls[0]) > max(i for i, e in enumerate(events)
                                        if isinstance(e, TextDelta))
    (sent,) = server.requests_to(CHAT)
    assert sent.json["stream"] is True
    assert sent.json["tools"][0]["function"]["name"] == "get_current_weather"


def test_a_missing_model_is_not_found_with_lm_studios_message(server: LMStudioServer) -> None:
    events = chat(server, ask("llama-9000-instruct"))

    (error,) = events  # nothing but the error: no Usage, no Done
    assert isinstance(error, Error)
    assert error.kind == "not_found" and not error.retryable
    assert 'Model "llama-9000-instruct" not found. Please specify a valid model.' \
        in error.message
    assert len(server.requests_to(CHAT)) == 1  # a 404 is never retried


@pytest.mark.parametrize("unknown_status", [200, 404])
def test_falls_back_to_v1_models_when_api_v0_is_missing(unknown_status: int) -> None:
    # LM Studio before 0.3.6 has no /api/v0; it answers such a path with
    # {"error": "Unexpected endpoint or method. ..."}, with 200 or with 404.
    with LMStudioServer(native_api=False, unknown_status=unknown_status) as old:
        listed = models_of(provider(old))
        native, = old.requests_to("/api/v0/models")
        assert len(old.requests_to("/v1/models")) == 1
    assert [(m.id, m.loaded, m.quantization) for m in listed] == [
        (model_id, None, None) for model_id in old.model_ids]


def test_other_native_failures_are_not_hidden_by_the_fallback(server: LMStudioServer) -> None:
    server.route("GET", "/api/v0/models", status(401))
    with pytest.raises(ProviderError) as caught:
        models_of(provider(server))
    assert caught.value.kind == "auth"
    assert not server.requests_to("/v1/models")


def test_a_native_answer_in_an_unknown_shape_is_a_protocol_error(
        server: LMStudioServer) -> None:
    server.route("GET", "/api/v0/models", lambda ex: ex.send_json(200, {"error": "busy"}))
    with pytest.raises(ProviderError) as caught:
        models_of(provider(server))
    assert caught.value.kind == "protocol"
    assert not server.requests_to("/v1/models")


def test_native_capabilities_extend_the_type() -> None:
    newer = {"object": "list", "data": [dict(V0_MODELS["data"][1],
                                             capabilities=["tool_use"])]}
    with LMStudioServer(models=newer) as studio:
        (model,) = models_of(provider(studio))
    assert model.capabilities == ["tools"]
