"""Embeddings from each protocol: the real llama.cpp server's ``/v1/embeddings``
(Gemma 3 270M, started with ``--embedding``), Ollama's ``/api/embed`` (the
in-test server speaking its documented shape) and the embedded engine."""

from __future__ import annotations

import asyncio
import math

import pytest

from app.domain import ProviderConfig
from app.providers.base import ProviderError
from app.providers.embeddings import checked_vectors
from app.providers.openai_compat import OpenAICompatProvider
from tests.providers.ollama_helpers import make_provider, ollama_server  # noqa: F401
from tests.providers.ollama_server import EMBED_DIMENSIONS, OllamaServer


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def test_llama_server_embeds_a_batch_one_vector_per_text(llama_embedding_server) -> None:
    provider = OpenAICompatProvider(ProviderConfig(
        name="llama", kind="llamacpp", base_url=llama_embedding_server.base_url))

    async def scenario() -> list[list[float]]:
        try:
            return await provider.embed(llama_embedding_server.model, [
                "The cat sat on the mat.", "A cat was sitting on a mat.",
                "Quarterly revenue rose by four percent."])
        finally:
            await provider.aclose()

    vectors = asyncio.run(scenario())
    assert len(vectors) == 3 and len({len(v) for v in vectors}) == 1
    assert len(vectors[0]) == 640          # Gemma 3 270M's width
    # the same text embeds the same way; different texts differently
    assert vectors[0] != vectors[2]


def test_llama_server_chats_while_serving_embeddings(llama_embedding_server) -> None:
    from app.domain import ChatMessage, ChatRequest, Done

    provider = OpenAICompatProvider(ProviderConfig(
        name="llama", kind="llamacpp", base_url=llama_embedding_server.base_url))
    request = ChatRequest(model=llama_embedding_server.model, max_tokens=4, temperature=0,
                          messages=[ChatMessage(role="user", content="Hi")])

    async def scenario() -> list:
        try:
            return [e async for e in provider.stream_chat(request)]
        finally:
            await provider.aclose()

    assert isinstance(asyncio.run(scenario())[-1], Done)


def test_ollama_embed_sends_every_text_at_once(ollama_server: OllamaServer) -> None:  # noqa: F811
    provider = make_provider(ollama_server)

    async def scenario() -> list[list[float]]:
        try:
            return await provider.embed("nomic-embed-text:latest",
                                        ["red apples", "red apples", "blue sky"])
        finally:
            await provider.aclose()

    vectors = asyncio.run(scenario())
    assert [len(v) for v in vectors] == [EMBED_DIMENSIONS] * 3
    assert _cosine(vectors[0], vectors[1]) == pytest.approx(1.0)
    sent = [r.body for r in ollama_server.requests if r.path == "/api/embed"]
    assert sent == [{"model": "nomic-embed-text:latest",
                     "input": ["red apples", "red apples", "blue sky"], "truncate": True}]


def test_ollama_unknown_embedding_model_is_not_found(ollama_server: OllamaServer) -> None:  # noqa: F811
    provider = make_provider(ollama_server)

    async def scenario() -> None:
        try:
            await provider.embed("no-such-model", ["x"])
        finally:
            await provider.aclose()

    with pytest.raises(ProviderError) as caught:
        asyncio.run(scenario())
    assert caught.value.kind == "not_found"


@pytest.mark.parametrize("answer", [
    [[1.0, 2.0]],                           # one vector for two texts
    [[1.0, "x"], [1.0, 2.0]],               # not numbers
    [[1.0, 2.0], [1.0, 2.0, 3.0]],          # different sizes
    [[float("nan"), 1.0], [1.0, 2.0]],      # not finite
])
def test_bad_embedding_answers_are_protocol_errors(answer: list) -> None:
    with pytest.raises(ProviderError) as caught:
        checked_vectors(answer, 2, "server")
    assert caught.value.kind == "protocol"


def test_token_vectors_are_mean_pooled() -> None:
    assert checked_vectors([[[1.0, 3.0], [3.0, 5.0]]], 1, "server") == [[2.0, 4.0]]


def test_embedded_engine_embeds_with_mean_pooling() -> None:
    pytest.importorskip("llama_cpp", reason="the local extra is not installed")
    from app.providers.embedded import EmbeddedProvider
    from app.providers.embedded_embed import close_all
    from tests.support.llama_server import gemma_model_path

    provider = EmbeddedProvider(ProviderConfig(name="e", kind="embedded",
                                               model_path=str(gemma_model_path())))
    try:
        vectors = asyncio.run(provider.embed("gemma", ["hello there", "hello there",
                                                       "tax forms"]))
    finally:
        close_all()
    assert [len(v) for v in vectors] == [640] * 3
    assert _cosine(vectors[0], vectors[1]) == pytest.approx(1.0, abs=1e-5)
    assert _cosine(vectors[0], vectors[2]) < 0.999
