"""Embedded provider failures: each one a clear Error event (or ProviderError
for metadata calls), never a crash or a hang. No model is loaded here."""

from __future__ import annotations

import asyncio
import sys

import pytest

from app.domain import ChatMessage, ToolCallRecord
from app.providers.base import ProviderError
from app.providers.embedded import messages_for
from app.providers.embedded_engine import NOT_INSTALLED
from tests.providers.embedded_helpers import ask, collect, provider_for
from tests.support.llama_server import gemma_model_path


def test_missing_file_is_a_not_found_error(tmp_path):
    missing = tmp_path / "nowhere.gguf"
    provider = provider_for(missing)

    events = asyncio.run(collect(provider, ask()))

    assert [e.type for e in events] == ["error"]
    assert events[0].kind == "not_found" and str(missing) in events[0].message
    with pytest.raises(ProviderError) as probe_error:
        asyncio.run(provider.probe())
    assert probe_error.value.kind == "not_found"
    with pytest.raises(ProviderError) as list_error:
        asyncio.run(provider.list_models())
    assert list_error.value.kind == "not_found"


def test_no_configured_file_is_a_not_found_error():
    events = asyncio.run(collect(provider_for(None), ask()))
    assert events[0].kind == "not_found" and "no model file" in events[0].message


def test_a_file_that_is_not_gguf_is_a_clear_engine_error(tmp_path):
    fake = tmp_path / "notes.gguf"
    fake.write_bytes(b"this is a text file, not a model\n" * 100)
    provider = provider_for(fake)

    events = asyncio.run(collect(provider, ask()))

    assert [e.type for e in events] == ["error"]
    assert events[0].kind == "server" and "not a GGUF" in events[0].message
    with pytest.raises(ProviderError, match="not a GGUF"):
        asyncio.run(provider.probe())


def test_engine_not_installed_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` fail
    provider = provider_for(gemma_model_path(), n_ctx=384)

    events = asyncio.run(collect(provider, ask()))

    assert [e.type for e in events] == ["error"]
    assert events[0].kind == "server" and events[0].message == NOT_INSTALLED
    assert "`local` extra" in NOT_INSTALLED
    with pytest.raises(ProviderError, match="not installed"):
        asyncio.run(provider.probe())


def test_gemma_messages_keep_the_system_prompt_and_tool_turns():
    messages = [
        ChatMessage(role="system", content="Be terse."),
        ChatMessage(role="user", content="Weather?"),
        ChatMessage(role="assistant", tool_calls=[
            ToolCallRecord(call_id="c1", name="get_weather", arguments={"city": "Oslo"})]),
        ChatMessage(role="tool", tool_call_id="c1", name="get_weather", content="rain"),
    ]

    wire = messages_for(messages, "gemma")

    assert [m["role"] for m in wire] == ["user", "assistant", "user"]
    assert wire[0]["content"].startswith("Be terse.") and wire[0]["content"].endswith("Weather?")
    assert "get_weather" in wire[1]["content"] and '"city": "Oslo"' in wire[1]["content"]
    assert "get_weather" in wire[2]["content"] and "rain" in wire[2]["content"]
    # A model with its own chat template gets the messages as they are.
    assert [m["role"] for m in messages_for(messages, "chat_template.default")] == \
        ["system", "user", "assistant", "tool"]
