"""Converted history turns kept between the turns of a conversation.

Building a request reads the newest stored messages that fit the context and
converts them into request messages (``context_window.page_turns``). Doing
that on every turn costs time in proportion to the window, so each store
keeps the turns it converted, per conversation, and the next turn reads only
the messages added since (``messages.path(after_id=…)``).

Branches (versions of a turn, app/store/message_tree.py): an entry covers the
shown path up to one message (``top_id``) and is used for a later request only
when that message is an ancestor of the new one: the messages read since must
lead down from it. After a regenerate or an edit that is no longer so, and
the history is read afresh.

Consistency: the cache lives on the store's worker thread (every call comes
through ``AsyncStore.run``) and listens to the store's change notices *on
that thread*, in the same order as the writes, so a cached turn is dropped
before the write that changed it returns. Writes by other connections (a CLI
beside the GUI) are caught by ``PRAGMA data_version``, which changes when
another connection commits; then everything is dropped. A message id is
never reused (``AUTOINCREMENT``), so "every message with id ≤ ``top_id``" is
a stable description of what an entry covers.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from app.core.history_turns import MAX_PAGE, HistoryWindow, Turn, make_turn
from app.domain import Message
from app.store import ChangeNotice, Store

MAX_CONVERSATIONS = 16
# Entities whose writes cannot change a conversation's messages.
_UNRELATED = frozenset({"memory", "provider", "custom_tool", "mcp_server", "knowledge"})

_caches: weakref.WeakKeyDictionary[Store, HistoryCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()

TurnSource = Iterator[tuple[Turn, bool]]


@dataclass
class _Entry:
    """A contiguous run of whole turns of one conversation, newest first: the
    path from ``turns[-1].first_id`` up to ``top_id``."""

    top_id: int
    turns: list[Turn] = field(default_factory=list)
    at_start: bool = False       # the oldest turn starts the conversation


class HistoryCache:
    """Per-store cache of converted turns; use ``HistoryCache.of(store)``."""

    def __init__(self, store: Store) -> None:
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._data_version = _data_version(store)
        # The hub holds the listener (the cache), never the other way round,
        # so the store can still be collected.
        store.subscribe(self._on_notice)

    @classmethod
    def of(cls, store: Store) -> HistoryCache:
        with _caches_lock:
            cache = _caches.get(store)
            if cache is None:
                cache = _caches[store] = cls(store)
            return cache

    def __len__(self) -> int:
        return len(self._entries)

    def cached_turns(self, conversation_id: int) -> int:
        entry = self._entries.get(conversation_id)
        return len(entry.turns) if entry else 0

    # -- reading --------------------------------------------------------------------
    def turns(self, store: Store, conversation_id: int, before_id: int,
              older: Callable[[int | None], TurnSource], window: HistoryWindow,
              ) -> TurnSource:
        """The turns older than ``before_id``, newest first (as ``page_turns``):
        new messages read from the store, then the cached turns, then what
        ``older(cursor)`` reads below them. What is read is remembered."""
        version = _data_version(store)
        if version != self._data_version:          # another connection wrote
            self._entries.clear()
            self._data_version = version
        top_id = store.messages.tree.parent_of(before_id)
        if top_id is None:                          # the first message: no history
            self._entries.pop(conversation_id, None)
            return iter(())
        entry = self._entries.get(conversation_id)
        if entry is not None and entry.top_id <= top_id and (entry.turns or entry.at_start):
            newer = _read_newer(store, conversation_id, entry.top_id, before_id, window)
            if newer is not None:
                self._entries.move_to_end(conversation_id)
                entry.turns[:0] = newer
                entry.top_id = top_id
                return self._extend(entry, older)
        # Nothing usable: read from the newest end and remember as we go.
        entry = _Entry(top_id=top_id)
        self._entries[conversation_id] = entry
        self._entries.move_to_end(conversation_id)
        while len(self._entries) > MAX_CONVERSATIONS:
            self._entries.popitem(last=False)
        return self._record(entry, older(before_id))

    def trim(self, conversation_id: int, keep: int) -> None:
        """Keep only the newest ``keep`` turns (what requests have needed)."""
        entry = self._entries.get(conversation_id)
        if entry is not None and len(entry.turns) > keep:
            del entry.turns[keep:]
            entry.at_start = False

    @staticmethod
    def _record(entry: _Entry, source: TurnSource) -> TurnSource:
        for turn, has_older in source:
            entry.turns.append(turn)
            yield turn, has_older
        entry.at_start = True

    def _extend(self, entry: _Entry, older: Callable[[int | None], TurnSource]) -> TurnSource:
        cached = list(entry.turns)
        for index, turn in enumerate(cached):
            yield turn, index < len(cached) - 1 or not entry.at_start
        if not entry.at_start and cached:
            yield from self._record(entry, older(cached[-1].first_id))

    # -- invalidation (on the store's thread, right after each write) ------------------
    def _on_notice(self, notice: ChangeNotice) -> None:
        if notice.entity in _UNRELATED:
            return
        if notice.entity == "agent" and notice.op != "delete":
            return
        if notice.entity == "conversation":
            if notice.op != "update":      # deleted (its messages with it) or new
                for conversation_id in notice.ids:
                    self._entries.pop(conversation_id, None)
            return
        if notice.entity == "message" and notice.parent_id is not None:
            entry = self._entries.get(notice.parent_id)
            # Writes to messages newer than the entry (the reply streaming in,
            # the next turn) leave it valid; anything at or below it does not.
            if entry is not None and notice.ids and min(notice.ids) <= entry.top_id:
                del self._entries[notice.parent_id]
            return
        self._entries.clear()      # an agent deleted (cascade), a bulk update, …


def _read_newer(store: Store, conversation_id: int, after_id: int, before_id: int,
                window: HistoryWindow) -> list[Turn] | None:
    """The whole turns made of the messages on the path to ``before_id`` newer
    than ``after_id``, newest first; None when that path does not pass through
    ``after_id`` (another branch) or they do not start with a user message
    (they would belong to the newest cached turn, so that turn is no longer
    whole)."""
    messages: list[Message] = []
    cursor = before_id
    while True:
        page = store.messages.path(conversation_id, before_id=cursor, after_id=after_id,
                                   limit=MAX_PAGE)
        window.pages_read += 1
        window.messages_read += len(page)
        messages[:0] = page
        if len(page) < MAX_PAGE:
            break
        cursor = page[0].id
    below = messages[0].parent_id if messages else store.messages.tree.parent_of(before_id)
    if below != after_id:
        return None
    if messages and messages[0].role != "user":
        return None
    turns: list[Turn] = []
    pending: list[Message] = []
    for message in reversed(messages):
        pending.append(message)
        if message.role == "user":
            turns.append(make_turn(pending))
            pending = []
    return turns


def _data_version(store: Store) -> int:
    return store.db.execute_sql("PRAGMA data_version").fetchone()[0]
