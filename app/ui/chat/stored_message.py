"""Filling a MessageWidget from what is stored: a message as loaded (text,
speaker, attachments, tool calls with their results), and the end of a reply
(status, usage, duration, stop reason, knowledge references, error) — the
same whether the reply just finished live or was loaded later."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from app.domain import Message, UsageStats
from app.ui.chat.message_widget import MessageWidget
from app.ui.chat.reply_state import reply_seconds
from app.ui.chat.speakers import speaker_title
from app.ui.chat.tool_block import ToolCallBlock

#: Adds a tool-call block to a widget: (widget, call id, name, arguments).
AddCall = Callable[[MessageWidget, str, str, "dict[str, Any] | str"], ToolCallBlock]


def show_outcome(widget: MessageWidget, status: str, usage: UsageStats | None,
                 meta: Mapping[str, Any], error: str | None) -> None:
    """How the reply ended: footer (duration unless it failed), references, error."""
    widget.finish(status, usage, reply_seconds(meta) if status != "error" else None,
                  stop_reason=meta.get("stop_reason"))
    widget.show_references(meta.get("knowledge"))
    if error:
        widget.show_error(error)


def fill(widget: MessageWidget, message: Message, results: Mapping[str, Message],
         add_call: AddCall) -> None:
    """Show the stored ``message`` in its new ``widget``; ``results``: the tool
    messages shown with it, by call id."""
    speaker = speaker_title(message.role, message.meta)
    if speaker is not None:
        widget.set_speaker(speaker)
    if message.content:
        widget.append_text(message.content)
    if message.attachments:
        widget.add_attachments(message.attachments)
    for call in message.tool_calls:
        block = add_call(widget, call.call_id, call.name, call.arguments)
        result = results.get(call.call_id)
        if result is not None:
            duration = result.meta.get("duration_ms")
            block.set_result(result.content, result.status != "complete",
                             duration if isinstance(duration, (int, float)) else None)
    show_outcome(widget, message.status, message.usage, message.meta, message.error)
