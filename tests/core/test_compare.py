"""CompareRun (app/core/compare.py) with scripted providers: exact interleaving,
metrics, a failing column, Stop, model columns and routing rules."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

from app.core.compare import CompareColumn, CompareRun, metrics_text
from app.core.fallback import Attempt
from app.domain import AgentSpec, Done, Error, TextDelta, Usage
from app.settings import AppSettings
from tests.support.scripted_providers import ScriptedProvider, answer, config, refused, source

SETTINGS = AppSettings()


def agent(name: str, provider: str, model: str = "m", **fields) -> AgentSpec:
    return AgentSpec(id=abs(hash(name)) % 1000 + 1, name=name, provider=provider, model=model,
                     system_prompt=f"You are {name}.", **fields)


def run_all(columns, providers, message="hello", *, during=None):
    """All column events (Attempts left out) and the run; ``during(run, events)``
    is called after each event (e.g. to stop)."""
    run = CompareRun(columns, message, [p.config for p in providers.values()], SETTINGS,
                     providers=source(providers))

    async def go():
        seen = []
        async with aclosing(run.events()) as events:
            async for item in events:
                if not isinstance(item.event, Attempt):
                    seen.append((item.column, item.event))
                if during is not None:
                    during(run, seen)
        return seen

    return asyncio.run(go()), run


def test_columns_stream_together_in_the_order_the_events_arrive():
    providers = {
        "a": ScriptedProvider(config("a"), [TextDelta(text="a1"), 0.05, TextDelta(text="a2"),
                                            0.1, TextDelta(text="a3"), Done()]),
        "b": ScriptedProvider(config("b"), [0.02, TextDelta(text="b1"), 0.05,
                                            TextDelta(text="b2"), Done()]),
    }
    events, run = run_all([CompareColumn(agent("A", "a")), CompareColumn(agent("B", "b"))],
                          providers)
    tokens = [(column, event.text) for column, event in events if event.type == "token"]
    assert tokens == [(0, "a1"), (1, "b1"), (0, "a2"), (1, "b2"), (0, "a3")]
    # Each column ends with exactly one usage, then one done.
    for column in (0, 1):
        tail = [e.type for c, e in events if c == column][-2:]
        assert tail == ["usage", "done"]
        assert [e.type for c, e in events if c == column].count("usage") == 1
    assert [o.text for o in run.outcomes] == ["a1a2a3", "b1b2"]
    assert [o.status for o in run.outcomes] == ["complete", "complete"]
    assert [(o.provider, o.model) for o in run.outcomes] == [("a", "m"), ("b", "m")]


def test_each_column_asks_with_its_agents_prompt_and_the_message_only():
    providers = {"a": ScriptedProvider(config("a"), answer("x")),
                 "b": ScriptedProvider(config("b"), answer("y"))}
    run_all([CompareColumn(agent("A", "a", temperature=0.1, max_tokens=7)),
             CompareColumn(agent("B", "b"))], providers, "What is 2+2?")
    request = providers["a"].requests[0]
    assert [(m.role, m.content) for m in request.messages] == [
        ("system", "You are A."), ("user", "What is 2+2?")]
    assert (request.temperature, request.max_tokens) == (0.1, 7)
    assert not request.tools
    assert providers["b"].requests[0].messages[0].content == "You are B."


def test_metrics_are_the_providers_when_given_and_measured_otherwise():
    usage = Usage(prompt_tokens=5, completion_tokens=40, ttft_ms=123.0, tokens_per_s=55.5)
    providers = {"a": ScriptedProvider(config("a"), answer("one ", "two", usage=usage)),
                 "b": ScriptedProvider(config("b"), [0.03, TextDelta(text="x"), 0.03,
                                                     TextDelta(text="y"), 0.03,
                                                     TextDelta(text="z"), Done()])}
    events, run = run_all([CompareColumn(agent("A", "a")), CompareColumn(agent("B", "b"))],
                          providers)
    given = [e for c, e in events if c == 0 and e.type == "usage"][0]
    assert (given.completion_tokens, given.ttft_ms, given.tokens_per_s) == (40, 123.0, 55.5)
    measured = [e for c, e in events if c == 1 and e.type == "usage"][0]
    assert measured.completion_tokens == 3               # three deltas
    assert measured.ttft_ms is not None and measured.ttft_ms >= 25
    assert measured.tokens_per_s is not None and measured.tokens_per_s > 0
    assert metrics_text(run.outcomes[0]).startswith("40 tokens · 55.5 tok/s · first token 123 ms")


def test_a_failing_column_shows_its_error_and_the_others_go_on():
    providers = {
        "a": ScriptedProvider(config("a"), refused("auth", retryable=False)),
        "b": ScriptedProvider(config("b"), [TextDelta(text="b1"), 0.05, TextDelta(text="b2"),
                                            Done()]),
        "c": ScriptedProvider(config("c"), [TextDelta(text="c1"), RuntimeError("boom")]),
    }
    events, run = run_all([CompareColumn(agent(n.upper(), n)) for n in "abc"], providers)
    errors = {c: e for c, e in events if isinstance(e, Error)}
    assert set(errors) == {0, 2}
    assert errors[0].kind == "auth"
    assert "boom" in errors[2].message
    # b went on after both failures and finished.
    error_at = max(i for i, (c, e) in enumerate(events) if isinstance(e, Error))
    assert any(c == 1 and e.type == "token" for c, e in events[error_at:])
    assert [o.status for o in run.outcomes] == ["error", "complete", "error"]
    assert run.outcomes[2].text == "c1"          # what arrived before the failure stays
    assert "failed" in metrics_text(run.outcomes[0])


def test_stop_stops_every_column_and_keeps_what_arrived():
    never = asyncio.Event
    providers = {
        "a": ScriptedProvider(config("a"), [TextDelta(text="a1"),
                                            lambda _r: never().wait(), Done()]),
        "b": ScriptedProvider(config("b"), [TextDelta(text="b1"),
                                            lambda _r: never().wait(), Done()]),
    }

    def stop_once_both_spoke(run, seen):
        if {c for c, e in seen if e.type == "token"} == {0, 1}:
            run.stop()

    events, run = run_all([CompareColumn(agent("A", "a")), CompareColumn(agent("B", "b"))],
                          providers, during=stop_once_both_spoke)
    dones = {c: e for c, e in events if isinstance(e, Done)}
    assert {c: d.stop_reason for c, d in dones.items()} == {0: "cancelled", 1: "cancelled"}
    assert [o.status for o in run.outcomes] == ["cancelled", "cancelled"]
    assert [o.text for o in run.outcomes] == ["a1", "b1"]
    assert all(p.streams_closed == 1 for p in providers.values())


def test_closing_the_events_early_stops_the_columns():
    providers = {name: ScriptedProvider(config(name), [TextDelta(text="x"),
                                                       lambda _r: asyncio.Event().wait()])
                 for name in "ab"}
    run = CompareRun([CompareColumn(agent("A", "a")), CompareColumn(agent("B", "b"))], "hi",
                     [p.config for p in providers.values()], SETTINGS,
                     providers=source(providers))

    async def go():
        async with aclosing(run.events()) as events:
            async for item in events:
                if item.event.type == "token":
                    break

    asyncio.run(go())
    assert all(p.streams_closed == 1 for p in providers.values())
    assert all(o.finished for o in run.outcomes)


def test_a_model_column_runs_only_that_model_without_the_agents_fallbacks():
    from app.domain import FallbackTarget

    providers = {"a": ScriptedProvider(config("a"), answer("own")),
                 "b": ScriptedProvider(config("b"), refused()),
                 "c": ScriptedProvider(config("c"), answer("fallback"))}
    base = agent("A", "a", fallbacks=[FallbackTarget(provider="c", model="mc")])
    column = CompareColumn(base, "b", "big")
    assert column.label == "A · b:big" and column.overrides_model
    events, run = run_all([CompareColumn(base), column], providers)
    assert providers["b"].requests[0].model == "big"
    assert providers["c"].requests == []            # no fallback for a model column
    assert run.outcomes[1].status == "error"
    assert run.outcomes[0].text == "own"


def test_a_local_only_agent_never_reaches_a_cloud_model_in_a_column():
    providers = {"local": ScriptedProvider(config("local"), answer("here")),
                 "cloud": ScriptedProvider(config("cloud", local=False), answer("there"))}
    private = agent("P", "local", local_only=True)
    events, run = run_all([CompareColumn(private), CompareColumn(private, "cloud", "gpt")],
                          providers)
    assert providers["cloud"].requests == []
    assert run.outcomes[1].status == "error"
    assert "nothing to send" in (run.outcomes[1].error or "")
    assert run.outcomes[0].text == "here"
