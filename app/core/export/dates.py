"""Dates read from an import file, kept within what the store can hold.

The store keeps times from year 1 to 9999 (UTC; app/store/codec.py). A file
can still name an instant just outside that range with a time zone
(``0001-01-01T00:00:00+05:00`` is year 0 in UTC, ``9999-12-31T23:00-05:00``
is year 10000): such a time is clamped to the first or last instant the store
holds, and the import report says so. Years 1–999 are kept as they are (the
store zero-pads them). Dates pydantic cannot read at all (year 0 or 10000
written out) make the conversation invalid, with a reason naming the range.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from app.domain import Conversation, Message
from app.store import codec

RANGE_TEXT = "years 1–9999"


def clamp_times(conversation: Conversation, messages: Sequence[Message],
                notes: list[str]) -> tuple[Conversation, list[Message]]:
    """The conversation and messages with every out-of-range time clamped; a
    note for each kind of time that was moved."""
    moved: list[str] = []
    conversation = _clamped(conversation, "the conversation", moved)
    fixed = [_clamped(m, f"message {n}", moved) for n, m in enumerate(messages, 1)]
    if moved:
        shown = ", ".join(moved[:3]) + (f" and {len(moved) - 3} more" if len(moved) > 3
                                         else "")
        notes.append(f"dates outside {RANGE_TEXT} (UTC) were moved to the nearest date "
                     f"AgentDesk can store: {shown}")
    return conversation, fixed


def _clamped(item, what: str, moved: list[str]):
    update: dict[str, datetime] = {}
    for key in ("created_at", "updated_at"):
        value: datetime = getattr(item, key)
        if not codec.in_range(value):
            update[key] = codec.clamp(value)
            moved.append(f"{what} {key.replace('_at', '')} {value.isoformat()}")
    return item.model_copy(update=update) if update else item
