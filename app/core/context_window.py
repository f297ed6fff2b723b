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

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from app.core.context_window_cache import HistoryCache
from app.core.history_turns import (  # noqa: F401 (re-exported: the window's vocabulary)
    MAX_PAGE,
    MISSING_RESULT,
    TOKENS_PER_MESSAGE,
    HistoryWindow,
    Turn,
    make_turn,
    message_tokens,
    messages_tokens,
    to_chat_messages,
    tools_tokens,
)
from app.domain import ChatMessage, Message
from app.store import AsyncStore, Store

TOKENS_PER_PAGE_ROW = 64  # first page: budget / this many rows (a guess that over-reads little)
MIN_PAGE = 16


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
