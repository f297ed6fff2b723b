"""Trimming the history to the model's context, and loading it from the newest end."""

from __future__ import annotations

import asyncio

from app.core.context_window import (
    MISSING_RESULT,
    ContextBudget,
    fit_rounds,
    load_history,
    message_tokens,
    messages_tokens,
    to_chat_messages,
)
from app.core.runner import AgentRunner, RunConfig, RunnerDeps
from app.domain import AgentSpec, ChatMessage, Message, ToolCallRecord
from app.settings import AppSettings
from app.store import AsyncStore
from tests.support.runner_helpers import RoundsProvider
from tests.support.scripted_providers import answer, config, source
from tests.support.turn_helpers import run_with_setup

LOCAL = config("local")


def msg(role, content="", **extra) -> Message:
    return Message(conversation_id=1, role=role, content=content, **extra)


def tool_turn(n: int, text: str = "x" * 40) -> list[Message]:
    """A turn: a question, a tool call, its result, an answer."""
    return [msg("user", f"q{n} {text}"),
            msg("assistant", "", tool_calls=[ToolCallRecord(call_id=f"c{n}", name="t",
                                                            arguments={"n": n})]),
            msg("tool", f"r{n} {text}", tool_call_id=f"c{n}"),
            msg("assistant", f"a{n} {text}")]


def seed(setup, messages: list[Message]) -> None:
    """Write ``messages`` into the setup's conversation (ids in order)."""

    def write(s):
        with s.db.atomic():                  # one transaction: fast seeding
            for m in messages:
                s.messages.add(m.model_copy(update={"conversation_id": setup.conversation_id}))

    return setup.store.run(write)


def spec(**extra) -> AgentSpec:
    values = {"name": "a", "provider": "local", "model": "m", "system_prompt": "SYSTEM",
              "max_tokens": 100}
    values.update(extra)
    return AgentSpec(**values)


def send_turn(tmp_path, agent, history, *, context_tokens, text="now"):
    """Seed ``history``, run one turn, return the request the model got."""
    provider = RoundsProvider(LOCAL, [answer("ok")])

    async def body(setup):
        await seed(setup, history)
        runner = AgentRunner(RunnerDeps(setup.store, AppSettings(home=tmp_path),
                                        providers=source({"local": provider})),
                             RunConfig(setup.agent, setup.conversation_id, text,
                                       context_tokens=context_tokens))
        return await runner.run()

    result = run_with_setup(tmp_path, agent, [LOCAL], body)
    return provider.requests[0], result


def test_token_estimate_is_chars_over_four_plus_message_overhead():
    plain = ChatMessage(role="user", content="x" * 400)
    assert message_tokens(plain) == 100 + 4
    call = ChatMessage(role="assistant", tool_calls=[
        ToolCallRecord(call_id="c", name="abcd", arguments={"k": "v" * 20})])
    assert message_tokens(call) > message_tokens(ChatMessage(role="assistant"))


def test_long_history_is_trimmed_oldest_first_keeping_system_and_newest(tmp_path):
    history = [m for n in range(30) for m in tool_turn(n)]
    request, result = send_turn(tmp_path, spec(), history, context_tokens=1000)
    messages = request.messages
    assert messages[0].role == "system" and messages[0].content == "SYSTEM"
    assert (messages[-1].role, messages[-1].content) == ("user", "now")
    kept = [m.content.split()[0] for m in messages if m.role == "user"][:-1]
    # A run of the newest turns, in order, ending right before the new message.
    assert kept and kept == [f"q{n}" for n in range(30 - len(kept), 30)]
    assert len(kept) < 30
    estimate = messages_tokens(messages)
    budget = ContextBudget.for_model(1000, 100)
    assert estimate <= budget.context_tokens - budget.reserve_output
    assert result.window.more_before
    assert result.final.meta["context"]["trimmed"] is True


def assert_pairs_whole(messages: list[ChatMessage]) -> None:
    assert not messages or messages[0].role == "user"
    for index, message in enumerate(messages):
        if message.tool_calls:
            follow = messages[index + 1]
            assert (follow.role, follow.tool_call_id) == ("tool", message.tool_calls[0].call_id)
        if message.role == "tool":
            assert messages[index - 1].tool_calls[0].call_id == message.tool_call_id


def test_tool_call_and_results_are_never_split(tmp_path):
    history = [m for n in range(6) for m in tool_turn(n, "y" * (10 + 17 * n))]

    async def body(setup):
        await seed(setup, history)
        kept_counts = set()
        # Budgets at every few tokens: the limit falls at every position in a turn.
        for budget in range(0, 400, 3):
            window = await load_history(setup.store, setup.conversation_id, before_id=None,
                                        budget=budget, max_turns=None, first_page=5)
            messages = [m for turn in window.turns for m in turn.messages]
            assert_pairs_whole(messages)
            assert messages_tokens(messages) <= budget
            kept_counts.add(len(messages))
        return kept_counts

    kept_counts = run_with_setup(tmp_path, spec(), [LOCAL], body)
    assert kept_counts == {0, 4, 8, 12, 16, 20, 24}      # whole turns, 0 to all six


