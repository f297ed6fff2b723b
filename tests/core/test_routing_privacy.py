"""Privacy patterns force local candidates and win over every other rule."""

from __future__ import annotations

import json

import pytest

from app.core.runner import AgentRunner, RunConfig, RunnerDeps
from app.core.privacy import compile_patterns, iban_ok, luhn_ok, scan
from app.core.routing import RequestFacts, plan_route
from app.domain import AgentSpec, ChatMessage, ChatRequest, FallbackTarget, ModelInfo
from app.settings import AppSettings
from tests.support.scripted_providers import ScriptedProvider, answer, config, source
from tests.support.turn_helpers import collect, messages_of, run_with_setup

LOCAL = config("local")
CLOUD = config("cloud", local=False)
CLOUD_2 = config("cloud-2", local=False)

SECRETS = {
    "openai key": "my key is sk-proj-AbCdEf1234567890GhIjKlMnOp please check",
    "aws key": "aws_access_key_id AKIAIOSFODNN7EXAMPLE in the config",
    "private key": "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
    "openssh key": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA",
    "iban": "pay to DE89 3704 0044 0532 0130 00 today",
    "iban compact": "IBAN GB82WEST12345698765432",
    "card": "card 4111 1111 1111 1111 exp 12/30",
    "card dashes": "use 5500-0000-0000-0004",
    "password": "the db password: hunter2hunter2",
    "github": "token ghp_" + "a1B2" * 9,
}

HARMLESS = [
    "What is 1234 5678 9012 3456 in binary?",   # 16 digits, fails the Luhn check
    "Order number DE12 3456 7890 1234 5678 90",  # IBAN-shaped, fails mod 97
    "Explain the sk-learn library",             # not a key
    "What is a good password policy?",
    "Call me at 555-0100.",
]


def facts_of(*texts: str) -> RequestFacts:
    return RequestFacts.from_request(ChatRequest(
        model="x", messages=[ChatMessage(role="user", content=t) for t in texts]))


def test_checksums():
    assert luhn_ok("4111 1111 1111 1111") and not luhn_ok("4111 1111 1111 1112")
    assert iban_ok("DE89 3704 0044 0532 0130 00") and not iban_ok("DE89 3704 0044 0532 0130 01")


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_builtin_patterns_catch_secrets(name):
    findings = scan([SECRETS[name]], compile_patterns([]))
    assert findings, name


@pytest.mark.parametrize("text", HARMLESS)
def test_builtin_patterns_leave_ordinary_text_alone(text):
    assert scan([text], compile_patterns([])) == []


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_private_text_drops_every_cloud_candidate_and_wins_over_fixed_order(name):
    spec = AgentSpec(name="a", provider="cloud", model="gpt",
                     fallbacks=[FallbackTarget(provider="cloud-2", model="x"),
                                FallbackTarget(provider="local", model="gemma")])
    plan = plan_route(spec, [LOCAL, CLOUD, CLOUD_2], facts_of(SECRETS[name]), AppSettings())
    assert plan.decision == "privacy"
    assert [(c.provider.name, c.model) for c in plan.candidates] == [("local", "gemma")]
    # The reasons name the pattern, never the secret itself.
    secret_words = [w for w in SECRETS[name].split() if len(w) > 12]
    assert not any(w in r for w in secret_words for r in plan.reasons)


def test_privacy_wins_over_auto_wanting_the_cloud():
    spec = AgentSpec(name="a", provider="local", model="auto",
                     fallbacks=[FallbackTarget(provider="cloud", model="gpt")])
    models = [ModelInfo(provider="local", id="tiny", capabilities=["completion"],
                        context_length=16)]
    long_private = "password=" + "s3cr3t" * 10 + " " + "word " * 200
    plan = plan_route(spec, [LOCAL, CLOUD], facts_of(long_private), AppSettings(),
                      models=models)
    assert plan.decision == "privacy"
    assert [c.provider.name for c in plan.candidates] == ["local"]
    assert any("privacy wins" in r for r in plan.reasons)


def test_a_pattern_in_any_message_counts_not_just_the_last():
    spec = AgentSpec(name="a", provider="cloud", model="gpt",
                     fallbacks=[FallbackTarget(provider="local", model="gemma")])
    plan = plan_route(spec, [LOCAL, CLOUD],
                      facts_of(SECRETS["aws key"], "ok", "now summarise"), AppSettings())
    assert plan.decision == "privacy"
    assert any("message 1" in r for r in plan.reasons)


def test_user_patterns_force_local():
    settings = AppSettings(privacy_patterns=[r"(?i)project\s+nightingale"])
    spec = AgentSpec(name="a", provider="cloud", model="gpt",
                     fallbacks=[FallbackTarget(provider="local", model="gemma")])
    plan = plan_route(spec, [LOCAL, CLOUD], facts_of("status of Project  Nightingale?"),
                      settings)
    assert plan.decision == "privacy"
    assert any("user pattern #1" in r for r in plan.reasons)
    other = plan_route(spec, [LOCAL, CLOUD], facts_of("status of project sparrow?"), settings)
    assert other.decision == "fixed" and other.candidates[0].provider.name == "cloud"


