"""agents create|list|show|delete, in-process."""

from __future__ import annotations

import pytest

from app.domain import AgentSpec, Message
from app.store import NotFoundError


def test_create_stores_every_option(cli, open_store, local_provider):
    result = cli("agents", "create", "--name", "Coder", "--provider", "LOCAL",
                 "--model", "qwen2.5:7b", "--system", "Write code.", "--tool", "shell",
                 "--tool", "read_file", "--temperature", "0.2", "--max-tokens", "512",
                 "--no-stream", "--local-only", "--fallback", "local:llama3:8b-instruct")
    assert result.code == 0, result.err
    assert result.err == ""
    assert "Coder" in result.out

    stored = open_store().agents.get_by_name("coder")
    assert stored.name == "Coder"
    assert stored.provider == "local"  # spelled as configured
    assert stored.model == "qwen2.5:7b"
    assert stored.system_prompt == "Write code."
    assert stored.tools == ["shell", "read_file"]
    assert stored.temperature == pytest.approx(0.2)
    assert stored.max_tokens == 512
    assert stored.streaming is False
    assert stored.local_only is True
    # Split at the first colon only: model ids contain colons.
    assert [(f.provider, f.model) for f in stored.fallbacks] == [("local", "llama3:8b-instruct")]
    assert str(stored.id) in result.out


def test_create_json_output_is_the_stored_agent(cli, open_store, local_provider):
    result = cli("agents", "create", "--name", "A", "--provider", "local", "--model", "m",
                 "--json")
    assert result.code == 0
    data = result.json()
    stored = open_store().agents.get_by_name("A")
    assert data == stored.model_dump(mode="json")
    assert data["revision"] == 1
    assert data["temperature"] == AgentSpec.model_fields["temperature"].default


def test_create_with_unknown_provider_fails_and_stores_nothing(cli, open_store):
    result = cli("agents", "create", "--name", "A", "--provider", "ghost", "--model", "m")
    assert result.code == 1
    line = result.error_line
    assert "unknown provider 'ghost'" in line
    assert "agentdesk providers add ghost --kind" in line
    assert result.out == ""
    assert open_store().agents.list() == []


def test_create_with_unknown_fallback_provider_fails(cli, open_store, local_provider):
    result = cli("agents", "create", "--name", "A", "--provider", "local", "--model", "m",
                 "--fallback", "nowhere:gpt")
    assert result.code == 1
    assert "unknown provider 'nowhere'" in result.error_line
    assert open_store().agents.list() == []


@pytest.mark.parametrize("value", ["nocolon", ":model", "provider:"])
def test_create_with_malformed_fallback_fails(cli, local_provider, value):
    result = cli("agents", "create", "--name", "A", "--provider", "local", "--model", "m",
                 "--fallback", value)
    assert result.code == 1
    assert "PROVIDER:MODEL" in result.error_line


@pytest.mark.parametrize("value", ["2.01", "-0.1", "3", "nan", "inf"])
def test_create_rejects_temperature_outside_range(cli, open_store, local_provider, value):
    result = cli("agents", "create", "--name", "A", "--provider", "local", "--model", "m",
                 "--temperature", value)
    assert result.code == 1
    line = result.error_line
    assert "--temperature" in line
    assert "between 0.0 and 2.0" in line
    assert open_store().agents.list() == []


@pytest.mark.parametrize("value", ["0", "2"])
def test_create_accepts_temperature_bounds(cli, open_store, local_provider, value):
    result = cli("agents", "create", "--name", "A", "--provider", "local", "--model", "m",
                 "--temperature", value)
    assert result.code == 0, result.err
    assert open_store().agents.get_by_name("A").temperature == float(value)


def test_create_rejects_non_numeric_temperature_as_usage_error(cli, local_provider):
    result = cli("agents", "create", "--name", "A", "--provider", "local", "--model", "m",
                 "--temperature", "warm")
    assert result.code == 2
    assert "--temperature" in result.error_line


@pytest.mark.parametrize("value", ["0", "-5"])
def test_create_rejects_max_tokens_below_one(cli, open_store, local_provider, value):
    result = cli("agents", "create", "--name", "A", "--provider", "local", "--model", "m",
                 "--max-tokens", value)
    assert result.code == 1
    assert "--max-tokens" in result.error_line
    assert open_store().agents.list() == []


def test_create_rejects_overlong_and_blank_names(cli, open_store, local_provider):
    too_long = cli("agents", "create", "--name", "x" * 256, "--provider", "local",
                   "--model", "m")
    blank = cli("agents", "create", "--name", "   ", "--provider", "local", "--model", "m")
    assert too_long.code == 1 and "--name" in too_long.error_line
    assert blank.code == 1 and "--name" in blank.error_line
    assert open_store().agents.list() == []


def test_create_duplicate_name_fails_and_keeps_the_original(cli, open_store, make_agent):
    original = make_agent("Helper", "--system", "first")
    result = cli("agents", "create", "--name", "helper", "--provider", "local",
                 "--model", "other", "--system", "second")
    assert result.code == 1
    assert "already exists" in result.error_line
    agents = open_store().agents.list()
    assert [(a.id, a.system_prompt) for a in agents] == [(original["id"], "first")]


