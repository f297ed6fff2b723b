"""AgentRunner: configuration in (RunnerDeps, RunConfig), a result out
(RunResult). The runner exposes no state of its own to read back."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import inspect

import pytest

from app.core.runner import AgentRunner, RunConfig, RunnerDeps, RunResult
from app.core.tools.base import ToolContext
from app.domain import AgentSpec, Message, TextDelta
from tests.core.test_runner import LOCAL, SETTINGS, spec
from tests.support.runner_helpers import RoundsProvider, SlowTool, calls, registry
from tests.support.scripted_providers import answer, source
from tests.support.turn_helpers import run_with_setup


def make(setup, provider, *tools, **config) -> AgentRunner:
    settings = SETTINGS.model_copy(update={"home": setup.path.parent})
    return AgentRunner(RunnerDeps(setup.store, settings, providers=source({"local": provider}),
                                  tools=registry(*tools) if tools else None),
                       RunConfig(setup.agent, setup.conversation_id, "go", **config))


def test_the_constructor_takes_dependencies_and_a_configuration() -> None:
    parameters = list(inspect.signature(AgentRunner).parameters)
    assert parameters == ["deps", "config"]
    for kind in (RunnerDeps, RunConfig, RunResult):
        assert dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen


def test_a_run_gives_a_result_and_no_public_state(tmp_path) -> None:
    tool = SlowTool("probe", result="probed")
    provider = RoundsProvider(LOCAL, [calls(("c1", "probe", {})), answer("done")])

    async def body(setup):
        runner = make(setup, provider, tool)
        with pytest.raises(RuntimeError):
            runner.result                    # noqa: B018 — not before the turn ended
        result = await runner.run()
        return runner, result

    runner, result = run_with_setup(tmp_path, spec(tools=["probe"]), [LOCAL], body)
    assert [name for name in vars(runner) if not name.startswith("_")] == []
    assert runner.result is result
    assert result.user_message.content == "go"
    assert [m.status for m in result.rounds] == ["complete", "complete"]
    assert result.final == result.rounds[-1] and result.final.content == "done"
    assert [m.content for m in result.tool_messages] == ["probed"]
    assert len(result.requests) == 2 and result.window is not None
    assert result.tool_problems == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.final = None                  # type: ignore[misc]


def test_a_cancelled_run_still_has_its_result(tmp_path) -> None:
    provider = RoundsProvider(LOCAL, [[TextDelta(text="so far"), 30.0, *answer("never")]])

    async def body(setup):
        runner = make(setup, provider)
        got_text = asyncio.Event()

        async def consume():
            async for event in runner.events():
                if isinstance(event, TextDelta):
                    got_text.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(got_text.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return runner.result

    result = run_with_setup(tmp_path, spec(), [LOCAL], body)
    assert result.rounds == ()                           # the round did not end
    assert (result.final.status, result.final.content) == ("cancelled", "so far")


def test_run_config_regenerate_answers_the_stored_message() -> None:
    question = Message(conversation_id=1, role="user", content="stored question")
    config = RunConfig(AgentSpec(name="a"), 1, "ignored", reply_to=question)
    assert config.message == "stored question"
    assert RunConfig(AgentSpec(name="a"), 1, "typed").message == "typed"


def test_tools_get_typed_dependencies_and_the_chat_turn_alias_is_gone() -> None:
    fields = {f.name for f in dataclasses.fields(ToolContext)}
    assert {"store", "settings", "allow_private_addresses"} <= fields
    assert "services" not in fields
    assert importlib.util.find_spec("app.core.chat_turn") is None
