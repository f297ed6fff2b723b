"""What a request carries of the conversation, trimmed to the model's context.

Token estimate: one token per four characters plus four per message for role
markers (``app.core.routing.estimate_tokens``). No tokenizer: providers differ,
and a cheap, monotonic estimate with an output reserve is enough to stay inside
the window. It errs on the generous side for English; code and non-Latin text
can take more tokens than estimated, which the output reserve absorbs.

Rules:

* the system prompt (with the memory block) is always sent;
* the new user message and the current turn's tool rounds are always sent —
  if the rounds alone overflow, the oldest rounds go first, never the newest;
* earlier history is sent as whole *turns* (a user message and everything up
  to the next one), newest first, while they fit: the oldest are dropped first.
  A turn is kept whole or not at all, so an assistant message with tool calls
  is never separated from its tool results, and the history always starts at
  a user message (some chat templates insist on that);
* ``AgentSpec.max_turns``: ``None`` = as many earlier turns as fit, ``0`` = none
  (only the new message), ``N`` = at most ``N``.

Only the branch that leads to the new message counts: a regenerated reply or
an edited message leaves the other versions out (``messages.path``, the
ancestors of ``before_id``; app/store/message_tree.py).

Cost: ``load_history`` reads from the newest end in pages (``before_id``, up
the parent links by primary key) and stops as soon as the budget or
``max_turns`` is reached, so a 10,000-message conversation costs the same as
one just long enough to fill the window. All pages are read and converted in
one job on the store's worker thread (``read_history``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.core.routing import estimate_tokens
from app.domain import ChatMessage, Message, ToolSpec
from app.store import AsyncStore, Store

if TYPE_CHECKING:
    from app.core.context_window_cache import HistoryCache

TOKENS_PER_MESSAGE = 4
TOKENS_PER_PAGE_ROW = 64  # first page: budget / this many rows (a guess that over-reads little)
MIN_PAGE = 16
MAX_PAGE = 512
MISSING_RESULT = "no result was recorded for this tool call (the run was interrupted)"


def message_tokens(message: ChatMessage) -> int:
    """Estimated tokens of one message, tool calls included."""
    tokens = estimate_tokens(message.content) + TOKENS_PER_MESSAGE
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


async def load_history(store: AsyncStore, conversation_id: int, *, before_id: int | None,
                       budget: int, max_turns: int | None,
                       first_page: int | None = None, cached: bool = True) -> HistoryWindow:
    """Load the newest whole turns older than ``before_id`` that fit ``budget``.

    Reads pages from the newest end and stops at the first turn that does not fit
    or once ``max_turns`` turns are in. The first page holds ``first_page``
    messages (default: about what the budget holds at 64 tokens a message, so
    one query usually suffices), each next one about what the rest of the
    budget holds at the average size seen so far, at most twice the previous.
    Turns converted for an earlier request of the same conversation are taken
    from the store's ``HistoryCache`` unless ``cached`` is False.
    """
    from app.core.context_window_cache import HistoryCache  # (it imports this module)

    if max_turns == 0 or budget <= 0:
        return HistoryWindow()
    # One job on the store's worker for all pages and their conversion: no
    # thread hop per page, and the cache is only ever touched on that thread.
    return await store.run(lambda s: read_history(
        s, conversation_id, before_id=before_id, budget=budget, max_turns=max_turns,
        first_page=first_page, cache=HistoryCache.of(s) if cached else None))


def read_history(store: Store, conversation_id: int, *, before_id: int | None, budget: int,
                 max_turns: int | None, first_page: int | None = None,
                 cache: HistoryCache | None = None) -> HistoryWindow:
    """``load_history`` on a synchronous store (runs on the store's thread).

    With a ``cache`` (and a ``before_id``), turns converted by an earlier call
    for the same conversation are reused and only messages added since are read.
    """
    window = HistoryWindow()
    if max_turns == 0 or budget <= 0:
        return window
    source = None
    if cache is not None and before_id is not None:
        source = cache.turns(store, conversation_id, before_id,
                             lambda cursor: page_turns(store, conversation_id, cursor,
                                                       first_page, window, budget),
                             window)
    if source is None:
        source = page_turns(store, conversation_id, before_id, first_page, window, budget)
    _fit(window, source, budget, max_turns)
    if cache is not None:
        cache.trim(conversation_id, len(window.turns) + 1)
    window.turns.reverse()                # oldest first
    return window


def _fit(window: HistoryWindow, source: Iterator[tuple[Turn, bool]], budget: int,
         max_turns: int | None) -> None:
    """Take turns (newest first) while they fit ``budget`` and ``max_turns``."""
    for turn, has_older in source:
        if window.tokens + turn.tokens > budget:
            window.more_before = True
            return
        window.turns.append(turn)            # newest first until the end
        window.tokens += turn.tokens
        window.message_count += len(turn.messages)
        if max_turns is not None and len(window.turns) >= max_turns:
            window.more_before = has_older
            return


def page_turns(store: Store, conversation_id: int, before_id: int | None,
               first_page: int | None, window: HistoryWindow, budget: int,
               ) -> Iterator[tuple[Turn, bool]]:
    """The whole turns older than ``before_id``, newest first, read in pages
    as they are asked for; each with whether older messages exist. Counts the
    reads in ``window`` and sizes later pages from what it holds so far."""
    pending: list[Message] = []           # the turn being assembled, newest first
    if first_page is None:
        first_page = max(MIN_PAGE, min(MAX_PAGE, budget // TOKENS_PER_PAGE_ROW))
    cursor, size = before_id, first_page
    while True:
        page = store.messages.path(conversation_id, before_id=cursor, limit=size)
        window.pages_read += 1
        window.messages_read += len(page)
        exhausted = len(page) < size
        for index in range(len(page) - 1, -1, -1):
            message = page[index]
            pending.append(message)
            if message.role == "user":
                yield make_turn(pending), index > 0 or not exhausted
                pending = []
        if exhausted or not page:
            break
        cursor, size = page[0].id, _next_page_size(window, budget, size)
    if pending:                            # messages before any user turn
        yield make_turn(pending), False


def make_turn(pending: list[Message]) -> Turn:
    """A turn from its stored messages, newest first."""
    messages = to_chat_messages(pending[::-1])
    return Turn(messages, messages_tokens(messages), pending[-1].id)


def _next_page_size(window: HistoryWindow, budget: int, size: int) -> int:
    """About as many messages as the rest of the budget holds at the average
    size seen so far (plus a few), so the last page does not over-read much;
    at most twice the previous page."""
    if not window.turns:
        return min(size * 2, MAX_PAGE)
    per_message = max(1, window.tokens // max(1, window.message_count))
    wanted = (budget - window.tokens) // per_message + 8
    return max(MIN_PAGE // 2, min(wanted, size * 2, MAX_PAGE))


def fit_rounds(rounds: Sequence[list[ChatMessage]], budget: int) -> list[ChatMessage]:
    """The current turn's tool rounds within ``budget``: the newest always, then
    older ones while they fit (a round is an assistant message and its results)."""
    kept: list[list[ChatMessage]] = []
    used = 0
    for index, unit in enumerate(reversed(rounds)):
        tokens = messages_tokens(unit)
        if index > 0 and used + tokens > budget:
            break
        kept.append(unit)
        used += tokens
    return [m for unit in reversed(kept) for m in unit]


@dataclass(frozen=True)
class ContextBudget:
    """How many tokens the history may take in one request."""

    context_tokens: int
    reserve_output: int

    @classmethod
    def for_model(cls, context_tokens: int, max_tokens: int) -> ContextBudget:
        # The reply needs room too; at most half the window is reserved for it.
        return cls(context_tokens, min(max_tokens, context_tokens // 2))

    def available(self, *fixed_tokens: int) -> int:
        return self.context_tokens - self.reserve_output - sum(fixed_tokens)