def test_local_only_agent_refuses_a_remote_provider(cli, open_store):
    assert cli("providers", "add", "cloud", "--kind", "openai").code == 0
    assert cli("providers", "add", "box", "--kind", "openai",
               "--url", "http://127.0.0.1:8000/v1").code == 0
    remote = cli("agents", "create", "--name", "A", "--provider", "cloud", "--model", "m",
                 "--local-only")
    assert remote.code == 1
    assert "not local" in remote.error_line
    loopback = cli("agents", "create", "--name", "B", "--provider", "box", "--model", "m",
                   "--local-only")
    assert loopback.code == 0, loopback.err
    assert [a.name for a in open_store().agents.list()] == ["B"]


def test_create_requires_name_provider_and_model(cli):
    result = cli("agents", "create", "--name", "A")
    assert result.code == 2
    assert "--provider" in result.error_line


def test_list_human_and_json(cli, make_agent):
    assert "no agents" in cli("agents", "list").out
    assert cli("agents", "list", "--json").json() == []
    make_agent("beta")
    make_agent("Alpha", "--temperature", "1.5")

    listing = cli("agents", "list")
    assert listing.code == 0
    lines = listing.out.splitlines()
    assert lines[0].split() == ["ID", "NAME", "PROVIDER", "MODEL", "TEMP", "REV", "UPDATED"]
    assert [line.split()[1] for line in lines[1:]] == ["Alpha", "beta"]
    # Aligned: every row's MODEL column starts where the header's does.
    column = lines[0].index("MODEL")
    assert all(line[column:].startswith("llama3:8b") for line in lines[1:])

    data = cli("agents", "list", "--json").json()
    assert [(a["name"], a["temperature"]) for a in data] == [("Alpha", 1.5), ("beta", 0.7)]
    assert {"id", "provider", "model", "revision", "tools", "fallbacks"} <= set(data[0])


def test_show_by_name_and_id_with_revision(cli, open_store, make_agent):
    created = make_agent("Writer", "--system", "Line one\nLine two")
    store = open_store()
    spec = store.agents.get(created["id"])
    store.agents.update(spec.model_copy(update={"temperature": 1.1}))

    by_name = cli("agents", "show", "writer")
    by_id = cli("agents", "show", str(created["id"]))
    assert by_name.code == 0 and by_id.code == 0
    assert by_name.out == by_id.out
    assert "Revision:" in by_name.out
    revision_line = next(line for line in by_name.out.splitlines()
                         if line.startswith("Revision:"))
    assert revision_line.split()[-1] == "2"
    assert "1.1" in by_name.out
    assert "    Line one\n    Line two" in by_name.out

    data = cli("agents", "show", "Writer", "--json").json()
    assert data["revision"] == 2
    assert data["temperature"] == 1.1
    assert data["id"] == created["id"]


def test_show_prefers_a_name_over_an_id(cli, make_agent):
    first = make_agent("first")
    numeric = make_agent(str(first["id"]))  # an agent literally named like the first's id
    shown = cli("agents", "show", str(first["id"]), "--json").json()
    assert shown["id"] == numeric["id"]
    assert cli("agents", "show", str(numeric["id"]), "--json").json()["id"] == numeric["id"]


@pytest.mark.parametrize("command", ["show", "delete", "export"])
def test_unknown_agent_is_a_one_line_error(cli, make_agent, command):
    make_agent("real")
    result = cli("agents", command, "imaginary")
    assert result.code == 1
    assert "unknown agent 'imaginary'" in result.error_line
    assert result.out == ""


def test_delete_cascades_and_reports_counts(cli, open_store, make_agent):
    doomed = make_agent("doomed")
    kept = make_agent("kept")
    store = open_store()
    c1 = store.conversations.create(doomed["id"], "one")
    c2 = store.conversations.create(doomed["id"], "two")
    store.conversations.set_archived(c2.id, True)
    m1 = store.messages.add(Message(conversation_id=c1.id, role="user", content="zebra one"))
    m2 = store.messages.add(Message(conversation_id=c1.id, role="assistant", content="ok"))
    m3 = store.messages.add(Message(conversation_id=c2.id, role="user", content="zebra two"))
    other = store.conversations.create(kept["id"], "other")
    survivor = store.messages.add(Message(conversation_id=other.id, role="user",
                                          content="zebra three"))

    result = cli("agents", "delete", "doomed")
    assert result.code == 0, result.err
    assert "2 conversations" in result.out
    assert "3 messages" in result.out

    with pytest.raises(NotFoundError):
        store.agents.get(doomed["id"])
    for conversation in (c1, c2):
        with pytest.raises(NotFoundError):
            store.conversations.get(conversation.id)
    for message in (m1, m2, m3):
        with pytest.raises(NotFoundError):
            store.messages.get(message.id)
    assert store.messages.get(survivor.id).content == "zebra three"
    assert [hit.message_id for hit in store.search.search("zebra")] == [survivor.id]
    assert store.integrity_ok()


def test_delete_json_counts(cli, open_store, make_agent):
    agent = make_agent("gone")
    store = open_store()
    conversation = store.conversations.create(agent["id"])
    store.messages.add(Message(conversation_id=conversation.id, role="user", content="hi"))
    data = cli("agents", "delete", str(agent["id"]), "--json").json()
    assert data["deleted"]["name"] == "gone"
    assert data["conversations_removed"] == 1
    assert data["messages_removed"] == 1
    assert store.agents.list() == []
