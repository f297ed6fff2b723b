"""agents duplicate NAME [--name NEW]: same settings, no chats, a free name."""

from __future__ import annotations


def test_duplicate_copies_settings_not_chats(cli, make_agent, open_store):
    source = make_agent("ada", "--system", "Be brief.", "--temperature", "0.3",
                        "--tool", "calculator")
    open_store().conversations.create(source["id"], "A chat")
    result = cli("agents", "duplicate", "ADA")
    assert result.code == 0, result.err
    assert result.out.strip().startswith("created agent 'ada (copy)'")
    copy = cli("agents", "show", "ada (copy)", "--json").json()
    for field in ("system_prompt", "temperature", "tools", "provider", "model"):
        assert copy[field] == source[field], field
    assert copy["id"] != source["id"]
    assert open_store().conversations.list(copy["id"], include_archived=True) == []

    second = cli("agents", "duplicate", "ada", "--json").json()
    assert second["name"] == "ada (copy 2)"
    named = cli("agents", "duplicate", "ada", "--name", "bea", "--json").json()
    assert named["name"] == "bea"


def test_duplicate_errors(cli, make_agent):
    make_agent("ada")
    taken = cli("agents", "duplicate", "ada", "--name", "ADA")
    assert taken.code == 1 and "already exists" in taken.error_line
    blank = cli("agents", "duplicate", "ada", "--name", "  ")
    assert blank.code == 1 and "name" in blank.error_line
    missing = cli("agents", "duplicate", "zed")
    assert missing.code == 1 and "unknown agent 'zed'" in missing.error_line
