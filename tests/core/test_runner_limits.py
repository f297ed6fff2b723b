"""A hostile server through a whole turn (AgentRunner over a real database,
the provider built from the settings as the window and the CLI build it):
a reply past the size bound, tool-call arguments past theirs, a trickle
past the reply deadline. Each reply is stored ``partial`` with what arrived
before the bound and the limit's message; a refused tool call is neither
run, nor stored, nor sent back to the model; the next turn in the same
conversation works as usual."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.core.runner import AgentRunner, RunConfig, RunnerDeps
from app.domain import AgentSpec, Done, Error, ProviderConfig
from app.settings import AppSettings
from tests.providers.fault_server import FaultServer, openai_chunk, sse_event, text_stream
from tests.providers.hostile_handlers import MB, Sent, openai_flood, openai_tool_flood, trickle
from tests.support.turn_helpers import collect, messages_of, run_with_setup

CHAT = "/v1/chat/completions"


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as created:
        yield created


def remote(server: FaultServer) -> ProviderConfig:
    return ProviderConfig(name="remote", kind="llamacpp", base_url=f"{server.url}/v1",
                          is_local=True)


def agent(**extra) -> AgentSpec:
    return AgentSpec(name="target", provider="remote", model="m", **extra)


def settings(tmp_path, **limits) -> AppSettings:
    return AppSettings(home=tmp_path, stream_flush_seconds=0.05, limits=limits,
                       timeouts={"connect": 2.0, "first_byte": 5.0, "idle": 5.0})


def two_turns(tmp_path, server, spec: AgentSpec, app_settings: AppSettings):
    """The hostile turn, then a plain one in the same conversation."""

    async def body(setup):
        outcomes = []
        for text in ("first", "second"):
            runner = AgentRunner(RunnerDeps(setup.store, app_settings),
                                 RunConfig(setup.agent, setup.conversation_id, text))
            outcomes.append(await collect(runner.events()))
        return outcomes, messages_of(setup.path, setup.conversation_id), setup.agent.id

    return run_with_setup(tmp_path, spec, [remote(server)], body)


def assistant_rows(rows) -> list[dict]:
    return [r for r in rows if r["role"] == "assistant"]


def test_a_50_mb_reply_is_stored_partial_up_to_the_limit_then_the_chat_goes_on(
        tmp_path, server) -> None:
    sent = Sent()
    server.route("POST", CHAT, openai_flood(sent, 50 * MB), text_stream(["All ", "good."]))

    (first, second), rows, _ = two_turns(tmp_path, server, agent(), settings(tmp_path))

    assert isinstance(first[-1], Error) and first[-1].kind == "limit"
    hostile, plain = assistant_rows(rows)
    assert hostile["status"] == "partial" and hostile["content"] == "x" * (4 * MB)
    assert "4 MB" in hostile["error"] and "limits.reply_bytes" in hostile["error"]
    assert not sent.finished
    assert isinstance(second[-1], Done)
    assert (plain["status"], plain["content"]) == ("complete", "All good.")


def test_huge_tool_arguments_are_refused_not_run_and_not_sent_back(tmp_path, server) -> None:
    sent = Sent()
    server.route("POST", CHAT, openai_tool_flood(sent, 40 * MB), text_stream(["Fine."]))
    spec = agent(tools=["calculator", "files"])

    (first, second), rows, agent_id = two_turns(tmp_path, server, spec, settings(tmp_path))

    assert isinstance(first[-1], Error) and "limits.tool_argument_bytes" in first[-1].message
    hostile, plain = assistant_rows(rows)
    assert hostile["status"] == "partial" and hostile["content"] == "Let me write that file."
    assert not [r for r in rows if r["role"] == "tool"]           # never run
    workspace = tmp_path / "workspaces" / str(agent_id)
    assert not (workspace / "big.txt").exists()
    # One request per turn: the refused call's arguments never went back to the model.
    requests = server.requests_to(CHAT)
    assert len(requests) == 2
    assert b"AAAA" not in requests[1].body and b"big.txt" not in requests[1].body
    assert plain["content"] == "Fine."


def test_a_trickling_reply_is_stopped_at_the_configured_deadline(tmp_path, server) -> None:
    sent = Sent()
    head = sse_event(openai_chunk(role="assistant", content="Hello")) + b": "
    tail = b"\n\n" + sse_event(openai_chunk(finish_reason="stop")) + sse_event("[DONE]")
    server.route("POST", CHAT, trickle(sent, head, b".", 12.0, tail, "text/event-stream"),
                 text_stream(["Quick."]))

    (first, second), rows, _ = two_turns(tmp_path, server, agent(),
                                         settings(tmp_path, reply_seconds=2.0))

    assert isinstance(first[-1], Error) and first[-1].kind == "limit"
    hostile, plain = assistant_rows(rows)
    assert hostile["status"] == "partial" and hostile["content"] == "Hello"
    assert "limits.reply_seconds" in hostile["error"]
    assert not sent.finished
    assert plain["content"] == "Quick."
