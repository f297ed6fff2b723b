"""ChatGPT's ``conversations.json`` (Settings → Data controls → Export data).

The file is a list of conversations, each ``{title, create_time, update_time,
mapping, current_node, ...}``. ``mapping`` is a tree: node id -> ``{id, message,
parent, children}``, where ``message`` is ``{author: {role}, content:
{content_type, parts}, create_time, metadata}`` (or null at the root). Edited
prompts and regenerated answers are sibling branches; the one on screen is the
chain from ``current_node`` up to the root, which is what we import.

Skipped: system and tool messages, messages hidden from the conversation
(custom instructions), empty ones. Parts that are not text (images, files) and
non-text content types (code run, browsing) are counted in the report notes.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from app.core.export.foreign import active_branch, build, epoch_time, safe, unusable_times
from app.core.export.memory_budget import MemoryBudget
from app.core.export.model import ParsedConversation
from app.core.export.validation import ImportLimits, check_data, clean_title, require
from app.core.wording import plural

_TEXT_TYPES = ("text", "multimodal_text")


def is_chatgpt(data: Any) -> bool:
    items = data if isinstance(data, list) else [data]
    return bool(items) and all(isinstance(i, dict) and isinstance(i.get("mapping"), dict)
                               for i in items[:50])


def parse_chatgpt(data: Any, limits: ImportLimits, budget: MemoryBudget | None = None
                  ) -> tuple[list[ParsedConversation], list[tuple[str, str]], list[str]]:
    items = data if isinstance(data, list) else [data]
    parsed, skipped = [], []
    omitted: Counter[str] = Counter()
    for number, raw in enumerate(items, 1):
        title = clean_title(raw.get("title") if isinstance(raw, dict) else None, limits,
                            f"ChatGPT conversation {number}")
        result = safe(lambda raw=raw, title=title: _conversation(raw, title, limits, omitted,
                                                                 budget),
                      title, skipped)
        if result is not None:
            parsed.append(result)
    notes = [f"{plural(count, kind + ' part')} {'was' if count == 1 else 'were'} not "
             "imported (only text is)"
             for kind, count in sorted(omitted.items())]
    return parsed, skipped, notes


def _conversation(raw: Any, title: str, limits: ImportLimits, omitted: Counter[str],
                  budget: MemoryBudget | None) -> ParsedConversation:
    require(isinstance(raw, dict), "not a conversation object")
    mapping = raw.get("mapping")
    require(isinstance(mapping, dict), "no message tree ('mapping')")
    check_data(mapping, "the message tree", limits.max_depth)
    # Numbers anywhere (create_time 10**400, a literal of 5,000 digits) skip
    # this conversation with a reason, never the file.
    check_data(raw, "the conversation", limits.max_depth + 1)
    leaf = raw.get("current_node")
    if not isinstance(leaf, str) or leaf not in mapping:   # a list or dict: unhashable
        leaf = _newest_leaf(mapping)
    chain = active_branch(mapping, leaf, lambda node: node.get("parent"),
                          limits.max_messages)
    turns = []
    for node_id in chain:
        turn = _turn(mapping[node_id].get("message"), omitted)
        if turn is not None:
            turns.append(turn)
    return build("chatgpt", raw, title=title, created=epoch_time(raw.get("create_time")),
                 updated=epoch_time(raw.get("update_time")), turns=turns, limits=limits,
                 archived=raw.get("is_archived") is True, budget=budget,
                 notes=unusable_times(raw, ("create_time", "update_time")))


def _turn(message: Any, omitted: Counter[str]) -> dict | None:
    if not isinstance(message, dict):
        return None  # the root node carries no message
    author = message.get("author")
    role = author.get("role") if isinstance(author, dict) else None
    metadata = message.get("metadata") if isinstance(message.get("metadata"), dict) else {}
    if role not in ("user", "assistant") or metadata.get(
            "is_visually_hidden_from_conversation"):
        return None
    content = message.get("content")
    kind = content.get("content_type") if isinstance(content, dict) else None
    if kind not in _TEXT_TYPES:
        omitted[str(kind or "unknown")] += 1
        return None
    texts, missing = [], 0
    parts = content.get("parts")
    if not isinstance(parts, list):   # a number or an object: no text parts
        parts = [parts] if isinstance(parts, str) else []
    for part in parts:
        if isinstance(part, str):
            texts.append(part)
        else:
            missing += 1
            kind_of_part = part.get("content_type") if isinstance(part, dict) else None
            omitted[str(kind_of_part or "non-text")] += 1
    text = "\n".join(texts).strip("\n")
    if not text.strip():
        return None
    return {"role": role, "content": text, "time": epoch_time(message.get("create_time")),
            "model": metadata.get("model_slug"), "source_id": message.get("id"),
            "omitted": missing}


def _newest_leaf(mapping: dict) -> str:
    """Without a valid current_node: the childless node with the newest message."""
    def when(node_id: str) -> float:
        node = mapping.get(node_id)
        message = node.get("message") if isinstance(node, dict) else None
        stamp = message.get("create_time") if isinstance(message, dict) else None
        return float(stamp) if isinstance(stamp, (int, float)) else 0.0

    leaves = [key for key, node in mapping.items()
              if isinstance(node, dict) and not node.get("children")]
    require(leaves, "the message tree has no current node")
    return max(leaves, key=when)
