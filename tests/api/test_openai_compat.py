"""/v1 (OpenAI-compatible) over real HTTP with the official ``openai`` client:
agents as models, plain and streamed completions with usage, the request's
messages as history (or a continued conversation), an agent that runs its
tool on our side, a client that goes away mid-stream, and errors in OpenAI's
shape (wrong token, unknown model, a provider that is down). Scripted
providers play the model, except the last test: the real llama.cpp server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from app.api.context import ApiContext, ApiLimits
from app.core.fallback import ProviderSource
from app.core.provider_factory import build_provider
from app.domain import AgentSpec, Error, ProviderConfig, TextDelta, Usage
from app.providers.base import ChatProvider
from app.settings import load_settings
from app.store import Store
from tests.support.api_server import TOKEN, ServedApi, serve_api
from tests.support.runner_helpers import RoundsProvider, calls
from tests.support.scripted_providers import ScriptedProvider, answer, config, refused
from tests.support.turn_helpers import messages_of, read_rows

SCRIPTED = config("scripted")
DOWN = config("down")
#: How long a test waits for the server to record what a run left behind.
SETTLE_SECONDS = 20


def seed(home: Path, *agents: AgentSpec, providers: tuple[ProviderConfig, ...] = (SCRIPTED,)
         ) -> None:
    with Store.in_folder(home) as store:
        for provider in providers:
            store.providers.create(provider)
        for agent in agents:
            store.agents.create(agent)


def agent(name: str, provider: str = "scripted", **extra: Any) -> AgentSpec:
    return AgentSpec(name=name, provider=provider, model="m", max_tokens=64, **extra)


def mixed_source(scripted: dict[str, ChatProvider]) -> ProviderSource:
    """Scripted providers by name; any other configuration is the real one."""
    return lambda provider: scripted.get(provider.name) or build_provider(provider)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AGENTDESK_HOME", str(tmp_path))
    Store.in_folder(tmp_path).close()
    return tmp_path


def serve(home: Path, scripted: dict[str, ChatProvider]):
    settings = load_settings(home)
    return serve_api(ApiContext(settings=settings, token=TOKEN,
                                store_path=settings.database_path, limits=ApiLimits(),
                                providers=mixed_source(scripted)))


def client_for(api: ServedApi, token: str = TOKEN) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{api.url}/v1", api_key=token, max_retries=0, timeout=60)


@pytest.fixture
def scribe(home: Path) -> Iterator[tuple[ServedApi, ScriptedProvider]]:
    """The agent "Scribe" on a scripted provider, served."""
    seed(home, agent("Scribe", system_prompt="Be brief."), agent("Other"))
    provider = ScriptedProvider(SCRIPTED, answer("Hello", " there",
                                                 usage=Usage(prompt_tokens=7,
                                                             completion_tokens=2)))
    with serve(home, {"scripted": provider}) as api:
        yield api, provider


def conversation_rows(home: Path) -> list[dict[str, Any]]:
    return read_rows(home / "agentdesk.db", "SELECT * FROM conversations ORDER BY id")


def test_each_agent_is_a_model(scribe) -> None:
    api, _ = scribe
    models = client_for(api).models.list()
    assert sorted(model.id for model in models.data) == ["Other", "Scribe"]
    assert {model.owned_by for model in models.data} == {"agentdesk"}


def test_a_completion_answers_with_usage_and_the_messages_become_the_turn(scribe, home) -> None:
    api, provider = scribe
    raw = client_for(api).chat.completions.with_raw_response.create(
        model="Scribe", temperature=0.3,
        messages=[{"role": "system", "content": "You are someone else."},
                  {"role": "user", "content": "My name is Ada."},
                  {"role": "assistant", "content": "Hi Ada."},
                  {"role": "user", "content": [{"type": "text", "text": "Who am I?"}]}])
    completion = raw.parse()
    assert completion.object == "chat.completion" and completion.model == "Scribe"
    assert completion.choices[0].message.content == "Hello there"
    assert completion.choices[0].finish_reason == "stop"
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens,
            completion.usage.total_tokens) == (7, 2, 9)

    conversation_id = int(raw.headers["x-conversation-id"])
    stored = [(m["role"], m["content"]) for m in messages_of(home / "agentdesk.db",
                                                              conversation_id)]
    assert stored == [("user", "My name is Ada."), ("assistant", "Hi Ada."),
                      ("user", "Who am I?"), ("assistant", "Hello there")]
    (row,) = conversation_rows(home)
    assert (row["title"], row["origin"]) == ("My name is Ada.", "api")   # marked for the window
    sent = [(m.role, m.content) for m in provider.requests[0].messages]
    # The agent's own system prompt, not the client's; the history, then the input.
    assert sent[0][0] == "system" and "Be brief." in sent[0][1]
    assert "You are someone else." not in str(sent)
    assert sent[1:] == [("user", "My name is Ada."), ("assistant", "Hi Ada."),
                        ("user", "Who am I?")]


def test_streaming_sends_chunks_usage_and_done(scribe) -> None:
    api, _ = scribe
    chunks = list(client_for(api).chat.completions.create(
        model="Scribe", stream=True, stream_options={"include_usage": True},
        messages=[{"role": "user", "content": "Hi"}]))
    assert {chunk.object for chunk in chunks} == {"chat.completion.chunk"}
    assert len({chunk.id for chunk in chunks}) == 1
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello there"
    assert chunks[0].choices[0].delta.role == "assistant"
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and
              c.choices[0].finish_reason]
    assert finish == ["stop"]
    assert chunks[-1].choices == []                   # include_usage: OpenAI's last chunk
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens,
            chunks[-1].usage.total_tokens) == (7, 2, 9)


def test_the_stream_is_server_sent_events_ending_in_done(scribe) -> None:
    api, _ = scribe
    with httpx.stream("POST", f"{api.url}/v1/chat/completions", headers=api.headers(),
                      json={"model": "scribe", "stream": True,         # names: any case
                            "messages": [{"role": "user", "content": "Hi"}]},
                      timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert int(response.headers["x-conversation-id"]) >= 1
        events = [line for line in response.iter_lines() if line]
    assert all(line.startswith("data: ") for line in events)
    assert events[-1] == "data: [DONE]"
    # Without include_usage the usage rides on the chunk that finishes.
    finishing = openai.types.chat.ChatCompletionChunk.model_validate_json(events[-2][6:])
    assert finishing.choices[0].finish_reason == "stop"
    assert finishing.usage is not None and finishing.usage.total_tokens == 9


def test_a_header_continues_a_conversation_with_its_stored_history(scribe, home) -> None:
    api, provider = scribe
    client = client_for(api)
    first = client.chat.completions.with_raw_response.create(
        model="Scribe", messages=[{"role": "user", "content": "Remember 7."}])
    conversation_id = first.headers["x-conversation-id"]
    second = client.chat.completions.with_raw_response.create(
        model="Scribe", extra_headers={"X-Conversation-Id": conversation_id},
        messages=[{"role": "user", "content": "ignored history"},
                  {"role": "user", "content": "What number?"}])
    assert second.headers["x-conversation-id"] == conversation_id
    sent = [(m.role, m.content) for m in provider.requests[1].messages[1:]]
    assert sent == [("user", "Remember 7."), ("assistant", "Hello there"),
                    ("user", "What number?")]
    assert len(conversation_rows(home)) == 1

    with pytest.raises(openai.BadRequestError) as other:      # another agent's chat
        client.chat.completions.create(
            model="Other", extra_headers={"X-Conversation-Id": conversation_id},
            messages=[{"role": "user", "content": "Hi"}])
    assert other.value.code == "conversation_of_another_agent"
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(
            model="Scribe", extra_headers={"X-Conversation-Id": "9999"},
            messages=[{"role": "user", "content": "Hi"}])


def test_a_tool_using_agent_runs_its_tool_on_our_side(home) -> None:
    seed(home, agent("Counter", tools=["calculator"]))
    provider = RoundsProvider(SCRIPTED, [
        [Usage(prompt_tokens=20, completion_tokens=5),
         *calls(("call_1", "calculator", {"expression": "6*7"}))],
        answer("It is ", "42.", usage=Usage(prompt_tokens=30, completion_tokens=3)),
    ])
    with serve(home, {"scripted": provider}) as api:
        client = client_for(api)
        completion = client.chat.completions.create(
            model="Counter", messages=[{"role": "user", "content": "What is 6*7?"}])
        chunks = list(client.chat.completions.create(
            model="Counter", stream=True, messages=[{"role": "user", "content": "Again?"}]))
    assert completion.choices[0].message.content == "It is 42."
    assert completion.choices[0].message.tool_calls is None       # they ran here
    assert completion.choices[0].finish_reason == "stop"
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (50, 8)
    tool_result = [m for m in provider.requests[1].messages if m.role == "tool"]
    assert [m.content for m in tool_result] == ["42"]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "It is 42."
    assert chunks[-1].usage.total_tokens == 30 + 3      # the stream's run: one answer round


def test_wrong_or_missing_token_is_an_authentication_error(scribe) -> None:
    api, provider = scribe
    with pytest.raises(openai.AuthenticationError) as wrong:
        client_for(api, token="not-the-token").chat.completions.create(
            model="Scribe", messages=[{"role": "user", "content": "Hi"}])
    assert wrong.value.body["type"] == "authentication_error"
    with pytest.raises(openai.AuthenticationError):
        client_for(api, token="not-the-token").models.list()
    assert provider.requests == []


def test_bad_requests_are_errors_in_openai_shape(scribe, home) -> None:
    api, provider = scribe
    client = client_for(api)
    with pytest.raises(openai.NotFoundError) as unknown:
        client.chat.completions.create(model="Nobody",
                                       messages=[{"role": "user", "content": "Hi"}])
    assert unknown.value.code == "model_not_found"
    assert set(unknown.value.response.json()["error"]) >= {"message", "type", "code"}
    with pytest.raises(openai.BadRequestError) as not_user:
        client.chat.completions.create(model="Scribe",
                                       messages=[{"role": "user", "content": "Hi"},
                                                 {"role": "assistant", "content": "Hey"}])
    assert not_user.value.code == "last_message_not_user"
    with pytest.raises(openai.BadRequestError) as image:
        client.chat.completions.create(model="Scribe", messages=[{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}])
    assert image.value.code == "unsupported_content"
    with pytest.raises(openai.UnprocessableEntityError) as invalid:
        client.chat.completions.create(model="Scribe", messages=[])
    assert invalid.value.body["type"] == "invalid_request_error"
    assert provider.requests == [] and conversation_rows(home) == []


def test_a_provider_that_is_down_is_one_clear_502(home) -> None:
    seed(home, agent("Broken", provider="down"), providers=(DOWN,))
    provider = ScriptedProvider(DOWN, refused("unreachable", retryable=False))
    with serve(home, {"down": provider}) as api:
        client = client_for(api)
        for stream in (False, True):
            with pytest.raises(openai.InternalServerError) as failed:
                client.chat.completions.create(
                    model="Broken", stream=stream, messages=[{"role": "user", "content": "Hi"}])
            assert failed.value.status_code == 502
            error = failed.value.response.json()["error"]
            assert error["code"] == "provider_unreachable"
            assert error["message"].startswith("the model failed: ")
            assert "Traceback" not in error["message"]


def test_a_failure_after_the_reply_began_is_an_error_event_in_the_stream(home) -> None:
    seed(home, agent("Flaky"))
    provider = ScriptedProvider(SCRIPTED, [TextDelta(text="Half a"),
                                           Error(kind="server", message="engine crashed")])
    with serve(home, {"scripted": provider}) as api:
        stream = client_for(api).chat.completions.create(
            model="Flaky", stream=True, messages=[{"role": "user", "content": "Hi"}])
        seen: list[str] = []
        with pytest.raises(openai.APIError) as failed:
            for chunk in stream:
                seen.append(chunk.choices[0].delta.content or "")
    assert "".join(seen) == "Half a"
    assert "engine crashed" in failed.value.message
    assert failed.value.code == "provider_server"


def test_a_client_that_goes_away_mid_stream_stops_the_run_and_keeps_the_partial(home) -> None:
    seed(home, agent("Slow"))
    provider = ScriptedProvider(SCRIPTED, [TextDelta(text="Once upon"), 30,
                                           TextDelta(text=" never")])
    with serve(home, {"scripted": provider}) as api:
        with httpx.stream("POST", f"{api.url}/v1/chat/completions", headers=api.headers(),
                          json={"model": "Slow", "stream": True,
                                "messages": [{"role": "user", "content": "A story"}]},
                          timeout=60) as response:
            conversation_id = int(response.headers["x-conversation-id"])
            for line in response.iter_lines():
                if "Once upon" in line:
                    break                                   # then hang up
        deadline = time.monotonic() + SETTLE_SECONDS
        while provider.streams_closed == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        reply = None
        while time.monotonic() < deadline:
            reply = messages_of(home / "agentdesk.db", conversation_id)[-1]
            if reply["role"] == "assistant" and reply["status"] != "streaming":
                break
            time.sleep(0.05)
    assert provider.streams_closed == 1
    assert reply is not None and (reply["role"], reply["content"], reply["status"]) == (
        "assistant", "Once upon", "cancelled")


def test_a_client_that_stops_waiting_for_a_whole_reply_stops_the_run(home) -> None:
    seed(home, agent("Slow"))
    provider = ScriptedProvider(SCRIPTED, [TextDelta(text="Once upon"), 30,
                                           TextDelta(text=" never")])
    with serve(home, {"scripted": provider}) as api:
        with pytest.raises(httpx.ReadTimeout):          # the client gives up and hangs up
            httpx.post(f"{api.url}/v1/chat/completions", headers=api.headers(), timeout=2,
                       json={"model": "Slow",
                             "messages": [{"role": "user", "content": "A story"}]})
        deadline = time.monotonic() + SETTLE_SECONDS
        rows: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            rows = read_rows(home / "agentdesk.db",
                             "SELECT * FROM messages WHERE role = 'assistant'")
            if rows and rows[-1]["status"] != "streaming":
                break
            time.sleep(0.05)
    assert provider.streams_closed == 1
    assert [(r["content"], r["status"]) for r in rows] == [("Once upon", "cancelled")]


def test_a_client_that_hangs_up_before_the_stream_starts_stops_the_run(home) -> None:
    seed(home, agent("Sleepy"))
    provider = ScriptedProvider(SCRIPTED, [30, TextDelta(text="late")])   # a long model load
    with serve(home, {"scripted": provider}) as api:
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{api.url}/v1/chat/completions", headers=api.headers(), timeout=2,
                       json={"model": "Sleepy", "stream": True,
                             "messages": [{"role": "user", "content": "Hi"}]})
        deadline = time.monotonic() + SETTLE_SECONDS
        rows: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            rows = read_rows(home / "agentdesk.db", "SELECT * FROM messages ORDER BY id")
            if provider.streams_closed and rows[-1]["status"] != "streaming":
                break
            time.sleep(0.05)
    assert provider.streams_closed == 1
    assert [(r["role"], r["content"], r["status"]) for r in rows] == [
        ("user", "Hi", "complete"), ("assistant", "", "cancelled")]


def test_the_real_model_answers_through_v1(home, llama_server) -> None:
    real = ProviderConfig(name="llama", kind="llamacpp", base_url=llama_server.base_url,
                          is_local=True)
    seed(home, AgentSpec(name="Gemma", provider="llama", model=llama_server.model,
                         max_tokens=16, temperature=0.2), providers=(real,))
    with serve(home, {}) as api:
        client = client_for(api)
        chunks = list(client.chat.completions.create(
            model="Gemma", stream=True, stream_options={"include_usage": True},
            messages=[{"role": "user", "content": "Say hello."}]))
        completion = client.chat.completions.create(
            model="Gemma", messages=[{"role": "user", "content": "Say hi."}])
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).strip()
    assert chunks[-1].usage.completion_tokens > 0
    assert completion.choices[0].message.content.strip()
    assert completion.choices[0].finish_reason in ("stop", "length")
    assert completion.usage.completion_tokens > 0
