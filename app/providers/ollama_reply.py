"""Reading Ollama's ``/api/chat`` reply (one JSON object per line, or the one
non-streamed object) into run events: text and thinking deltas, whole tool
calls (``function.arguments`` an object), an ``{"error": ...}`` line, and
the final ``done`` object's usage and stop reason (docs in ollama.py)."""

from __future__ import annotations

import json
import time
from typing import Any

from app.domain import Done, RunEvent, TextDelta, ThinkingDelta, ToolCall, Usage
from app.domain.events import ErrorKind, StopReason
from app.providers.base import ProviderError
from app.providers.limits import arguments_size, tool_arguments_error
from app.providers.ollama_models import int_or_none
from app.providers.openai_chunks import MAX_NAME_CHARS, malformed

_CONTEXT_HINTS = ("context length", "context window", "context size", "too many tokens",
                  "exceeds the context")


# -- reply -----------------------------------------------------------------------
def parse_line(line: str, where: str) -> dict[str, Any]:
    """One NDJSON line as an object; anything else is a protocol error."""
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise ProviderError("protocol", f"{where} sent a line that is not JSON: "
                            f"{line[:80]!r}") from exc
    if not isinstance(data, dict):
        raise ProviderError("protocol", f"{where} sent a line that is not a JSON object")
    return data


def _error_kind(message: str) -> ErrorKind:
    lowered = message.lower()
    if any(hint in lowered for hint in _CONTEXT_HINTS):
        return "context_length"
    if "not found" in lowered:
        return "not_found"
    return "server"


class ReplyReader:
    """Turns reply objects (stream lines, or the one non-streamed reply)
    into run events, and keeps what the final Usage needs."""

    def __init__(self, where: str, started: float, argument_limit: int | None = None) -> None:
        self.where = where
        self.argument_limit = argument_limit
        self.started = started
        self.first_output: float | None = None
        self.calls = 0
        self.finished = False

    @property
    def started_reply(self) -> bool:
        return self.first_output is not None

    def feed(self, chunk: dict[str, Any]) -> list[RunEvent]:
        if "error" in chunk:
            message = str(chunk["error"])
            kind = _error_kind(message)
            # As for an error status: only a server failure may go elsewhere,
            # and only before tokens were shown; a prompt too long for the
            # context or a missing model is the same wherever it is re-sent.
            raise ProviderError(kind, f"{self.where}: {message}",
                                retryable=kind == "server" and not self.started_reply)
        events: list[RunEvent] = []
        message = chunk.get("message")
        if message is not None and not isinstance(message, dict):
            raise malformed(self.where, "message is not an object")
        if message:
            events.extend(self._message_events(message))
        if chunk.get("done") is True:
            events.extend(self._final_events(chunk))
            self.finished = True
        return events

    def _message_events(self, message: dict[str, Any]) -> list[RunEvent]:
        events: list[RunEvent] = []
        thinking, content = message.get("thinking"), message.get("content")
        if isinstance(thinking, str) and thinking:
            events.append(ThinkingDelta(text=thinking))
        if isinstance(content, str) and content:
            events.append(TextDelta(text=content))
        tool_calls = message.get("tool_calls")
        if tool_calls is not None and not isinstance(tool_calls, list):
            raise malformed(self.where, "tool_calls is not a list")
        for raw in tool_calls or ():
            events.append(self._tool_call(raw))
        if events and self.first_output is None:
            self.first_output = time.perf_counter()
        return events

    def _tool_call(self, raw: Any) -> ToolCall:
        if not isinstance(raw, dict):
            raise malformed(self.where, "a tool call that is not an object")
        function = raw.get("function")
        if not isinstance(function, dict):
            raise malformed(self.where, "a tool call whose function is not an object")
        name = function.get("name")
        if not isinstance(name, str) or not name or len(name) > MAX_NAME_CHARS:
            raise malformed(self.where, "a tool call whose name is not text"
                            if name else "a tool call without a name")
        call_id = raw.get("id")
        if call_id is not None and not isinstance(call_id, str):
            raise malformed(self.where, "a tool call whose id is not text")
        arguments = function.get("arguments", {})
        if self.argument_limit is not None and \
                arguments_size(arguments) > self.argument_limit:
            raise tool_arguments_error(self.where, name, self.argument_limit)
        self.calls += 1
        call_id = call_id[:MAX_NAME_CHARS] if call_id else f"call_{self.calls}"
        if isinstance(arguments, str):  # not Ollama's documented shape, but seen via proxies
            try:
                parsed = json.loads(arguments)
                arguments = parsed if isinstance(parsed, dict) else arguments
            except ValueError:
                pass
        elif not isinstance(arguments, dict):
            arguments = {} if arguments is None else json.dumps(arguments)
        return ToolCall(call_id=call_id, name=name, arguments=arguments)

    def _final_events(self, chunk: dict[str, Any]) -> list[RunEvent]:
        now = time.perf_counter()
        eval_count = int_or_none(chunk.get("eval_count"))
        eval_ns = int_or_none(chunk.get("eval_duration"))
        tokens_per_s: float | None = None
        if eval_count is not None and eval_ns:
            tokens_per_s = eval_count / eval_ns * 1e9
        elif eval_count and self.first_output is not None and now > self.first_output:
            tokens_per_s = eval_count / (now - self.first_output)
        ttft_ms = None
        if self.first_output is not None:
            ttft_ms = (self.first_output - self.started) * 1000.0
        usage = Usage(prompt_tokens=int_or_none(chunk.get("prompt_eval_count")),
                      completion_tokens=eval_count, ttft_ms=ttft_ms,
                      tokens_per_s=tokens_per_s)
        return [usage, Done(stop_reason=self._stop_reason(chunk.get("done_reason")))]

    def _stop_reason(self, done_reason: Any) -> StopReason:
        if self.calls:
            return "tool_calls"
        if done_reason == "length":
            return "length"
        return "stop"  # "stop", and "load"/"unload" for empty message lists
