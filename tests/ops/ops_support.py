"""Helpers shared by the operations tests."""

from __future__ import annotations

from app.domain import Message
from app.store import Store


def say(store: Store, conversation_id: int, role: str, content: str, **extra) -> Message:
    """Add one message at the shown leaf (as a turn would)."""
    return store.messages.add(Message(conversation_id=conversation_id, role=role,
                                      content=content, **extra))
