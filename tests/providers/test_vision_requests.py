"""Images in each provider's own request shape, checked against the in-test
Ollama server (``images``: base64 list) and an OpenAI-compatible one
(content parts with data: URLs); the embedded engine leaves them out."""

from __future__ import annotations

import asyncio
import base64

from app.domain import ChatMessage, ChatRequest, ProviderConfig, TextDelta
from app.domain.attachments import ChatImage
from app.providers.embedded import messages_for
from app.providers.openai_compat import OpenAICompatProvider
from tests.providers.fault_server import FaultServer, text_stream
from tests.providers.ollama_helpers import chat, make_provider, ollama_server  # noqa: F401
from tests.providers.ollama_server import OllamaServer
from tests.providers.test_openai_compat_stream import CHAT, OPTIONS

PNG = ChatImage(mime="image/png", data=b"\x89PNG\r\n\x1a\nfake-bytes")


def _request(model: str) -> ChatRequest:
    return ChatRequest(model=model, messages=[
        ChatMessage(role="system", content="look closely"),
        ChatMessage(role="user", content="What is in the picture?", images=[PNG])])


def test_ollama_gets_an_images_list_of_base64(ollama_server: OllamaServer) -> None:  # noqa: F811
    events = chat(make_provider(ollama_server), _request("llava:7b"))
    assert any(isinstance(e, TextDelta) for e in events)
    (body,) = ollama_server.chat_requests()
    system, user = body["messages"]
    assert "images" not in system
    assert user["content"] == "What is in the picture?"
    assert [base64.b64decode(i) for i in user["images"]] == [PNG.data]


def test_ollama_refuses_images_for_a_model_without_vision(ollama_server: OllamaServer  # noqa: F811
                                                          ) -> None:
    events = chat(make_provider(ollama_server, attempts=1), _request("llama3.2:latest"))
    assert events[-1].type == "error"     # why the runner checks before sending


def test_openai_compatible_gets_content_parts_with_data_urls() -> None:
    with FaultServer() as server:
        server.route("POST", CHAT, text_stream(["a cat"]))

        async def go() -> None:
            provider = OpenAICompatProvider(
                ProviderConfig(name="vl", kind="openai", base_url=server.url + "/v1"),
                OPTIONS)
            try:
                [e async for e in provider.stream_chat(_request("qwen-vl"))]
            finally:
                await provider.aclose()

        asyncio.run(asyncio.wait_for(go(), 20))
        (sent,) = server.requests_to(CHAT)
    system, user = sent.json["messages"]
    assert system == {"role": "system", "content": "look closely"}
    text, image = user["content"]
    assert text == {"type": "text", "text": "What is in the picture?"}
    assert image["type"] == "image_url"
    url = image["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == PNG.data


def test_the_embedded_engine_leaves_images_out_of_earlier_turns() -> None:
    for chat_format in (None, "gemma"):
        wire = messages_for(_request("gemma").messages, chat_format)
        assert all(isinstance(m["content"], str) for m in wire)


def test_a_fallback_without_vision_gets_notes_where_the_first_got_images(
        ollama_server: OllamaServer) -> None:  # noqa: F811
    """Per candidate: the vision model that fails first was sent the image; the
    fallback without vision gets the same request with a note instead."""
    from app.core.attachments.agent_vision import VisionGate
    from app.core.fallback import FallbackStream
    from app.core.routing import Candidate
    from app.settings import AppSettings

    config = ProviderConfig(name="local-ollama", kind="ollama",
                            base_url=ollama_server.base_url)
    ollama_server.inject("500")                    # the first request fails
    providers: list = []

    def source(_config: ProviderConfig):
        if not providers:
            providers.append(make_provider(ollama_server, attempts=1))
        return providers[0]

    named = ChatRequest(model="x", messages=[
        ChatMessage(role="user", content="What is in the picture?",
                    images=[PNG.model_copy(update={"name": "cat.png"})])])

    async def go() -> list:
        gate = VisionGate(AppSettings(), [], source)
        stream = FallbackStream([Candidate(config, "llava:7b", "primary"),
                                 Candidate(config, "llama3.2:latest", "fallback 1")],
                                named, source, prepare=gate.prepare)
        try:
            return [e async for e in stream.events()]
        finally:
            await providers[0].aclose()

    events = asyncio.run(asyncio.wait_for(go(), 20))
    assert any(isinstance(e, TextDelta) for e in events)
    first, second = ollama_server.chat_requests()
    assert first["model"] == "llava:7b" and len(first["messages"][0]["images"]) == 1
    assert second["model"] == "llama3.2:latest" and "images" not in second["messages"][0]
    assert second["messages"][0]["content"] == (
        "What is in the picture?\n\n[image omitted: cat.png; this model has no vision]")
