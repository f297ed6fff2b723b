"""OpenAI-compatible chat completions (OpenAI cloud, llama.cpp, vLLM, LM Studio).

``POST {base}/chat/completions`` with SSE streaming is translated into run
events: content -> TextDelta; ``reasoning_content``/``reasoning`` deltas and
``<think>`` blocks inside content -> ThinkingDelta; tool-call argument
fragments -> complete ToolCall events; then exactly one Usage and a Done. Every
expected failure leaves as one Error event. Vendor JSON stays in this module,
openai_wire (the request body) and openai_chunks (the reply chunks), the last
two shared with the embedded engine.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from app.domain import (
    ChatRequest,
    Done,
    Error,
    ModelInfo,
    ProbeResult,
    ProviderConfig,
    RunEvent,
)
from app.domain.generation import GenerationSetting
from app.logs import redact_url
from app.providers import embeddings
from app.providers.base import ChatProvider, ProviderError, ProviderOptions
from app.providers.limits import guard_reply, reply_size_error
from app.providers.sse import sse_data
from app.domain.provider import DEFAULT_BASE_URLS
from app.providers.openai_chunks import ChunkParser
from app.providers.openai_wire import (  # noqa: F401 (generation_settings_for: core)
    generation_settings_for,
    request_body,
    stream_error,
)
from app.providers.transport import HttpTransport

log = logging.getLogger(__name__)

# Headers that carry the product's version. Not ``Server``: it names the HTTP
# server underneath (uvicorn, nginx), not the model server; not
# ``openai-version``: that is the API's date, not a product version.
_VERSION_HEADERS = ("x-server-version", "x-version")
INCOMPLETE = "the stream ended before the reply was complete"
DRAIN_SECONDS = 0.25  # the longest wait for the body's end after [DONE]


class OpenAICompatProvider(ChatProvider):
    """Any server speaking OpenAI's ``/v1`` chat completions."""

    def __init__(self, config: ProviderConfig, options: ProviderOptions | None = None,
                 api_key: str | None = None) -> None:
        super().__init__(config, options)
        self.api_base = self._api_base(config)
        headers: dict[str, str] = {}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self.label = f"{config.name} at {redact_url(self.api_base)}"
        self.transport = HttpTransport(self.api_base, headers=headers, options=self.options,
                                       label=self.label)
        self._build: str | None = None          # llama.cpp's build (see _llamacpp_build)
        self._build_checked = False

    @property
    def generation_settings(self) -> frozenset[GenerationSetting]:
        """The generation settings this server accepts (the rest are not sent)."""
        return generation_settings_for(self.config.kind)

    @staticmethod
    def _api_base(config: ProviderConfig) -> str:
        default = DEFAULT_BASE_URLS.get(config.kind) or DEFAULT_BASE_URLS["openai"]
        return (config.base_url or default).rstrip("/")

    @property
    def metadata_timeout(self) -> float:
        """Model lists and probes are cheap: they get far less than a reply."""
        return 2 * self.options.timeouts.connect

    async def aclose(self) -> None:
        await self.transport.aclose()

    # -- chat ------------------------------------------------------------------
    def stream_chat(self, request: ChatRequest) -> AsyncIterator[RunEvent]:
        return guard_reply(self._events(request), self.options.limits, self.label)

    async def _events(self, request: ChatRequest) -> AsyncIterator[RunEvent]:
        reply = ChunkParser(time.perf_counter(), where=self.label,
                            argument_limit=self.options.limits.tool_argument_bytes)
        body = request_body(request, request.stream, self.generation_settings)
        source = self._stream(body, reply) if request.stream else self._complete(body, reply)
        try:
            async with aclosing(source) as events:
                async for event in events:
                    yield event
                    if event.type == "error":
                        return
        except ProviderError as error:
            if reply.finish is None:
                yield error.to_event()
                return
            # The reply was complete; only the trailing usage chunk was lost.
        yield reply.usage_event()
        yield Done(stop_reason=reply.stop_reason())

    async def _stream(self, body: dict, reply: ChunkParser) -> AsyncIterator[RunEvent]:
        """Events of a streamed reply; ends with an Error or before Usage/Done."""
        saw_done = False
        async with self.transport.stream_lines("POST", "/chat/completions", body) as lines, \
                aclosing(sse_data(lines, self.options.max_line_bytes, self.label)) as payloads:
            async for data in payloads:
                if data == "[DONE]":
                    saw_done = True
                    await _drain(payloads)
                    break
                try:
                    chunk = json.loads(data)
                except ValueError:
                    yield Error(kind="protocol",
                                message=f"{self.label} sent a line that is not JSON")
                    return
                if not isinstance(chunk, dict):
                    yield Error(kind="protocol", message=f"{self.label} sent an unexpected "
                                "stream chunk")
                    return
                if "error" in chunk:
                    yield stream_error(chunk["error"], self.label, reply.first_at is None)
                    return
                for event in reply.feed(chunk):
                    yield event
        if reply.finish is None:
            # Every reply ends with a finish_reason. Without one the server cut
            # the reply short, even when it still sent [DONE] (llama-cpp-python
            # does so when a newer request interrupts the running one).
            why = " (it sent [DONE] without a finish reason)" if saw_done else ""
            yield Error(kind="protocol", message=f"{self.label}: {INCOMPLETE}{why}",
                        retryable=reply.first_at is None)
            return
        for event in reply.complete():
            yield event

    async def _complete(self, body: dict, reply: ChunkParser) -> AsyncIterator[RunEvent]:
        """Events of a non-streamed reply (the same sequence as a stream)."""
        text = await self._whole_body(body)
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            yield Error(kind="protocol", message=f"{self.label} answered with something "
                        "that is not a chat completion")
            return
        if "error" in data:
            yield stream_error(data["error"], self.label, True)
            return
        for event in reply.feed(data):
            yield event
        if reply.finish is None:
            for event in reply.complete():
                yield event
            reply.finish = "stop"

    async def _whole_body(self, body: dict) -> str:
        """A non-streamed reply's body, refused past ``limits.body_bytes``."""
        limits = self.options.limits
        return await self.transport.read_text(
            "POST", "/chat/completions", body, limits.body_bytes,
            lambda: reply_size_error(self.label, limits.reply_bytes))

    # -- embeddings ------------------------------------------------------------
    async def embed(self, model: str, texts: list[str]) -> list[list[float]]:
        """``POST /embeddings`` (llama.cpp's server needs ``--embedding``)."""
        if not texts:
            return []
        data = await self.transport.request_json("POST", "/embeddings",
                                                 embeddings.openai_body(model, texts))
        return embeddings.openai_vectors(data, len(texts), self.label)

    # -- metadata --------------------------------------------------------------
    async def list_models(self) -> list[ModelInfo]:
        data = await self.transport.request_json("GET", "/models",
                                                 timeout=self.metadata_timeout)
        return [self._model_info(item) for item in _model_items(data, self.label)]

    def _model_info(self, item: dict) -> ModelInfo:
        context = item.get("max_model_len") or item.get("context_length")
        return ModelInfo(provider=self.config.name, id=str(item["id"]),
                         display_name=str(item["id"]),
                         context_length=context if isinstance(context, int) else None)

    async def probe(self) -> ProbeResult:
        data, headers = await self.transport.request_json_with_headers(
            "GET", "/models", timeout=self.metadata_timeout)
        version = next((headers[h] for h in _VERSION_HEADERS if headers.get(h)), None)
        if version is None and self.config.kind == "llamacpp":
            version = await self._llamacpp_build()
        return ProbeResult(version=version, model_count=len(_model_items(data, self.label)),
                           auth_ok=True)

    async def _llamacpp_build(self) -> str | None:
        """llama.cpp's own server names its build in ``/props`` (``build_info``,
        e.g. "b5092-d3bd7193"); other servers (llama-cpp-python) have no such
        page and no version to show. Asked once per provider object."""
        if self._build_checked:
            return self._build
        self._build_checked = True
        root = self.transport.base_url.removesuffix("/v1")
        try:
            props = await self.transport.request_json("GET", f"{root}/props",
                                                      timeout=self.metadata_timeout)
        except ProviderError as exc:
            log.debug("%s: no llama.cpp /props (%s)", self.label, exc.kind)
            return None
        build = props.get("build_info") if isinstance(props, dict) else None
        self._build = str(build)[:80] if isinstance(build, str | int) and build else None
        return self._build


async def _drain(payloads: AsyncIterator[str]) -> None:
    """Read the end of the body after ``[DONE]`` (it follows at once), so the
    connection goes back to the pool: closing a half-read response discards
    it, and the next request would pay a new TCP (and TLS) handshake."""
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            async for _ in payloads:
                pass  # nothing may follow [DONE]; whatever does is ignored
    except (TimeoutError, ProviderError):
        return  # the connection is simply not reused


def _model_items(data: Any, where: str) -> list[dict]:
    """The ``data`` list of an OpenAI model list, checked."""
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ProviderError("protocol", f"{where} sent a model list in an unknown format")
    return [item for item in items if isinstance(item, dict) and item.get("id")]
