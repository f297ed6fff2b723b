"""Helpers shared by the importers of other apps' exports (ChatGPT, Open WebUI)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from app.core.export.memory_budget import MemoryBudget, spend_messages
from app.core.export.model import ParsedConversation, source_fingerprint
from app.core.export.validation import ImportLimits, Invalid, check_text, require
from app.domain import Conversation, Message

_EPOCH_MIN = datetime(1990, 1, 1, tzinfo=UTC).timestamp()
_EPOCH_MAX = datetime(2200, 1, 1, tzinfo=UTC).timestamp()
# Nanoseconds up to 2200 fit; anything longer is no time.
_INT_SECONDS_MAX = 2**63


def epoch_time(value: Any) -> datetime | None:
    """A Unix time (seconds; milli/micro/nanoseconds recognised by size) as UTC."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, int) and abs(value) > _INT_SECONDS_MAX:
        return None   # 10**400: float() would overflow
    seconds = float(value)
    for _ in range(3):
        if seconds <= _EPOCH_MAX:
            break
        seconds /= 1000.0
    if not _EPOCH_MIN <= seconds <= _EPOCH_MAX:
        return None
    return datetime.fromtimestamp(seconds, UTC)


def unusable_times(raw: dict, keys: tuple[str, ...]) -> list[str]:
    """Notes for the conversation times in ``raw`` that are present but no
    time (10**400, a string, a date outside 1990–2200): they are ignored."""
    notes = []
    for key in keys:
        value = raw.get(key)
        if value is not None and epoch_time(value) is None:
            notes.append(f"{key} {repr(value)[:40]} is not a usable time; it was ignored")
    return notes


def active_branch(nodes: dict, leaf: Any, parent_of: Callable[[Any], Any],
                  limit: int) -> list[Any]:
    """Node ids from the root to ``leaf``, following parents (cycle-safe)."""
    chain, seen = [], set()
    node_id = leaf
    while node_id is not None:
        require(isinstance(node_id, str), "a message points to an invalid parent id")
        require(node_id not in seen, "the message tree has a cycle")
        node = nodes.get(node_id)
        require(isinstance(node, dict), f"message {node_id!r} is missing from the tree")
        seen.add(node_id)
        chain.append(node_id)
        require(len(chain) <= limit, f"more than {limit:,} messages on the current branch")
        node_id = parent_of(node)
    chain.reverse()
    return chain


def build(kind: str, raw: dict, *, title: str, created: datetime | None,
          updated: datetime | None, turns: list[dict], limits: ImportLimits,
          pinned: bool = False, archived: bool = False,
          notes: list[str] | None = None,
          budget: MemoryBudget | None = None) -> ParsedConversation:
    """A ParsedConversation from turns ``{role, content, time, model, source_id}``."""
    require(turns, "no text messages on the current branch")
    spend_messages(budget, len(turns))
    first_time = next((t["time"] for t in turns if t["time"]), None)
    created = created or first_time
    require(created is not None, "no usable times in the conversation")
    messages = []
    last = created
    for number, turn in enumerate(turns, 1):
        check_text(turn["content"], f"message {number}", limits.max_message_chars)
        when = turn["time"] or last
        last = max(last, when)
        model = turn.get("model") if isinstance(turn.get("model"), str) else None
        meta: dict[str, Any] = {"imported_from": kind}
        if turn.get("source_id") is not None:
            meta["source_id"] = str(turn["source_id"])[:200]
        if turn.get("omitted"):
            meta["omitted_parts"] = turn["omitted"]
        messages.append(Message(conversation_id=0, role=turn["role"],
                                content=turn["content"], model=model and model[:200],
                                meta=meta, created_at=when, updated_at=when))
    conversation = Conversation(agent_id=0, title=title, pinned=pinned, archived=archived,
                                created_at=created, updated_at=max(updated or last, last))
    return ParsedConversation(conversation, messages, source_fingerprint(kind, raw),
                              notes=notes or [])


def safe(fn: Callable[[], ParsedConversation], title: str,
         skipped: list[tuple[str, str]]) -> ParsedConversation | None:
    """Run one conversation's parse; an Invalid becomes a (title, reason) skip."""
    try:
        return fn()
    except Invalid as exc:
        skipped.append((title, str(exc)))
        return None
