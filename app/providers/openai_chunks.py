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

_STOP_REASONS: dict[str, StopReason] = {"stop": "stop", "length": "length",
                                        "tool_calls": "tool_calls",
                                        "function_call": "tool_calls"}


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


class ChunkParser:
    """One reply's state while its chunks arrive: text and thinking, tool
    calls, finish, usage and timing.

    ``feed`` each chunk (or the whole reply); ``complete`` at the end gives
    what is still held back; then ``usage_event`` and ``stop_reason``.
    Completion tokens are the server's count, else the chunks that carried
    content (llama.cpp sends one per token); prompt tokens the server's,
    else ``counted_prompt_tokens`` (set by a caller that tokenized the prompt).
    """

    def __init__(self, started: float | None = None) -> None:
        self.started = time.perf_counter() if started is None else started
        self.first_at: float | None = None
        self.last_at: float | None = None
        self.chunks = 0
        self.finish: str | None = None
        self.usage: dict[str, Any] | None = None
        self.counted_prompt_tokens: int | None = None
        self.think = ThinkSplitter()
        self.tools = ToolCallAssembler()
        self.called_tools = False

    def feed(self, chunk: dict[str, Any]) -> list[RunEvent]:
        """Events for one chunk (or one whole reply): its usage is kept, its
        first choice parsed (we never ask for more than one)."""
        usage = chunk.get("usage")
        if isinstance(usage, dict) and usage:
            self.usage = usage
        out: list[RunEvent] = []
        for choice in chunk.get("choices") or ():
            if isinstance(choice, dict) and choice.get("index", 0) == 0:
                out += self.on_choice(choice)
        return out

    def on_choice(self, choice: dict[str, Any]) -> list[RunEvent]:
        """Events for one choice of one chunk (``delta``) or of a whole reply
        (``message``)."""
        delta = choice.get("delta") or choice.get("message") or {}
        if not isinstance(delta, dict):
            delta = {}
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
        if not tool_calls and isinstance(delta.get("function_call"), dict):
            tool_calls = [{"index": 0, "function": delta["function_call"]}]  # legacy shape
        if isinstance(tool_calls, list) and tool_calls:
            self.tools.add(tool_calls)
        else:
            tool_calls = None
        if reasoning or content or tool_calls:
            self.chunks += 1
            self.last_at = time.perf_counter()
            if self.first_at is None:
                self.first_at = self.last_at
        finish = choice.get("finish_reason")
        if finish and isinstance(finish, str):
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
