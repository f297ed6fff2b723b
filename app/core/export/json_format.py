"""Our JSON export: a versioned document that imports back without loss.

Format (version 2)::

    {"format": "agentdesk.conversations", "version": 2, "exported_at": ISO-8601,
     "conversations": [
        {"conversation": {"id", "title", "pinned", "archived", "created_at", "updated_at",
                          "active_leaf_id"},
         "agent": AgentSpec.portable() (the same object as an agent file's "agent"),
         "messages": [{"id", "parent_id", "role", "content", "tool_calls", "tool_call_id",
                       "status", "model", "provider", "usage", "agent_revision", "meta",
                       "created_at", "updated_at", "error", "attachments"}]}]}

``attachments`` (since the attachments release; absent in older files): the
files of a user message, each {"kind": "image"|"document", "name", "mime",
"size", "data" (base64 of the image sent), "text" (a document's text),
"width", "height", "note"}.

``messages`` holds every version of every turn (regenerated replies, edited
messages; app/store/message_tree.py), oldest first: ``parent_id`` names the
message each one follows (an earlier ``id`` of the same list; null for the
first) and ``active_leaf_id`` the last message of the branch that was shown.
The ids are informational otherwise; import always creates new conversations
and messages. Version 1 (no ids: one branch in order) still imports.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from app.core.export.dates import RANGE_TEXT, clamp_times
from app.core.export.file_header import check_version
from app.core.export.memory_budget import MemoryBudget, spend_messages
from app.core.export.model import (
    ConversationBundle,
    ImportRejected,
    ParsedConversation,
    content_fingerprint,
    message_record,
)
from app.core.export.validation import (
    DEFAULT_LIMITS,
    ImportLimits,
    Invalid,
    check_data,
    check_depth,
    check_int,
    check_text,
    clean_title,
    require,
    title_controls_replaced,
)
from app.domain import AgentSpec, Conversation, Message
from app.domain.clock import utc_now

FORMAT = "agentdesk.conversations"
VERSION = 2
AGENT_FORMAT = "agentdesk.agent"  # app/commands/agent_files.py: one agent per file
_AGENT_IDENTITY = ("id", "revision", "created_at", "updated_at")


def conversation_entry(bundle: ConversationBundle) -> dict[str, Any]:
    c = bundle.conversation
    every = bundle.every_message
    shown = bundle.messages
    return {
        "conversation": {"id": c.id, "title": c.title, "pinned": c.pinned,
                         "archived": c.archived, "created_at": c.created_at.isoformat(),
                         "updated_at": c.updated_at.isoformat(),
                         "active_leaf_id": shown[-1].id if shown else None},
        "agent": bundle.agent.portable(),
        "messages": [{"id": m.id, "parent_id": m.parent_id, **message_record(m)}
                     for m in every],
    }


def export_document(bundles: Sequence[ConversationBundle]) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "exported_at": utc_now().isoformat(),
            "conversations": [conversation_entry(b) for b in bundles]}


def export_json(bundles: Sequence[ConversationBundle]) -> str:
    return json.dumps(export_document(bundles), ensure_ascii=False, indent=1) + "\n"


def is_our_document(data: Any) -> bool:
    return isinstance(data, dict) and data.get("format") == FORMAT


def parse_document(data: dict, limits: ImportLimits = DEFAULT_LIMITS,
                   budget: MemoryBudget | None = None
                   ) -> tuple[list[ParsedConversation], list[tuple[str, str]]]:
    """(conversations that can be imported, [(title, reason) skipped])."""
    check_version(data, latest=VERSION, kind="conversations", error=ImportRejected,
                  newer_note=" — please update")
    entries = data.get("conversations")
    if not isinstance(entries, list):
        raise ImportRejected("the file has no 'conversations' list")
    if len(entries) > limits.max_conversations:
        raise ImportRejected(f"the file holds {len(entries):,} conversations; the limit "
                             f"is {limits.max_conversations:,}")
    parsed, skipped = [], []
    for number, entry in enumerate(entries, 1):
        label = _label(entry, number)
        try:
            parsed.append(parse_entry(entry, limits, budget))
        except Invalid as exc:
            skipped.append((label, str(exc)))
    return parsed, skipped


def parse_entry(entry: Any, limits: ImportLimits = DEFAULT_LIMITS,
                budget: MemoryBudget | None = None) -> ParsedConversation:
    require(isinstance(entry, dict), "not a conversation object")
    head = entry.get("conversation")
    require(isinstance(head, dict), "no 'conversation' object")
    raw_messages = entry.get("messages")
    require(isinstance(raw_messages, list), "no 'messages' list")
    require(len(raw_messages) <= limits.max_messages,
            f"{len(raw_messages):,} messages; the limit is {limits.max_messages:,}")
    spend_messages(budget, len(raw_messages))
    title = head.get("title")
    require(isinstance(title, str), "the title is missing")
    check_text(title, "the title", limits.max_title_chars)
    notes: list[str] = []
    if title_controls_replaced(title) != title:
        title = title_controls_replaced(title)
        notes.append("control characters in the title were replaced by spaces")
    try:
        conversation = Conversation(
            agent_id=0, title=title, pinned=head.get("pinned", False),
            archived=head.get("archived", False), created_at=head["created_at"],
            updated_at=head.get("updated_at", head["created_at"]))
    except (KeyError, ValidationError) as exc:
        raise Invalid(f"invalid conversation: {_reason(exc)}") from None
    messages = []
    after = conversation.created_at
    for number, raw in enumerate(raw_messages, 1):
        # A message without times follows the one before it (never "now":
        # the same file must give the same conversation every time).
        message = parse_message(raw, number, limits, after)
        after = message.created_at
        messages.append(message)
    # A literal of 5,000 digits anywhere skips this conversation, never the
    # whole file (checked after the messages, whose own checks word it better).
    check_data(entry, "the conversation", limits.max_depth + 3)
    conversation, messages = clamp_times(conversation, messages, notes)
    parents, leaf = parse_tree(raw_messages, head.get("active_leaf_id"))
    agent = parse_agent(entry.get("agent"), notes)
    return ParsedConversation(conversation, messages, content_fingerprint(
        conversation, messages, parents), agent=agent, notes=notes, parents=parents,
        active_leaf=leaf)


def parse_tree(raw_messages: list, leaf_id: Any) -> tuple[list[int | None] | None, int | None]:
    """(parents as indexes, the shown leaf's index) from the file's message ids;
    (None, None) for a file without them (version 1: one branch in order)."""
    ids = [raw.get("id") for raw in raw_messages]
    if all(i is None for i in ids):
        return None, None
    index: dict[int, int] = {}
    parents: list[int | None] = []
    for number, (raw, id_) in enumerate(zip(raw_messages, ids, strict=True), 1):
        require(isinstance(id_, int) and not isinstance(id_, bool) and id_ not in index,
                f"message {number} has no id of its own")
        parent = raw.get("parent_id")
        require(parent is None or (isinstance(parent, int) and parent in index),
                f"message {number} follows a message that is not before it")
        parents.append(None if parent is None else index[parent])
        index[id_] = number - 1
    if leaf_id is None:
        return parents, None
    require(isinstance(leaf_id, int) and leaf_id in index,
            "the shown branch ends at a message that is not in the file")
    return parents, index[leaf_id]


def parse_message(raw: Any, number: int, limits: ImportLimits,
                  after: datetime | None = None) -> Message:
    what = f"message {number}"
    require(isinstance(raw, dict), f"{what} is not an object")
    content = raw.get("content", "")
    require(isinstance(content, str), f"{what} has non-text content")
    check_text(content, f"{what}", limits.max_message_chars)
    for key in ("tool_calls", "meta", "usage", "attachments"):
        check_depth(raw.get(key), f"{what} {key}", limits.max_depth)
    for attachment in raw.get("attachments") or []:
        if isinstance(attachment, dict) and isinstance(attachment.get("text"), str):
            check_text(attachment["text"], f"{what} attachment", limits.max_message_chars)
    check_int(raw.get("agent_revision"), f"{what} agent_revision")
    for key in ("error", "model", "provider", "tool_call_id"):
        if isinstance(raw.get(key), str):
            check_text(raw[key], f"{what} {key}", limits.max_message_chars)
    values = {k: v for k, v in raw.items()
              if k not in ("id", "conversation_id", "parent_id")}   # ids: parse_tree
    if after is not None and values.get("created_at") is None:
        values["created_at"] = after
    if values.get("updated_at") is None and "created_at" in values:
        values["updated_at"] = values["created_at"]
    try:
        return Message(conversation_id=0, **values)
    except (TypeError, ValidationError) as exc:
        raise Invalid(f"{what} is invalid: {_reason(exc)}") from None


def parse_agent(raw: Any, notes: list[str]) -> AgentSpec | None:
    """The agent snapshot, validated like an agent file's "agent" object."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        notes.append("the agent snapshot is not an object; using the default agent")
        return None
    try:
        for key, value in raw.items():   # max_turns over 2^63 failed on save
            if key not in _AGENT_IDENTITY:
                check_int(value, key)
        return AgentSpec.model_validate(
            {k: v for k, v in raw.items() if k not in _AGENT_IDENTITY})
    except Invalid as exc:
        notes.append(f"the agent snapshot is invalid ({exc}); using the default agent")
        return None
    except ValidationError as exc:
        notes.append(f"the agent snapshot is invalid ({_reason(exc)}); "
                     "using the default agent")
        return None


def _label(entry: Any, number: int) -> str:
    head = entry.get("conversation") if isinstance(entry, dict) else None
    title = head.get("title") if isinstance(head, dict) else None
    return clean_title(title, DEFAULT_LIMITS, fallback=f"conversation {number}")[:80]


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        if where in ("created_at", "updated_at") and "date" in str(first.get("msg")):
            shown = repr(first.get("input"))[:60]
            return (f"{where}: {shown} is not a date AgentDesk can store "
                    f"(ISO 8601, {RANGE_TEXT})")
        return f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
    if isinstance(exc, KeyError):
        return f"missing {exc.args[0]!r}"
    return str(exc)
