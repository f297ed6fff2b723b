"""FallbackStream: move on before the first token, never after."""

from __future__ import annotations

import asyncio

from app.core.fallback import Attempt, FallbackStream, ProviderPool
from app.core.routing import Candidate
from app.core.secrets import SecretError
from app.domain import (
    ChatMessage,
    ChatRequest,
    Done,
    Error,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    Usage,
)
from app.providers.base import ProviderError
from tests.support.scripted_providers import ScriptedProvider, answer, config, refused, source

REQUEST = ChatRequest(model="placeholder", messages=[ChatMessage(role="user", content="hi")],
                      max_tokens=16)


def setup(*scripts):
    """Candidates p0, p1, … each with model m0, m1, … and its scripted provider."""
    providers = {f"p{i}": ScriptedProvider(config(f"p{i}"), script)
                 for i, script in enumerate(scripts)}
    candidates = [Candidate(p.config, f"m{i}", "primary" if i == 0 else f"fallback {i}")
                  for i, p in enumerate(providers.values())]
    return providers, candidates


def run(candidates, providers) -> tuple[FallbackStream, list]:
    stream = FallbackStream(candidates, REQUEST, source(providers))

    async def go():
        return [event async for event in stream.events()]

    return stream, asyncio.run(go())


def run_events(events):
    return [e for e in events if not isinstance(e, Attempt)]


def test_first_candidate_answers_alone():
    providers, candidates = setup(answer("a", "b"), answer("never"))
    stream, events = run(candidates, providers)
    assert [e.text for e in run_events(events) if isinstance(e, TextDelta)] == ["a", "b"]
    assert isinstance(events[-1], Done)
    assert providers["p1"].requests == []
    assert providers["p0"].requests[0].model == "m0"        # the candidate's model is sent
    assert stream.answered_by is not None and stream.answered_by.label == "p0/m0"
    assert [a.outcome for a in stream.attempts] == ["answered"]


def test_retryable_failure_before_first_token_moves_to_the_next():
    providers, candidates = setup(refused("unreachable"), refused("rate_limited"),
                                  answer("hello"))
    stream, events = run(candidates, providers)
    assert [len(p.requests) for p in providers.values()] == [1, 1, 1]
    assert providers["p2"].requests[0].model == "m2"
    assert [(a.label, a.outcome, a.error_kind, a.retryable) for a in stream.attempts] == [
        ("p0/m0", "failed", "unreachable", True),
        ("p1/m1", "failed", "rate_limited", True),
        ("p2/m2", "answered", None, None),
    ]
    # Attempts are yielded as they conclude, the answering one before its first token.
    kinds = [e.type for e in events]
    assert kinds == ["attempt", "attempt", "attempt", "token", "done"]
    assert stream.answered_by.provider == "p2"


def test_non_retryable_failure_before_tokens_also_moves_on_and_is_recorded():
    providers, candidates = setup(refused("auth", retryable=False), answer("ok"))
    stream, events = run(candidates, providers)
    assert isinstance(events[-1], Done)
    first = stream.attempts[0]
    assert (first.outcome, first.error_kind, first.retryable) == ("failed", "auth", False)
    assert first.error == "scripted auth"


def test_failure_after_tokens_never_resends_and_ends_the_reply():
    cut = [TextDelta(text="partial "), ThinkingDelta(text="hmm"),
           Error(kind="server", message="stream cut", retryable=True)]
    providers, candidates = setup(cut, answer("second"))
    stream, events = run(candidates, providers)
    assert len(providers["p0"].requests) == 1
    assert providers["p1"].requests == []                       # never re-sent
    assert [e.type for e in run_events(events)] == ["token", "thinking", "error"]
    assert events[-1].message == "stream cut"
    attempt = stream.attempts[0]
    assert (attempt.outcome, attempt.after_tokens, attempt.error_kind) == \
        ("answered", True, "server")
    assert len(stream.attempts) == 1


def test_a_tool_call_counts_as_a_token():
    script = [ToolCall(call_id="c1", name="clock", arguments={}),
              Error(kind="timeout", message="idle", retryable=True)]
    providers, candidates = setup(script, answer("second"))
    _, events = run(candidates, providers)
    assert providers["p1"].requests == []
    assert events[-1].kind == "timeout"


def test_usage_of_a_failed_candidate_is_not_passed_on():
    failed = [Usage(prompt_tokens=99), Error(kind="server", message="503", retryable=True)]
    good = [TextDelta(text="x"), Usage(prompt_tokens=5, completion_tokens=1),
            Done(stop_reason="stop")]
    providers, candidates = setup(failed, good)
    _, events = run(candidates, providers)
    usages = [e for e in events if isinstance(e, Usage)]
    assert [u.prompt_tokens for u in usages] == [5]


