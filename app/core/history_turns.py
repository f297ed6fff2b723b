"""History turns shared by the context window and its cache: the token
estimate of request messages, stored messages as request messages, a
``Turn`` (one earlier user turn, ready to send) and the ``HistoryWindow`` of
turns loaded for one request.

Kept apart so app/core/context_window.py (loading and trimming) and
app/core/context_window_cache.py (keeping converted turns between requests)
both build on it without importing each other.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from app.core.attachments.request import IMAGE_TOKENS, user_chat_message
from app.core.routing import estimate_tokens
from app.domain import ChatMessage, Message, ToolSpec

TOKENS_PER_MESSAGE = 4
#: The largest page of messages read in one query.
MAX_PAGE = 512
MISSING_RESULT = "no result was recorded for this tool call (the run was interrupted)"


def message_tokens(message: ChatMessage) -> int:
    """Estimated tokens of one message, tool calls included."""
    tokens = estimate_tokens(message.content) + TOKENS_PER_MESSAGE \
        + IMAGE_TOKENS * len(message.images)
    for call in message.tool_calls:
        arguments = call.arguments if isinstance(call.arguments, str) \
            else json.dumps(call.arguments, ensure_ascii=False)
        tokens += estimate_tokens(call.name) + estimate_tokens(arguments) + TOKENS_PER_MESSAGE
    return tokens


def messages_tokens(messages: Iterable[ChatMessage]) -> int:
    return sum(message_tokens(m) for m in messages)


def tools_tokens(tools: Iterable[ToolSpec]) -> int:
    """Estimated tokens the tool definitions take in the prompt."""
    return sum(estimate_tokens(t.name + t.description + json.dumps(t.parameters))
               + TOKENS_PER_MESSAGE for t in tools)


def to_chat_messages(messages: Sequence[Message]) -> list[ChatMessage]:
    """Stored messages (oldest first) as request messages.

    Left out: replies still streaming, replies that produced nothing, and tool
    results that answer no tool call before them. A tool call without a
    recorded result (a crash between the two) gets a stand-in error result, so
    the request stays valid for APIs that insist every call is answered.
    """
    out: list[ChatMessage] = []
    waiting: dict[str, str] = {}          # call id -> tool name, awaiting a result

    def answer_missing() -> None:
        for call_id, name in waiting.items():
            out.append(ChatMessage(role="tool", content=MISSING_RESULT,
                                   tool_call_id=call_id, name=name))
        waiting.clear()

    for message in messages:
        if message.role == "tool":
            name = waiting.pop(message.tool_call_id or "", None)
            if name is not None:
                out.append(ChatMessage(role="tool", content=message.content,
                                       tool_call_id=message.tool_call_id, name=name))
            continue
        answer_missing()
        if message.role == "assistant":
            if message.status == "streaming" or not (message.content or message.tool_calls):
                continue
            out.append(ChatMessage(role="assistant", content=message.content,
                                   tool_calls=message.tool_calls))
            waiting = {c.call_id: c.name for c in message.tool_calls}
        elif message.attachments:
            out.append(user_chat_message(message.content, message.attachments))
        else:
            out.append(ChatMessage(role=message.role, content=message.content))
    answer_missing()
    return out


@dataclass
class Turn:
    """One earlier turn, ready to send."""

    messages: list[ChatMessage]
    tokens: int
    first_id: int | None      # id of its oldest stored message


@dataclass
class HistoryWindow:
    """The earlier turns loaded for one request, oldest first."""

    turns: list[Turn] = field(default_factory=list)
    messages_read: int = 0       # stored messages read to build it
    pages_read: int = 0
    more_before: bool = False    # older messages exist that were not loaded
    tokens: int = 0              # of all turns
    message_count: int = 0       # of all turns

    def fit(self, budget: int) -> list[ChatMessage]:
        """The newest whole turns within ``budget`` tokens, as one message list."""
        kept: list[Turn] = []
        used = 0
        for turn in reversed(self.turns):
            if used + turn.tokens > budget:
                break
            kept.append(turn)
            used += turn.tokens
        return [m for turn in reversed(kept) for m in turn.messages]


def make_turn(pending: list[Message]) -> Turn:
    """A turn from its stored messages, newest first."""
    messages = to_chat_messages(pending[::-1])
    return Turn(messages, messages_tokens(messages), pending[-1].id)
