"""Open WebUI's chat export (Settings → Chats → Export, or a chat's Download → JSON).

A list of ``{id, user_id, title, chat, created_at, updated_at, archived, pinned,
meta, ...}`` (times in Unix seconds). ``chat`` holds ``title``, ``models``,
``history: {messages: {id: {id, parentId, childrenIds, role, content,
timestamp, model}}, currentId}`` and a flat ``messages`` list. Regenerated
answers are sibling branches; we import the chain from ``currentId`` to the
root (the flat list when there is no history).
"""

from __future__ import annotations

from typing import Any

from app.core.export.foreign import active_branch, build, epoch_time, safe, unusable_times
from app.core.export.memory_budget import MemoryBudget
from app.core.export.model import ParsedConversation
from app.core.export.validation import ImportLimits, check_data, clean_title, require


def is_openwebui(data: Any) -> bool:
    items = data if isinstance(data, list) else [data]
    return bool(items) and all(
        isinstance(i, dict) and isinstance(i.get("chat"), dict)
        and ("history" in i["chat"] or "messages" in i["chat"]) for i in items[:50])


def parse_openwebui(data: Any, limits: ImportLimits, budget: MemoryBudget | None = None
                    ) -> tuple[list[ParsedConversation], list[tuple[str, str]], list[str]]:
    items = data if isinstance(data, list) else [data]
    parsed, skipped = [], []
    for number, raw in enumerate(items, 1):
        chat = raw.get("chat") if isinstance(raw, dict) else None
        title = raw.get("title") if isinstance(raw, dict) else None
        if not title and isinstance(chat, dict):
            title = chat.get("title")
        title = clean_title(title, limits, f"Open WebUI chat {number}")
        result = safe(lambda raw=raw, title=title: _conversation(raw, title, limits, budget),
                      title, skipped)
        if result is not None:
            parsed.append(result)
    return parsed, skipped, []


def _conversation(raw: Any, title: str, limits: ImportLimits,
                  budget: MemoryBudget | None) -> ParsedConversation:
    require(isinstance(raw, dict), "not a chat object")
    chat = raw.get("chat")
    require(isinstance(chat, dict), "no 'chat' object")
    check_data(chat, "the chat", limits.max_depth)
    check_data(raw, "the chat", limits.max_depth + 1)   # numbers outside the chat too
    history = chat.get("history")
    nodes = history.get("messages") if isinstance(history, dict) else None
    if isinstance(nodes, dict) and nodes:
        leaf = history.get("currentId")
        require(isinstance(leaf, str) and leaf in nodes,   # a list or dict: unhashable
                "the history's currentId names no message")
        chain = active_branch(nodes, leaf, lambda node: node.get("parentId"),
                              limits.max_messages)
        items = [nodes[node_id] for node_id in chain]
    else:
        items = chat.get("messages")
        require(isinstance(items, list), "the chat has no messages")
        require(len(items) <= limits.max_messages, "too many messages")
    models = chat.get("models")
    default_model = models[0] if isinstance(models, list) and models else None
    turns = []
    for item in items:
        if not isinstance(item, dict) or item.get("role") not in ("user", "assistant"):
            continue
        content = item.get("content")
        if not isinstance(content, str) or not content.strip():
            continue
        turns.append({"role": item["role"], "content": content,
                      "time": epoch_time(item.get("timestamp")),
                      "model": item.get("model") or (
                          default_model if item["role"] == "assistant" else None),
                      "source_id": item.get("id")})
    return build("openwebui", raw, title=title, created=epoch_time(raw.get("created_at")),
                 updated=epoch_time(raw.get("updated_at")), turns=turns, limits=limits,
                 pinned=raw.get("pinned") is True, archived=raw.get("archived") is True,
                 budget=budget,
                 notes=unusable_times(raw, ("created_at", "updated_at")))
