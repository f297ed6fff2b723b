"""A hand-off whose asked agent runs on the REAL llama.cpp server (Gemma 3
270M). The asking agent is scripted so the hand-off surely happens (the tiny
base model seldom calls a tool on its own); the nested step is a real
streamed reply, recorded with its model and usage, and its text is exactly
the tool result the asking agent gets."""

from __future__ import annotations

import asyncio

from app.core.turn_inputs import default_provider_pool
from app.domain import AgentSpec, ProviderConfig, ToolResult
from app.domain.workflow import StepEnd, StepEvent, WorkflowSpec
from app.ops import workflows as workflow_ops
from app.settings import AppSettings
from app.store import AsyncStore
from tests.support.runner_helpers import RoundsProvider, calls
from tests.support.scripted_providers import answer, config


def test_a_nested_step_on_the_real_server(tmp_path, llama_server):
    lead = RoundsProvider(config("scripted"),
                          [calls(("c1", "ask_reader", {"question": "The sky is"})),
                           answer("done")])
    real = ProviderConfig(name="llama", kind="llamacpp", base_url=llama_server.base_url,
                          is_local=True)
    spec = WorkflowSpec(name="Desk", kind="handoff", agents=["Lead", "Reader"], max_depth=1)

    async def main():
        store = await AsyncStore.open(tmp_path / "agentdesk.db")
        settings = AppSettings(home=tmp_path)
        pool = default_provider_pool(settings)
        try:
            def seed(s):
                s.providers.create(lead.config)
                s.providers.create(real)
                s.agents.create(AgentSpec(name="Lead", provider="scripted", model="m"))
                s.agents.create(AgentSpec(name="Reader", provider="llama",
                                          model=llama_server.model, max_tokens=12,
                                          temperature=0.0))
                created = workflow_ops.create(s, spec)
                return workflow_ops.prepare_run(s, created, "Ask the reader.")

            prepared = await store.run(seed)

            def providers(cfg):
                return lead if cfg.name == "scripted" else pool(cfg)

            events = [e async for e in workflow_ops.run(store, settings, prepared,
                                                        providers=providers)]
            stored = await store.run(lambda s: s.messages.all(prepared.conversation.id))
            return events, stored
        finally:
            await pool.aclose()
            await store.close()

    events, stored = asyncio.run(main())
    ends = {e.agent: e for e in events if isinstance(e, StepEnd)}
    assert ends["Reader"].status == "complete" and ends["Reader"].model == "gemma3"
    assert ends["Reader"].usage is not None and ends["Reader"].usage.completion_tokens
    [result] = [e.event for e in events if isinstance(e, StepEvent)
                and isinstance(e.event, ToolResult)]
    reader = next(m for m in stored if m.id == ends["Reader"].message_id)
    assert not result.is_error and result.content == reader.content
    assert reader.meta["workflow"]["depth"] == 1 and reader.meta["workflow"]["parent"] == 1
    assert events[-1].status == "complete"
    assert lead.requests[1].messages[-1].content == reader.content
