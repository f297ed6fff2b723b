"""What export writes and import reads: conversations with their agent and messages.

``ConversationBundle`` is one stored conversation ready to be written out.
``ParsedConversation`` is one conversation read from a file, not yet stored
(its ``agent_id`` / ``conversation_id`` are placeholders). ``ImportReport`` says
what an import did: what was imported, and what was skipped and why.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.domain import AgentSpec, Conversation, Message
from app.store import NotFoundError, Store

FORMATS = ("json", "md", "html", "pdf")
# Fields of a message that export carries (everything but the database ids).
MESSAGE_FIELDS = ("role", "content", "tool_calls", "tool_call_id", "status", "model",
                  "provider", "usage", "agent_revision", "meta", "created_at",
                  "updated_at", "error", "attachments")


class ImportRejected(ValueError):
    """The whole file cannot be imported; nothing was written."""


@dataclass
class ConversationBundle:
    conversation: Conversation
    agent: AgentSpec  # the revision that produced the newest reply, else the current one
    messages: list[Message]   # the shown branch (what Markdown, HTML and PDF print)
    #: Every version (regenerated replies, edited messages), oldest first, with
    #: parent ids; what JSON writes. None: ``messages`` is all there is.
    all_messages: list[Message] | None = None

    @property
    def every_message(self) -> list[Message]:
        return self.messages if self.all_messages is None else self.all_messages


@dataclass
class ParsedConversation:
    conversation: Conversation
    messages: list[Message]
    fingerprint: str
    agent: AgentSpec | None = None  # the snapshot carried by our own formats
    notes: list[str] = field(default_factory=list)
    # True when times come from the source (so "same title + same start" means
    # the same conversation); False when the importer had to make them up.
    source_times: bool = True
    # Versions: parents[i] is the index of the message message i follows (None:
    # the first); active_leaf the index of the shown branch's end. None: one branch.
    parents: list[int | None] | None = None
    active_leaf: int | None = None

    @property
    def title(self) -> str:
        return self.conversation.title


@dataclass
class SkippedConversation:
    title: str
    reason: str


@dataclass
class ImportedConversation:
    title: str
    conversation_id: int
    agent: str
    messages: int


@dataclass
class ImportReport:
    source: str
    format: str
    imported: list[ImportedConversation] = field(default_factory=list)
    skipped: list[SkippedConversation] = field(default_factory=list)
    agents_created: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (f"imported {len(self.imported)} conversation"
                f"{'s' if len(self.imported) != 1 else ''} from {self.source} ({self.format})")
        if self.skipped:
            text += f", skipped {len(self.skipped)}"
        return text

    def as_dict(self) -> dict:
        return {
            "source": self.source, "format": self.format,
            "imported": [vars(item) for item in self.imported],
            "skipped": [vars(item) for item in self.skipped],
            "agents_created": self.agents_created, "notes": self.notes,
        }


def message_record(message: Message) -> dict:
    """A message as portable JSON data (no ids)."""
    return message.model_dump(mode="json", include=set(MESSAGE_FIELDS))


def content_fingerprint(conversation: Conversation, messages: Sequence[Message],
                        parents: Sequence[int | None] | None = None) -> str:
    """sha256 of a conversation's content: title, start time and every message
    without ids or times (and, when it has versions, which message follows
    which). The same conversation gives the same fingerprint wherever it is
    stored, so an export imported back next to its original is recognised.
    Message times are left out: a file without them gets times made up at
    import, and the same file must be recognised the second time."""
    canonical: dict = {
        "title": conversation.title,
        "created_at": conversation.created_at.isoformat(),
        "messages": [message_record(m) for m in messages],
    }
    if parents is not None and not is_linear(parents):
        canonical["parents"] = list(parents)
    for record in canonical["messages"]:
        record.pop("created_at", None)
        record.pop("updated_at", None)
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def is_linear(parents: Sequence[int | None]) -> bool:
    """One branch: each message follows the one before it."""
    return all(p == (i - 1 if i else None) for i, p in enumerate(parents))


def tree_of(messages: Sequence[Message]) -> list[int | None]:
    """Each stored message's parent as an index into ``messages`` (None: the
    first, or a parent that is not among them)."""
    index = {m.id: i for i, m in enumerate(messages)}
    return [index.get(m.parent_id) if m.parent_id is not None else None for m in messages]


def shown_branch(messages: Sequence[Message], leaf_id: int | None) -> list[Message]:
    """The messages from the first to ``leaf_id`` (default: the newest), oldest first."""
    by_id = {m.id: m for m in messages}
    current = by_id.get(leaf_id) if leaf_id is not None else None
    if current is None:
        current = messages[-1] if messages else None
    branch: list[Message] = []
    while current is not None and len(branch) <= len(messages):
        branch.append(current)
        current = by_id.get(current.parent_id) if current.parent_id is not None else None
    branch.reverse()
    return branch


def source_fingerprint(kind: str, data: object) -> str:
    """sha256 of a foreign conversation exactly as its file had it."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{kind}\n{text}".encode("utf-8", "surrogatepass")).hexdigest()


def agent_snapshot(store: Store, conversation: Conversation,
                   messages: Sequence[Message]) -> AgentSpec:
    """The agent as it was for the newest reply that names its revision."""
    current = store.agents.get(conversation.agent_id)
    revisions = [m.agent_revision for m in messages if m.agent_revision is not None]
    if not revisions or revisions[-1] == current.revision:
        return current
    try:
        for past in store.agents.revisions(conversation.agent_id):
            if past.revision == revisions[-1]:
                return past.spec
    except NotFoundError:
        pass  # the agent vanished mid-export: the current spec read above stands
    return current


def load_bundles(store: Store, ids: Sequence[int] | None = None) -> list[ConversationBundle]:
    """The conversations ``ids`` (in that order), or every conversation (oldest
    first, archived too) when ``ids`` is None. Unknown ids raise NotFoundError."""
    if ids is None:
        conversations, page = [], 500
        while True:
            batch = store.conversations.list(include_archived=True, limit=page,
                                             offset=len(conversations))
            conversations.extend(batch)
            if len(batch) < page:
                break
        conversations.sort(key=lambda c: c.id or 0)
    else:
        conversations = [store.conversations.get(i) for i in dict.fromkeys(ids)]
    bundles = []
    for conversation in conversations:
        every = store.messages.all(conversation.id)
        shown = shown_branch(every, conversation.active_leaf_id)
        bundles.append(ConversationBundle(
            conversation, agent_snapshot(store, conversation, shown), shown,
            all_messages=every if len(every) != len(shown) else None))
    return bundles
