"""plan_route: order, dropped providers, local-only, and ``auto``."""

from __future__ import annotations

import pytest

from app.core.routing import RequestFacts, complexity, estimate_tokens, plan_route
from app.domain import AgentSpec, ChatMessage, ChatRequest, FallbackTarget, ModelInfo, ToolSpec
from app.settings import AppSettings
from tests.support.scripted_providers import config

LOCAL_A = config("local-a")
LOCAL_B = config("local-b")
CLOUD = config("cloud", local=False)
CLOUD_2 = config("cloud-2", local=False)
ALL = [LOCAL_A, LOCAL_B, CLOUD, CLOUD_2]


def agent(provider: str, model: str, *fallbacks: tuple[str, str], **extra) -> AgentSpec:
    return AgentSpec(name="a", provider=provider, model=model,
                     fallbacks=[FallbackTarget(provider=p, model=m) for p, m in fallbacks],
                     **extra)


def facts(*texts: str, tools: bool = False) -> RequestFacts:
    request = ChatRequest(model="x", messages=[ChatMessage(role="user", content=t)
                                               for t in texts],
                          tools=[ToolSpec(name="clock")] if tools else [])
    return RequestFacts.from_request(request)


def settings(**values) -> AppSettings:
    return AppSettings(**values)


def pairs(plan) -> list[tuple[str, str]]:
    return [(c.provider.name, c.model) for c in plan.candidates]


def test_agents_pair_first_then_fallbacks_in_order():
    spec = agent("cloud", "gpt", ("local-b", "qwen"), ("local-a", "gemma"), ("cloud-2", "x"))
    plan = plan_route(spec, ALL, facts("hi"), settings())
    assert pairs(plan) == [("cloud", "gpt"), ("local-b", "qwen"), ("local-a", "gemma"),
                           ("cloud-2", "x")]
    assert [c.source for c in plan.candidates] == ["primary", "fallback 1", "fallback 2",
                                                   "fallback 3"]
    assert plan.decision == "fixed"
    assert plan.reasons


def test_provider_names_match_case_insensitively_and_repeats_are_dropped():
    spec = agent("LOCAL-A", "gemma", ("local-a", "gemma"), ("local-a", "other"))
    plan = plan_route(spec, ALL, facts("hi"), settings())
    assert pairs(plan) == [("local-a", "gemma"), ("local-a", "other")]
    assert any("already listed" in r for r in plan.reasons)


def test_unknown_and_disabled_providers_are_dropped_with_reasons():
    disabled = config("off", enabled=False)
    spec = agent("ghost", "m1", ("off", "m2"), ("local-a", "m3"))
    plan = plan_route(spec, [*ALL, disabled], facts("hi"), settings())
    assert pairs(plan) == [("local-a", "m3")]
    assert any("ghost" in r and "no provider named" in r for r in plan.reasons)
    assert any("off" in r and "disabled" in r for r in plan.reasons)


def test_agent_without_provider_uses_the_default_provider_and_model():
    spec = AgentSpec(name="a")
    plan = plan_route(spec, ALL, facts("hi"),
                      settings(default_provider="local-b", default_model="qwen"))
    assert pairs(plan) == [("local-b", "qwen")]
    assert any("default" in r for r in plan.reasons)


def test_local_only_agent_never_gets_a_cloud_primary_or_fallback():
    spec = agent("cloud", "gpt", ("local-a", "gemma"), ("cloud-2", "x"), ("local-b", "q"),
                 local_only=True)
    plan = plan_route(spec, ALL, facts("hi"), settings())
    assert pairs(plan) == [("local-a", "gemma"), ("local-b", "q")]
    assert all(c.is_local for c in plan.candidates)
    dropped = [r for r in plan.reasons if "local-only" in r]
    assert len(dropped) == 2


def test_local_only_agent_with_only_cloud_gets_no_candidate():
    spec = agent("cloud", "gpt", local_only=True)
    plan = plan_route(spec, ALL, facts("hi"), settings())
    assert plan.candidates == []
    assert any("no candidate" in r for r in plan.reasons)


# -- auto ------------------------------------------------------------------------------
MODELS = [
    ModelInfo(provider="local-a", id="small", context_length=2048,
              capabilities=["completion"]),
    ModelInfo(provider="local-a", id="loaded-one", context_length=4096,
              capabilities=["completion"], loaded=True),
    ModelInfo(provider="local-b", id="tooly", context_length=8192,
              capabilities=["completion", "tools"]),
]


def auto_agent(**extra) -> AgentSpec:
    return agent("local-a", "auto", ("cloud", "gpt"), ("local-b", "tooly"), **extra)


def test_auto_goes_local_by_default_using_the_loaded_model():
    plan = plan_route(auto_agent(), ALL, facts("What time is it?"), settings(), models=MODELS)
    assert plan.decision == "local"
    assert pairs(plan) == [("local-a", "loaded-one"), ("local-b", "tooly"), ("cloud", "gpt")]
    assert any("local by default" in r for r in plan.reasons)


def test_auto_without_any_known_model_drops_that_entry():
    plan = plan_route(auto_agent(), ALL, facts("hi"), settings(), models=[])
    assert ("local-a", "auto") not in pairs(plan)
    assert pairs(plan)[0] == ("local-b", "tooly")
    assert any("no model is known" in r for r in plan.reasons)


