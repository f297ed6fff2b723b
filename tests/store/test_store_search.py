"""Full-text search: ranking, snippets, Unicode, escaping of user queries, filters."""

from __future__ import annotations

import pytest

from app.domain import AgentSpec, Conversation, SearchHit
from app.domain.search import HIGHLIGHT_END, HIGHLIGHT_START
from app.store import Store
from app.store.search import to_fts_query
from store_helpers import add_message

FILLER = " ".join(f"filler{i}" for i in range(200))


def ids(hits: list[SearchHit]) -> list[int]:
    return [h.message_id for h in hits]


def test_hit_carries_message_and_conversation_details(store: Store, agent: AgentSpec,
                                                      conversation: Conversation) -> None:
    msg = add_message(store, conversation.id, "the quick brown fox", role="assistant")
    [hit] = store.search.search("brown")
    assert hit.message_id == msg.id
    assert hit.conversation_id == conversation.id
    assert hit.conversation_title == "First chat"
    assert hit.agent_id == agent.id
    assert hit.role == "assistant"
    assert hit.created_at == msg.created_at
    assert hit.rank < 0  # bm25: more negative is better


def test_no_match_returns_empty_list(store: Store, conversation: Conversation) -> None:
    add_message(store, conversation.id, "nothing relevant here")
    assert store.search.search("zebra") == []


def test_dense_short_match_ranks_above_passing_mention_in_long_text(
        store: Store, conversation: Conversation) -> None:
    passing = add_message(store, conversation.id, f"{FILLER} kubernetes {FILLER}")
    dense = add_message(store, conversation.id, "kubernetes kubernetes kubernetes setup")
    short = add_message(store, conversation.id, "about kubernetes")

    hits = store.search.search("kubernetes")

    assert ids(hits)[-1] == passing.id
    assert set(ids(hits)) == {passing.id, dense.id, short.id}
    ranks = [h.rank for h in hits]
    assert ranks == sorted(ranks)
    assert hits[0].rank < hits[-1].rank


def test_term_frequency_orders_equal_length_messages(store: Store,
                                                     conversation: Conversation) -> None:
    once = add_message(store, conversation.id, "pasta one two three four five")
    twice = add_message(store, conversation.id, "pasta pasta two three four five")
    thrice = add_message(store, conversation.id, "pasta pasta pasta three four five")
    assert ids(store.search.search("pasta")) == [thrice.id, twice.id, once.id]


def test_snippet_highlights_the_match(store: Store, conversation: Conversation) -> None:
    add_message(store, conversation.id, "We deployed the service on Tuesday.")
    [hit] = store.search.search("service")
    assert f"{HIGHLIGHT_START}service{HIGHLIGHT_END}" in hit.snippet
    assert hit.snippet_with("<b>", "</b>") == hit.snippet.replace(
        HIGHLIGHT_START, "<b>").replace(HIGHLIGHT_END, "</b>")
    assert "<b>service</b>" in hit.snippet_with("<b>", "</b>")
    assert HIGHLIGHT_START not in hit.plain_snippet
    assert "deployed the service on" in hit.plain_snippet


def test_snippet_of_long_text_is_an_excerpt_around_the_match(
        store: Store, conversation: Conversation) -> None:
    add_message(store, conversation.id, f"{FILLER} needle {FILLER}")
    [hit] = store.search.search("needle")
    assert f"{HIGHLIGHT_START}needle{HIGHLIGHT_END}" in hit.snippet
    assert len(hit.plain_snippet) < len(FILLER) // 4
    assert "…" in hit.snippet


def test_prefix_match_on_last_word_only(store: Store, conversation: Conversation) -> None:
    target = add_message(store, conversation.id, "configuration management tips")
    assert ids(store.search.search("config")) == [target.id]
    assert ids(store.search.search("configuration manag")) == [target.id]
    # Only the last word is a prefix: a partial earlier word must match whole.
    assert store.search.search("config management") == []
    [hit] = store.search.search("manag")
    assert f"{HIGHLIGHT_START}management{HIGHLIGHT_END}" in hit.snippet


def test_all_words_are_required(store: Store, conversation: Conversation) -> None:
    both = add_message(store, conversation.id, "red apples and green pears")
    add_message(store, conversation.id, "red cars")
    assert ids(store.search.search("red pears")) == [both.id]


