"""Ollama's native API: ``/api/chat`` (NDJSON), ``/api/tags``, ``/api/show``,
``/api/ps`` and ``/api/version``.

Wire format as documented by Ollama (docs/api.md, docs.ollama.com/api):
(the reply is read in ollama_reply.py, model listings in ollama_models.py)
- a stream is one JSON object per line; the last has ``"done": true`` with
  ``done_reason``, ``prompt_eval_count``, ``eval_count`` and ``eval_duration``
  (nanoseconds);
- ``message.tool_calls`` arrive whole, as objects whose
  ``function.arguments`` is a JSON object (not a string); ``done_reason``
  stays ``"stop"`` when the model calls tools;
- ``message.thinking`` carries a thinking model's reasoning (newer Ollama);
- errors are ``{"error": "..."}`` with a status code before the stream
  starts, or as one such line in the middle of a 200 stream;
- a tool result goes back as ``{"role": "tool", "tool_name": ..., "content": ...}``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from app.domain import (
    ChatMessage,
    ChatRequest,
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
from app.providers.ollama_models import models_of, model_info
from app.providers.ollama_reply import ReplyReader, parse_line
from app.providers.sampling import ALL_SETTINGS, sampling_fields
from app.providers.transport import HttpTransport

DEFAULT_BASE_URL = "http://127.0.0.1:11434"
SHOW_CONCURRENCY = 4  # /api/show requests in flight at once during discovery
METADATA_TIMEOUT = 30.0  # seconds; discovery must not wait a model-load long


def native_base_url(url: str) -> str:
    """The server root: users often paste the OpenAI-compatible ``/v1`` or
    the ``/api`` URL, while the native endpoints hang off the root."""
    url = (url or DEFAULT_BASE_URL).rstrip("/")
    for suffix in ("/v1", "/api"):
        if url.endswith(suffix):
            return url[: -len(suffix)]
    return url


class OllamaProvider(ChatProvider):
    """One Ollama server."""

    def __init__(self, config: ProviderConfig, options: ProviderOptions | None = None,
                 api_key: str | None = None) -> None:
        super().__init__(config, options)
        self.base_url = native_base_url(config.base_url)
        # Ollama itself needs no key; one is sent for servers behind a proxy
        # (or ollama.com), which expect a bearer token.
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._api_key = api_key
        self._http = HttpTransport(self.base_url, headers=headers, options=self.options,
                                   label=f"Ollama at {redact_url(self.base_url)}")

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- chat ------------------------------------------------------------------
    def stream_chat(self, request: ChatRequest) -> AsyncIterator[RunEvent]:
        return guard_reply(self._events(request), self.options.limits, self._http.label)

    async def _events(self, request: ChatRequest) -> AsyncIterator[RunEvent]:
        body = chat_body(request)
        limits = self.options.limits
        reader = ReplyReader(where=self._http.label, started=time.perf_counter(),
                              argument_limit=limits.tool_argument_bytes)
        try:
            if request.stream:
                async with self._http.stream_lines("POST", "/api/chat", body) as lines:
                    async for line in lines:
                        if not line.strip():
                            continue
                        for event in reader.feed(parse_line(line, self._http.label)):
                            yield event
                        if reader.finished:
                            break
            else:
                text = await self._http.read_text(
                    "POST", "/api/chat", body, limits.body_bytes,
                    lambda: reply_size_error(self._http.label, limits.reply_bytes))
                for event in reader.feed(parse_line(text, self._http.label)):
                    yield event
            if not reader.finished:
                raise ProviderError("protocol", f"{self._http.label} ended the reply "
                                    "before saying it was done")
        except ProviderError as error:
            if reader.started_reply:
                # Tokens have been shown: a retry elsewhere would repeat them.
                error.retryable = False
            yield error.to_event()

    # -- embeddings ------------------------------------------------------------
    async def embed(self, model: str, texts: list[str]) -> list[list[float]]:
        """``POST /api/embed`` with every text at once."""
        if not texts:
            return []
        data = await self._http.request_json("POST", "/api/embed",
                                             embeddings.ollama_body(model, texts))
        return embeddings.ollama_vectors(data, len(texts), self._http.label)

    # -- discovery -------------------------------------------------------------
    async def list_models(self) -> list[ModelInfo]:
        timeout = self._metadata_timeout()
        tags = await self._http.request_json("GET", "/api/tags", timeout=timeout)
        entries = [m for m in models_of(tags) if m.get("name") or m.get("model")]
        loaded = await self._loaded_names(timeout)
        limiter = asyncio.Semaphore(SHOW_CONCURRENCY)

        async def describe(entry: dict[str, Any]) -> ModelInfo:
            name = str(entry.get("name") or entry.get("model"))
            async with limiter:
                show = await self._show(name, timeout)
            return model_info(self.name, entry, show, loaded)

        return list(await asyncio.gather(*(describe(e) for e in entries)))

    async def probe(self) -> ProbeResult:
        timeout = self._metadata_timeout()
        version = await self._http.request_json("GET", "/api/version", timeout=timeout)
        tags = await self._http.request_json("GET", "/api/tags", timeout=timeout)
        return ProbeResult(
            version=str(version.get("version")) if isinstance(version, dict) else None,
            model_count=len(models_of(tags)),
            auth_ok=True if self._api_key else None,
        )

    def _metadata_timeout(self) -> float:
        return min(self.options.timeouts.first_byte, METADATA_TIMEOUT)

    async def _loaded_names(self, timeout: float) -> set[str] | None:
        """Names of models in memory, or None when this Ollama cannot say
        (``/api/ps`` arrived in 0.1.38)."""
        try:
            ps = await self._http.request_json("GET", "/api/ps", timeout=timeout)
        except ProviderError:
            return None
        names: set[str] = set()
        for entry in models_of(ps):
            names.update(str(entry[k]) for k in ("name", "model") if entry.get(k))
        return names

    async def _show(self, name: str, timeout: float) -> dict[str, Any]:
        """``/api/show`` for one model; empty when it fails, so one broken
        model never hides the others."""
        try:
            data = await self._http.request_json("POST", "/api/show", {"model": name},
                                                 timeout=timeout)
        except ProviderError:
            return {}
        return data if isinstance(data, dict) else {}


# -- request ---------------------------------------------------------------------
# Generation settings Ollama takes in ``options`` (the Modelfile parameters):
# top_p, repeat_penalty, seed, stop, and the context length as ``num_ctx``.
GENERATION_SETTINGS: frozenset[GenerationSetting] = ALL_SETTINGS


def chat_body(request: ChatRequest) -> dict[str, Any]:
    """The ``/api/chat`` request body for ``request``."""
    body: dict[str, Any] = {
        "model": request.model,
        "messages": wire_messages(request.messages),
        "stream": request.stream,
    }
    # Ollama's native API has no tool_choice; "none" is honoured by not
    # offering the tools at all.
    if request.tools and request.tool_choice != "none":
        body["tools"] = [
            {"type": "function",
             "function": {"name": t.name, "description": t.description,
                          "parameters": t.parameters}}
            for t in request.tools
        ]
    options: dict[str, Any] = {}
    if request.temperature is not None:
        options["temperature"] = request.temperature
    if request.max_tokens is not None:
        options["num_predict"] = request.max_tokens
    if request.context_length is not None:
        options["num_ctx"] = request.context_length
    options.update(sampling_fields(request, GENERATION_SETTINGS))
    if options:
        body["options"] = options
    return body


def wire_messages(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """Our messages in Ollama's shape: tool calls as objects with object
    arguments, tool results named by ``tool_name``."""
    names_by_call: dict[str, str] = {}
    wire: list[dict[str, Any]] = []
    for message in messages:
        item: dict[str, Any] = {"role": message.role, "content": message.content}
        if message.images:
            item["images"] = [image.base64 for image in message.images]
        if message.role == "assistant" and message.tool_calls:
            item["tool_calls"] = []
            for call in message.tool_calls:
                names_by_call[call.call_id] = call.name
                item["tool_calls"].append(
                    {"function": {"name": call.name,
                                  "arguments": _object_arguments(call.arguments)}})
        if message.role == "tool":
            name = message.name or names_by_call.get(message.tool_call_id or "")
            if name:
                item["tool_name"] = name
        wire.append(item)
    return wire


def _object_arguments(arguments: dict[str, Any] | str) -> dict[str, Any]:
    """Ollama rejects string arguments. A string that is not a JSON object
    (a model's broken output, kept for the record) is passed as ``raw``."""
    if isinstance(arguments, dict):
        return arguments
    try:
        parsed = json.loads(arguments)
    except ValueError:
        return {"raw": arguments}
    return parsed if isinstance(parsed, dict) else {"raw": arguments}
