"""Compare on the REAL llama.cpp server (Gemma 3 270M): two agents stream into
their columns at once, and Stop stops both.

One llama-cpp-python server runs one request at a time (the test server
queues a second one, see tests/support/llama_server.py), so two columns on one
server answer one after the other. Each agent here has its own server process
(the session's two: ``llama_server`` and ``second_llama_server``), as two agents on
two local engines would — then the columns truly stream together.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing

import pytest

from app.core.compare import CompareColumn, CompareRun
from app.core.fallback import Attempt
from app.domain import AgentSpec, Done, Error, ProviderConfig, TextDelta
from app.settings import AppSettings

SETTINGS = AppSettings()


@pytest.fixture
def second_server(second_llama_server):
    return second_llama_server


def setup(llama_server, second_server, max_tokens: int):
    configs = [ProviderConfig(name=name, kind="llamacpp", base_url=server.base_url,
                              is_local=True)
               for name, server in (("one", llama_server), ("two", second_server))]
    columns = [CompareColumn(AgentSpec(id=i + 1, name=f"agent {name}", provider=name,
                                       model=llama_server.model, temperature=0.8,
                                       max_tokens=max_tokens,
                                       system_prompt="You tell long stories."))
               for i, name in enumerate(("one", "two"))]
    return configs, columns


def run(configs, columns, message: str, *, stop_when_both_spoke: bool = False):
    compare = CompareRun(columns, message, configs, SETTINGS)
    order: list[tuple[int, object]] = []

    async def go() -> None:
        async with aclosing(compare.events()) as events:
            async for item in events:
                if isinstance(item.event, Attempt):
                    continue
                order.append((item.column, item.event))
                spoke = {c for c, e in order if isinstance(e, TextDelta) and e.text}
                if stop_when_both_spoke and spoke == {0, 1}:
                    compare.stop()

    asyncio.run(asyncio.wait_for(go(), 240))
    return compare, order


def test_two_agents_stream_into_their_columns_at_once(llama_server, second_server):
    configs, columns = setup(llama_server, second_server, max_tokens=48)
    compare, order = run(configs, columns, "Tell me a long story about a lighthouse keeper.")
    first_text = {}
    for index, (column, event) in enumerate(order):
        if isinstance(event, TextDelta) and event.text:
            first_text.setdefault(column, index)
    first_end = min(i for i, (_c, e) in enumerate(order) if isinstance(e, (Done, Error)))
    # Both columns had text before either column finished: they streamed together.
    assert set(first_text) == {0, 1}
    assert max(first_text.values()) < first_end
    # And the tokens interleave: the column changes more than once while both run.
    columns_in_order = [c for c, e in order[:first_end] if isinstance(e, TextDelta)]
    switches = sum(1 for a, b in zip(columns_in_order, columns_in_order[1:]) if a != b)
    assert switches >= 1
    assert [o.status for o in compare.outcomes] == ["complete", "complete"]
    assert [(o.provider, o.model) for o in compare.outcomes] == [("one", "gemma3"),
                                                                 ("two", "gemma3")]
    for outcome in compare.outcomes:
        usage = outcome.usage()
        assert outcome.text and usage.completion_tokens and usage.ttft_ms is not None
        assert usage.tokens_per_s and usage.tokens_per_s > 0


def test_stop_stops_both_columns(llama_server, second_server):
    configs, columns = setup(llama_server, second_server, max_tokens=512)
    compare, order = run(configs, columns, "Tell me a very long story about the sea.",
                         stop_when_both_spoke=True)
    ends = {c: e for c, e in order if isinstance(e, (Done, Error))}
    assert {c: getattr(e, "stop_reason", None) for c, e in ends.items()} == {
        0: "cancelled", 1: "cancelled"}
    assert [o.status for o in compare.outcomes] == ["cancelled", "cancelled"]
    for outcome in compare.outcomes:
        assert outcome.text
        assert (outcome.completion_tokens or outcome.deltas) < 512
