"""OpenAI-style chat-completion chunks in, run events out: the one parser
of the OpenAI-compatible provider (SSE chunks, or one whole reply when not
streaming) and of the embedded engine (llama-cpp-python's
``create_chat_completion`` yields the same shapes as Python dicts).

Shapes read (OpenAI's chat.completion.chunk / chat.completion, and
llama-cpp-python's ``llama_types``):

- ``choices[0].delta`` (streamed) or ``choices[0].message`` (whole reply):
  ``content`` (``<think>…</think>`` inside it is thinking, even split across
  chunks), ``reasoning_content`` / ``reasoning`` (vLLM, llama.cpp's server,
  DeepSeek, OpenRouter) as thinking, ``tool_calls`` fragments assembled per
  ``index`` (a whole reply's calls have no index: their position is used),
  and the deprecated ``function_call`` (one call) when there are no
  ``tool_calls`` — llama-cpp-python sends both for a forced tool;
- ``choices[0].finish_reason`` -> our StopReason;
- ``usage`` on any chunk (OpenAI's last chunk with ``stream_options.include_usage``
  has empty ``choices``); without one, usage is computed.

Vendor JSON stays in app/providers: only domain events leave this module.
"""

from __future__ import annotations

import json
import time
from typing import Any

from app.domain import RunEvent, TextDelta, ThinkingDelta, ToolCall, Usage
from app.domain.events import StopReason
from app.providers.base import ProviderError
from app.providers.limits import tool_arguments_error, utf8_size

_STOP_REASONS: dict[str, StopReason] = {"stop": "stop", "length": "length",
                                        "tool_calls": "tool_calls",
                                        "function_call": "tool_calls"}
MAX_NAME_CHARS = 1024  # a tool name or call id longer than this is not one


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
    """Collects tool-call fragments per ``index`` into complete calls.

    A fragment of the wrong shape is a protocol error; a call whose
    arguments grow past ``argument_limit`` bytes is refused as they arrive
    (ReplyLimitError), so they never pile up in memory."""

    def __init__(self, where: str = "the server", argument_limit: int | None = None) -> None:
        self._calls: dict[int, dict[str, Any]] = {}
        self.where = where
        self.argument_limit = argument_limit

    def add(self, fragments: list) -> None:
        for position, fragment in enumerate(fragments):
            if not isinstance(fragment, dict):
                raise malformed(self.where, "a tool call that is not an object")
            index = fragment.get("index", position)
            if not _is_int(index):
                raise malformed(self.where, "a tool call whose index is not a number")
            call = self._calls.setdefault(index, {"id": None, "name": "", "args": [],
                                                  "size": 0})
            call_id = fragment.get("id")
            if call_id is not None and not isinstance(call_id, str):
                raise malformed(self.where, "a tool call whose id is not text")
            if call_id:
                call["id"] = call_id[:MAX_NAME_CHARS]
            function = fragment.get("function")
            if function is None:
                continue
            if not isinstance(function, dict):
                raise malformed(self.where, "a tool call whose function is not an object")
            name = function.get("name")
            if name is not None and not isinstance(name, str):
                raise malformed(self.where, "a tool call whose name is not text")
            if name and name != call["name"]:
                # OpenAI sends the name once; llama.cpp repeats it in every
                # fragment; a few servers split it. Append only new parts.
                call["name"] += name
                if len(call["name"]) > MAX_NAME_CHARS:
                    raise malformed(self.where, "a tool call with an overlong name")
            arguments = function.get("arguments")
            if arguments is None:
                continue
            if not isinstance(arguments, str):  # some servers send the object itself
                arguments = json.dumps(arguments)
            call["size"] += utf8_size(arguments)
            if self.argument_limit is not None and call["size"] > self.argument_limit:
                self._calls.clear()
                raise tool_arguments_error(self.where, call["name"], self.argument_limit)
            call["args"].append(arguments)

    def take(self) -> list[ToolCall]:
        """The complete calls in index order (each only once)."""
        calls = [make_tool_call(c["id"], c["name"], "".join(c["args"]), i)
                 for i, c in sorted(self._calls.items())]
        self._calls.clear()
        return calls


