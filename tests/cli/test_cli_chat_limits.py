"""``agentdesk chat`` against a hostile server: a reply past the configured
size bound (AGENTDESK_LIMITS__REPLY_BYTES) prints what arrived, then one
clear stderr line naming the limit and the setting; exit code 1; the partial
reply is in the conversation. A second chat in the same data folder works."""

from __future__ import annotations

import pytest

from tests.providers.fault_server import FaultServer, json_reply, text_stream
from tests.providers.hostile_handlers import MB, Sent, openai_flood


@pytest.fixture
def server():
    with FaultServer() as created:
        created.route("GET", "/v1/models", json_reply(
            {"object": "list", "data": [{"id": "m", "object": "model"}]}))
        yield created


def test_cli_chat_reports_the_size_limit_in_one_line_and_keeps_the_partial_reply(
        cli, server, open_store, monkeypatch) -> None:
    monkeypatch.setenv("AGENTDESK_LIMITS__REPLY_BYTES", "2048")
    sent = Sent()
    server.route("POST", "/v1/chat/completions", openai_flood(sent, 50 * MB, piece=1024),
                 text_stream(["Short ", "answer."]))
    assert cli("providers", "add", "remote", "--kind", "llamacpp", "--url",
               f"{server.url}/v1").code == 0
    assert cli("agents", "create", "--name", "a", "--provider", "remote",
               "--model", "m").code == 0

    hostile = cli("chat", "--agent", "a", "tell me everything")
    plain = cli("chat", "--agent", "a", "--conversation", "1", "and briefly?")

    assert hostile.code == 1
    line = hostile.error_line
    assert "2 KB" in line and "limits.reply_bytes" in line and "what arrived is kept" in line
    assert hostile.out.strip() == "x" * 2048
    assert plain.code == 0 and "Short answer." in plain.out
    messages = open_store().messages.all(1)
    replies = [m for m in messages if m.role == "assistant"]
    assert [m.status for m in replies] == ["partial", "complete"]
    assert replies[0].content == "x" * 2048 and "limits.reply_bytes" in replies[0].error
    assert not sent.finished
