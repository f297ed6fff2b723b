"""Retrieval in a turn: automatic (excerpts in the system prompt) and the
``knowledge_search`` tool; numbered references recorded with the reply."""

from __future__ import annotations

import json
from pathlib import Path

from app.core.knowledge.indexer import index_agent
from app.domain import AgentSpec, ToolCall, ToolResult
from tests.core.test_runner import LOCAL, runner_for
from tests.support.knowledge_files import HashEmbedder
from tests.support.runner_helpers import RoundsProvider, calls, registry
from tests.support.scripted_providers import answer
from tests.support.turn_helpers import collect, messages_of, run_with_setup


def _agent() -> AgentSpec:
    return AgentSpec(name="reader", provider="local", model="gemma", system_prompt="Be brief.")


def _with_knowledge(tmp_path: Path, retrieval: str, provider, *, embed: bool = False):
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "guide.md").write_text("# Guide\n\n## Falcons\n\nThe falcon code word is "
                                     "zanzibar-77.\n\n## Otters\n\nOtters sleep holding hands.\n")

    async def body(setup):
        def configure(store):
            store.knowledge.add_source(setup.agent.id, str(folder))
            settings = store.knowledge.settings(setup.agent.id).model_copy(update={
                "retrieval": retrieval, "top_k": 3,
                **({"embed_provider": "local", "embed_model": "m"} if embed else {})})
            store.knowledge.save_settings(settings)

        await setup.store.run(configure)
        await index_agent(setup.store.run, setup.agent.id,
                          embedder=HashEmbedder(key="local/m") if embed else None)
        runner = runner_for(setup, "What is the falcon code word?", provider, registry())
        events = await collect(runner.events())
        return runner.result, events, messages_of(setup.path, setup.conversation_id)

    return run_with_setup(tmp_path, _agent(), [LOCAL], body)


def test_auto_retrieval_puts_numbered_excerpts_in_the_prompt_and_records_them(
        tmp_path: Path) -> None:
    provider = RoundsProvider(LOCAL, [answer("It is zanzibar-77 [1].")])
    result, _events, rows = _with_knowledge(tmp_path, "auto", provider)
    system = provider.requests[0].messages[0].content
    assert system.startswith("Be brief.")
    assert "[1] guide.md — Guide › Falcons\n## Falcons\n\nThe falcon code word is zanzibar-77." \
        in system
    assert provider.requests[0].tools == []          # no search tool in auto mode
    references = result.final.meta["knowledge"]
    assert references[0]["n"] == 1 and references[0]["location"] == "Guide › Falcons"
    assert references[0]["path"].endswith("guide.md")
    assert json.loads(rows[-1]["meta"])["knowledge"] == references  # stored with the reply


def test_the_tool_mode_offers_knowledge_search_and_numbers_its_results(
        tmp_path: Path) -> None:
    provider = RoundsProvider(LOCAL, [
        calls(("c1", "knowledge_search", {"query": "falcon code word"})),
        answer("zanzibar-77 [1]"),
    ])
    result, events, _rows = _with_knowledge(tmp_path, "tool", provider)
    assert [t.name for t in provider.requests[0].tools] == ["knowledge_search"]
    assert "Excerpts" not in provider.requests[0].messages[0].content
    tool_result = next(e for e in events if isinstance(e, ToolResult))
    assert not tool_result.is_error
    assert tool_result.content.startswith("[1] guide.md — Guide › Falcons")
    assert any(isinstance(e, ToolCall) for e in events)
    assert result.final.meta["knowledge"][0]["n"] == 1


def test_an_embedding_model_that_fails_leaves_keyword_retrieval_and_says_so(
        tmp_path: Path) -> None:
    # the chunks have vectors, but the scripted provider makes no embeddings for
    # the question: the search falls back to keywords
    provider = RoundsProvider(LOCAL, [answer("ok")])
    result, _events, _rows = _with_knowledge(tmp_path, "auto", provider, embed=True)
    assert "zanzibar-77" in provider.requests[0].messages[0].content
    assert "keyword search only" in result.final.meta["knowledge_problem"]


def test_retrieval_off_changes_nothing(tmp_path: Path) -> None:
    provider = RoundsProvider(LOCAL, [answer("ok")])
    result, _events, _rows = _with_knowledge(tmp_path, "off", provider)
    assert provider.requests[0].messages[0].content == "Be brief."
    assert "knowledge" not in result.final.meta
