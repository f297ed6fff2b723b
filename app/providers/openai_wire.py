"""The OpenAI chat-completions wire format, both ways: messages and the request
body out; chunks in, as run events (``<think>`` splitting, tool-call fragments
assembled, usage and stop reason, ``{"error": …}`` objects). Shared by the HTTP
provider (openai_compat) and the embedded engine, whose llama-cpp-python API
speaks the same shapes. Vendor JSON stays in app/providers.
"""

from __future__ import annotations

import json
import time
from typing import Any

from app.domain import (
    ChatMessage,
    ChatRequest,
    Error,
    RunEvent,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    Usage,
)
from app.domain.events import ErrorKind, StopReason
from app.domain.generation import GenerationSetting
from app.providers.sampling import sampling_fields

_STOP_REASONS: dict[str, StopReason] = {"stop": "stop", "length": "length",
                                        "tool_calls": "tool_calls",
                                        "function_call": "tool_calls"}
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


class StreamedReply:
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
