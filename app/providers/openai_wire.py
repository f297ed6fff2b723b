"""The OpenAI chat-completions wire format going out (messages, the request
body, which generation settings a server takes) and the ``{"error": …}``
objects coming back. Shared by the HTTP provider (openai_compat) and the
embedded engine, whose llama-cpp-python API speaks the same shapes; the reply
chunks are parsed in openai_chunks. Vendor JSON stays in app/providers.
"""

from __future__ import annotations

import json
from typing import Any

from app.domain import ChatMessage, ChatRequest, Error
from app.domain.events import ErrorKind
from app.domain.generation import GenerationSetting
from app.logs import redact
from app.providers.sampling import sampling_fields

# Generation settings sent, each in its documented body field. OpenAI (and an
# unknown OpenAI-compatible server): top_p, seed, stop. llama-cpp-python's
# server also takes repeat_penalty. No context length per request on either.
OPENAI_GENERATION: frozenset[GenerationSetting] = frozenset({"top_p", "seed", "stop"})
LLAMACPP_GENERATION: frozenset[GenerationSetting] = OPENAI_GENERATION | {"repeat_penalty"}


def generation_settings_for(kind: str) -> frozenset[GenerationSetting]:
    """What an OpenAI-compatible provider of ``kind`` accepts."""
    return LLAMACPP_GENERATION if kind == "llamacpp" else OPENAI_GENERATION


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
    return Error(kind=kind, message=redact(f"{where} reported an error: {message[:500]}"),
                 retryable=before_tokens and kind in ("rate_limited", "server"))


def message_to_wire(message: ChatMessage) -> dict[str, Any]:
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id or "",
                "content": message.content}
    wire: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.images:
        # Content parts: the text, then each image as a data: URL.
        wire["content"] = [{"type": "text", "text": message.content},
                           *({"type": "image_url", "image_url": {"url": image.data_url}}
                             for image in message.images)]
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
