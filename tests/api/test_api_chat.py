"""``POST /api/agents/{id}/chat`` over real HTTP, backed by the real llama.cpp
server (protocol and behaviour, never wording) and, for tool rounds, a
scripted provider: NDJSON streaming, one JSON reply, continuing a
conversation, a client that goes away (partial reply kept), a provider that
is down (502), and tools that ask first refused unless allowed for the API."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from app.domain import Done, ProviderConfig, TextDelta, ToolCall
from app.store import Store
from tests.api.conftest import add_provider_and_agent, make_context
from tests.support.api_server import serve_api
from tests.support.llama_server import free_port
from tests.support.runner_helpers import RoundsProvider
from tests.support.scripted_providers import answer, config, source

#: Long enough that the reply is still streaming when the client leaves.
LONG_REPLY_TOKENS = 256
WAIT_SECONDS = 60


def _lines(response: httpx.Response) -> list[dict]:
    return [json.loads(line) for line in response.iter_lines() if line.strip()]


def test_a_streamed_reply_is_ndjson_events_with_timestamps(client, gemma_agent, api_home):
    with client.stream("POST", f"/api/agents/{gemma_agent.id}/chat",
                       json={"message": "Name a colour."}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        lines = _lines(response)
    conversation_id = int(response.headers["x-conversation-id"])
    assert lines[0]["type"] == "conversation" and lines[0]["conversation_id"] == conversation_id
    assert lines[-1]["type"] == "done"
    assert {"token", "done"} <= {line["type"] for line in lines}
    assert all("timestamp" in line for line in lines)
    text = "".join(line["text"] for line in lines if line["type"] == "token")
    with Store.in_folder(api_home) as store:
        conversation = store.conversations.get(conversation_id)
        user, reply = store.messages.all(conversation_id)
    assert conversation.origin == "api"                      # the window marks it
    assert (user.content, reply.content, reply.status) == ("Name a colour.", text, "complete")


def test_one_json_reply_and_a_continued_conversation(client, gemma_agent, api_home):
    first = client.post(f"/api/agents/{gemma_agent.id}/chat",
                        json={"message": "Say hi.", "stream": False})
    assert first.status_code == 200
    reply = first.json()
    assert reply["conversation_id"] == int(first.headers["x-conversation-id"])
    assert reply["stop_reason"] in ("stop", "length") and reply["tool_calls"] == []
    assert reply["usage"]["completion_tokens"] >= 1
    again = client.post(f"/api/agents/{gemma_agent.id}/chat", json={
        "message": "Again.", "stream": False, "conversation_id": reply["conversation_id"]})
    assert again.json()["conversation_id"] == reply["conversation_id"]
    with Store.in_folder(api_home) as store:
        stored = store.messages.all(reply["conversation_id"])
    assert [m.role for m in stored] == ["user", "assistant", "user", "assistant"]
    assert stored[1].content == reply["reply"]


def test_requests_share_one_provider_while_the_api_serves(gemma_agent, api_home):
    """Chat requests take their providers from one pool kept while the API serves
    (shared HTTP connections, no client built per request); it is closed when
    the API stops."""
    context = make_context(api_home)
    with serve_api(context) as api, httpx.Client(base_url=api.url, headers=api.headers(),
                                                 timeout=60) as http:
        pool = context.providers
        assert pool is not None
        for message in ("One.", "Two."):
            reply = http.post(f"/api/agents/{gemma_agent.id}/chat",
                              json={"message": message, "stream": False})
            assert reply.status_code == 200, reply.text
        assert list(pool._built) == ["llama"] and pool._retired == []
    assert context.providers is None                    # closed with the server


def test_a_client_that_goes_away_stops_the_run_and_the_partial_reply_is_kept(
        client, llama_server, api_home):
    agent = add_provider_and_agent(
        api_home, ProviderConfig(name="llama", kind="llamacpp", base_url=llama_server.base_url),
        name="long", model=llama_server.model, max_tokens=LONG_REPLY_TOKENS)
    with client.stream("POST", f"/api/agents/{agent.id}/chat",
                       json={"message": "Tell a long story about the sea."}) as response:
        conversation_id = int(response.headers["x-conversation-id"])
        for line in response.iter_lines():
            if json.loads(line)["type"] == "token":
                break                                   # the first token: leave
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        with Store.in_folder(api_home, recover=False) as store:   # the server may be writing
            reply = store.messages.all(conversation_id)[-1]
        if reply.status != "streaming" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert reply.role == "assistant" and reply.status == "cancelled"
    assert reply.content                                 # what arrived is kept


def test_a_provider_that_is_down_is_502_in_the_envelope(client, api_home):
    agent = add_provider_and_agent(
        api_home, ProviderConfig(name="gone", kind="llamacpp",
                                 base_url=f"http://127.0.0.1:{free_port()}/v1"),
        name="down", model="m")
    for stream in (True, False):
        response = client.post(f"/api/agents/{agent.id}/chat",
                               json={"message": "hello?", "stream": stream})
        assert response.status_code == 502, stream
        error = response.json()["error"]
        assert error["code"] == "provider_error" and error["details"]["kind"] == "unreachable"
        assert "Traceback" not in error["message"]


def test_bad_chat_requests(client, api_home) -> None:
    agent = add_provider_and_agent(api_home, config("local"), name="a", model="m")
    other = add_provider_and_agent(api_home, config("local"), name="b", model="m")
    with Store.in_folder(api_home) as store:
        theirs = store.conversations.create(other.id, "theirs")
    assert client.post("/api/agents/999/chat", json={"message": "x"}).status_code == 404
    assert client.post(f"/api/agents/{agent.id}/chat",
                       json={"message": "x", "conversation_id": 999}).status_code == 404
    wrong = client.post(f"/api/agents/{agent.id}/chat",
                        json={"message": "x", "conversation_id": theirs.id})
    assert wrong.status_code == 409
    for body in ({}, {"message": ""}, {"message": "  "}, {"message": "x", "stream": "maybe"}):
        assert client.post(f"/api/agents/{agent.id}/chat", json=body).status_code == 422
    too_long = client.post(f"/api/agents/{agent.id}/chat",
                           json={"message": "x" * 100_001})
    assert too_long.status_code == 422
    assert too_long.json()["error"]["code"] == "message_too_long"


def _write_call() -> list:
    return [ToolCall(call_id="c1", name="write_file",
                     arguments={"path": "note.txt", "content": "from the API"}),
            Done(stop_reason="tool_calls")]


def _tool_turn(api_home: Path, api_tools: list[str]) -> tuple[dict, Path]:
    provider = RoundsProvider(config("local"), [_write_call(), answer("done")])
    agent = add_provider_and_agent(api_home, config("local"), name="writer", model="m",
                                   tools=["write_file"], api_tools=api_tools)
    context = make_context(api_home, providers=source({"local": provider}))
    with serve_api(context) as api:
        response = httpx.post(f"{api.url}/api/agents/{agent.id}/chat",
                              json={"message": "write it", "stream": False},
                              headers=api.headers(), timeout=60)
    assert response.status_code == 200, response.text
    return response.json(), api_home / "workspaces" / str(agent.id) / "note.txt"


def test_a_tool_that_asks_is_refused_over_the_api(api_home) -> None:
    reply, written = _tool_turn(api_home, [])
    [call] = reply["tool_calls"]
    assert (call["name"], call["is_error"]) == ("write_file", True)
    assert not written.exists()
    assert reply["reply"] == "done"


def test_a_tool_allowed_for_the_api_runs(api_home) -> None:
    reply, written = _tool_turn(api_home, ["write_file"])
    [call] = reply["tool_calls"]
    assert (call["name"], call["is_error"]) == ("write_file", False)
    assert written.read_text() == "from the API"


def test_tokens_arrive_as_one_line_each(api_home) -> None:
    """Each model delta is its own line, in order (scripted: exact text)."""
    provider = RoundsProvider(config("local"), [[TextDelta(text="a"), TextDelta(text="b"),
                                                 Done(stop_reason="stop")]])
    agent = add_provider_and_agent(api_home, config("local"), name="ab", model="m")
    with serve_api(make_context(api_home, providers=source({"local": provider}))) as api:
        with httpx.stream("POST", f"{api.url}/api/agents/{agent.id}/chat",
                          json={"message": "ab"}, headers=api.headers()) as response:
            lines = _lines(response)
    assert [(line["type"], line.get("text")) for line in lines] == [
        ("conversation", None), ("token", "a"), ("token", "b"), ("done", None)]


def test_a_client_that_gives_up_on_a_whole_reply_stops_the_run_too(api_home) -> None:
    """Not streamed: the client's read times out mid-reply; the run stops and
    the first words stay stored, marked cancelled."""
    provider = RoundsProvider(config("local"), [[TextDelta(text="first words"), 600,
                                                 TextDelta(text="never"), Done()]])
    agent = add_provider_and_agent(api_home, config("local"), name="slow", model="m")
    with serve_api(make_context(api_home, providers=source({"local": provider}))) as api:
        try:
            httpx.post(f"{api.url}/api/agents/{agent.id}/chat",
                       json={"message": "go", "stream": False}, headers=api.headers(),
                       timeout=httpx.Timeout(60, read=1))
            raise AssertionError("the reply should still be running")
        except httpx.ReadTimeout:
            pass
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            with Store.in_folder(api_home, recover=False) as store:
                [conversation] = store.conversations.list()
                stored = store.messages.all(conversation.id)
            if (len(stored) == 2 and stored[-1].status != "streaming") \
                    or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert [(m.role, m.content, m.status) for m in stored] == [
        ("user", "go", "complete"), ("assistant", "first words", "cancelled")]
