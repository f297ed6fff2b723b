"""Agent presets: each builds a valid AgentSpec with known tools and sane settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.presets import (
    BUILTIN_TOOL_NAMES,
    PRESETS,
    apply_preset,
    get_preset,
    preset_names,
)
from app.core.tools.calculator import calculator_tool
from app.core.tools.clock import clock_tool
from app.core.tools.memory import memory_tool
from app.domain import AgentSpec
from app.store import Store

EXPECTED = ["General Assistant", "Research Assistant", "Code Assistant", "Math Tutor",
            "Creative Writer"]


def test_the_shipped_presets() -> None:
    assert preset_names() == EXPECTED
    assert len({p.key for p in PRESETS}) == len(PRESETS)


@pytest.mark.parametrize("name", EXPECTED)
def test_every_preset_builds_a_valid_agent(name: str) -> None:
    preset = get_preset(name)
    spec = apply_preset(name, "local", "gemma3")

    assert isinstance(spec, AgentSpec)
    assert (spec.name, spec.provider, spec.model) == (name, "local", "gemma3")
    assert spec.system_prompt == preset.system_prompt
    assert len(spec.system_prompt) > 200  # a real prompt, not a placeholder
    assert spec.temperature == preset.temperature
    assert spec.max_tokens == preset.max_tokens
    assert spec.tools == list(preset.tools)
    assert set(spec.tools) <= set(BUILTIN_TOOL_NAMES)
    assert len(spec.tools) == len(set(spec.tools))
    # Policies only for tools the agent has; AgentSpec checked the values.
    assert set(spec.tool_policies) <= set(spec.tools)
    # The prompt mentions the tools it should use by name.
    for tool_name in spec.tools:
        assert tool_name in spec.system_prompt


def test_presets_use_the_tools_their_purpose_needs() -> None:
    assert {"web_search", "fetch_url"} <= set(get_preset("Research Assistant").tools)
    assert {"python", "files"} <= set(get_preset("Code Assistant").tools)
    assert "calculator" in get_preset("Math Tutor").tools


def test_code_and_file_tools_ask_before_running() -> None:
    for preset in PRESETS:
        for tool_name in {"python", "files"} & set(preset.tools):
            assert preset.tool_policies.get(tool_name) == "ask", (preset.name, tool_name)


def test_temperature_fits_the_task() -> None:
    writer = get_preset("Creative Writer").temperature
    general = get_preset("General Assistant").temperature
    for precise in ("Math Tutor", "Code Assistant", "Research Assistant"):
        assert get_preset(precise).temperature < general < writer


def test_builtin_names_match_the_tools_built_here() -> None:
    # The tools available in this module set must carry the names presets use.
    for tool in (calculator_tool(), clock_tool(), memory_tool()):
        assert tool.name in BUILTIN_TOOL_NAMES


def test_lookup_by_key_or_name_ignoring_case_and_space() -> None:
    assert get_preset("math-tutor") is get_preset("  MATH   tutor ")
    with pytest.raises(ValueError, match="unknown preset 'Poet'.*General Assistant"):
        get_preset("Poet")


def test_applied_presets_are_independent_copies() -> None:
    first = apply_preset("Code Assistant", "p", "m")
    first.tool_policies["python"] = "auto"
    first.tools.append("clock")
    second = apply_preset("Code Assistant", "p", "m")
    assert second.tool_policies["python"] == "ask"
    assert "clock" not in second.tools


def test_a_preset_agent_can_be_named_and_saved(tmp_path: Path) -> None:
    spec = apply_preset("research", "openai", "gpt-4o-mini", agent_name="Scout")
    with Store(tmp_path / "agentdesk.db") as store:
        saved = store.agents.create(spec)
        fetched = store.agents.get(saved.id)
    assert fetched.name == "Scout"
    assert fetched.portable() == spec.portable()