def malformed(where: str, what: str) -> ProviderError:
    """A stream chunk of the wrong shape: a protocol error, never a raw
    TypeError from deep inside the parser."""
    return ProviderError("protocol", f"{where} sent a malformed stream chunk: {what}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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


class ChunkParser:
    """One reply's state while its chunks arrive: text and thinking, tool
    calls, finish, usage and timing.

    ``feed`` each chunk (or the whole reply); ``complete`` at the end gives
    what is still held back; then ``usage_event`` and ``stop_reason``.
    Completion tokens are the server's count, else the chunks that carried
    content (llama.cpp sends one per token); prompt tokens the server's,
    else ``counted_prompt_tokens`` (set by a caller that tokenized the prompt).
    """

    def __init__(self, started: float | None = None, *, where: str = "the server",
                 argument_limit: int | None = None) -> None:
        self.where = where
        self.started = time.perf_counter() if started is None else started
        self.first_at: float | None = None
        self.last_at: float | None = None
        self.chunks = 0
        self.finish: str | None = None
        self.usage: dict[str, Any] | None = None
        self.counted_prompt_tokens: int | None = None
        self.think = ThinkSplitter()
        self.tools = ToolCallAssembler(where, argument_limit)
        self.called_tools = False

    def feed(self, chunk: dict[str, Any]) -> list[RunEvent]:
        """Events for one chunk (or one whole reply): its usage is kept, its
        first choice parsed (we never ask for more than one). A field of
        the wrong type raises ProviderError (protocol)."""
        usage = chunk.get("usage")
        if usage is not None and not isinstance(usage, dict):
            raise malformed(self.where, "usage is not an object")
        if usage:
            self.usage = usage
        choices = chunk.get("choices")
        if choices is None:
            return []
        if not isinstance(choices, list):
            raise malformed(self.where, "choices is not a list")
        out: list[RunEvent] = []
        for choice in choices:
            if not isinstance(choice, dict):
                raise malformed(self.where, "a choice that is not an object")
            index = choice.get("index", 0)
            if not _is_int(index):
                raise malformed(self.where, "a choice whose index is not a number")
            if index == 0:
                out += self.on_choice(choice)
        return out

    def on_choice(self, choice: dict[str, Any]) -> list[RunEvent]:
        """Events for one choice of one chunk (``delta``) or of a whole reply
        (``message``)."""
        delta = choice.get("delta") or choice.get("message") or {}
        if not isinstance(delta, dict):
            raise malformed(self.where, "a delta that is not an object")
        out: list[RunEvent] = []
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        reasoning = reasoning if isinstance(reasoning, str) else ""
        if reasoning:
            out.append(ThinkingDelta(text=reasoning))
        content = delta.get("content")
        content = content if isinstance(content, str) else ""
        if content:
            out += self.think.feed(content)
        tool_calls = delta.get("tool_calls")
        if tool_calls is not None and not isinstance(tool_calls, list):
            raise malformed(self.where, "tool_calls is not a list")
        if not tool_calls and delta.get("function_call") is not None:
            tool_calls = [{"index": 0, "function": delta["function_call"]}]  # legacy shape
        if tool_calls:
            self.tools.add(tool_calls)
        else:
            tool_calls = None
        if reasoning or content or tool_calls:
            self.chunks += 1
            self.last_at = time.perf_counter()
            if self.first_at is None:
                self.first_at = self.last_at
        finish = choice.get("finish_reason")
        if finish is not None and not isinstance(finish, str):
            raise malformed(self.where, "finish_reason is not text")
        if finish:
            self.finish = finish
            out += self.complete()
        return out

    def complete(self) -> list[RunEvent]:
        """Held-back text and the assembled tool calls (each once)."""
        out: list[RunEvent] = self.think.flush()
        calls = self.tools.take()
        self.called_tools = self.called_tools or bool(calls)
        return out + calls

    def usage_event(self) -> Usage:
        usage = self.usage or {}
        completion = usage.get("completion_tokens")
        if not isinstance(completion, int):
            completion = self.chunks or None
        prompt = usage.get("prompt_tokens")
        if not isinstance(prompt, int):
            prompt = self.counted_prompt_tokens
        ttft = (self.first_at - self.started) * 1000 if self.first_at is not None else None
        rate = None
        if completion and self.first_at is not None and self.last_at is not None \
                and self.chunks > 1 and self.last_at > self.first_at:
            # Streamed: the tokens after the first arrived since the first.
            rate = (completion - 1) / (self.last_at - self.first_at)
        elif completion:  # one piece (a whole reply): over the whole wait
            rate = completion / max(time.perf_counter() - self.started, 1e-6)
        return Usage(prompt_tokens=prompt, completion_tokens=completion,
                     ttft_ms=ttft, tokens_per_s=rate)

    def stop_reason(self) -> StopReason:
        reason = _STOP_REASONS.get(self.finish or "stop", "stop")
        return "tool_calls" if self.called_tools and reason == "stop" else reason
