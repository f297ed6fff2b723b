"""search QUERY: ranked hits, highlighted snippets, hostile queries."""

from __future__ import annotations

import pytest

from app.domain import Message


@pytest.fixture
def corpus(make_agent, open_store):
    ada, bob = make_agent("ada"), make_agent("bob")
    store = open_store()
    first = store.conversations.create(ada["id"], "Fruit")
    second = store.conversations.create(bob["id"], "Misc")
    ids = {}
    for key, conversation, text in [
        ("dense", first, "banana banana banana"),
        ("sparse", first, "a long message that mentions banana once among many other "
                          "words about the weather, trains, and the price of tea"),
        ("bob", second, "bob likes banana bread"),
        ("hostile", second, 'literal text: "foo AND (bar)'),
        ("none", second, "nothing relevant here"),
    ]:
        ids[key] = store.messages.add(Message(conversation_id=conversation.id,
                                              role="user", content=text)).id
    return {"ids": ids, "ada": ada["id"], "bob": bob["id"]}


def test_hits_are_ranked_and_highlighted(cli, corpus):
    result = cli("search", "banana")
    assert result.code == 0
    lines = result.out.splitlines()
    headers = [line for line in lines if line.startswith("conversation ")]
    snippets = [line.strip() for line in lines if line.startswith("    ")]
    assert len(headers) == 3
    assert headers[0].endswith(f"message {corpus['ids']['dense']}")
    assert snippets[0] == "[banana] [banana] [banana]"
    assert all("[banana]" in snippet for snippet in snippets)
    assert "\x02" not in result.out and "\x03" not in result.out


def test_json_hits(cli, open_store, corpus):
    data = cli("search", "banana", "--json").json()
    expected = open_store().search.search("banana")
    assert [hit["message_id"] for hit in data] == [hit.message_id for hit in expected]
    assert data[0]["message_id"] == corpus["ids"]["dense"]
    top = data[0]
    assert top["snippet_plain"] == "banana banana banana"
    assert top["agent_name"] == "ada"
    assert top["conversation_title"] == "Fruit"
    assert {"conversation_id", "agent_id", "role", "snippet", "rank", "created_at"} <= set(top)


def test_agent_filter_and_limit(cli, corpus):
    bob_only = cli("search", "banana", "--agent", "bob", "--json").json()
    assert [hit["message_id"] for hit in bob_only] == [corpus["ids"]["bob"]]
    one = cli("search", "banana", "--limit", "1", "--json").json()
    assert [hit["message_id"] for hit in one] == [corpus["ids"]["dense"]]


@pytest.mark.parametrize("query", ['"foo AND (', "AND OR NOT", "*", 'banana"', "col:umn"])
def test_hostile_queries_do_not_fail(cli, corpus, query):
    result = cli("search", query)
    assert result.code == 0, result.err
    assert result.err == ""


def test_hostile_query_matches_its_words_literally(cli, corpus):
    data = cli("search", '"foo AND (', "--json").json()
    assert [hit["message_id"] for hit in data] == [corpus["ids"]["hostile"]]


def test_no_matches(cli, corpus):
    result = cli("search", "zeppelin")
    assert result.code == 0
    assert result.out.strip() == "no matches"
    assert cli("search", "zeppelin", "--json").json() == []


def test_search_unknown_agent(cli, corpus):
    result = cli("search", "banana", "--agent", "nobody")
    assert result.code == 1
    assert "unknown agent 'nobody'" in result.error_line