def test_case_and_accents_are_folded(store: Store, conversation: Conversation) -> None:
    cafe = add_message(store, conversation.id, "Un café crème à Zürich, s'il vous plaît")
    assert ids(store.search.search("cafe")) == [cafe.id]
    assert ids(store.search.search("CAFÉ")) == [cafe.id]
    assert ids(store.search.search("zurich creme")) == [cafe.id]
    [hit] = store.search.search("cafe")
    assert f"{HIGHLIGHT_START}café{HIGHLIGHT_END}" in hit.snippet


def test_cyrillic_and_greek_words_are_found(store: Store,
                                            conversation: Conversation) -> None:
    ru = add_message(store, conversation.id, "Привет, как дела с проектом?")
    el = add_message(store, conversation.id, "Καλημέρα κόσμε")
    assert ids(store.search.search("ПРОЕКТОМ")) == [ru.id]
    assert ids(store.search.search("привет")) == [ru.id]
    # Greek and Cyrillic fold case; SQLite strips diacritics from Latin letters only.
    assert ids(store.search.search("ΚΑΛΗΜΈΡΑ")) == [el.id]
    assert ids(store.search.search("κόσμε")) == [el.id]


def test_cjk_text_is_found(store: Store, conversation: Conversation) -> None:
    jp = add_message(store, conversation.id, "東京 の 天気 は 晴れ です")
    zh = add_message(store, conversation.id, "我们 明天 去 北京")
    assert ids(store.search.search("東京")) == [jp.id]
    assert ids(store.search.search("北京")) == [zh.id]
    # Without spaces a CJK run is one token; the last word still matches as a prefix.
    run = add_message(store, conversation.id, "東京タワーに行きました")
    assert set(ids(store.search.search("東京"))) == {jp.id, run.id}


@pytest.mark.parametrize("query", ["🎉", "🎉🎉 🚀", "party 🎉", "🎉party"])
def test_emoji_do_not_break_search(store: Store, conversation: Conversation,
                                   query: str) -> None:
    party = add_message(store, conversation.id, "Launch party 🎉🚀 tonight")
    hits = store.search.search(query)
    assert isinstance(hits, list)
    if "party" in query:
        assert ids(hits) == [party.id]
    else:
        assert hits == []


def test_message_text_with_emoji_is_still_indexed(store: Store,
                                                  conversation: Conversation) -> None:
    msg = add_message(store, conversation.id, "🎉🎉 great🎉work ☕ 👍 done")
    assert ids(store.search.search("work")) == [msg.id]
    assert ids(store.search.search("great done")) == [msg.id]