def test_invalid_user_regex_is_reported_and_matched_as_plain_text():
    settings = AppSettings(privacy_patterns=["acme[", r"\bvalid\b"])
    spec = AgentSpec(name="a", provider="cloud", model="gpt",
                     fallbacks=[FallbackTarget(provider="local", model="gemma")])
    clean = plan_route(spec, [LOCAL, CLOUD], facts_of("hello"), settings)
    assert clean.decision == "fixed"
    assert len(clean.problems) == 1 and "#1" in clean.problems[0]
    assert "not a valid regular expression" in clean.problems[0]
    assert clean.problems[0] in clean.reasons
    literal = plan_route(spec, [LOCAL, CLOUD], facts_of("about acme[ corp"), settings)
    assert literal.decision == "privacy"
    assert [c.provider.name for c in literal.candidates] == ["local"]


def test_private_text_with_only_cloud_candidates_leaves_none():
    spec = AgentSpec(name="a", provider="cloud", model="gpt")
    plan = plan_route(spec, [LOCAL, CLOUD], facts_of(SECRETS["card"]), AppSettings())
    assert plan.candidates == []


# -- the key case, end to end --------------------------------------------------
def test_private_text_never_reaches_a_cloud_provider_listed_first(tmp_path):
    """Cloud primary AND cloud first in the fallback list: the private message
    reaches only the local provider; the cloud providers get zero requests."""
    spec = AgentSpec(name="helper", provider="cloud", model="gpt", system_prompt="be brief",
                     fallbacks=[FallbackTarget(provider="cloud-2", model="gpt-mini"),
                                FallbackTarget(provider="local", model="gemma")])
    scripted = {
        "cloud": ScriptedProvider(CLOUD, answer("cloud answer")),
        "cloud-2": ScriptedProvider(CLOUD_2, answer("cloud-2 answer")),
        "local": ScriptedProvider(LOCAL, answer("local ", "answer")),
    }
    private = "Why is " + SECRETS["openai key"] + " rejected?"

    async def body(setup):
        turn = AgentRunner(RunnerDeps(setup.store, AppSettings(), providers=source(scripted)),
                           RunConfig(setup.agent, setup.conversation_id, private))
        events = await collect(turn.events())
        return turn.result, setup, events

    outcome, setup, events = run_with_setup(tmp_path, spec, [LOCAL, CLOUD, CLOUD_2], body)
    assert scripted["cloud"].requests == []
    assert scripted["cloud-2"].requests == []
    assert len(scripted["local"].requests) == 1
    assert scripted["local"].requests[0].messages[-1].content == private
    assert events[-1].type == "done"

    rows = messages_of(setup.path, setup.conversation_id)
    reply = rows[-1]
    assert (reply["role"], reply["status"], reply["content"]) == \
        ("assistant", "complete", "local answer")
    assert (reply["provider"], reply["model"]) == ("local", "gemma")
    routing = json.loads(reply["meta"])["routing"]
    assert routing["decision"] == "privacy"
    assert [c["provider"] for c in routing["candidates"]] == ["local"]
    assert "sk-proj" not in reply["meta"]


def test_privacy_with_a_secret_in_an_earlier_turn_keeps_later_turns_local(tmp_path):
    spec = AgentSpec(name="helper", provider="cloud", model="gpt",
                     fallbacks=[FallbackTarget(provider="local", model="gemma")])
    scripted = {"cloud": ScriptedProvider(CLOUD, answer("cloud")),
                "local": ScriptedProvider(LOCAL, answer("local"))}

    async def body(setup):
        for text in (SECRETS["iban"], "and what was that number again?"):
            turn = AgentRunner(RunnerDeps(setup.store, AppSettings(),
                                          providers=source(scripted)),
                               RunConfig(setup.agent, setup.conversation_id, text))
            await collect(turn.events())

    run_with_setup(tmp_path, spec, [LOCAL, CLOUD], body)
    assert scripted["cloud"].requests == []
    assert len(scripted["local"].requests) == 2


def test_secrets_inside_earlier_tool_call_arguments_count():
    from app.domain import ToolCallRecord

    request = ChatRequest(model="x", messages=[
        ChatMessage(role="user", content="log in for me"),
        ChatMessage(role="assistant", content="", tool_calls=[ToolCallRecord(
            call_id="c1", name="login", arguments={"password": "correct-horse-battery"})]),
        ChatMessage(role="user", content="did it work?")])
    spec = AgentSpec(name="a", provider="cloud", model="gpt",
                     fallbacks=[FallbackTarget(provider="local", model="gemma")])
    plan = plan_route(spec, [LOCAL, CLOUD], RequestFacts.from_request(request), AppSettings())
    assert plan.decision == "privacy"
    assert [c.provider.name for c in plan.candidates] == ["local"]
