"""``agentdesk compare`` against the REAL llama.cpp server (Gemma 3 270M), with
a second provider that is down for the failing column.

The model is tiny: assert protocol and behaviour, never wording.
"""

from __future__ import annotations

import json

import pytest

from app.domain import parse_event
from app.ops import messages
from tests.support.llama_server import free_port


@pytest.fixture
def agents(cli, llama_server) -> tuple[str, str, str]:
    """'gemma' and 'terse' on the real server, 'ghost' on a provider nobody serves."""
    for name, url in (("llama", llama_server.base_url),
                      ("down", f"http://127.0.0.1:{free_port()}/v1")):
        added = cli("providers", "add", name, "--kind", "llamacpp", "--url", url)
        assert added.code == 0, added.err
    for name, provider, system in (("gemma", "llama", "You are helpful."),
                                   ("terse", "llama", "Answer in one word."),
                                   ("ghost", "down", "")):
        created = cli("agents", "create", "--name", name, "--provider", provider, "--model",
                      llama_server.model, "--max-tokens", "12", "--temperature", "0",
                      *(["--system", system] if system else []))
        assert created.code == 0, created.err
    return "gemma", "terse", "ghost"


def test_plain_output_has_one_section_per_column_with_its_metrics(cli, agents, open_store):
    result = cli("compare", "--agent", "gemma", "--agent", "ghost", "Name a colour.")
    assert result.code == 0, result.err
    sections = result.out.split("== [")[1:]
    assert len(sections) == 2
    assert sections[0].startswith("1] gemma (llama/gemma3) ==")
    assert "tokens · " in sections[0] and "tok/s" in sections[0] and "first token" in \
        sections[0]
    assert sections[1].startswith("2] ghost ==")
    assert "error: " in sections[1] and "failed" in sections[1]
    # Nothing is stored without --pick.
    assert open_store().conversations.list() == []


def test_json_lines_are_tagged_with_their_column_and_pick_keeps_one(cli, agents, open_store):
    result = cli("compare", "--agent", "gemma", "--agent", "terse", "--json", "--pick", "2",
                 "Say hello.")
    assert result.code == 0, result.err
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert lines[0]["type"] == "compare"
    assert [(c["column"], c["agent"], c["provider"]) for c in lines[0]["columns"]] == [
        (0, "gemma", "llama"), (1, "terse", "llama")]
    events = lines[1:-1]
    assert {e["column"] for e in events} == {0, 1}
    texts = {}
    for column in (0, 1):
        mine = [parse_event({k: v for k, v in e.items() if k != "column"})
                for e in events if e["column"] == column]
        assert [e.type for e in mine][-2:] == ["usage", "done"]
        assert mine[-2].completion_tokens and mine[-2].ttft_ms is not None
        texts[column] = "".join(e.text for e in mine if e.type == "token")
    last = lines[-1]
    assert (last["type"], last["column"], last["agent"]) == ("conversation", 1, "terse")
    store = open_store()
    shown = messages.shown_branch(store, last["conversation_id"])
    assert [m.role for m in shown] == ["user", "assistant"]
    assert shown[1].content == texts[1] and shown[1].meta["compare"]["chosen"] is True
    assert store.conversations.get(last["conversation_id"]).agent_id == \
        store.agents.find_by_name("terse").id
    # The conversation goes on with `agentdesk chat`.
    more = cli("chat", "--agent", "terse", "--conversation", str(last["conversation_id"]),
               "And again?")
    assert more.code == 0, more.err
    assert len(messages.shown_branch(open_store(), last["conversation_id"])) == 4


def test_a_model_column_runs_the_first_agent_on_that_model(cli, agents, llama_server):
    result = cli("compare", "--agent", "ghost", "--model", f"llama:{llama_server.model}",
                 "--json", "Hi.")
    assert result.code == 0, result.err
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert [c["label"] for c in lines[0]["columns"]] == ["ghost", "ghost · llama:gemma3"]
    ends = {e["column"]: e["type"] for e in lines[1:] if e["type"] in ("done", "error")}
    assert ends == {0: "error", 1: "done"}


def test_every_column_failing_is_an_error(cli, agents):
    result = cli("compare", "--agent", "ghost", "--agent", "ghost", "Hi.")
    assert result.code == 1
    assert "every column failed" in result.error_line


@pytest.mark.parametrize("argv, problem", [
    (["--agent", "gemma", "Hi."], "at least two columns"),
    (["--agent", "gemma", "--agent", "nobody", "Hi."], "no agent named 'nobody'"),
    (["--agent", "gemma", "--agent", "terse", "--pick", "3", "Hi."], "only 2 columns"),
    (["--agent", "gemma", "--agent", "terse", "  "], "the message is empty"),
])
def test_refusals_are_one_line(cli, agents, argv, problem):
    result = cli("compare", *argv)
    assert result.code == 1
    assert problem in result.error_line


def test_picking_a_failed_column_is_refused_and_stores_nothing(cli, agents, open_store):
    result = cli("compare", "--agent", "gemma", "--agent", "ghost", "--pick", "2", "Hi.")
    assert result.code == 1
    assert "no answer" in result.error_line
    assert "== [1] gemma" in result.out          # the answers were shown first
    assert open_store().conversations.list() == []


def test_a_terminal_sees_progress_on_stderr_erased_at_the_end(cli, agents, monkeypatch):
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    result = cli("compare", "--agent", "gemma", "--agent", "ghost", "Hi.")
    assert result.code == 0
    written = err.getvalue()
    assert "comparing: 1 of 2 columns done" in written
    assert written.endswith("\r\x1b[K")             # the line is gone before the sections
    assert "comparing" not in result.out and "== [1] gemma" in result.out
