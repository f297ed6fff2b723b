"""Conversations: the title of a new chat, starting one, listing, renaming,
pinning, archiving, deleting, and reading one as stored now.

Every op takes the synchronous ``Store`` first (the window runs it on the
store's worker through ``bridge.run(partial(op, ...))``, the CLI calls it
directly) and raises the store's typed errors (``NotFoundError`` ...).
"""

from __future__ import annotations

from app.domain import AgentSpec, Conversation, Message
from app.domain.conversation import ConversationOrigin
from app.store import NotFoundError, Store

#: A new chat's title: at most this many words of its first message ...
TITLE_WORDS = 8
#: ... and at most this many characters (cut with "…").
TITLE_CHARS = 60
#: The title when the first message has no words.
UNTITLED = "New chat"
#: Conversations read per page when every one is wanted.
LIST_PAGE = 500
#: How many of the newest shown messages a reply preview looks through.
PREVIEW_SCAN = 8


def title_for_new_chat(text: str) -> str:
    """The one title rule (window, CLI, API): the first words of the chat's
    first message, whitespace folded, cut at ``TITLE_CHARS`` with "…"."""
    words = " ".join(text.split()[:TITLE_WORDS])
    if len(words) > TITLE_CHARS:
        words = words[: TITLE_CHARS - 1].rstrip() + "…"
    return words or UNTITLED


def start(store: Store, agent_id: int, first_message: str, *,
          origin: ConversationOrigin = "app") -> Conversation:
    """A new conversation of ``agent_id`` titled after its first message
    (NotFoundError when the agent is gone). The message itself is recorded by
    the turn that sends it. ``origin="api"``: started over the HTTP API."""
    return store.conversations.create(agent_id, title_for_new_chat(first_message),
                                      origin=origin)


def get(store: Store, conversation_id: int) -> Conversation:
    """The conversation (NotFoundError if there is none)."""
    return store.conversations.get(conversation_id)


def stamp(store: Store, conversation_id: int) -> Conversation | None:
    """The conversation as stored now, None when it no longer exists. Equal
    stamps mean nothing was written to it (every message write touches
    ``updated_at``; deletes change ``message_count``)."""
    try:
        return store.conversations.get(conversation_id)
    except NotFoundError:
        return None


def get_many(store: Store, conversation_ids: tuple[int, ...] | list[int]
             ) -> dict[int, Conversation | None]:
    """Each id's conversation as stored now (None: deleted)."""
    return {conversation_id: stamp(store, conversation_id)
            for conversation_id in conversation_ids}


def list_chats(store: Store, agent_id: int | None = None, *, include_archived: bool = False,
               archived_only: bool = False, limit: int = 50,
               offset: int = 0) -> list[Conversation]:
    """Pinned first, then newest activity (archived ones only when asked)."""
    return store.conversations.list(agent_id, include_archived=include_archived,
                                    archived_only=archived_only, limit=limit, offset=offset)


def list_all(store: Store, agent_id: int | None = None) -> list[Conversation]:
    """Every conversation (archived too), read page by page."""
    found: list[Conversation] = []
    while True:
        batch = store.conversations.list(agent_id, include_archived=True, limit=LIST_PAGE,
                                         offset=len(found))
        found.extend(batch)
        if len(batch) < LIST_PAGE:
            return found


def rename(store: Store, conversation_id: int, title: str) -> Conversation:
    """A blank title becomes "New chat"."""
    return store.conversations.rename(conversation_id, title)


def set_pinned(store: Store, conversation_id: int, pinned: bool) -> Conversation:
    return store.conversations.set_pinned(conversation_id, pinned)


def set_archived(store: Store, conversation_id: int, archived: bool) -> Conversation:
    """Archive (hidden from the lists, kept) or bring back; twice is no error."""
    return store.conversations.set_archived(conversation_id, archived)


def archive(store: Store, conversation_id: int) -> Conversation:
    return set_archived(store, conversation_id, True)


def unarchive(store: Store, conversation_id: int) -> Conversation:
    return set_archived(store, conversation_id, False)


def delete(store: Store, conversation_id: int) -> Conversation:
    """Delete the conversation and its messages; returns it as it was (its
    ``message_count`` says how many messages went with it)."""
    conversation = store.conversations.get(conversation_id)
    store.conversations.delete(conversation_id)
    return conversation


def drop_if_empty(store: Store, conversation_id: int) -> bool:
    """Delete a conversation that holds no message (one started for a message
    that was then refused before it was recorded); True if it went."""
    if store.messages.page(conversation_id, limit=1):
        return False
    store.conversations.delete(conversation_id)
    return True


def owner(store: Store, conversation: Conversation) -> AgentSpec:
    """The agent a conversation belongs to."""
    return store.agents.get(conversation.agent_id)


def reply_preview(store: Store, conversation_id: int) -> tuple[Conversation, Message | None]:
    """The conversation and the newest assistant message of its shown branch
    (what a "reply finished" notification shows)."""
    conversation = store.conversations.get(conversation_id)
    replies = [m for m in store.messages.path(conversation_id, limit=PREVIEW_SCAN)
               if m.role == "assistant"]
    return conversation, (replies[-1] if replies else None)