def test_all_failing_ends_with_the_last_error_and_a_summary():
    providers, candidates = setup(refused("unreachable"), refused("auth", retryable=False),
                                  refused("timeout"))
    stream, events = run(candidates, providers)
    final = events[-1]
    assert isinstance(final, Error)
    assert final.kind == "timeout"
    assert final.message.startswith("scripted timeout")
    for label, kind in (("p0/m0", "unreachable"), ("p1/m1", "auth"), ("p2/m2", "timeout")):
        assert f"{label}: {kind}" in final.message
    assert "3 candidates failed" in final.message
    assert stream.answered_by is None
    assert [a.outcome for a in stream.attempts] == ["failed"] * 3


def test_no_candidates_is_an_error_not_a_hang():
    stream, events = run([], {})
    assert [e.type for e in events] == ["error"]
    assert events[0].kind == "not_found"
    assert stream.attempts == []


def test_provider_exceptions_and_missing_keys_become_recorded_failures():
    providers, candidates = setup([ProviderError("protocol", "garbage")], answer("ok"))
    crashing = ScriptedProvider(config("p-crash"), [RuntimeError("bug")])
    providers["p-crash"] = crashing
    keyless = config("p-key", local=False)
    candidates = [candidates[0], Candidate(crashing.config, "mc", "fallback 1"),
                  Candidate(keyless, "mk", "fallback 2"), candidates[1]]

    def get(cfg):
        if cfg.name == "p-key":
            raise SecretError("the environment variable X holding the API key is not set")
        return providers[cfg.name]

    stream = FallbackStream(candidates, REQUEST, get)

    async def go():
        return [event async for event in stream.events()]

    events = asyncio.run(go())
    assert isinstance(events[-1], Done)
    assert [(a.provider, a.outcome, a.error_kind) for a in stream.attempts] == [
        ("p0", "failed", "protocol"), ("p-crash", "failed", "protocol"),
        ("p-key", "failed", "auth"), ("p1", "answered", None)]
    assert "RuntimeError" in stream.attempts[1].error


def test_stream_ending_without_done_after_tokens_is_a_protocol_error():
    providers, candidates = setup([TextDelta(text="half")], answer("other"))
    stream, events = run(candidates, providers)
    assert events[-1].type == "error" and events[-1].kind == "protocol"
    assert providers["p1"].requests == []
    assert stream.attempts[0].after_tokens


def test_closing_the_stream_early_closes_the_providers_stream():
    providers, candidates = setup([TextDelta(text="a"), 30.0, Done()])
    stream = FallbackStream(candidates, REQUEST, source(providers))

    async def go():
        events = stream.events()
        async for event in events:
            if isinstance(event, TextDelta):
                break
        await events.aclose()

    asyncio.run(asyncio.wait_for(go(), 10))
    assert providers["p0"].streams_closed == 1


def test_provider_pool_builds_once_and_closes_all():
    built: list[str] = []
    closed: list[str] = []

    class Closing(ScriptedProvider):
        async def aclose(self):
            closed.append(self.name)

    def factory(cfg):
        built.append(cfg.name)
        return Closing(cfg)

    pool = ProviderPool(factory)
    a, b = config("a"), config("b")
    assert pool(a) is pool(a.model_copy(update={"name": "A"}))    # names ignore case
    pool(b)
    asyncio.run(pool.aclose())
    assert built == ["a", "b"]
    assert sorted(closed) == ["a", "b"]


def test_provider_pool_builds_anew_for_edited_settings_and_closes_the_old_one_last():
    """A long-lived pool (the local API's) sees a provider's settings edited while
    it serves: the next request gets a provider built from the new settings; the
    old one, maybe still streaming another reply, is closed with the pool."""
    closed: list[str] = []

    class Closing(ScriptedProvider):
        async def aclose(self):
            closed.append(self.config.base_url)

    pool = ProviderPool(Closing)
    before = config("local")
    old = pool(before)
    edited = before.model_copy(update={"base_url": "http://127.0.0.1:2/v1"})
    new = pool(edited)
    assert new is not old and new.config.base_url == "http://127.0.0.1:2/v1"
    assert pool(edited) is new and closed == []
    asyncio.run(pool.aclose())
    assert sorted(closed) == sorted([before.base_url, edited.base_url])
