"""Generation settings against the REAL engines (Gemma 3 270M): llama.cpp's
server (fixture ``llama_server``) and the embedded engine accept them, and
they act — a fixed seed at a temperature above 0 gives the same reply twice,
a stop sequence cuts the reply where the text would go on, and an agent's
context length is the embedded engine's ``n_ctx``.

Seen here: llama.cpp reuses the evaluated prompt of the previous request;
when the whole prompt is reused, only its last token is evaluated again, and
those logits differ slightly from a full evaluation, so even the same seed
samples another reply. A seeded reply repeats when the prompt is evaluated
the same way, so another prompt is asked in between.

The model is tiny: the assertions compare replies with each other, never
with wording.
"""

from __future__ import annotations

import asyncio

from app.domain import ChatMessage, ChatRequest, Done, Error, ProviderConfig, TextDelta
from app.providers.embedded_engine import DEFAULT_N_CTX
from app.providers.openai_compat import OpenAICompatProvider
from tests.providers.embedded_helpers import collect, provider_for
from tests.support.llama_server import gemma_model_path

PROMPT = "Tell me about the sea."
OTHER = "Name a colour."


def ask(model: str, prompt: str = PROMPT, **fields) -> ChatRequest:
    fields.setdefault("max_tokens", 24)
    fields.setdefault("temperature", 1.0)
    return ChatRequest(model=model, messages=[ChatMessage(role="user", content=prompt)],
                       **fields)


def seeded_sequence(model: str, settings: dict, stop: str | None = None) -> list[ChatRequest]:
    """The seeded prompt, another one, the seeded prompt again (see above)."""
    extra = {"stop": [stop]} if stop else {}
    return [ask(model, **settings, **extra), ask(model, OTHER, max_tokens=4)]


def text_of(events: list) -> str:
    assert not any(isinstance(e, Error) for e in events), events
    assert isinstance(events[-1], Done)
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def server_replies(server, *requests: ChatRequest) -> list[str]:
    async def go() -> list[str]:
        provider = OpenAICompatProvider(ProviderConfig(name="llama", kind="llamacpp",
                                                       base_url=server.base_url))
        try:
            return [text_of([e async for e in provider.stream_chat(r)]) for r in requests]
        finally:
            await provider.aclose()

    return asyncio.run(asyncio.wait_for(go(), 240))


def cut_point(reply: str) -> str:
    """A piece from the middle of ``reply`` to use as a stop sequence."""
    words = reply.split()
    assert len(words) >= 4, reply
    return words[len(words) // 2]


def test_llama_server_repeats_a_seeded_reply_and_honours_the_other_settings(
        llama_server) -> None:
    model = llama_server.model
    settings = {"seed": 4242, "top_p": 0.95, "repeat_penalty": 1.1}
    first, _, second, _ = server_replies(
        llama_server, *seeded_sequence(model, settings), *seeded_sequence(model, settings))
    assert first and first == second

    stop = cut_point(first)
    stopped, _ = server_replies(llama_server, *seeded_sequence(model, settings, stop))
    assert stopped == first[:first.index(stop)]


def test_embedded_engine_repeats_a_seeded_reply_and_stops_at_a_stop_sequence() -> None:
    provider = provider_for(gemma_model_path())
    settings = {"seed": 99, "top_p": 0.9, "repeat_penalty": 1.2}

    async def replies(requests: list[ChatRequest]) -> list[str]:
        return [text_of(await collect(provider, r)) for r in requests]

    async def go() -> list[str]:
        try:
            first, _ = await replies(seeded_sequence("gemma", settings))
            second, _ = await replies(seeded_sequence("gemma", settings))
            stop = cut_point(first)
            stopped, _ = await replies(seeded_sequence("gemma", settings, stop))
            return [first, second, stop, stopped]
        finally:
            await provider.aclose()

    first, second, stop, stopped = asyncio.run(asyncio.wait_for(go(), 240))
    assert first and first == second
    assert stopped == first[:first.index(stop)]


def test_embedded_context_length_is_the_engines_context_size() -> None:
    provider = provider_for(gemma_model_path())

    async def go() -> list[int]:
        sizes = []
        try:
            for length in (512, None, 1024):
                text_of(await collect(provider, ask("gemma", max_tokens=4,
                                                    context_length=length)))
                sizes.append(provider.engine.n_ctx)
                sizes.append(provider.engine.llama.n_ctx())
        finally:
            await provider.aclose()
        return sizes

    sizes = asyncio.run(asyncio.wait_for(go(), 240))
    assert sizes == [512, 512, DEFAULT_N_CTX, DEFAULT_N_CTX, 1024, 1024]
