"""app/ops/compare.py on a real Store: which columns run, and keeping the chosen
answer as a conversation (the others as its other versions)."""

from __future__ import annotations

import pytest

from app.core.compare import ColumnOutcome, CompareColumn
from app.domain import AgentSpec, Done, Error, TextDelta, Usage
from app.ops import compare, messages
from app.store import Store
from tests.support.scripted_providers import config


@pytest.fixture
def two(store: Store) -> tuple[AgentSpec, AgentSpec]:
    store.providers.create(config("local"))
    store.providers.create(config("other"))
    return (store.agents.create(AgentSpec(name="Alpha", provider="local", model="m1")),
            store.agents.create(AgentSpec(name="Beta", provider="other", model="m2")))


def finished(column: CompareColumn, *texts: str, provider="local", model="m1",
             error: str | None = None, stop: str = "stop") -> ColumnOutcome:
    outcome = ColumnOutcome(column)
    outcome.provider, outcome.model = provider, model
    for text in texts:
        outcome.take(TextDelta(text=text))
    outcome.take(Usage(completion_tokens=len(texts), ttft_ms=10.0, tokens_per_s=20.0))
    outcome.take(Error(kind="server", message=error) if error else Done(stop_reason=stop))
    return outcome


def test_columns_from_agents_and_models(store, two):
    alpha, beta = two
    cols = compare.columns(store, ["alpha", str(beta.id)], ["other:llama3:8b"])
    assert [c.label for c in cols] == ["Alpha", "Beta", "Alpha · other:llama3:8b"]
    assert (cols[2].run_agent.provider, cols[2].run_agent.model) == ("other", "llama3:8b")


@pytest.mark.parametrize("agents, models, problem", [
    (["alpha"], [], "at least two columns"),
    (["nobody", "alpha"], [], "no agent named 'nobody'"),
    (["alpha"], ["ghost:m"], "no provider named 'ghost'"),
    (["alpha"], ["justamodel"], "expected PROVIDER:MODEL"),
    (["alpha", "beta", "alpha", "beta", "alpha"], [], "at most 4 columns"),
])
def test_columns_refused_in_words(store, two, agents, models, problem):
    with pytest.raises(compare.CompareError, match=problem):
        compare.columns(store, agents, models)


def test_keep_records_the_chosen_answer_with_the_others_as_its_versions(store, two):
    alpha, beta = two
    outcomes = [finished(CompareColumn(alpha), "from ", "alpha"),
                finished(CompareColumn(beta), "from beta", provider="other", model="m2"),
                finished(CompareColumn(alpha, "other", "m9"), error="broke", provider="other",
                         model="m9")]
    kept = compare.keep(store, "Which is best?", outcomes, 1)
    assert kept.agent.id == beta.id and kept.conversation.agent_id == beta.id
    shown = messages.shown_branch(store, kept.conversation.id)
    assert [(m.role, m.content) for m in shown] == [("user", "Which is best?"),
                                                     ("assistant", "from beta")]
    reply = shown[-1]
    assert (reply.provider, reply.model, reply.status) == ("other", "m2", "complete")
    assert reply.usage.completion_tokens == 1 and reply.usage.tokens_per_s == 20.0
    summary = reply.meta["compare"]
    assert summary["chosen"] is True and summary["column"] == 1
    assert [c["status"] for c in summary["columns"]] == ["complete", "complete", "error"]
    assert summary["columns"][2]["error"] == "broke"
    # The other answers are versions of the reply; the failed one had no text.
    versions = messages.versions_of(store, kept.conversation.id, [reply.id])
    assert versions[reply.id].count == 2
    [other] = kept.others
    assert (other.content, other.meta["compare"]["agent"], other.parent_id) == (
        "from alpha", "Alpha", kept.user_message.id)
    assert other.agent_revision is None          # another agent's answer


def test_keep_a_model_column_switches_the_agent_to_that_model(store, two):
    alpha, _beta = two
    outcomes = [finished(CompareColumn(alpha), "a"),
                finished(CompareColumn(alpha, "other", "m9"), "b", provider="other",
                         model="m9")]
    kept = compare.keep(store, "hi", outcomes, 1)
    assert (kept.agent.provider, kept.agent.model) == ("other", "m9")
    assert kept.agent.revision == alpha.revision + 1
    assert (store.agents.get(alpha.id).provider, store.agents.get(alpha.id).model) == (
        "other", "m9")
    assert kept.reply.agent_revision == kept.agent.revision


def test_keep_refuses_a_column_without_an_answer(store, two):
    alpha, beta = two
    outcomes = [finished(CompareColumn(alpha), error="down"), finished(CompareColumn(beta), "b")]
    with pytest.raises(compare.CompareError, match="no answer"):
        compare.keep(store, "hi", outcomes, 0)
    with pytest.raises(compare.CompareError, match="no column 3"):
        compare.keep(store, "hi", outcomes, 2)
    running = ColumnOutcome(CompareColumn(beta))
    running.take(TextDelta(text="so far"))
    with pytest.raises(compare.CompareError, match="still answering"):
        compare.keep(store, "hi", [outcomes[0], running], 1)
    assert store.conversations.list() == []


def test_a_stopped_column_is_kept_as_cancelled_with_its_text(store, two):
    alpha, beta = two
    outcomes = [finished(CompareColumn(alpha), "half", stop="cancelled"),
                finished(CompareColumn(beta), "whole", provider="other", model="m2")]
    kept = compare.keep(store, "hi", outcomes, 0)
    assert (kept.reply.status, kept.reply.content) == ("cancelled", "half")
    assert kept.others[0].status == "complete"
