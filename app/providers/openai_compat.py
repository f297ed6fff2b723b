"""OpenAI-compatible chat completions (OpenAI cloud, llama.cpp, vLLM, LM Studio).

``POST {base}/chat/completions`` with SSE streaming is translated into run
events: content -> TextDelta; ``reasoning_content``/``reasoning`` deltas and
``<think>`` blocks inside content -> ThinkingDelta; tool-call argument
fragments -> complete ToolCall events; then exactly one Usage and a Done. Every
expected failure leaves as one Error event. Vendor JSON stays in this module.
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
    ChatMessage,
    ChatRequest,
    Done,
    Error,
    ModelInfo,
    ProbeResult,
    ProviderConfig,
    RunEvent,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    Usage,
)
from app.domain.events import ErrorKind, StopReason
from app.domain.generation import GenerationSetting
from app.providers.base import ChatProvider, ProviderError, ProviderOptions
from app.providers.sampling import sampling_fields
from app.providers.sse import sse_data
from app.domain.provider import DEFAULT_BASE_URLS
from app.providers.transport import HttpTransport

log = logging.getLogger(__name__)

_STOP_REASONS: dict[str, StopReason] = {"stop": "stop", "length": "length",
                                        "tool_calls": "tool_calls",
                                        "function_call": "tool_calls"}
# Headers that carry the product's version. Not ``Server``: it names the HTTP
# server underneath (uvicorn, nginx), not the model server; not
# ``openai-version``: that is the API's date, not a product version.
_VERSION_HEADERS = ("x-server-version", "x-version")
INCOMPLETE = "the stream ended before the reply was complete"
DRAIN_SECONDS = 0.25  # the longest wait for the body's end after [DONE]
# Generation settings sent, each in its documented body field. OpenAI (and an
# unknown OpenAI-compatible server): top_p, seed, stop. llama-cpp-python's
# server also takes repeat_penalty. No context length per request on either.
OPENAI_GENERATION: frozenset[GenerationSetting] = frozenset({"top_p", "seed", "stop"})
LLAMACPP_GENERATION: frozenset[GenerationSetting] = OPENAI_GENERATION | {"repeat_penalty"}


def generation_settings_for(kind: str) -> frozenset[GenerationSetting]:
    """What an OpenAI-compatible provider of ``kind`` accepts."""
    return LLAMACPP_GENERATION if kind == "llamacpp" else OPENAI_GENERATION


class ThinkSplitter:
    """Splits content into text and ``<think>…</think>`` reasoning, even when
    a tag is split across chunks (a possible partial tag is held back)."""

    OPEN, CLOSE = "<think>", "</think>"

    def __init__(self) -> None:
        self.inside = False
        self._pending = ""

    def feed(self, text: str) -> list[RunEvent]:
        if not self._pending and not self.inside and "<" not in text:
            return [TextDelta(text=text)]  # the hot path: plain text
        text = self._pending + text
        self._pending = ""
        out: list[RunEvent] = []
        while text:
            tag = self.CLOSE if self.inside else self.OPEN
            at = text.find(tag)
            if at >= 0:
                if at:
                    out.append(self._event(text[:at]))
                self.inside = not self.inside
                text = text[at + len(tag):]
                continue
            start = text.rfind("<", max(0, len(text) - len(tag) + 1))
            if start >= 0 and tag.startswith(text[start:]):
                self._pending, text = text[start:], text[:start]
            if text:
                out.append(self._event(text))
            break
        return out

    def flush(self) -> list[RunEvent]:
        """What is held back, at the end of the reply."""
        pending, self._pending = self._pending, ""
        return [self._event(pending)] if pending else []

    def _event(self, text: str) -> RunEvent:
        return ThinkingDelta(text=text) if self.inside else TextDelta(text=text)


class ToolCallAssembler:
    """Collects tool-call fragments per ``index`` into complete calls."""

    def __init__(self) -> None:
        self._calls: dict[int, dict[str, Any]] = {}

    def add(self, fragments: list[dict]) -> None:
        for position, fragment in enumerate(fragments):
            if not isinstance(fragment, dict):
                continue
            index = fragment.get("index", position)
            call = self._calls.setdefault(index, {"id": None, "name": "", "args": []})
            if fragment.get("id"):
                call["id"] = fragment["id"]
            function = fragment.get("function") or {}
            name = function.get("name")
            if name and name != call["name"]:
                # OpenAI sends the name once; llama.cpp repeats it in every
                # fragment; a few servers split it. Append only new parts.
                call["name"] += name
            arguments = function.get("arguments")
            if isinstance(arguments, str):
                call["args"].append(arguments)
            elif arguments is not None:  # some servers send the object itself
                call["args"].append(json.dumps(arguments))

    def take(self) -> list[ToolCall]:
        """The complete calls in index order (each only once)."""
        calls = [make_tool_call(c["id"], c["name"], "".join(c["args"]), i)
                 for i, c in sorted(self._calls.items())]
        self._calls.clear()
        return calls


def make_tool_call(call_id: str | None, name: str, raw_arguments: str, index: int) -> ToolCall:
    """Arguments as a JSON object, or the raw string when the model wrote
    something else (a real bad input from small models)."""
    arguments: dict | str = raw_arguments
    if not raw_arguments.strip():
        arguments = {}
    else:
        try:
            parsed = json.loads(raw_arguments)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            arguments = parsed
    return ToolCall(call_id=call_id or f"call_{index}", name=name, arguments=arguments)


def stream_error(error: Any, where: str, before_tokens: bool) -> Error:
    """An ``{"error": …}`` object sent by the server as an Error event."""
    if isinstance(error, dict):
        message = str(error.get("message") or json.dumps(error))
        code = error.get("code")
        hint = f"{code} {error.get('type')} {message}".lower()
    else:
        message, code, hint = str(error), None, str(error).lower()
    kind: ErrorKind = "server"
    if code == 429 or "rate_limit" in hint or "rate limit" in hint:
        kind = "rate_limited"
    elif "context_length" in hint or "context window" in hint or "maximum context" in hint:
        kind = "context_length"
    elif code in (401, 403) or "invalid_api_key" in hint or "authentication" in hint:
        kind = "auth"
    elif code == 404 or "not_found" in hint or "does not exist" in hint:
        kind = "not_found"
    return Error(kind=kind, message=f"{where} reported an error: {message[:500]}",
                 retryable=before_tokens and kind in ("rate_limited", "server"))


def message_to_wire(message: ChatMessage) -> dict[str, Any]:
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id or "",
                "content": message.content}
    wire: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.role == "assistant" and message.tool_calls:
        # A string, never null: OpenAI accepts "", and llama-cpp-python rejects null.
        wire["content"] = message.content
        wire["tool_calls"] = [
            {"id": call.call_id, "type": "function",
             "function": {"name": call.name,
                          "arguments": call.arguments if isinstance(call.arguments, str)
                          else json.dumps(call.arguments)}}
            for call in message.tool_calls]
    return wire


def request_body(request: ChatRequest, stream: bool,
                 generation: frozenset[GenerationSetting] = OPENAI_GENERATION,
                 ) -> dict[str, Any]:
    body: dict[str, Any] = {"model": request.model,
                            "messages": [message_to_wire(m) for m in request.messages],
                            "stream": stream}
    if stream:
        body["stream_options"] = {"include_usage": True}
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.max_tokens is not None:
        body["max_tokens"] = request.max_tokens
    body.update(sampling_fields(request, generation))
    if request.tools:
        body["tools"] = [{"type": "function",
                          "function": {"name": t.name, "description": t.description,
                                       "parameters": t.parameters}} for t in request.tools]
        choice = request.tool_choice
        if choice in ("auto", "none", "required"):
            body["tool_choice"] = choice
        elif choice:
            body["tool_choice"] = {"type": "function", "function": {"name": choice}}
    return body


class _Reply:
    """One reply's state while its chunks arrive: timing, finish, usage."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.first_at: float | None = None
        self.chunks = 0
        self.finish: str | None = None
        self.usage: dict | None = None
        self.think = ThinkSplitter()
        self.tools = ToolCallAssembler()
        self.called_tools = False

    def on_choice(self, choice: dict) -> list[RunEvent]:
        """Events for one choice of one chunk (``delta``) or of a whole reply
        (``message``)."""
        delta = choice.get("delta") or choice.get("message") or {}
        out: list[RunEvent] = []
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if reasoning and isinstance(reasoning, str):
            out.append(ThinkingDelta(text=reasoning))
        content = delta.get("content")
        if content and isinstance(content, str):
            out += self.think.feed(content)
        tool_calls = delta.get("tool_calls")
        if not tool_calls and isinstance(delta.get("function_call"), dict):
            tool_calls = [{"index": 0, "function": delta["function_call"]}]  # legacy shape
        if tool_calls:
            self.tools.add(tool_calls)
        if out or tool_calls:
            self.chunks += 1
            if self.first_at is None:
                self.first_at = time.perf_counter()
        finish = choice.get("finish_reason")
        if finish:
            self.finish = finish
            out += self.complete()
        return out

    def complete(self) -> list[RunEvent]:
        """Held-back text and the assembled tool calls (once)."""
        out: list[RunEvent] = self.think.flush()
        calls = self.tools.take()
        self.called_tools = self.called_tools or bool(calls)
        return out + calls

    def usage_event(self) -> Usage:
        ended = time.perf_counter()
        usage = self.usage or {}
        completion = usage.get("completion_tokens")
        if not isinstance(completion, int):
            completion = self.chunks or None
        ttft = (self.first_at - self.started) * 1000 if self.first_at is not None else None
        rate = None
        if completion and self.first_at is not None and self.chunks > 1 \
                and ended > self.first_at:
            # Streamed: the tokens after the first arrived since the first.
            rate = (completion - 1) / (ended - self.first_at)
        elif completion:
            rate = completion / max(ended - self.started, 1e-6)
        prompt = usage.get("prompt_tokens")
        return Usage(prompt_tokens=prompt if isinstance(prompt, int) else None,
                     completion_tokens=completion, ttft_ms=ttft, tokens_per_s=rate)

    def stop_reason(self) -> StopReason:
        reason = _STOP_REASONS.get(self.finish or "stop", "stop")
        return "tool_calls" if self.called_tools and reason == "stop" else reason


