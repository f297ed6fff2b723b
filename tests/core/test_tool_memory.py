"""The memory tool (remember / recall / forget through a real AsyncStore) and
the system-prompt block built from remembered facts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.core.tools import ToolContext, ToolOutcome, execute_tool
from app.core.tools.memory import (
    MAX_FACT_CHARS,
    MAX_FACTS_PER_AGENT,
    PROMPT_HEADER,
    memory_prompt,
    memory_tool,
)
from app.domain import AgentSpec
from app.domain.tools import Memory
from app.store import AsyncStore, ChangeNotice

Call = Callable[..., Awaitable[ToolOutcome]]


def with_memory(tmp_path: Path, scenario: Callable[[Call, AsyncStore, int], Awaitable[Any]],
                ) -> Any:
    """Run ``scenario(call, astore, agent_id)`` against a fresh database file;
    ``call(**arguments)`` runs the memory tool as that agent."""

    async def main() -> Any:
        astore = await AsyncStore.open(tmp_path / "agentdesk.db")
        try:
            agent = await astore.run(lambda s: s.agents.create(AgentSpec(name="Tutor")))
            tool = memory_tool()
            context = ToolContext(workspace=tmp_path, agent_id=agent.id, store=astore)

            async def call(**arguments: Any) -> ToolOutcome:
                return await execute_tool(tool, arguments, context)

            return await scenario(call, astore, agent.id)
        finally:
            await astore.close()

    return asyncio.run(main())


def test_remember_then_recall_lists_newest_first(tmp_path: Path) -> None:
    async def scenario(call: Call, astore: AsyncStore, agent_id: int):
        first = await call(action="remember", fact="Prefers metric units")
        second = await call(action="remember", fact="  Lives in   Lyon ")
        listed = await call(action="recall")
        stored = await astore.run(lambda s: s.memories.list(agent_id))
        return first, second, listed, stored

    first, second, listed, stored = with_memory(tmp_path, scenario)
    assert [m.content for m in stored] == ["Prefers metric units", "Lives in Lyon"]
    assert first.content == f"remembered as #{stored[0].id}: Prefers metric units"
    assert second.content == f"remembered as #{stored[1].id}: Lives in Lyon"
    lines = listed.content.splitlines()
    assert lines[0] == "remembered facts, newest first:"
    assert lines[1].startswith(f"#{stored[1].id} (") and lines[1].endswith("Lives in Lyon")
    assert lines[2].endswith("Prefers metric units")


def test_identical_facts_are_stored_once(tmp_path: Path) -> None:
    async def scenario(call: Call, astore: AsyncStore, agent_id: int):
        await call(action="remember", fact="Has a dog called Rex")
        again = await call(action="remember", fact="has a  DOG called rex")
        return again, await astore.run(lambda s: s.memories.list(agent_id))

    again, stored = with_memory(tmp_path, scenario)
    assert again.status == "ok"
    assert again.content == f"already remembered as #{stored[0].id}: Has a dog called Rex"
    assert len(stored) == 1


def test_recall_searches_by_words_best_match_first(tmp_path: Path) -> None:
    async def scenario(call: Call, astore: AsyncStore, agent_id: int):
        for fact in ["Drinks green tea", "Works on a Rust compiler",
                     "Likes tea with Rust-coloured mugs", "Plays chess"]:
            await call(action="remember", fact=fact)
        return (await call(action="recall", query="rust TEA"),
                await call(action="recall", query="football"))

    found, missing = with_memory(tmp_path, scenario)
    lines = found.content.splitlines()
    assert lines[0] == "facts matching 'rust TEA':"
    assert lines[1].endswith("Likes tea with Rust-coloured mugs")  # both words
    # One word each: newest first.
    assert lines[2].endswith("Works on a Rust compiler")
    assert lines[3].endswith("Drinks green tea")
    assert len(lines) == 4  # "Plays chess" does not match
    assert missing.status == "ok" and missing.content == "no remembered facts match 'football'"


def test_recall_with_nothing_remembered(tmp_path: Path) -> None:
    async def scenario(call: Call, astore: AsyncStore, agent_id: int):
        return await call(action="recall")

    assert with_memory(tmp_path, scenario).content == "no facts remembered yet"


def test_forget_by_id_and_by_exact_text(tmp_path: Path) -> None:
    async def scenario(call: Call, astore: AsyncStore, agent_id: int):
        for fact in ["Is vegetarian", "Speaks French", "Owns a bike"]:
            await call(action="remember", fact=fact)
        before = await astore.run(lambda s: s.memories.list(agent_id))
        by_id = await call(action="forget", id=before[0].id)
        by_text = await call(action="forget", fact="  speaks FRENCH ")
        not_exact = await call(action="forget", fact="bike")
        unknown_id = await call(action="forget", id=before[0].id)
        nothing = await call(action="forget")
        after = await astore.run(lambda s: s.memories.list(agent_id))
        return before, by_id, by_text, not_exact, unknown_id, nothing, after

    before, by_id, by_text, not_exact, unknown_id, nothing, after = with_memory(
        tmp_path, scenario)
    assert by_id.content == f"forgot #{before[0].id}: Is vegetarian"
    assert by_text.content == f"forgot #{before[1].id}: Speaks French"
    assert not_exact.is_error and "no remembered fact reads exactly 'bike'" in not_exact.content
    assert unknown_id.is_error and f"no remembered fact #{before[0].id}" in unknown_id.content
    assert nothing.is_error and "needs the fact's 'id'" in nothing.content
    assert [m.content for m in after] == ["Owns a bike"]


def test_an_agent_cannot_see_or_forget_another_agents_facts(tmp_path: Path) -> None:
    async def scenario(call: Call, astore: AsyncStore, agent_id: int):
        def setup(s):
            other = s.agents.create(AgentSpec(name="Other"))
            return s.memories.add(other.id, "Secret plan")

        foreign = await astore.run(setup)
        listed = await call(action="recall", query="secret plan")
        forgot = await call(action="forget", id=foreign.id)
        still = await astore.run(lambda s: s.memories.list(foreign.agent_id))
        return listed, forgot, still

    listed, forgot, still = with_memory(tmp_path, scenario)
    assert listed.content == "no facts remembered yet"
    assert forgot.is_error
    assert [m.content for m in still] == ["Secret plan"]


def test_facts_are_bounded(tmp_path: Path) -> None:
    async def scenario(call: Call, astore: AsyncStore, agent_id: int):
        too_long = await call(action="remember", fact="x" * (MAX_FACT_CHARS + 1))
        empty = await call(action="remember", fact="   ")
        missing = await call(action="remember")
        await astore.run(lambda s: [s.memories.add(agent_id, f"fact {i}")
                                    for i in range(MAX_FACTS_PER_AGENT)])
        full = await call(action="remember", fact="one more")
        duplicate_when_full = await call(action="remember", fact="fact 3")
        count = len(await astore.run(lambda s: s.memories.list(agent_id)))
        return too_long, empty, missing, full, duplicate_when_full, count

    too_long, empty, missing, full, duplicate_when_full, count = with_memory(
        tmp_path, scenario)
    assert too_long.is_error and f"keep it under {MAX_FACT_CHARS}" in too_long.content
    assert empty.is_error and "the fact is empty" in empty.content
    assert missing.is_error and "the fact is empty" in missing.content
    assert full.is_error and "memory is full" in full.content
    assert duplicate_when_full.status == "ok"
    assert "already remembered" in duplicate_when_full.content
    assert count == MAX_FACTS_PER_AGENT


def test_writes_notify_the_views(tmp_path: Path) -> None:
    async def scenario(call: Call, astore: AsyncStore, agent_id: int):
        seen: list[ChangeNotice] = []
        astore.subscribe(seen.append)
        await call(action="remember", fact="Uses Linux")
        await call(action="forget", fact="Uses Linux")
        await asyncio.sleep(0)  # notices arrive on the loop after the write
        return seen, agent_id

    seen, agent_id = with_memory(tmp_path, scenario)
    assert [(n.entity, n.op, n.parent_id) for n in seen] == [
        ("memory", "insert", agent_id), ("memory", "delete", agent_id)]


def test_without_a_store_or_agent_the_tool_says_so(tmp_path: Path) -> None:
    outcome = asyncio.run(execute_tool(memory_tool(), {"action": "recall"},
                                       ToolContext(workspace=tmp_path)))
    assert outcome.is_error and "memory is not available here" in outcome.content


def test_schema_offers_the_three_actions() -> None:
    tool = memory_tool()
    props = tool.parameters["properties"]
    assert tool.name == "memory" and tool.policy == "auto"
    assert props["action"]["enum"] == ["remember", "recall", "forget"]
    assert tool.parameters["required"] == ["action"]
    assert set(props) == {"action", "fact", "query", "id"}


# -- system prompt block ----------------------------------------------------------


def facts(*contents: str) -> list[Memory]:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return [Memory(id=i + 1, agent_id=1, content=text,
                   created_at=start + timedelta(days=i))
            for i, text in enumerate(contents)]


def test_prompt_lists_all_facts_when_they_fit() -> None:
    block = memory_prompt(facts("Name is Ada", "Prefers short answers"), 1_000)
    assert block.splitlines() == [PROMPT_HEADER, "- Prefers short answers",
                                  "- Name is Ada"]


def test_prompt_keeps_the_newest_facts_within_budget_and_says_so() -> None:
    memories = facts(*(f"fact number {i:02d}" for i in range(30)))
    budget = 400
    block = memory_prompt(memories, budget)
    lines = block.splitlines()

    assert len(block) <= budget
    kept = [line.removeprefix("- ") for line in lines[1:-1]]
    assert kept == [f"fact number {i:02d}" for i in range(29, 29 - len(kept), -1)]
    assert 0 < len(kept) < 30
    assert lines[-1].startswith(f"({30 - len(kept)} older facts were left out for space")


@pytest.mark.parametrize("budget", range(len(PROMPT_HEADER), len(PROMPT_HEADER) + 400, 7))
def test_prompt_never_exceeds_its_budget(budget: int) -> None:
    memories = facts("short", "a somewhat longer fact about the user", "x" * 90, "tiny")
    block = memory_prompt(memories, budget)
    assert len(block) <= budget
    if block:
        assert block.startswith(PROMPT_HEADER) and "- tiny" in block  # newest kept


def test_prompt_is_empty_without_facts_or_room() -> None:
    assert memory_prompt([], 10_000) == ""
    assert memory_prompt(facts("Name is Ada"), 0) == ""
    assert memory_prompt(facts("Name is Ada"), len(PROMPT_HEADER) + 3) == ""