def test_max_turns_zero_sends_only_the_new_message(tmp_path):
    history = [m for n in range(3) for m in tool_turn(n)]
    request, _ = send_turn(tmp_path, spec(max_turns=0), history, context_tokens=100_000)
    assert [(m.role, m.content) for m in request.messages] == [("system", "SYSTEM"),
                                                              ("user", "now")]


def test_max_turns_n_keeps_the_n_newest_turns(tmp_path):
    history = [m for n in range(5) for m in tool_turn(n)]
    request, result = send_turn(tmp_path, spec(max_turns=2), history, context_tokens=100_000)
    users = [m.content.split()[0] for m in request.messages if m.role == "user"]
    assert users == ["q3", "q4", "now"]
    assert len(request.messages) == 1 + 2 * 4 + 1
    assert result.window.more_before


def test_max_turns_larger_than_history_keeps_everything(tmp_path):
    history = [m for n in range(2) for m in tool_turn(n)]
    request, result = send_turn(tmp_path, spec(max_turns=10), history, context_tokens=100_000)
    assert len(request.messages) == 1 + 8 + 1
    assert not result.window.more_before


def test_context_length_comes_from_model_info_when_known(tmp_path):
    from app.domain import ModelInfo

    history = [m for n in range(40) for m in tool_turn(n)]
    provider = RoundsProvider(LOCAL, [answer("ok")])

    async def body(setup):
        await seed(setup, history)
        for context in (600, None):
            models = [ModelInfo(provider="local", id="m", context_length=context)]
            runner = AgentRunner(RunnerDeps(setup.store, AppSettings(home=tmp_path),
                                            providers=source({"local": provider}),
                                            models=models),
                                 RunConfig(setup.agent, setup.conversation_id, "now"))
            await runner.run()

    run_with_setup(tmp_path, spec(), [LOCAL], body)
    small, default = provider.requests      # default: settings.runner.context_tokens
    assert messages_tokens(small.messages) <= 600
    assert len(default.messages) > len(small.messages)


def test_loading_reads_pages_from_the_newest_end_only_as_far_as_needed(tmp_path):
    turns = [m for n in range(150) for m in tool_turn(n)]      # 600 messages

    async def body(setup):
        await seed(setup, turns)
        # Without the turn cache: this is about what is read from the store.
        # before_id None: up to the end of the shown branch, the newest included.
        window = await load_history(setup.store, setup.conversation_id,
                                    before_id=None, budget=300, max_turns=None,
                                    cached=False)
        everything = await load_history(setup.store, setup.conversation_id,
                                        before_id=None, budget=10**9,
                                        max_turns=None, cached=False)
        return window, everything

    window, everything = run_with_setup(tmp_path, spec(), [LOCAL], body)
    assert 0 < len(window.turns) < 10
    assert window.messages_read <= 64 and window.pages_read <= 2
    assert window.more_before
    assert len(everything.turns) == 150 and everything.messages_read == 600
    assert not everything.more_before
    assert everything.fit(300) == [m for t in window.turns for m in t.messages]


def test_stored_messages_become_a_valid_request():
    history = [
        msg("user", "a"),
        msg("assistant", "", status="error"),                     # produced nothing
        msg("assistant", "busy", status="streaming"),             # still streaming
        msg("tool", "orphan", tool_call_id="zz"),                 # answers no call
        msg("assistant", "", status="cancelled",
            tool_calls=[ToolCallRecord(call_id="c1", name="t"),
                        ToolCallRecord(call_id="c2", name="t")]),
        msg("tool", "one", tool_call_id="c1"),                    # c2 never answered
        msg("user", "b"),
    ]
    out = to_chat_messages(history)
    assert [(m.role, m.content, m.tool_call_id) for m in out] == [
        ("user", "a", None), ("assistant", "", None), ("tool", "one", "c1"),
        ("tool", MISSING_RESULT, "c2"), ("user", "b", None)]


def test_fit_rounds_keeps_the_newest_round_even_over_budget():
    def unit(n, size):
        return [ChatMessage(role="assistant", tool_calls=[
            ToolCallRecord(call_id=f"c{n}", name="t")]),
            ChatMessage(role="tool", content="z" * size, tool_call_id=f"c{n}")]

    rounds = [unit(1, 400), unit(2, 400), unit(3, 4000)]
    kept = fit_rounds(rounds, 200)
    assert [m.tool_call_id for m in kept if m.role == "tool"] == ["c3"]
    kept = fit_rounds(rounds, 10_000)
    assert [m.tool_call_id for m in kept if m.role == "tool"] == ["c1", "c2", "c3"]
    kept = fit_rounds(rounds, messages_tokens(rounds[2]) + messages_tokens(rounds[1]))
    assert [m.tool_call_id for m in kept if m.role == "tool"] == ["c2", "c3"]


def test_history_of_an_empty_conversation_is_empty(tmp_path):
    async def main():
        store = await AsyncStore.open(tmp_path / "db.sqlite")
        try:
            window = await load_history(store, 12345, before_id=None, budget=1000,
                                        max_turns=None)
        finally:
            await store.close()
        return window

    window = asyncio.run(main())
    assert window.turns == [] and not window.more_before and window.pages_read == 1