def test_auto_goes_to_cloud_first_when_tools_are_needed_and_local_lacks_them():
    plan = plan_route(auto_agent(), ALL, facts("hi", tools=True), settings(), models=MODELS)
    assert plan.decision == "cloud"
    assert pairs(plan)[0] == ("cloud", "gpt")
    assert {p for p in pairs(plan)[1:]} == {("local-a", "loaded-one"), ("local-b", "tooly")}
    assert any("does not support tools" in r for r in plan.reasons)


def test_auto_stays_local_with_tools_when_capabilities_are_unknown_or_present():
    unknown = [ModelInfo(provider="local-a", id="m", loaded=True)]   # no capability list
    plan = plan_route(auto_agent(), ALL, facts("hi", tools=True), settings(), models=unknown)
    assert plan.decision == "local"
    spec = agent("local-b", "auto", ("cloud", "gpt"))
    plan = plan_route(spec, ALL, facts("hi", tools=True), settings(), models=MODELS)
    assert plan.decision == "local"
    assert pairs(plan)[0] == ("local-b", "tooly")


def test_auto_goes_to_cloud_when_the_prompt_exceeds_the_local_context():
    long_text = "word " * 4000          # ~5000 estimated tokens > 4096
    assert estimate_tokens(long_text) > 4096
    threshold_off = settings(routing={"complexity_threshold": 0})
    plan = plan_route(auto_agent(), ALL, facts(long_text), threshold_off, models=MODELS)
    assert plan.decision == "cloud"
    assert pairs(plan)[0] == ("cloud", "gpt")
    assert any("exceeds" in r and "4096" in r for r in plan.reasons)


COMPLEX = """Please review this:
```python
def f(x):
    return x * 2
```
1. Is it correct?
2. Is it fast?
3. How would you test it?
4. What would you rename?
"""


def test_auto_goes_to_cloud_when_complexity_reaches_the_threshold():
    measured = complexity(COMPLEX, long_prompt_tokens=400)
    assert measured.has_code and measured.parts >= 4
    assert measured.score == 3
    plan = plan_route(auto_agent(), ALL, facts(COMPLEX), settings(), models=MODELS)
    assert plan.decision == "cloud"
    assert any("complexity 3" in r and "threshold 3" in r for r in plan.reasons)

    higher = settings(routing={"complexity_threshold": 4})
    assert plan_route(auto_agent(), ALL, facts(COMPLEX), higher, models=MODELS).decision == "local"
    off = settings(routing={"complexity_threshold": 0})
    assert plan_route(auto_agent(), ALL, facts(COMPLEX), off, models=MODELS).decision == "local"


def test_complexity_counts_each_trait():
    plain = complexity("What is the capital of France?", 400)
    assert (plain.score, plain.has_code, plain.parts) == (0, False, 1)
    two_questions = complexity("Why is the sky blue? And why is grass green?", 400)
    assert (two_questions.parts, two_questions.score) == (2, 1)
    code = complexity("fix this:\nint x = 1;\nint y = 2;", 400)
    assert code.has_code and code.score == 1
    long = complexity("a" * 4 * 1200, 400)      # ~1200 tokens -> 3 points, capped
    assert long.score == 3
    longer = complexity("a" * 4 * 4000, 400)
    assert longer.score == 3


def test_complexity_only_looks_at_the_latest_user_message():
    request = ChatRequest(model="x", messages=[
        ChatMessage(role="user", content=COMPLEX),
        ChatMessage(role="assistant", content="ok"),
        ChatMessage(role="user", content="thanks"),
    ])
    plan = plan_route(auto_agent(), ALL, RequestFacts.from_request(request), settings(),
                      models=MODELS)
    assert plan.decision == "local"


def test_auto_with_cloud_needed_but_local_only_stays_local_and_says_why():
    plan = plan_route(auto_agent(local_only=True), ALL, facts(COMPLEX), settings(),
                      models=MODELS)
    assert plan.decision == "local"
    assert all(c.is_local for c in plan.candidates)
    assert any("staying local" in r for r in plan.reasons)


def test_auto_with_no_local_candidate_uses_the_cloud():
    spec = agent("cloud", "auto", ("cloud-2", "x"))
    models = [ModelInfo(provider="cloud", id="gpt-big")]
    plan = plan_route(spec, ALL, facts("hi"), settings(), models=models)
    assert plan.decision == "cloud"
    assert pairs(plan) == [("cloud", "gpt-big"), ("cloud-2", "x")]


def test_plan_meta_is_json_ready_and_names_every_candidate():
    plan = plan_route(auto_agent(), ALL, facts("hi"), settings(), models=MODELS)
    meta = plan.to_meta()
    assert meta["decision"] == "local"
    assert meta["reasons"] == plan.reasons
    assert [(c["provider"], c["model"]) for c in meta["candidates"]] == pairs(plan)
    assert [c["local"] for c in meta["candidates"]] == [True, True, False]


@pytest.mark.parametrize("tokens,exceeds", [(100, False), (5000, True)])
def test_context_rule_uses_the_whole_request(tokens, exceeds):
    earlier = "x" * (tokens * 4)
    request = ChatRequest(model="x", messages=[ChatMessage(role="user", content=earlier),
                                               ChatMessage(role="user", content="and?")])
    facts_ = RequestFacts.from_request(request)
    assert (facts_.prompt_tokens > 4096) is exceeds
    off = settings(routing={"complexity_threshold": 0})
    plan = plan_route(auto_agent(), ALL, facts_, off, models=MODELS)
    assert plan.decision == ("cloud" if exceeds else "local")
