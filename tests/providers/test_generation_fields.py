"""Each provider sends the generation settings it supports — each in its own
documented field — and nothing else, captured by the in-test servers:
OpenAI (top_p, seed, stop), llama.cpp's server (also repeat_penalty),
LM Studio (top_p, repeat_penalty, seed, stop), Ollama (``options``: top_p,
repeat_penalty, num_ctx, seed, stop) and the embedded engine
(``create_chat_completion`` arguments)."""

from __future__ import annotations

import asyncio

import pytest

from app.domain import ChatMessage, ChatRequest, ProviderConfig
from app.providers.embedded import chat_kwargs
from app.providers.lmstudio import LMStudioProvider
from app.providers.openai_compat import OpenAICompatProvider
from tests.providers.fault_server import FaultServer, text_stream
from tests.providers.lmstudio_server import LMStudioServer
from tests.providers.ollama_helpers import chat as ollama_chat
from tests.providers.ollama_helpers import make_provider, ollama_server  # noqa: F401
from tests.providers.ollama_server import OllamaServer

CHAT = "/v1/chat/completions"
# Settings no wire format spells this way: must never appear in a body.
FOREIGN = {"context_length", "num_ctx", "n_ctx", "repetition_penalty", "generation"}
BASE_FIELDS = {"model", "messages", "stream", "stream_options", "temperature", "max_tokens"}


def full_request(model: str = "m") -> ChatRequest:
    return ChatRequest(model=model, messages=[ChatMessage(role="user", content="hi")],
                       temperature=0.8, max_tokens=32, top_p=0.9, repeat_penalty=1.3,
                       context_length=4096, seed=77, stop=["END", "\n\n"])


def plain_request(model: str = "m") -> ChatRequest:
    return ChatRequest(model=model, messages=[ChatMessage(role="user", content="hi")],
                       temperature=0.8, max_tokens=32)


def run(provider, request: ChatRequest) -> list:
    async def go() -> list:
        try:
            return [e async for e in provider.stream_chat(request)]
        finally:
            await provider.aclose()

    return asyncio.run(asyncio.wait_for(go(), 20))


def compat_body(kind: str, request: ChatRequest) -> dict:
    with FaultServer() as server:
        server.route("POST", CHAT, text_stream(["ok"]))
        provider = OpenAICompatProvider(
            ProviderConfig(name="compat", kind=kind, base_url=server.url + "/v1"))
        run(provider, request)
        (sent,) = server.requests_to(CHAT)
        return sent.json


def test_openai_cloud_gets_top_p_seed_and_stop_only() -> None:
    body = compat_body("openai", full_request())
    assert set(body) == BASE_FIELDS | {"top_p", "seed", "stop"}
    assert (body["top_p"], body["seed"], body["stop"]) == (0.9, 77, ["END", "\n\n"])
    assert not FOREIGN & set(body) and "repeat_penalty" not in body


def test_llama_cpp_server_also_gets_repeat_penalty() -> None:
    body = compat_body("llamacpp", full_request())
    assert set(body) == BASE_FIELDS | {"top_p", "seed", "stop", "repeat_penalty"}
    assert body["repeat_penalty"] == 1.3
    assert not FOREIGN & set(body)


@pytest.mark.parametrize("kind", ["openai", "llamacpp"])
def test_unset_settings_are_not_sent(kind: str) -> None:
    assert set(compat_body(kind, plain_request())) == BASE_FIELDS


def test_lm_studio_gets_its_documented_fields() -> None:
    with LMStudioServer() as server:
        model = server.model_ids[0]
        provider = LMStudioProvider(ProviderConfig(name="studio", kind="lmstudio",
                                                   base_url=server.url + "/v1"))
        run(provider, full_request(model))
        run(LMStudioProvider(ProviderConfig(name="studio", kind="lmstudio",
                                            base_url=server.url + "/v1")),
            plain_request(model))
        full, plain = (r.json for r in server.requests_to(CHAT))
    assert set(full) == BASE_FIELDS | {"top_p", "repeat_penalty", "seed", "stop"}
    assert (full["top_p"], full["repeat_penalty"], full["seed"], full["stop"]) == \
        (0.9, 1.3, 77, ["END", "\n\n"])
    assert set(plain) == BASE_FIELDS


def test_ollama_gets_every_setting_in_options(ollama_server: OllamaServer) -> None:  # noqa: F811
    ollama_chat(make_provider(ollama_server), full_request("llama3.2:latest"))
    ollama_chat(make_provider(ollama_server), plain_request("llama3.2:latest"))
    full, plain = ollama_server.chat_requests()
    assert full["options"] == {"temperature": 0.8, "num_predict": 32, "top_p": 0.9,
                               "repeat_penalty": 1.3, "num_ctx": 4096, "seed": 77,
                               "stop": ["END", "\n\n"]}
    assert set(full) == {"model", "messages", "stream", "options"}
    assert plain["options"] == {"temperature": 0.8, "num_predict": 32}


def test_embedded_engine_gets_them_as_create_chat_completion_arguments() -> None:
    kwargs = chat_kwargs(full_request(), "gemma")
    assert {k: kwargs[k] for k in ("top_p", "repeat_penalty", "seed", "stop")} == \
        {"top_p": 0.9, "repeat_penalty": 1.3, "seed": 77, "stop": ["END", "\n\n"]}
    assert not FOREIGN & set(kwargs)  # the context length is the engine's n_ctx
    plain = chat_kwargs(plain_request(), "gemma")
    assert not {"top_p", "repeat_penalty", "stop"} & set(plain)
