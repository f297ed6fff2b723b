"""Helpers shared by the store tests (imported as a plain module)."""

from __future__ import annotations

import time

from app.domain import Message
from app.domain.clock import utc_now
from app.store import Store


def add_message(store: Store, conversation_id: int, content: str, *,
                role: str = "user", **fields) -> Message:
    return store.messages.add(
        Message(conversation_id=conversation_id, role=role, content=content, **fields)
    )


def next_tick() -> None:
    """Wait until the store's clock (millisecond resolution) has moved on.

    Ordering by "newest activity" compares stored timestamps; two writes in the
    same millisecond tie, so tests that need a strict order wait for the next one.
    """
    start = utc_now()
    while utc_now() <= start:
        time.sleep(0.0005)
