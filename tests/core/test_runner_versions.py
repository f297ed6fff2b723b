"""The runner with versions: a regenerate answers the stored user message again
(no new user message; the reply is a sibling of the earlier one), an edit
attaches a new user message beside the old one, and every request carries only
the branch that leads to its message — through the history cache too."""

from __future__ import annotations

from app.core.runner import AgentRunner, RunConfig, RunnerDeps, RunResult
from app.domain import Message
from app.settings import AppSettings
from tests.core.test_context_window import LOCAL, spec
from tests.support.runner_helpers import RoundsProvider
from tests.support.scripted_providers import answer, source
from tests.support.turn_helpers import run_with_setup


def user_texts(request) -> list[str]:
    return [m.content for m in request.messages if m.role != "system"]


async def turn(setup, provider, text: str = "", **where) -> RunResult:
    runner = AgentRunner(RunnerDeps(setup.store, AppSettings(home=setup.path.parent),
                                    providers=source({"local": provider})),
                         RunConfig(setup.agent, setup.conversation_id, text, **where))
    return await runner.run()


async def path(setup) -> list[str]:
    messages = await setup.store.run(lambda s: s.messages.path_all(setup.conversation_id))
    return [m.content for m in messages]


def test_regenerate_and_edit_send_only_the_shown_branch(tmp_path) -> None:
    provider = RoundsProvider(LOCAL, [answer("a1"), answer("a2"), answer("a2 again"),
                                      answer("a3"), answer("edited answer"),
                                      answer("after switching")])

    async def body(setup):
        await turn(setup, provider, "q1")
        second = await turn(setup, provider, "q2")
        question = second.user_message
        again = await turn(setup, provider, reply_to=question)          # Regenerate
        after_regenerate = await path(setup)
        await turn(setup, provider, "q3")
        edit = await turn(setup, provider, "q2 edited",                 # Edit and resend
                          parent_id=question.parent_id)
        after_edit = await path(setup)

        def back(s):                     # the person pages back to the first version
            s.messages.switch_version(edit.user_message.id, -1)
        await setup.store.run(back)
        await turn(setup, provider, "q4")
        everything = await setup.store.run(lambda s: s.messages.all(setup.conversation_id))
        return again, question, after_regenerate, after_edit, everything

    again, question, after_regenerate, after_edit, everything = run_with_setup(
        tmp_path, spec(), [LOCAL], body)
    regenerate_request, q3, edit_request, q4 = provider.requests[2:]
    # The regenerate asked the same question again, without the first answer to it.
    assert user_texts(regenerate_request) == ["q1", "a1", "q2"]
    assert again.user_message.id == question.id and again.final.parent_id == question.id
    assert after_regenerate == ["q1", "a1", "q2", "a2 again"]
    assert user_texts(q3) == ["q1", "a1", "q2", "a2 again", "q3"]
    # The edit: the old q2 and everything after it are not sent.
    assert user_texts(edit_request) == ["q1", "a1", "q2 edited"]
    assert after_edit == ["q1", "a1", "q2 edited", "edited answer"]
    # Switched back to the first q2: its newest branch, and the new turn follows it.
    assert user_texts(q4) == ["q1", "a1", "q2", "a2 again", "q3", "a3", "q4"]
    assert len(everything) == 11 and [m.content for m in everything].count("q2") == 1


def test_regenerate_of_the_first_message_sends_no_history(tmp_path) -> None:
    provider = RoundsProvider(LOCAL, [answer("one"), answer("two")])

    async def body(setup):
        first = await turn(setup, provider, "hello")
        await turn(setup, provider, reply_to=first.user_message)
        messages: list[Message] = await setup.store.run(
            lambda s: s.messages.all(setup.conversation_id))
        return first, messages

    first, messages = run_with_setup(tmp_path, spec(), [LOCAL], body)
    assert user_texts(provider.requests[1]) == ["hello"]
    assert [(m.role, m.content, m.parent_id) for m in messages] == [
        ("user", "hello", None), ("assistant", "one", first.user_message.id),
        ("assistant", "two", first.user_message.id)]