HOSTILE_QUERIES = [
    '"foo AND (',
    "NOT",
    "a OR b",
    "*",
    "col:val",
    "NEAR(",
    'unbalanced "quote',
    '"',
    "''",
    "foo)",
    "^start",
    "content:foo",
    "foo - bar",
    "{content}: x",
    "AND AND OR",
    "a\x00b",
    "\\",
    "%_",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_operators_in_user_queries_never_raise(store: Store, conversation: Conversation,
                                               query: str) -> None:
    add_message(store, conversation.id, "foo bar NOT a col val near content start")
    assert isinstance(store.search.search(query), list)


@pytest.mark.parametrize("query", ["", "   ", "\n\t", "***", "()", '""', "-"])
def test_empty_or_punctuation_only_query_returns_nothing(
        store: Store, conversation: Conversation, query: str) -> None:
    add_message(store, conversation.id, "something")
    assert to_fts_query(query) is None
    assert store.search.search(query) == []


def test_or_in_a_query_is_a_word_not_an_operator(store: Store,
                                                 conversation: Conversation) -> None:
    add_message(store, conversation.id, "apple pie recipe")
    add_message(store, conversation.id, "banana bread recipe")
    both = add_message(store, conversation.id, "apple or banana, which one?")
    assert ids(store.search.search("apple OR banana")) == [both.id]
    assert store.search.search("apple OR pie") == []  # no "or" in "apple pie recipe"


def test_not_and_near_are_searched_as_words(store: Store,
                                            conversation: Conversation) -> None:
    add_message(store, conversation.id, "cats are nice")
    negated = add_message(store, conversation.id, "cats are NOT dogs")
    assert ids(store.search.search("cats NOT dogs")) == [negated.id]
    near = add_message(store, conversation.id, "the shop is near the station")
    assert ids(store.search.search("NEAR(station")) == [near.id]


def test_column_filter_syntax_is_searched_as_words(store: Store,
                                                   conversation: Conversation) -> None:
    msg = add_message(store, conversation.id, "set the col to val please")
    assert ids(store.search.search("col:val")) == [msg.id]


def test_quote_in_query_cannot_break_out(store: Store, conversation: Conversation) -> None:
    msg = add_message(store, conversation.id, 'he said "foo" and left')
    add_message(store, conversation.id, "foo alone")
    # Every word of the query is required; quotes and brackets are not syntax.
    assert ids(store.search.search('"foo AND (')) == [msg.id]
    assert ids(store.search.search('said "foo')) == [msg.id]
    assert ids(store.search.search('"said foo" OR alone')) == []


def test_agent_filter(store: Store, agent: AgentSpec, conversation: Conversation) -> None:
    other = store.agents.create(AgentSpec(name="Other"))
    other_chat = store.conversations.create(other.id)
    mine = add_message(store, conversation.id, "shared topic")
    theirs = add_message(store, other_chat.id, "shared topic")
    assert set(ids(store.search.search("shared"))) == {mine.id, theirs.id}
    assert ids(store.search.search("shared", agent_id=agent.id)) == [mine.id]
    assert ids(store.search.search("shared", agent_id=other.id)) == [theirs.id]
    assert store.search.search("shared", agent_id=9999) == []


def test_limit(store: Store, conversation: Conversation) -> None:
    for i in range(30):
        add_message(store, conversation.id, f"repeated word number {i}")
    assert len(store.search.search("repeated")) == 20  # the default
    assert len(store.search.search("repeated", limit=5)) == 5
    assert len(store.search.search("repeated", limit=100)) == 30


def test_include_archived(store: Store, agent: AgentSpec) -> None:
    live = store.conversations.create(agent.id, "live")
    old = store.conversations.create(agent.id, "old")
    live_msg = add_message(store, live.id, "quarterly report")
    old_msg = add_message(store, old.id, "quarterly report")
    store.conversations.set_archived(old.id, True)
    assert set(ids(store.search.search("quarterly"))) == {live_msg.id, old_msg.id}
    assert ids(store.search.search("quarterly", include_archived=False)) == [live_msg.id]


def test_content_update_reindexes(store: Store, conversation: Conversation) -> None:
    msg = add_message(store, conversation.id, "", role="assistant", status="streaming")
    store.messages.set_content(msg.id, "draft about walruses")
    assert ids(store.search.search("walruses")) == [msg.id]

    store.messages.finalize(msg.id, status="complete", content="final text on penguins")

    assert store.search.search("walruses") == []
    assert ids(store.search.search("penguins")) == [msg.id]
    [hit] = store.search.search("penguins")
    assert "final text on" in hit.plain_snippet


def test_non_content_update_keeps_index(store: Store, conversation: Conversation) -> None:
    msg = add_message(store, conversation.id, "steady words")
    store.conversations.rename(conversation.id, "Renamed")
    [hit] = store.search.search("steady")
    assert hit.message_id == msg.id
    assert hit.conversation_title == "Renamed"


def test_delete_removes_from_index(store: Store, conversation: Conversation) -> None:
    gone = add_message(store, conversation.id, "ephemeral note")
    kept = add_message(store, conversation.id, "ephemeral but kept")
    store.messages.delete(gone.id)
    assert ids(store.search.search("ephemeral")) == [kept.id]
    store.db.execute_sql("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')")


@pytest.mark.parametrize("text, expected", [
    ("hello", '"hello"*'),
    ("hello world", '"hello" "world"*'),
    ('"foo AND (', '"foo" "AND"*'),
    ("col:val", '"col" "val"*'),
])
def test_to_fts_query_quotes_every_word(text: str, expected: str) -> None:
    assert to_fts_query(text) == expected


def test_short_last_word_is_not_a_prefix(store: Store, conversation: Conversation) -> None:
    """One or two letters would match a large part of any history and cost
    seconds to rank, so they match whole words only."""
    word = add_message(store, conversation.id, "th is a word here")
    other = add_message(store, conversation.id, "the theory of things")
    assert ids(store.search.search("th")) == [word.id]
    assert ids(store.search.search("thi")) == [other.id]  # three letters: a prefix
