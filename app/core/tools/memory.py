"""Long-term memory: the ``memory`` tool and the system-prompt block.

An agent remembers short facts about the user across conversations. Facts are
stored per agent (``store.memories``), shown to and editable by the user, and
added to the system prompt by ``memory_prompt`` within a size budget.

The runner passes the AsyncStore as ``context.store`` and the agent
as ``context.agent_id``; every database step runs through ``astore.run`` on the
store's worker thread, never on the event loop.
"""

from __future__ import annotations

import re
from typing import Literal

from app.core.tools.base import FunctionTool, Tool, ToolContext, ToolError
from app.domain.tools import Memory
from app.store import AsyncStore, Store
from app.store.errors import NotFoundError

MAX_FACT_CHARS = 500
MAX_FACTS_PER_AGENT = 200
MAX_RECALL = 50

PROMPT_HEADER = ("Facts you remember about the user from earlier conversations "
                 "(use the memory tool to add, recall or forget facts):")

_WORD = re.compile(r"\w+", re.UNICODE)


def normalize(text: str) -> str:
    """How facts are compared for duplicates and exact-text forgetting."""
    return " ".join(text.split()).casefold()


def _words(text: str) -> set[str]:
    return {word.casefold() for word in _WORD.findall(text)}


def _newest_first(memories: list[Memory]) -> list[Memory]:
    return sorted(memories, key=lambda m: (m.created_at, m.id or 0), reverse=True)


def _line(memory: Memory) -> str:
    return f"#{memory.id} ({memory.created_at:%Y-%m-%d}): {memory.content}"


def remember(store: Store, agent_id: int, fact: str) -> str:
    cleaned = " ".join(fact.split())
    if not cleaned:
        raise ToolError("the fact is empty")
    if len(cleaned) > MAX_FACT_CHARS:
        raise ToolError(f"the fact is too long ({len(cleaned)} characters; keep it under "
                        f"{MAX_FACT_CHARS}, one short fact per call)")
    existing = store.memories.list(agent_id)
    for memory in existing:
        if normalize(memory.content) == normalize(cleaned):
            return f"already remembered as #{memory.id}: {memory.content}"
    if len(existing) >= MAX_FACTS_PER_AGENT:
        raise ToolError(f"memory is full ({MAX_FACTS_PER_AGENT} facts); forget an "
                        "outdated fact first")
    memory = store.memories.add(agent_id, cleaned)
    return f"remembered as #{memory.id}: {memory.content}"


def recall(store: Store, agent_id: int, query: str | None) -> str:
    memories = _newest_first(store.memories.list(agent_id))
    if not memories:
        return "no facts remembered yet"
    if query and query.strip():
        wanted = _words(query)
        scored = [(len(wanted & _words(m.content)), m) for m in memories]
        # Stable sort: most matching words first, newest first among equals.
        matches = [m for score, m in sorted(scored, key=lambda pair: -pair[0]) if score]
        if not matches:
            return f"no remembered facts match {query.strip()!r}"
        heading = f"facts matching {query.strip()!r}"
    else:
        matches, heading = memories, "remembered facts, newest first"
    shown = matches[:MAX_RECALL]
    more = (f"\n({len(matches) - len(shown)} more not shown; search with words)"
            if len(matches) > len(shown) else "")
    return f"{heading}:\n" + "\n".join(_line(m) for m in shown) + more


def forget(store: Store, agent_id: int, memory_id: int | None, fact: str | None) -> str:
    memories = store.memories.list(agent_id)
    if memory_id is not None:
        target = next((m for m in memories if m.id == memory_id), None)
        if target is None:  # also refuses other agents' facts
            raise ToolError(f"there is no remembered fact #{memory_id}")
    elif fact and fact.strip():
        target = next((m for m in memories if normalize(m.content) == normalize(fact)),
                      None)
        if target is None:
            raise ToolError(f"no remembered fact reads exactly {fact.strip()!r}; "
                            "recall to see the facts and their ids")
    else:
        raise ToolError("forget needs the fact's 'id' or its exact text in 'fact'")
    try:
        store.memories.delete(target.id)  # type: ignore[arg-type]
    except NotFoundError as exc:  # deleted meanwhile (e.g. by the user)
        raise ToolError(f"there is no remembered fact #{target.id}") from exc
    return f"forgot #{target.id}: {target.content}"


def _services(context: ToolContext) -> tuple[AsyncStore, int]:
    astore = context.store
    if astore is None or context.agent_id is None:
        raise ToolError("memory is not available here (no saved agent)")
    return astore, context.agent_id


def memory_tool() -> Tool:
    """The ``memory`` tool (auto-approved: the user sees and edits every fact)."""

    async def memory(action: Literal["remember", "recall", "forget"],
                     fact: str | None = None, query: str | None = None,
                     id: int | None = None, *, context: ToolContext) -> str:
        """Remember, recall or forget short facts about the user across conversations.

        Remember only lasting facts the user would want kept (name, preferences,
        projects), one short fact per call. Never store secrets or passwords.

        Args:
            action: remember (store `fact`), recall (list facts, or search them by the
                words in `query`), forget (delete by `id` or by the exact `fact` text).
            fact: for remember/forget: the fact, e.g. "Prefers metric units".
            query: for recall: words to search for; leave empty to list all facts.
            id: for forget: the fact's number as shown by recall.
        """
        astore, agent_id = _services(context)
        if action == "remember":
            return await astore.run(lambda s: remember(s, agent_id, fact or ""))
        if action == "recall":
            return await astore.run(lambda s: recall(s, agent_id, query))
        return await astore.run(lambda s: forget(s, agent_id, id, fact))

    return FunctionTool(memory, name="memory", risk="low", timeout=30.0)


def memory_prompt(memories: list[Memory], budget_chars: int) -> str:
    """The system-prompt block listing remembered facts, at most ``budget_chars``.

    When not all facts fit, the newest are kept (listed newest first) and a
    closing line says how many older facts were left out. Returns "" when
    there is nothing to add or not even one fact fits.
    """
    if not memories or budget_chars <= 0:
        return ""
    ordered = _newest_first(memories)
    lines = [PROMPT_HEADER]
    used = len(PROMPT_HEADER)
    for index, memory in enumerate(ordered):
        line = f"- {memory.content}"
        left_out = len(ordered) - index - 1
        # Reserve room for the "left out" note unless this is the last fact.
        note = _left_out_note(left_out) if left_out else ""
        if used + 1 + len(line) + (1 + len(note) if note else 0) > budget_chars:
            break
        lines.append(line)
        used += 1 + len(line)
    kept = len(lines) - 1
    if kept == 0:
        return ""
    if kept < len(ordered):
        lines.append(_left_out_note(len(ordered) - kept))
    return "\n".join(lines)


def _left_out_note(count: int) -> str:
    noun = "fact was" if count == 1 else "facts were"
    return (f"({count} older {noun} left out for space; use the memory tool's "
            "recall to look them up.)")
