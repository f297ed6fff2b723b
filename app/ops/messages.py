"""Message-level use cases: reading the shown branch a page at a time, the
user message a reply answers, what an edit replaces, versions, deleting.

Messages form a tree (app/store/message_tree.py): a regenerated reply or an
edited user message is another *version* of its turn, and a conversation shows
one branch. Every op takes the synchronous ``Store`` first and raises the
store's typed errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from app.domain import Conversation, Message
from app.domain.conversation import ConversationOrigin
from app.ops import chats
from app.store import NotFoundError, Store
from app.store.message_tree import Versions

#: Messages in a page of the shown branch (the chat view: then older on scroll-up).
PAGE = 20
#: Messages shown above a message that is scrolled to (a search hit).
CONTEXT_BEFORE = 6

#: One earlier turn a caller hands over as history: who said it, and what.
HistoryEntry = tuple[Literal["user", "assistant"], str]


@dataclass(frozen=True)
class Page:
    """Messages of the shown branch, oldest first, and whether older exist."""

    messages: list[Message]
    has_older: bool


@dataclass(frozen=True)
class ShownChat:
    """A page of a conversation and its stamp, read in one worker call (one state)."""

    page: Page
    stamp: Conversation | None        # chats.stamp: None when the chat is gone


@dataclass(frozen=True)
class EditTarget:
    """The user message an edit replaces and how many messages (tool results
    not counted) follow it on the shown branch (the edit leaves them on the
    other version)."""

    message: Message
    later: int


def page(store: Store, conversation_id: int, *, before_id: int | None = None,
         limit: int = PAGE) -> Page:
    """The ``limit`` newest messages of the shown branch (before ``before_id``)."""
    found = store.messages.path(conversation_id, before_id=before_id, limit=limit + 1)
    return Page(found[1:], True) if len(found) > limit else Page(found, False)


def page_around(store: Store, conversation_id: int, message_id: int, *,
                limit: int = PAGE) -> Page:
    """Enough of the conversation to show ``message_id``: the newest page if it
    holds the message, else from ``CONTEXT_BEFORE`` messages before it to the
    end. A message on another branch (a search hit in an earlier version)
    makes that branch the shown one first."""
    try:
        store.messages.show_branch(message_id)
    except NotFoundError:
        pass                             # deleted meanwhile: the newest page it is
    newest = page(store, conversation_id, limit=limit)
    if not newest.has_older or any(m.id == message_id for m in newest.messages):
        return newest
    everything = store.messages.path_all(conversation_id)
    index = next((i for i, m in enumerate(everything) if m.id == message_id), None)
    if index is None:
        return newest
    start = max(0, index - CONTEXT_BEFORE)
    return Page(everything[start:], start > 0)


def shown_chat(store: Store, conversation_id: int, at_message: int | None = None, *,
               limit: int = PAGE) -> ShownChat:
    """The page a view draws (around ``at_message`` if given) and the
    conversation's stamp, read together so they describe one state."""
    found = (page_around(store, conversation_id, at_message, limit=limit)
             if at_message is not None else page(store, conversation_id, limit=limit))
    return ShownChat(found, chats.stamp(store, conversation_id))


def shown_branch(store: Store, conversation_id: int) -> list[Message]:
    """The whole shown branch, oldest first (what ``show`` and exports print)."""
    return store.messages.path_all(conversation_id)


def previous_user_message(store: Store, conversation_id: int,
                          message_id: int) -> Message | None:
    """The user message whose turn ``message_id`` belongs to (itself for a user
    message): what Regenerate / Retry answer again. None before the first user
    message, or when the message is not in ``conversation_id``."""
    user = store.messages.user_turn_of(message_id)
    if user is None or user.id is None or user.conversation_id != conversation_id:
        return None
    return user


def user_message(store: Store, conversation_id: int, message_id: int) -> Message | None:
    """``message_id`` if it is a user message of ``conversation_id`` (what a
    regenerate or an edit starts from), else None."""
    message = store.messages.get(message_id)
    if message.role != "user" or message.conversation_id != conversation_id:
        return None
    return message


def edit_target(store: Store, conversation_id: int, message_id: int) -> EditTarget:
    """The message to edit and how many shown messages follow it."""
    message = store.messages.get(message_id)
    later = sum(1 for m in store.messages.path(conversation_id, after_id=message_id,
                                               limit=None) if m.role != "tool")
    return EditTarget(message, later)


def versions_of(store: Store, conversation_id: int, ids: list[int]) -> dict[int, Versions]:
    """For the given shown messages that have other versions: where each stands."""
    return store.messages.versions_of(conversation_id, ids)


def versions(store: Store, conversation_id: int,
             messages: list[Message]) -> dict[int, Versions]:
    """Like ``versions_of`` for messages already read."""
    return store.messages.versions(conversation_id, messages)


def switch_version(store: Store, message_id: int, step: int) -> int | None:
    """Show the version ``step`` places from ``message_id`` (-1 previous, +1
    next) and the newest branch below it; the version now shown, or None when
    there is none that far."""
    return store.messages.switch_version(message_id, step)


def delete(store: Store, message_id: int) -> list[int]:
    """Delete one message; an assistant message takes its tool results with
    it (one transaction). Returns the ids deleted."""
    message = store.messages.get(message_id)
    ids = [message_id]
    if message.role == "assistant" and message.tool_calls:
        call_ids = {c.call_id for c in message.tool_calls}
        ids += [m.id for m in store.messages.all(message.conversation_id)
                if m.role == "tool" and m.tool_call_id in call_ids and m.id is not None]
    with store.db.atomic():
        for found in ids:
            store.messages.delete(found)
    return ids


def start_with_history(store: Store, agent_id: int, first_message: str,
                       entries: Sequence[HistoryEntry], *,
                       origin: ConversationOrigin = "app") -> Conversation:
    """A new conversation (``chats.start``) holding ``entries`` as its history,
    in one transaction: never a conversation without the history it came with."""
    with store.db.atomic():
        conversation = chats.start(store, agent_id, first_message, origin=origin)
        record_history(store, conversation.id, entries)
    return conversation


def record_history(store: Store, conversation_id: int,
                   entries: Sequence[HistoryEntry]) -> list[Message]:
    """Append earlier turns a caller brought along (the messages of an
    OpenAI-style request before its last one) to the end of the shown branch,
    in order, as complete messages, in one transaction, so the next turn reads
    them as its history. NotFoundError when the conversation is gone."""
    with store.db.atomic():
        return [store.messages.add(Message(conversation_id=conversation_id, role=role,
                                           content=content))
                for role, content in entries]
