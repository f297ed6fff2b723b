"""Per-agent generation settings: validation, what is stored and exported,
which provider kinds take which setting, and how they reach the request."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.core.export.agent_file import AgentFileError, agent_json, parse_agent_text
from app.core.generation_support import supported_generation, unsent_settings
from app.core.runner import AgentRunner, RunConfig, RunnerDeps, build_request
from app.core.tools.base import FunctionTool
from app.core.turn_inputs import context_tokens
from app.domain import AgentSpec, ModelInfo, TextDelta
from app.domain.generation import GENERATION_SETTINGS, GenerationSettings
from app.settings import AppSettings
from tests.support.runner_helpers import RoundsProvider, calls, registry
from tests.support.scripted_providers import answer, config, source
from tests.support.turn_helpers import collect, run_with_setup

FULL = GenerationSettings(top_p=0.9, repeat_penalty=1.15, context_length=2048, seed=42,
                          stop=["\n\n", "User:"])


def test_every_setting_is_optional_and_unset_by_default() -> None:
    empty = GenerationSettings()
    assert empty.compact() == {}
    assert empty.set_names() == []
    assert AgentSpec(name="a").generation == empty


@pytest.mark.parametrize("values", [
    {"top_p": -0.01}, {"top_p": 1.01},
    {"repeat_penalty": 0}, {"repeat_penalty": -1.0}, {"repeat_penalty": 2.5},
    {"context_length": 0}, {"context_length": 64}, {"context_length": 10**9},
    {"seed": -1}, {"seed": 2**40},
    {"stop": [""]}, {"stop": ["a", "b", "c", "d", "e"]}, {"stop": ["x" * 101]},
    {"temperature": 0.5},  # not a setting of this model: a typo must not pass silently
])
def test_out_of_range_values_are_refused(values: dict) -> None:
    with pytest.raises(ValidationError):
        GenerationSettings(**values)


def test_boundary_values_are_accepted() -> None:
    low = GenerationSettings(top_p=0.0, repeat_penalty=0.01, context_length=128, seed=0,
                             stop=["a"])
    high = GenerationSettings(top_p=1.0, repeat_penalty=2.0, context_length=1_048_576,
                              seed=2**31 - 1, stop=["a", "b", "c", "x" * 100])
    assert low.top_p == 0.0 and high.context_length == 1_048_576


def test_compact_keeps_only_what_is_set() -> None:
    settings = GenerationSettings(seed=7, stop=["END"])
    assert settings.compact() == {"seed": 7, "stop": ["END"]}
    assert settings.set_names() == ["seed", "stop"]


def test_agent_file_carries_the_settings_and_validates_them() -> None:
    spec = AgentSpec(name="Poet", generation=FULL)
    text = agent_json(spec)
    assert '"repeat_penalty": 1.15' in text and '"top_p": null' not in text
    assert parse_agent_text(text, "poet.json").generation == FULL
    bad = text.replace('"top_p": 0.9', '"top_p": 3')
    with pytest.raises(AgentFileError, match="top_p"):
        parse_agent_text(bad, "bad.json")


def test_an_agent_file_without_settings_still_imports() -> None:
    text = agent_json(AgentSpec(name="Old")).replace('"generation": {},', "")
    assert '"generation"' not in text
    assert parse_agent_text(text, "old.json").generation == GenerationSettings()


def test_each_provider_kind_declares_what_it_takes() -> None:
    assert supported_generation("openai") == {"top_p", "seed", "stop"}
    assert supported_generation("llamacpp") == {"top_p", "seed", "stop", "repeat_penalty"}
    assert supported_generation("lmstudio") == {"top_p", "seed", "stop", "repeat_penalty"}
    assert supported_generation("ollama") == set(GENERATION_SETTINGS)
    assert supported_generation("embedded") == set(GENERATION_SETTINGS)


def test_unsent_settings_name_what_the_provider_ignores() -> None:
    assert unsent_settings(FULL, "openai") == ["repeat_penalty", "context_length"]
    assert unsent_settings(FULL, "llamacpp") == ["context_length"]
    assert unsent_settings(FULL, "ollama") == []
    assert unsent_settings(GenerationSettings(), "openai") == []


def test_the_agents_settings_reach_the_request() -> None:
    agent = AgentSpec(name="a", model="m", generation=FULL)
    request = build_request(agent, [])
    assert (request.top_p, request.repeat_penalty, request.context_length,
            request.seed, request.stop) == (0.9, 1.15, 2048, 42, ["\n\n", "User:"])
    plain = build_request(AgentSpec(name="b", model="m"), [])
    assert (plain.top_p, plain.repeat_penalty, plain.context_length, plain.seed,
            plain.stop) == (None, None, None, None, [])


def test_the_agents_context_length_is_the_prompt_window() -> None:
    settings = AppSettings()
    model = ModelInfo(provider="p", id="m", context_length=32768)
    agent = AgentSpec(name="a", provider="p", model="m")
    assert context_tokens(agent, settings, [model]) == 32768
    small = agent.model_copy(update={"generation": GenerationSettings(context_length=4096)})
    assert context_tokens(small, settings, [model]) == 4096
    # Never more than the model itself holds.
    big = agent.model_copy(update={"generation": GenerationSettings(context_length=65536)})
    assert context_tokens(big, settings, [model]) == 32768
    assert context_tokens(big, settings, []) == 65536


def test_every_round_of_a_turn_carries_the_agents_settings(tmp_path) -> None:
    """Through the runner, tool rounds included: each request the provider sees
    has the agent's settings."""
    local = config("local")
    adder = FunctionTool(lambda a, b: str(a + b), name="add", description="add")
    provider = RoundsProvider(local, [
        [TextDelta(text="Adding. "), *calls(("c1", "add", {"a": 1, "b": 2}))],
        answer("3."),
    ])
    agent = AgentSpec(name="w", provider="local", model="m", tools=["add"], generation=FULL)

    async def body(setup):
        settings = AppSettings(home=setup.path.parent)
        runner = AgentRunner(RunnerDeps(setup.store, settings,
                                        providers=source({"local": provider}),
                                        tools=registry(adder)),
                             RunConfig(setup.agent, setup.conversation_id, "go"))
        return await collect(runner.events())

    run_with_setup(tmp_path, agent, [local], body)
    assert len(provider.requests) == 2
    for request in provider.requests:
        assert (request.top_p, request.repeat_penalty, request.context_length,
                request.seed, request.stop) == (0.9, 1.15, 2048, 42, ["\n\n", "User:"])
