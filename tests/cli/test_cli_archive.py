"""conversations list --archived-only / --all, archive ID, unarchive ID."""

from __future__ import annotations


def _chats(make_agent, open_store) -> dict[str, int]:
    ada = make_agent("ada")
    store = open_store()
    kept = store.conversations.create(ada["id"], "Kept")
    shelved = store.conversations.create(ada["id"], "Shelved")
    store.conversations.set_archived(shelved.id, True)
    return {"kept": kept.id, "shelved": shelved.id}


def test_archived_only_and_all(cli, make_agent, open_store):
    chats = _chats(make_agent, open_store)
    only = cli("conversations", "list", "--archived-only", "--json").json()
    assert [c["id"] for c in only] == [chats["shelved"]]
    assert only[0]["archived"] is True
    every = cli("conversations", "list", "--all", "--json").json()
    assert {c["id"] for c in every} == set(chats.values())
    human = cli("conversations", "list", "--archived-only").out
    assert "Shelved" in human and "Kept" not in human
    both = cli("conversations", "list", "--all", "--archived-only")
    assert both.code == 2 and "not allowed with" in both.error_line


def test_unarchive_then_archive_again(cli, make_agent, open_store):
    chats = _chats(make_agent, open_store)
    result = cli("conversations", "unarchive", str(chats["shelved"]))
    assert result.code == 0, result.err
    assert result.out.strip() == f"unarchived conversation {chats['shelved']} 'Shelved'"
    assert not open_store().conversations.get(chats["shelved"]).archived
    listed = cli("conversations", "list", "--json").json()
    assert {c["id"] for c in listed} == set(chats.values())
    assert cli("conversations", "list", "--archived-only").out.strip() == \
        "no archived conversations"

    again = cli("conversations", "unarchive", str(chats["shelved"]))
    assert "(it already was)" in again.out

    data = cli("conversations", "archive", str(chats["kept"]), "--json").json()
    assert (data["id"], data["archived"], data["title"]) == (chats["kept"], True, "Kept")
    listed = cli("conversations", "list", "--json").json()
    assert [c["id"] for c in listed] == [chats["shelved"]]


def test_archive_unknown_conversation(cli):
    for command in ("archive", "unarchive"):
        result = cli("conversations", command, "404")
        assert result.code == 1
        assert "unknown conversation 404" in result.error_line
