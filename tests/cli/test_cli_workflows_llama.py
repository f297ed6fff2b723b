"""``agentdesk workflows run --json`` end to end against the REAL llama.cpp
server (Gemma 3 270M), one run of each kind. The model is tiny: assert the
protocol (events, order, what is stored), never wording."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def gemma_agents(cli, llama_server) -> list[str]:
    added = cli("providers", "add", "llama", "--kind", "llamacpp", "--url",
                llama_server.base_url)
    assert added.code == 0, added.err
    names = ["Writer", "Reader", "Merger"]
    for name in names:
        created = cli("agents", "create", "--name", name, "--provider", "llama", "--model",
                      llama_server.model, "--max-tokens", "12", "--temperature", "0",
                      "--system", f"You are {name}.")
        assert created.code == 0, created.err
    return names


def run_json(cli, name: str, question: str) -> list[dict]:
    result = cli("workflows", "run", name, "--json", question)
    assert result.code == 0, result.err
    return [json.loads(line) for line in result.out.splitlines()]


def steps_of(lines: list[dict]) -> list[tuple[str, str]]:
    return [(line["type"], line["agent"]) for line in lines
            if line["type"] in ("step_start", "step_end")]


def check_stored(open_store, lines: list[dict]) -> None:
    """Each step_end names a stored, complete reply of its agent and model."""
    store = open_store()
    conversation = store.conversations.get(lines[0]["conversation_id"])
    assert conversation.origin == "workflow"
    stored = {m.id: m for m in store.messages.all(conversation.id)}
    for end in (line for line in lines if line["type"] == "step_end"):
        message = stored[end["message_id"]]
        assert message.status == end["status"] == "complete"
        assert message.meta["workflow"]["agent"] == end["agent"]
        assert message.model == end["model"] == "gemma3"
        assert message.usage is not None and message.usage.completion_tokens


def tokens_of(lines: list[dict], step: int) -> str:
    return "".join(line["text"] for line in lines
                   if line["type"] == "token" and line["step"] == step)


def test_a_chain_from_the_cli(cli, gemma_agents, open_store):
    created = cli("workflows", "create", "--name", "Pipe", "--kind", "chain",
                  "--agent", "Writer", "--agent", "Reader")
    assert created.code == 0, created.err
    lines = run_json(cli, "Pipe", "The sky is")
    assert lines[0]["type"] == "conversation" and lines[0]["workflow"] == "Pipe"
    assert steps_of(lines) == [("step_start", "Writer"), ("step_end", "Writer"),
                               ("step_start", "Reader"), ("step_end", "Reader")]
    assert [line["type"] for line in lines if line.get("step") == 2][-1] == "step_end"
    assert {line["type"] for line in lines} >= {"token", "usage", "done"}
    assert lines[-1]["type"] == "workflow_end" and lines[-1]["status"] == "complete"
    assert lines[-1]["answer"] == tokens_of(lines, 2)
    check_stored(open_store, lines)
    store = open_store()
    messages = store.messages.all(lines[0]["conversation_id"])
    assert [m.role for m in messages] == ["user", "assistant", "assistant"]


def test_a_parallel_run_with_synthesis_from_the_cli(cli, gemma_agents, open_store):
    created = cli("workflows", "create", "--name", "Panel", "--kind", "parallel",
                  "--agent", "Writer", "--agent", "Reader", "--synthesis", "Merger")
    assert created.code == 0, created.err
    lines = run_json(cli, "Panel", "Two plus two is")
    steps = steps_of(lines)
    assert sorted(steps[:2]) == [("step_start", "Reader"), ("step_start", "Writer")]
    assert steps[-2:] == [("step_start", "Merger"), ("step_end", "Merger")]
    assert lines[-1]["status"] == "complete"
    check_stored(open_store, lines)
    store = open_store()
    messages = store.messages.all(lines[0]["conversation_id"])
    merged = [m for m in messages if m.meta.get("workflow", {}).get("role") == "synthesis_input"]
    assert len(merged) == 1 and "## Writer" in merged[0].content and "## Reader" in merged[0].content


def test_a_hand_off_from_the_cli(cli, gemma_agents, open_store):
    created = cli("workflows", "create", "--name", "Desk", "--kind", "handoff",
                  "--agent", "Writer", "--agent", "Reader", "--max-depth", "1")
    assert created.code == 0, created.err
    lines = run_json(cli, "Desk", "Ask the reader what colour the sky is.")
    starts = [line for line in lines if line["type"] == "step_start"]
    assert starts[0]["agent"] == "Writer" and starts[0]["depth"] == 0
    # Whether the tiny model hands off is up to it; any hand-off is nested right.
    for nested in starts[1:]:
        assert (nested["agent"], nested["depth"], nested["parent"]) == ("Reader", 1, 1)
    ends = [line for line in lines if line["type"] == "step_end"]
    assert sorted(e["step"] for e in ends) == sorted(s["step"] for s in starts)
    assert lines[-1]["type"] == "workflow_end" and lines[-1]["status"] == "complete"
    store = open_store()
    messages = store.messages.all(lines[0]["conversation_id"])
    assert not [m for m in messages if m.status == "streaming"]