class OpenAICompatProvider(ChatProvider):
    """Any server speaking OpenAI's ``/v1`` chat completions."""

    def __init__(self, config: ProviderConfig, options: ProviderOptions | None = None,
                 api_key: str | None = None) -> None:
        super().__init__(config, options)
        self.api_base = self._api_base(config)
        headers: dict[str, str] = {}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self.label = f"{config.name} at {self.api_base}"
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
    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[RunEvent]:
        reply = _Reply(time.perf_counter())
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

    async def _stream(self, body: dict, reply: _Reply) -> AsyncIterator[RunEvent]:
        """Events of a streamed reply; ends with an Error or before Usage/Done."""
        saw_done = False
        async with self.transport.stream_lines("POST", "/chat/completions", body) as lines, \
                aclosing(sse_data(lines)) as payloads:
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
                if chunk.get("usage"):
                    reply.usage = chunk["usage"]
                for choice in chunk.get("choices") or ():
                    for event in reply.on_choice(choice):
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

    async def _complete(self, body: dict, reply: _Reply) -> AsyncIterator[RunEvent]:
        """Events of a non-streamed reply (the same sequence as a stream)."""
        async with self.transport.stream_lines("POST", "/chat/completions", body) as lines:
            text = "\n".join([line async for line in lines])
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
        reply.usage = data.get("usage") if isinstance(data.get("usage"), dict) else None
        for choice in (data.get("choices") or [])[:1]:
            for event in reply.on_choice(choice):
                yield event
        if reply.finish is None:
            for event in reply.complete():
                yield event
            reply.finish = "stop"

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
