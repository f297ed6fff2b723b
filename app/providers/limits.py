"""Bounds on what one model reply may cost: its size, its tool-call
arguments, and its total duration.

A hostile (or broken) server can stream forever, one byte every half
second (the idle timeout never fires), or send 50 MB of text or 100 MB of
tool-call arguments that would be stored and sent back to the model. Every
provider passes its reply through ``guard_reply``, which ends it with one
``Error`` of kind ``limit`` when a bound is passed; what arrived before is
passed on first (cut at the bound), so the runner keeps it as a partial
reply, as it does for a cut stream. Tool-call arguments are also bounded
where they are assembled (app/providers/openai_chunks.py, ollama.py), so
they never grow in memory past the bound.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, Literal

from app.domain import Error, RunEvent, TextDelta, ThinkingDelta, ToolCall
from app.providers.base import ProviderError, ReplyLimits  # noqa: F401 (ReplyLimits re-exported)
from app.providers.deadline import ReadDeadline

LimitName = Literal["reply_size", "tool_arguments", "duration"]


class ReplyLimitError(ProviderError):
    """A reply passed one of its bounds (``limit`` names which). Never
    retryable: the same request would do the same elsewhere."""

    def __init__(self, limit: LimitName, message: str) -> None:
        super().__init__("limit", message)
        self.limit: LimitName = limit


def size_text(size: int) -> str:
    """``4 MB``, ``256 KB``, ``900 bytes``: a bound as people read it."""
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MB"
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} bytes"


def duration_text(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} s"


def reply_size_error(where: str, limit: int) -> ReplyLimitError:
    return ReplyLimitError(
        "reply_size", f"{where} sent a reply longer than the limit of {size_text(limit)}; "
        "it was stopped there and what arrived is kept (setting limits.reply_bytes)")


def tool_arguments_error(where: str, name: str, limit: int) -> ReplyLimitError:
    shown = name[:60] if name else "a tool"
    return ReplyLimitError(
        "tool_arguments", f"{where} sent a call to {shown!r} whose arguments pass the limit "
        f"of {size_text(limit)}; the call was refused, not run "
        "(setting limits.tool_argument_bytes)")


def duration_error(where: str, seconds: float) -> ReplyLimitError:
    return ReplyLimitError(
        "duration", f"{where} was still sending after {duration_text(seconds)}, the limit "
        "for one reply; it was stopped and what arrived is kept (setting "
        "limits.reply_seconds)")


def utf8_size(text: str) -> int:
    """UTF-8 length; ``isascii`` is a flag lookup, so plain text costs nothing."""
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def arguments_size(arguments: Any) -> int:
    """The size of tool-call arguments as the JSON text they travel as."""
    if isinstance(arguments, str):
        return utf8_size(arguments)
    return utf8_size(json.dumps(arguments, ensure_ascii=False))


def _cut(text: str, room: int) -> str:
    """The longest start of ``text`` whose UTF-8 length is at most ``room``."""
    return text.encode("utf-8")[:max(room, 0)].decode("utf-8", errors="ignore")


async def guard_reply(events: AsyncIterator[RunEvent], limits: ReplyLimits,
                      where: str) -> AsyncIterator[RunEvent]:
    """``events`` of one reply, ended with an ``Error`` (kind ``limit``) at
    the first bound passed: the text up to the size bound is passed on, a
    tool call over the argument bound is not. The duration is checked with
    one timer that only interrupts a wait for the next event (never the
    consumer's own work between events, such as a database write)."""
    loop = asyncio.get_running_loop()
    deadline = ReadDeadline()
    end = loop.time() + limits.reply_seconds
    used = 0
    try:
        async with aclosing(events) as source:  # type: ignore[type-var]
            while True:
                deadline.arm(end - loop.time())
                try:
                    event = await anext(source, None)
                except asyncio.CancelledError:
                    if deadline.expired():
                        yield duration_error(where, limits.reply_seconds).to_event()
                        return
                    raise
                finally:
                    deadline.disarm()
                if event is None:
                    return
                if isinstance(event, TextDelta | ThinkingDelta):
                    size = utf8_size(event.text)
                    if used + size > limits.reply_bytes:
                        kept = _cut(event.text, limits.reply_bytes - used)
                        if kept:
                            yield type(event)(text=kept)
                        yield reply_size_error(where, limits.reply_bytes).to_event()
                        return
                    used += size
                elif isinstance(event, ToolCall) and \
                        arguments_size(event.arguments) > limits.tool_argument_bytes:
                    yield tool_arguments_error(where, event.name,
                                               limits.tool_argument_bytes).to_event()
                    return
                yield event
                if isinstance(event, Error):
                    return
    finally:
        deadline.close()

