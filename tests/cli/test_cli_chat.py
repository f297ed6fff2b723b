"""``agentdesk chat`` against the REAL llama.cpp server (Gemma 3 270M).

The model is tiny: assert protocol and behaviour, never wording.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.domain import parse_event
from app.ops.chats import title_for_new_chat
from tests.support.llama_server import free_port

ROOT = Path(__file__).resolve().parents[2]
# The interrupt tests stop the reply after its first byte; the limit is only
# high so that a loaded machine cannot finish the reply before the signal lands
# (32 tokens take about a second here). The stream is closed at the interrupt.
LONG_REPLY_TOKENS = 128


@pytest.fixture
def gemma_agent(cli, llama_server) -> str:
    """Provider 'llama' (the real server) and agent 'gemma' using it."""
    added = cli("providers", "add", "llama", "--kind", "llamacpp", "--url",
                llama_server.base_url)
    assert added.code == 0, added.err
    created = cli("agents", "create", "--name", "gemma", "--provider", "llama", "--model",
                  llama_server.model, "--max-tokens", "16", "--temperature", "0")
    assert created.code == 0, created.err
    return "gemma"


def stored_messages(open_store, conversation_id: int):
    store = open_store()
    return store.messages.all(conversation_id)


def test_text_reply_is_streamed_to_stdout_and_stored(cli, gemma_agent, open_store):
    result = cli("chat", "--agent", gemma_agent, "Name three colours of the rainbow please.")
    assert result.code == 0, result.err
    assert result.out.endswith("\n") and result.out.strip()
    store = open_store()
    [conversation] = store.conversations.list()
    assert conversation.title == title_for_new_chat("Name three colours of the rainbow please.")
    user, reply = store.messages.all(conversation.id)
    assert (user.role, user.content) == ("user", "Name three colours of the rainbow please.")
    assert (reply.status, reply.provider, reply.model) == ("complete", "llama", "gemma3")
    assert result.out == reply.content + "\n"


def test_json_lines_are_run_events_ending_with_done(cli, gemma_agent, open_store):
    result = cli("chat", "--agent", gemma_agent, "--json", "Say hello.")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    first = json.loads(lines[0])
    assert first["type"] == "conversation"
    events = [parse_event(line) for line in lines[1:]]
    assert events[-1].type == "done"
    assert {e.type for e in events} <= {"token", "thinking", "tool_call", "usage", "done"}
    # Each line is exactly the event model's JSON.
    assert [json.loads(line) for line in lines[1:]] == [e.model_dump(mode="json")
                                                        for e in events]
    text = "".join(e.text for e in events if e.type == "token")
    messages = stored_messages(open_store, first["conversation_id"])
    assert messages[-1].content == text and text


def test_continuing_a_conversation_and_reading_stdin(cli, gemma_agent, open_store,
                                                     monkeypatch):
    first = cli("chat", "--agent", gemma_agent, "--json", "My name is Ada.")
    conversation_id = json.loads(first.out.splitlines()[0])["conversation_id"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("What is my name?\n"))
    second = cli("chat", "--agent", gemma_agent, "--conversation", str(conversation_id), "-")
    assert second.code == 0, second.err
    messages = stored_messages(open_store, conversation_id)
    assert [m.role for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[2].content == "What is my name?\n"
    assert len(open_store().conversations.list()) == 1


def test_conversation_of_another_agent_is_refused(cli, gemma_agent):
    first = cli("chat", "--agent", gemma_agent, "--json", "Hi.")
    conversation_id = json.loads(first.out.splitlines()[0])["conversation_id"]
    other = cli("agents", "create", "--name", "other", "--provider", "llama", "--model", "x")
    assert other.code == 0
    result = cli("chat", "--agent", "other", "--conversation", str(conversation_id), "Hi.")
    assert result.code == 1
    assert "belongs to agent 'gemma'" in result.error_line


def test_unknown_agent_is_one_error_line(cli, home):
    result = cli("chat", "--agent", "nobody", "hello")
    assert result.code == 1
    assert "unknown agent 'nobody'" in result.error_line
    assert result.out == ""


def test_empty_message_is_refused(cli, gemma_agent, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("  \n"))
    result = cli("chat", "--agent", gemma_agent, "-")
    assert result.code == 1
    assert "empty" in result.error_line


def dead_provider_agent(cli) -> str:
    port = free_port()         # nothing listens here
    assert cli("providers", "add", "dead", "--kind", "llamacpp", "--url",
               f"http://127.0.0.1:{port}/v1").code == 0
    assert cli("agents", "create", "--name", "doomed", "--provider", "dead",
               "--model", "m").code == 0
    return "doomed"


def test_provider_down_exits_1_with_the_error(cli, home, open_store):
    agent = dead_provider_agent(cli)
    result = cli("chat", "--agent", agent, "hello?")
    assert result.code == 1
    line = result.error_line
    assert "dead/m" in line
    assert result.out == ""
    [conversation] = open_store().conversations.list()
    user, reply = stored_messages(open_store, conversation.id)
    assert user.content == "hello?"
    assert reply.status == "error" and reply.meta["attempts"][0]["error_kind"] == "unreachable"


def test_provider_down_with_json_prints_the_error_event(cli, home):
    agent = dead_provider_agent(cli)
    result = cli("chat", "--agent", agent, "--json", "hello?")
    assert result.code == 1
    result.error_line  # noqa: B018 — asserts a single stderr line
    last = parse_event(result.out.splitlines()[-1])
    assert last.type == "error" and last.kind == "unreachable"


def test_fallback_answer_exits_0_and_notes_who_answered(cli, gemma_agent, open_store):
    dead_provider_agent(cli)
    created = cli("agents", "create", "--name", "resilient", "--provider", "dead",
                  "--model", "m", "--fallback", "llama:gemma3", "--max-tokens", "8")
    assert created.code == 0, created.err
    result = cli("chat", "--agent", "resilient", "Hi.")
    assert result.code == 0, result.err
    assert "answered by llama/gemma3 after dead/m (unreachable) failed" in result.err
    [conversation] = [c for c in open_store().conversations.list()]
    reply = stored_messages(open_store, conversation.id)[-1]
    assert (reply.provider, reply.model) == ("llama", "gemma3")


def test_ctrl_c_cancels_cleanly_keeping_the_partial_reply(cli, home, llama_server,
                                                          open_store):
    assert cli("providers", "add", "llama", "--kind", "llamacpp", "--url",
               llama_server.base_url).code == 0
    assert cli("agents", "create", "--name", "talker", "--provider", "llama", "--model",
               "gemma3", "--max-tokens", str(LONG_REPLY_TOKENS)).code == 0
    env = {**os.environ, "AGENTDESK_HOME": str(home)}
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "chat", "--agent", "talker",
         "Write a long story about a dragon."],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    try:
        first = process.stdout.read(1)          # the reply has started streaming
        assert first, process.stderr.read().decode()
        process.send_signal(signal.SIGINT)
        rest, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, err.decode()
    assert err.decode().strip() == "agentdesk: interrupted"
    printed = (first + rest).decode()
    [conversation] = open_store().conversations.list()
    reply = stored_messages(open_store, conversation.id)[-1]
    assert reply.status == "cancelled"
    assert reply.content and printed.rstrip("\n") == reply.content.rstrip("\n")


def test_reader_going_away_ends_the_reply_as_cancelled(cli, home, llama_server, open_store):
    """`agentdesk chat … | head -c 1`: the closed pipe stops the reply, which is kept."""
    assert cli("providers", "add", "llama", "--kind", "llamacpp", "--url",
               llama_server.base_url).code == 0
    assert cli("agents", "create", "--name", "talker", "--provider", "llama", "--model",
               "gemma3", "--max-tokens", str(LONG_REPLY_TOKENS)).code == 0
    env = {**os.environ, "AGENTDESK_HOME": str(home)}
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "chat", "--agent", "talker",
         "Write a long story about a dragon."],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    try:
        assert process.stdout.read(1)
        process.stdout.close()
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 1
    [conversation] = open_store().conversations.list()
    reply = stored_messages(open_store, conversation.id)[-1]
    assert reply.status == "cancelled"
    assert reply.content
